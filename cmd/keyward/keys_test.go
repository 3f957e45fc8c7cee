package main

import (
	"context"
	"database/sql"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib"

	"github.com/keyward/keyward/internal/store/storetest"
	"github.com/keyward/keyward/internal/vault"
)

// cliTarget is one empty database the CLI can be pointed at: a data
// directory for SQLite, a fresh schema for PostgreSQL.
type cliTarget struct {
	name string
	env  map[string]string // KEYWARD_DATA or KEYWARD_DB
	// sql opens the database behind the CLI's back, for checks.
	sql func(t *testing.T) *sql.DB
}

// sqliteTarget is a fresh data directory inside the SQLite Env's.
func sqliteTarget(t *testing.T, env *storetest.Env) cliTarget {
	dir := filepath.Join(env.Dir, "data")
	return cliTarget{name: env.Name, env: map[string]string{"KEYWARD_DATA": dir}, sql: func(t *testing.T) *sql.DB {
		db, err := sql.Open("sqlite", filepath.Join(dir, "keyward.db"))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		return db
	}}
}

func postgresTarget(t *testing.T) cliTarget { return postgresTargetOn(t, storetest.Postgres(t)) }

func postgresTargetOn(t *testing.T, pg *storetest.Env) cliTarget {
	dir := t.TempDir()
	// On PostgreSQL the audit signing key comes only from configuration.
	env := map[string]string{"KEYWARD_DB": pg.URL, "KEYWARD_DATA": dir, "KEYWARD_AUDIT_KEY_FILE": filepath.Join(dir, "audit-signing.key")}
	return cliTarget{name: pg.Name, env: env, sql: func(t *testing.T) *sql.DB {
		db, err := sql.Open("pgx", pg.URL)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		return db
	}}
}

// eachTarget runs fn on a CLI target of every storetest backend; target
// makes a fresh one (a test may need two, a source and a restore target).
func eachTarget(t *testing.T, fn func(t *testing.T, target func(t *testing.T) cliTarget)) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		fn(t, func(t *testing.T) cliTarget {
			env := b(t)
			if env.URL == "" {
				return sqliteTarget(t, env)
			}
			return postgresTargetOn(t, env)
		})
	})
}

// keyFileFor writes a fresh vault key file for PostgreSQL targets (SQLite
// keeps its own in the data directory) and returns its base64 content.
func keyFileFor(t *testing.T, tg cliTarget) string {
	t.Helper()
	if tg.name == "sqlite" {
		return ""
	}
	path := filepath.Join(t.TempDir(), "vault.key")
	if code, out, e := runCmd(t, context.Background(), tg.env, "", "vault", "new-key", "--out", path); code != 0 {
		t.Fatalf("vault new-key: %d %s %s", code, out, e)
	}
	tg.env["KEYWARD_VAULT_KEY_FILE"] = path
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimSpace(string(b))
}

func mustRun(t *testing.T, env map[string]string, args ...string) string {
	t.Helper()
	code, out, e := runCmd(t, context.Background(), env, "", args...)
	if code != 0 {
		t.Fatalf("%s: exit %d\n%s%s", strings.Join(args, " "), code, out, e)
	}
	return out
}

// TestPostgresNeedsVaultKey: on PostgreSQL a command that seals secrets
// refuses to start without a configured key, says how to make one, and never
// writes a key into the database.
func TestPostgresNeedsVaultKey(t *testing.T) {
	tg := postgresTarget(t)
	code, out, errOut := runCmd(t, context.Background(), tg.env, "", "init", "--org", "Acme", "--admin-email", "o@acme.test")
	if code == 0 {
		t.Fatalf("init on PostgreSQL without a vault key succeeded: %s", out)
	}
	if !strings.Contains(errOut, "keyward vault new-key --out") || !strings.Contains(errOut, "KEYWARD_VAULT_KEY_FILE") {
		t.Fatalf("the refusal does not say how to make a key:\n%s", errOut)
	}
	var n int
	if err := tg.sql(t).QueryRow(`SELECT COUNT(*) FROM keyring`).Scan(&n); err == nil && n != 0 {
		t.Fatalf("a key was written into the database (%d rows in keyring)", n)
	}
	// With a key file it works, and still nothing is in the database.
	key := keyFileFor(t, tg)
	mustRun(t, tg.env, "init", "--org", "Acme", "--admin-email", "o@acme.test")
	if err := tg.sql(t).QueryRow(`SELECT COUNT(*) FROM keyring`).Scan(&n); err != nil || n != 0 {
		t.Fatalf("keyring rows = %d (%v), want 0", n, err)
	}
	// KEYWARD_VAULT_KEY works the same way; a malformed one is refused.
	env := map[string]string{"KEYWARD_DB": tg.env["KEYWARD_DB"], "KEYWARD_DATA": tg.env["KEYWARD_DATA"], "KEYWARD_VAULT_KEY": key}
	if code, _, e := runCmd(t, context.Background(), env, "", "token", "create", "--user", "o@acme.test", "--name", "x"); code != 0 {
		t.Fatalf("token create with KEYWARD_VAULT_KEY: %s", e)
	}
	env["KEYWARD_VAULT_KEY"] = "bm90IDMyIGJ5dGVz"
	if code, _, e := runCmd(t, context.Background(), env, "", "token", "create", "--user", "o@acme.test", "--name", "y"); code == 0 || !strings.Contains(e, "32 bytes") {
		t.Fatalf("a short key was accepted: %d %s", code, e)
	}
	// Commands that neither seal nor open secrets need no key.
	bare := map[string]string{"KEYWARD_DB": tg.env["KEYWARD_DB"], "KEYWARD_DATA": tg.env["KEYWARD_DATA"]}
	mustRun(t, bare, "audit", "verify")
	mustRun(t, bare, "backup", filepath.Join(t.TempDir(), "b.jsonl"))
}

