package main

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/keyward/keyward/internal/keyward"
)

// seedCommand is offline, beside demo: it writes the database directly.
func (e *env) seedCommand() *cobra.Command {
	var in keyward.LoadSeedInput
	c := &cobra.Command{
		Use:   "seed [--keys N] [--holders N] [--events N]",
		Short: "Fill an empty database with made-up data the size of a large site, for load runs",
		Long: `Fills the --data directory or --db database with made-up data the size of a
large site, for measuring the views under "keyward load": --keys keys of one
keyway (symbols S00000, S00001, …, 10 copies each), --holders holders, and
--events logbook lines (each key's starts with its creation; the rest issue,
return and hand keys on, one day apart), and the door "Seed door" at
"Seed site", keyed to S00042, S00043 and S00044 (a change key, its master
and the grand master). Each round of lines is one "load.seed" audit record,
so "keyward audit verify" passes afterwards.

It refuses a database that already holds keys: never seed a real site's.
All of it is one transaction; a seed that fails leaves nothing behind.`,
		Example: `  keyward seed --data ./scale
  keyward init --data ./scale --org Scale --admin-email owner@example.com
  KEYWARD_API_RATE=0 keyward serve --data ./scale &
  keyward load --data ./scale --door "Seed door" --mix door-access=20,checkout=50,history=20,view-key=10`,
		Args: noArgs,
		RunE: func(*cobra.Command, []string) error { return status(e.loadSeed(in)) },
	}
	f := c.Flags()
	f.IntVar(&in.Keys, "keys", 100_000, "keys to make")
	f.IntVar(&in.Holders, "holders", 10_000, "holders to make")
	f.IntVar(&in.Events, "events", 1_000_000, "logbook lines to write, at least one per key")
	return c
}

func (e *env) loadSeed(in keyward.LoadSeedInput) int {
	if err := in.Validate(); err != nil {
		// The fields are the flags' names.
		var ke *keyward.Error
		if errors.As(err, &ke) && len(ke.Fields) > 0 {
			fmt.Fprintf(e.stderr, "keyward seed: --%s %s\n", ke.Fields[0].Field, ke.Fields[0].Rule)
			return 2
		}
		return e.fail(err)
	}
	db, err := e.openDB()
	if err != nil {
		return e.fail(err)
	}
	defer db.Close()
	start := time.Now()
	s, err := db.SeedLoad(e.ctx, keyward.SystemActor("load-seed"), in)
	if err != nil {
		return e.fail(err)
	}
	fmt.Fprintf(e.stdout, "Seeded %d keys (%d out with a holder), %d holders and %d logbook lines in %s, recorded as %d audit records.\n",
		s.Keys, s.Issued, s.Holders, s.Events, time.Since(start).Round(time.Millisecond), s.Records)
	fmt.Fprintf(e.stdout, "The door %q (%s) at %q lists %d copies of %s.\n", keyward.SeedDoor, s.DoorID, keyward.SeedSite, s.DoorKeys, strings.Join(keyward.SeedDoorSymbols, ", "))
	fmt.Fprintf(e.stdout, "Measure it: start \"keyward serve\" on this database (KEYWARD_API_RATE=0), then\n  keyward load --door %q --mix door-access=20,checkout=50,history=20,view-key=10\n", keyward.SeedDoor)
	return 0
}
