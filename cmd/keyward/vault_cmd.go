package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/keyward/keyward/internal/keyward"
	"github.com/keyward/keyward/internal/vault"
)

const vaultLong = `The vault key protects the secrets at rest (key codes, lockbox codes, PINs,
bittings). It never lives in the database or a backup: after new-key or
move-key, set KEYWARD_VAULT_KEY_FILE=FILE for every keyward command on that
database, and keep a copy apart from the backups.`

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
	return group("vault", "Make the vault key file, or move an old one out of the database", vaultLong,
		verb("new-key", "Write a new vault key (base64 of 32 bytes) to a new 0600 file", e.newKey),
		verb("move-key", "Move the vault key an earlier version kept in the database to a new 0600 file", e.moveKey))
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