// TestMoveKeyOutOfDatabase: an installation from before keeps its vault key in
// the keyring table. serve refuses and names the one-off command; the command
// writes the key to a new 0600 file, removes it from the database with an
// audit record, and the secrets open with the file afterwards.
func TestMoveKeyOutOfDatabase(t *testing.T) {
	tg := postgresTarget(t)
	legacy := vault.NewKeyString()
	env := map[string]string{"KEYWARD_DB": tg.env["KEYWARD_DB"], "KEYWARD_DATA": tg.env["KEYWARD_DATA"], "KEYWARD_VAULT_KEY": legacy}
	mustRun(t, env, "init", "--org", "Acme", "--admin-email", "o@acme.test")
	mustRun(t, env, "demo") // seals the key system's bittings with the legacy key
	db := tg.sql(t)
	if _, err := db.Exec(`INSERT INTO keyring (id, vault_key, created_at) VALUES (1, $1, '2026-01-01T00:00:00.000000000Z')`, legacy); err != nil {
		t.Fatal(err)
	}
	bare := map[string]string{"KEYWARD_DB": tg.env["KEYWARD_DB"], "KEYWARD_DATA": tg.env["KEYWARD_DATA"]}
	// A serve that starts is stopped after a few seconds (exit 0): the test fails then.
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	code, _, errOut := runCmd(t, ctx, bare, "", "serve", "--addr", "127.0.0.1:0")
	if code == 0 || !strings.Contains(errOut, "keyward vault move-key --out") {
		t.Fatalf("serve with the key in the database: exit %d, want a refusal naming move-key:\n%s", code, errOut)
	}
	if strings.Contains(errOut, legacy) {
		t.Fatal("the refusal prints the key")
	}
	// A backup would carry the key: refused until it is moved.
	if code, _, _ := runCmd(t, context.Background(), bare, "", "backup", filepath.Join(t.TempDir(), "b.jsonl")); code == 0 {
		t.Fatal("backup with the key in the database succeeded")
	}
	keyPath := filepath.Join(t.TempDir(), "keys", "vault.key")
	if err := os.MkdirAll(filepath.Dir(keyPath), 0o700); err != nil {
		t.Fatal(err)
	}
	old := syscall.Umask(0o022)
	defer syscall.Umask(old)
	out := mustRun(t, bare, "vault", "move-key", "--out", keyPath)
	if strings.Contains(out, legacy) {
		t.Fatal("move-key prints the key")
	}
	b, err := os.ReadFile(keyPath)
	if err != nil || strings.TrimSpace(string(b)) != legacy {
		t.Fatalf("key file holds %q (%v)", b, err)
	}
	checkMode(t, keyPath, 0o600)
	var n int
	if err := db.QueryRow(`SELECT COUNT(*) FROM keyring`).Scan(&n); err != nil || n != 0 {
		t.Fatalf("keyring rows after move-key = %d (%v)", n, err)
	}
	var details string
	if err := db.QueryRow(`SELECT details FROM audit_log WHERE action = 'vault.key_moved'`).Scan(&details); err != nil {
		t.Fatalf("no audit record of the move: %v", err)
	}
	if strings.Contains(details, legacy) {
		t.Fatal("the audit record holds the key")
	}
	mustRun(t, bare, "audit", "verify")
	// Running it again finds no key and does not touch the file.
	if code, _, _ := runCmd(t, context.Background(), bare, "", "vault", "move-key", "--out", keyPath+".2"); code == 0 {
		t.Fatal("a second move-key succeeded")
	}
	// With the moved key configured, serve starts.
	withFile := map[string]string{"KEYWARD_DB": tg.env["KEYWARD_DB"], "KEYWARD_DATA": tg.env["KEYWARD_DATA"], "KEYWARD_VAULT_KEY_FILE": keyPath}
	startServe(t, withFile)
}

