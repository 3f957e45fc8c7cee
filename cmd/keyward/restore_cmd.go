package main

import (
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/keyward/keyward/internal/store"
)

func (e *env) restoreCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "restore FILE",
		Short: "Restore a backup into an empty data directory or database",
		Long: `Restores a keyward backup file into an empty --data directory or --db database;
refuses, naming it, a target that already holds a database.`,
		Args: oneArg("FILE"),
		RunE: func(_ *cobra.Command, args []string) error { return status(e.restore(args[0])) },
	}
}

func (e *env) restore(file string) int {
	r, err := store.Restore(e.ctx, store.Config{URL: e.db, DataDir: e.data, Now: time.Now}, file)
	if err != nil {
		return e.fail(err)
	}
	fmt.Fprintf(e.stdout, "Restored %s into %s: %d audit records from a backup taken at %s, and the restore recorded as one more.\n",
		file, r.Target, r.Records, r.TakenAt.UTC().Format(time.RFC3339))
	if e.db == "" {
		fmt.Fprintln(e.stdout, "The sealed secrets open with the source's vault key: put its vault.key in the data directory or set KEYWARD_VAULT_KEY_FILE.")
	} else {
		fmt.Fprintln(e.stdout, "The sealed secrets open with the source's vault key: set KEYWARD_VAULT_KEY_FILE to it for every server.")
	}
	return 0
}
