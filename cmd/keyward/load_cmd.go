package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/keyward/keyward/internal/loadgen"
)

func (e *env) loadCommand() *cobra.Command {
	var (
		servers  []string
		clients  int
		duration time.Duration
		count    int
		keys     int
		shared   int
		share    float64
		mix      string
		door     string
		probeFor time.Duration
		noProbe  bool
	)
	c := &cobra.Command{
		Use:   "load",
		Short: "Put a server on this machine under load and measure it",
		Long: `Drives a running Keyward server through its API as many people at once would:
check-outs and check-ins, key and logbook views, who can open a door, searches,
small imports and credential changes. It sets itself up with --token (an owner's
or admin's): a keyway, a door, holders, keys for each client and --shared keys
every client fights over, and one token per client (revoked at the end; the keys
and their logbook stay). Then it prints requests per second, p50/p95/p99 per
operation and the answers by status.

In the same run it measures the raw limit of the database under the server:
single-row durable commits, as many writers as clients, on the database that
--data or --db names (the server's own), and prints the ratio of check-out +
check-in pairs per second to it. Without --data or --db that step is skipped.

With --door NAME (or its id), door-access asks about that door instead of the
run's own, and view-key and history look at its keys half the time: to
measure the views at the size of a large site, fill a fresh database with
"keyward seed" and give --door "Seed door".

Only a server on this machine (127.0.0.1, ::1 or localhost) is accepted: the
run writes thousands of custody moves into the logbook it is pointed at.`,
		Example: `  keyward load --token "$TOKEN" --data ./keyward-data --clients 8 --duration 30s
  keyward load --db postgres://… --servers http://127.0.0.1:8080,http://127.0.0.1:8081 --clients 50 --shared 10 --shared-share 1
  keyward load --data ./scale --door "Seed door" --mix door-access=20,checkout=50,history=20,view-key=10`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if len(servers) == 0 {
				servers = []string{e.server}
			}
			for _, s := range servers {
				if _, err := loadgen.CheckTarget(s); err != nil {
					fmt.Fprintln(e.stderr, "keyward load:", err)
					return exitCode(2)
				}
			}
			var m map[loadgen.Op]int
			if mix != "" {
				var err error
				if m, err = loadgen.ParseMix(mix); err != nil {
					fmt.Fprintln(e.stderr, "keyward load:", err)
					return exitCode(2)
				}
			}
			if !cmd.Flags().Changed("duration") && count > 0 {
				duration = 0
			}
			cfg := loadgen.Config{Servers: servers, Token: e.token, Clients: clients, Duration: duration, Count: count,
				Keys: keys, Shared: shared, SharedShare: share, Mix: m, Door: door, ProbeFor: probeFor, Progress: e.stderr}
			dataGiven := cmd.Flags().Changed("data") || e.getenv("KEYWARD_DATA") != ""
			if !noProbe {
				probe, why := e.commitProbe(dataGiven)
				if probe == nil {
					fmt.Fprintln(e.stderr, "keyward load: raw durable commits will not be measured: "+why)
				}
				cfg.Probe = probe
			}
			return status(e.load(cfg))
		},
	}
	f := c.Flags()
	f.StringSliceVar(&servers, "servers", nil, "servers to spread the clients over, comma-separated (default: --server)")
	f.IntVar(&clients, "clients", 8, "clients sending requests at once")
	f.DurationVar(&duration, "duration", 10*time.Second, "how long to run (a Go duration: 30s, 2m)")
	f.IntVar(&count, "count", 0, "stop after this many requests in all (without --duration: only this)")
	f.IntVar(&keys, "keys", 4, "keys each client has for itself")
	f.IntVar(&shared, "shared", 10, "keys every client fights over")
	f.Float64Var(&share, "shared-share", 0.2, "share of custody moves made on a shared key, 0 to 1")
	f.StringVar(&mix, "mix", "", "weights of the operations, e.g. checkout=50,view-key=12,history=10,door-access=6,search=12,import=2,credential=8 (the default)")
	f.StringVar(&door, "door", "", `a door already in the database (name or id) for door-access to ask about, e.g. "Seed door" (default: the run's own)`)
	f.DurationVar(&probeFor, "probe-for", 0, "how long to measure raw commits (default: the duration, at most 10s)")
	f.BoolVar(&noProbe, "no-probe", false, "do not measure raw durable commits")
	return c
}

// commitProbe opens the server's database for the raw-commit measurement,
// or says why not. A SQLite data directory must already hold a database:
// the probe never makes a new one beside the server's.
func (e *env) commitProbe(dataGiven bool) (func(context.Context, int, time.Duration) (int64, error), string) {
	if e.db == "" {
		if !dataGiven {
			return nil, "give the server's --data directory or --db URL"
		}
		if _, err := os.Stat(filepath.Join(e.data, "keyward.db")); err != nil {
			return nil, fmt.Sprintf("%s holds no Keyward database", e.data)
		}
	}
	return func(ctx context.Context, writers int, d time.Duration) (int64, error) {
		db, err := e.openDB()
		if err != nil {
			return 0, err
		}
		defer db.Close()
		return db.ProbeCommits(ctx, writers, d)
	}, ""
}

func (e *env) load(cfg loadgen.Config) int {
	r, err := loadgen.Run(e.ctx, cfg)
	if err != nil {
		msg := err.Error()
		if strings.Contains(msg, "answered 401") {
			msg += " (give an owner's or admin's token with --token or KEYWARD_TOKEN)"
		}
		fmt.Fprintln(e.stderr, "keyward load:", msg)
		return 1
	}
	r.Write(e.stdout)
	if r.ServerErrors() > 0 {
		return 1
	}
	return 0
}
