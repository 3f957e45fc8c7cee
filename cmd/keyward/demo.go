package main

import (
	"fmt"
	"sync"
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

// demoClock is the store's clock while the demo runs: a day in the past until
// Present, so yesterday's check-out is overdue today, then the real time.
type demoClock struct {
	mu   sync.Mutex
	past time.Time // zero once present
}

func (c *demoClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.past.IsZero() {
		return time.Now()
	}
	return c.past
}

func (c *demoClock) Present() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.past = time.Time{}
}

func (e *env) demo() int {
	clock := &demoClock{past: time.Now().Add(-26 * time.Hour)}
	e.now = clock.Now
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
	sum, err := demo.Fill(e.ctx, keyward.SystemActor("demo"), demo.Services{
		Directory: db.Directory(), Custody: db.Custody().WithVault(v), KeySystems: db.KeySystems(v), Schedule: db.Schedule(),
		Storage: db.Storage(v), Credentials: db.Credentials(v), Offboarding: db.Offboarding(), LostKeys: db.LostKeys(v),
		Duplication: db.Duplication(v), Now: clock.Now, Present: clock.Present,
	})
	if err != nil {
		return e.fail(err)
	}
	fmt.Fprintf(e.stdout, "Demo data: %d sites, %d openings, %d keyways, %d holders, %d keys, %d pinned cylinders, %d storage places, %d credentials, %d open offboarding; one key overdue, two lost with rekey work open, one copy request waiting.\n",
		sum.Sites, sum.Openings, sum.Keyways, sum.Holders, sum.Keys, sum.Cylinders, sum.StoragePlaces, sum.Credentials, sum.Offboardings)
	return 0
}