// TestMoveKeyRefusesOverwrite: move-key never overwrites a file.
func TestMoveKeyRefusesOverwrite(t *testing.T) {
	tg := postgresTarget(t)
	keyFileFor(t, tg)
	mustRun(t, tg.env, "init", "--org", "Acme", "--admin-email", "o@acme.test")
	legacy := vault.NewKeyString()
	if _, err := tg.sql(t).Exec(`INSERT INTO keyring (id, vault_key, created_at) VALUES (1, $1, 'x')`, legacy); err != nil {
		t.Fatal(err)
	}
	existing := filepath.Join(t.TempDir(), "vault.key")
	os.WriteFile(existing, []byte("keep me\n"), 0o600)
	bare := map[string]string{"KEYWARD_DB": tg.env["KEYWARD_DB"], "KEYWARD_DATA": tg.env["KEYWARD_DATA"]}
	code, _, errOut := runCmd(t, context.Background(), bare, "", "vault", "move-key", "--out", existing)
	if code == 0 || !strings.Contains(errOut, "exists") {
		t.Fatalf("move-key over an existing file: %d %s", code, errOut)
	}
	if b, _ := os.ReadFile(existing); string(b) != "keep me\n" {
		t.Fatalf("the existing file was changed: %q", b)
	}
	var n int
	if err := tg.sql(t).QueryRow(`SELECT COUNT(*) FROM keyring`).Scan(&n); err != nil || n != 1 {
		t.Fatalf("the key left the database although it was not written out: %d %v", n, err)
	}
	// A configured key that differs from the one in the database is refused.
	code, _, errOut = runCmd(t, context.Background(), tg.env, "", "vault", "move-key", "--out", existing+".new")
	if code == 0 || !strings.Contains(errOut, "differs") {
		t.Fatalf("move-key with a different configured key: %d %s", code, errOut)
	}
}

func checkMode(t *testing.T, path string, want os.FileMode) {
	t.Helper()
	st, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if got := st.Mode().Perm(); got != want {
		t.Errorf("%s has mode %v, want %v", filepath.Base(path), got, want)
	}
}

// TestFilesNotWorldReadable: with umask 022, every file that holds data or
// keys is 0600 and the data directory 0700, on both backends.
func TestFilesNotWorldReadable(t *testing.T) {
	eachTarget(t, func(t *testing.T, target func(t *testing.T) cliTarget) {
		old := syscall.Umask(0o022)
		defer syscall.Umask(old)
		tg := target(t)
		name := tg.name
		keyFileFor(t, tg)
		mustRun(t, tg.env, "init", "--org", "Acme", "--admin-email", "o@acme.test")
		files := t.TempDir()
		backup := filepath.Join(files, "backup")
		mustRun(t, tg.env, "backup", backup)
		export := filepath.Join(files, "export.json")
		mustRun(t, tg.env, "audit", "export", "--out", export)
		checkMode(t, backup, 0o600)
		checkMode(t, export, 0o600)
		if name == "postgres" {
			checkMode(t, tg.env["KEYWARD_VAULT_KEY_FILE"], 0o600)
			return
		}
		dir := tg.env["KEYWARD_DATA"]
		checkMode(t, dir, 0o700)
		checkMode(t, filepath.Join(dir, "vault.key"), 0o600)
		checkMode(t, filepath.Join(dir, "audit-signing.key"), 0o600)
		// While the database is open, its -wal and -shm exist too.
		db := tg.sql(t)
		if _, err := db.Exec(`PRAGMA journal_mode=WAL`); err != nil {
			t.Fatal(err)
		}
		if _, err := db.Exec(`CREATE TABLE IF NOT EXISTS t (x)`); err != nil {
			t.Fatal(err)
		}
		for _, f := range []string{"keyward.db", "keyward.db-wal", "keyward.db-shm"} {
			checkMode(t, filepath.Join(dir, f), 0o600)
		}
	})
}
