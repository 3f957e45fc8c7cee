package main

import (
	"fmt"
	"time"

	"github.com/keyward/keyward/internal/store"
)

func (e *env) restoreCmd(args []string) int {
	if len(args) != 1 {
		fmt.Fprintln(e.stderr, "usage: keyward restore FILE   (into an empty --data DIR or --db URL)")
		return 2
	}
	r, err := store.Restore(e.ctx, store.Config{URL: e.db, DataDir: e.data, Now: time.Now}, args[0])
	if err != nil {
		return e.fail(err)
	}
	fmt.Fprintf(e.stdout, "Restored %s into %s: %d audit records from a backup taken at %s, and the restore recorded as one more.\n",
		args[0], r.Target, r.Records, r.TakenAt.UTC().Format(time.RFC3339))
	if e.db == "" {
		fmt.Fprintln(e.stdout, "The sealed secrets open with the source's vault key: put its vault.key in the data directory or set KEYWARD_VAULT_KEY_FILE.")
	} else {
		fmt.Fprintln(e.stdout, "The sealed secrets open with the source's vault key: set KEYWARD_VAULT_KEY_FILE to it for every server.")
	}
	return 0
}
