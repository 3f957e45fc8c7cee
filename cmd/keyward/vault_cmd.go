package main

import (
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/keyward/keyward/internal/keyward"
	"github.com/keyward/keyward/internal/store"
	"github.com/keyward/keyward/internal/vault"
)

const vaultLong = `The vault key protects the secrets at rest (key codes, lockbox codes, PINs,
bittings): each secret has its own data key, wrapped by a key-encryption key
(KEK) of the vault's keyring. The key file is that keyring (a bare key is a
keyring of one); rotate-kek adds KEKs to it. It never lives in the database or
a backup: after new-key or move-key, set KEYWARD_VAULT_KEY_FILE=FILE for every
keyward command on that database, and keep a copy apart from the backups.`

func (e *env) vaultCommand() *cobra.Command {
	verb := func(use, short string, do func(out string) int) *cobra.Command {
		var out string
		c := &cobra.Command{
			Use:   use + " --out FILE",
			Short: short,
			Long:  vaultLong,
			Args:  noArgs,
			RunE: func(cmd *cobra.Command, _ []string) error {
				if out == "" {
					fmt.Fprintf(e.stderr, "keyward: %s needs --out FILE\n", cmd.CommandPath())
					return exitCode(2)
				}
				return status(do(out))
			},
		}
		c.Flags().StringVar(&out, "out", "", "the new key file (never overwritten)")
		return c
	}
	return group("vault", "Make the vault key file, rotate its key-encryption key, or move an old key out of the database", vaultLong,
		verb("new-key", "Write a new vault key (base64 of 32 bytes) to a new 0600 file", e.newKey),
		verb("move-key", "Move the vault key an earlier version kept in the database to a new 0600 file", e.moveKey),
		e.rotateKEKCommand(), e.destroyKEKCommand(), e.vaultStatusCommand())
}

const rotateLong = `Adds a new key-encryption key (KEK) to the vault's keyring file as the current
one, then moves every secret's data key under it: only the wrapped data key of
each row changes, no secret is decrypted to disk. It runs while the servers
run: the keyring file is written first, so every server (which reads the file
again within a few seconds, or at once on SIGHUP) opens both KEKs meanwhile.
When no secret uses the old KEK any more, it is marked retired in the keyring
(it still opens backups taken before; destroy-kek removes it).

Stopped or killed half-way, run it again: it finishes the rotation it finds
(the keyring still has an "active" KEK) instead of adding another KEK. The
first rotation also moves the secrets sealed before envelope encryption
(format v1) to a data key each.

The keyring must be a file (KEYWARD_VAULT_KEY_FILE, or SQLite's vault.key in
the data directory), not KEYWARD_VAULT_KEY.`

func (e *env) rotateKEKCommand() *cobra.Command {
	var batch int
	var settle time.Duration
	c := &cobra.Command{
		Use:   "rotate-kek [--batch N] [--settle DURATION]",
		Short: "Add a new key-encryption key and move every secret's data key under it, while the servers run",
		Long:  rotateLong,
		Args:  noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if batch < 1 || batch > 100000 {
				fmt.Fprintln(e.stderr, "keyward: --batch must be between 1 and 100000 rows")
				return exitCode(2)
			}
			if settle < 0 {
				fmt.Fprintln(e.stderr, "keyward: --settle must not be negative")
				return exitCode(2)
			}
			return status(e.rotateKEK(batch, settle))
		},
	}
	c.Flags().IntVar(&batch, "batch", 500, "rows rewrapped per transaction")
	c.Flags().DurationVar(&settle, "settle", 2*vault.ReloadEvery+time.Second, "wait after writing the new keyring, for every server to read it")
	return c
}

func (e *env) rotateKEK(batch int, settle time.Duration) int {
	db, v, err := e.openSealing()
	if err != nil {
		return e.fail(err)
	}
	defer db.Close()
	if v.Path() == "" {
		return e.fail(vault.ErrNoKeyringFile)
	}
	start := time.Now()
	rot, err := db.RotateKEK(e.ctx, keyward.SystemActor("cli"), v, store.RotateOptions{
		Settle: settle,
		RewrapOptions: store.RewrapOptions{Batch: batch, Progress: func(n int) {
			fmt.Fprintf(e.stdout, "rewrapped %d secrets\n", n)
		}},
	})
	if err != nil {
		if rot.To != "" {
			fmt.Fprintf(e.stderr, "keyward: the rotation to KEK %s stopped after %d secrets; run keyward vault rotate-kek again to finish it.\n", rot.To, rot.Rewrapped)
		}
		return e.fail(err)
	}
	if rot.Resumed {
		fmt.Fprintf(e.stdout, "Finished the rotation to KEK %s begun earlier.\n", rot.To)
	} else {
		fmt.Fprintf(e.stdout, "Added KEK %s to the keyring in %s as the current one.\n", rot.To, v.Path())
	}
	fmt.Fprintf(e.stdout, "Moved %d secrets under it in %s.\n", rot.Rewrapped, time.Since(start).Round(time.Millisecond))
	for _, id := range rot.Retired {
		fmt.Fprintf(e.stdout, "Retired KEK %s: no secret in the database uses it. Backups taken before now still need it; once they have aged out, run keyward vault destroy-kek %s.\n", id, id)
	}
	fmt.Fprintln(e.stdout, "Keep a copy of the keyring file apart from the backups: without it the secrets cannot be opened.")
	return 0
}

