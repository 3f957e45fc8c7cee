package main

import (
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/keyward/keyward/internal/demo"
	"github.com/keyward/keyward/internal/keyward"
	"github.com/keyward/keyward/internal/store"
)

func (e *env) demoCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "demo",
		Short: "Fill an empty database with realistic demo data",
		Args:  noArgs,
		RunE:  func(*cobra.Command, []string) error { return status(e.demo()) },
	}
}

func (e *env) demo() int {
	db, v, err := e.openSealing()
	if err != nil {
		return e.fail(err)
	}
	defer db.Close()
	acc := db.Accounts(v)
	if _, err := acc.Org(e.ctx); keyward.ErrorCode(err) == keyward.ENOTFOUND {
		u, pw, err := acc.Init(e.ctx, store.InitInput{Org: "Harbour Point Property", Email: "owner@example.com"})
		if err != nil {
			return e.fail(err)
		}
		fmt.Fprintf(e.stdout, "Created organization with owner %s, password:\n%s\n", u.Email, pw)
	}
	sum, err := demo.Fill(e.ctx, keyward.SystemActor("demo"), demo.Services{Directory: db.Directory(), Custody: db.Custody(), KeySystems: db.KeySystems(v), Schedule: db.Schedule(), Now: time.Now})
	if err != nil {
		return e.fail(err)
	}
	fmt.Fprintf(e.stdout, "Demo data: %d sites, %d openings, %d keyways, %d holders, %d keys, %d pinned cylinders.\n", sum.Sites, sum.Openings, sum.Keyways, sum.Holders, sum.Keys, sum.Cylinders)
	return 0
}
