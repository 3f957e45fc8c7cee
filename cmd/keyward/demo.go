package main

import (
	"fmt"
	"time"

	"github.com/keyward/keyward/internal/demo"
	"github.com/keyward/keyward/internal/keyward"
	"github.com/keyward/keyward/internal/store"
)

func (e *env) demoCmd(args []string) int {
	if len(args) != 0 {
		fmt.Fprintln(e.stderr, "usage: keyward demo")
		return 2
	}
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