func (e *env) destroyKEKCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "destroy-kek ID",
		Short: "Remove a retired key-encryption key from the keyring: backups that still need it can no longer be opened",
		Long: `Removes a retired KEK, and its bytes, from the keyring file. Every secret in a
backup taken before that KEK's rotation becomes unreadable with this keyring
(crypto-shredding); copies of the keyring file made before still hold it.
A KEK that some secret in the database still uses is refused.`,
		Args: oneArg("KEK id"),
		RunE: func(cmd *cobra.Command, args []string) error {
			db, v, err := e.openSealing()
			if err != nil {
				return status(e.fail(err))
			}
			defer db.Close()
			if err := db.DestroyKEK(e.ctx, keyward.SystemActor("cli"), v, args[0]); err != nil {
				return status(e.fail(err))
			}
			fmt.Fprintf(e.stdout, "Destroyed KEK %s: it is no longer in %s.\n", args[0], v.Path())
			return nil
		},
	}
}

func (e *env) vaultStatusCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "status",
		Short: "List the keyring's key-encryption keys and how many secrets each one wraps",
		Args:  noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			db, v, err := e.openSealing()
			if err != nil {
				return status(e.fail(err))
			}
			defer db.Close()
			counts, err := db.SealedCounts(e.ctx)
			if err != nil {
				return status(e.fail(err))
			}
			where := v.Path()
			if where == "" {
				where = "KEYWARD_VAULT_KEY"
			}
			fmt.Fprintf(e.stdout, "Keyring: %s\n", where)
			for _, k := range v.Ring().KEKs() {
				fmt.Fprintf(e.stdout, "  KEK %s  %-8s %d secrets\n", k.ID, k.State, counts[k.ID])
			}
			if n := counts[vault.V1]; n > 0 {
				fmt.Fprintf(e.stdout, "  %d secrets are still sealed as before envelope encryption: run keyward vault rotate-kek once.\n", n)
			}
			if v.Ring().Rotating() {
				fmt.Fprintln(e.stdout, "A rotation has not finished: run keyward vault rotate-kek again.")
			}
			return nil
		},
	}
}

// newKey writes a new vault key file.
func (e *env) newKey(out string) int {
	if err := vault.WriteKeyFile(out, vault.NewKeyString()); err != nil {
		return e.fail(err)
	}
	fmt.Fprintf(e.stdout, "Wrote a new vault key to %s (mode 0600).\nSet KEYWARD_VAULT_KEY_FILE=%s for every keyward command on this database, and keep a copy apart from the backups: without the key, the sealed secrets cannot be opened.\n", out, out)
	return 0
}

// moveKey writes the key an earlier version kept in the database to a new
// file, then deletes it from the database with an audit record.
func (e *env) moveKey(out string) int {
	db, err := e.openDB()
	if err != nil {
		return e.fail(err)
	}
	defer db.Close()
	setup, err := e.vaultSetup(db)
	if err != nil {
		return e.fail(err)
	}
	setup.InDatabase = false
	src, err := vault.Choose(setup)
	configured := ""
	if err == nil && (setup.Env != "" || setup.File != "") {
		if configured, err = src.Text(); err != nil {
			return e.fail(err)
		}
	} else if err != nil && err != vault.ErrNoKey {
		return e.fail(err)
	}
	saved := false
	err = db.MoveVaultKeyOut(e.ctx, keyward.SystemActor("cli"), func(key keyward.Secret) error {
		if _, err := vault.ParseKey(key.Reveal()); err != nil {
			return fmt.Errorf("the key in the database is malformed: %w", err)
		}
		if configured != "" && !vault.SameKey(configured, key.Reveal()) {
			return fmt.Errorf("the configured vault key (KEYWARD_VAULT_KEY or KEYWARD_VAULT_KEY_FILE) differs from the one in the database; secrets may be sealed under either. Unset it and run move-key again, then find out which servers used which key")
		}
		if err := vault.WriteKeyFile(out, key.Reveal()); err != nil {
			return err
		}
		saved = true
		return nil
	})
	if err != nil {
		if saved {
			fmt.Fprintf(e.stderr, "keyward: %s holds the vault key, but removing it from the database failed; run move-key again with a new --out.\n", out)
		}
		return e.fail(err)
	}
	fmt.Fprintf(e.stdout, "Moved the vault key out of the database into %s (mode 0600).\nSet KEYWARD_VAULT_KEY_FILE=%s for every keyward command on this database and keep a copy apart from the backups.\nBackups taken before now still hold the key: keep them as safe as the key itself.\n", out, out)
	return 0
}
