package main

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/keyward/keyward/internal/audit"
	"github.com/keyward/keyward/internal/keyward"
	"github.com/keyward/keyward/internal/store"
	"github.com/keyward/keyward/internal/store/storetest"
)

// auditLab is one data directory or PostgreSQL schema driven through the CLI,
// with a raw handle to tamper with the rows behind the store's back.
type auditLab struct {
	t      *testing.T
	name   string
	env    map[string]string
	dir    string // data directory
	url    string // PostgreSQL URL, "" on SQLite
	tokens int
}

// newAuditLab is a lab on a fresh database of the backend: SQLite with the
// defaults (key and checkpoints in the data directory), PostgreSQL with
// KEYWARD_AUDIT_KEY_FILE and KEYWARD_CHECKPOINT_DIR.
func newAuditLab(t *testing.T, backend storetest.Backend) *auditLab {
	t.Helper()
	db := backend(t)
	l := &auditLab{t: t, name: db.Name}
	if db.URL != "" {
		pg := db
		l.dir, l.url = pg.Dir, pg.URL
		keys := t.TempDir()
		l.env = map[string]string{"KEYWARD_DB": pg.URL, "KEYWARD_DATA": pg.Dir, "KEYWARD_VAULT_KEY": testVaultKey(t),
			"KEYWARD_AUDIT_KEY_FILE": filepath.Join(keys, "audit-signing.key"), "KEYWARD_CHECKPOINT_DIR": filepath.Join(keys, "checkpoints")}
	} else {
		l.dir = filepath.Join(db.Dir, "data")
		l.env = map[string]string{"KEYWARD_DATA": l.dir}
	}
	l.ok("init", "--org", "Acme", "--admin-email", "owner@acme.test")
	return l
}

// cli runs one command and returns its exit code and output.
func (l *auditLab) cli(args ...string) (int, string) {
	l.t.Helper()
	code, out, errOut := runCmd(l.t, context.Background(), l.env, "", args...)
	return code, out + errOut
}

func (l *auditLab) ok(args ...string) string {
	l.t.Helper()
	code, out := l.cli(args...)
	if code != 0 {
		l.t.Fatalf("%s: %v: exit %d\n%s", l.name, args, code, out)
	}
	return out
}

// grow appends n audit records (one API token each).
func (l *auditLab) grow(n int) {
	l.t.Helper()
	for range n {
		l.tokens++
		l.ok("token", "create", "--user", "owner@acme.test", "--name", fmt.Sprint("t", l.tokens))
	}
}

// db opens the store as another process would; closed at once after use.
func (l *auditLab) db(fn func(db *store.DB)) {
	l.t.Helper()
	db, err := store.Open(context.Background(), store.Config{URL: l.url, DataDir: l.dir, Now: time.Now})
	if err != nil {
		l.t.Fatal(err)
	}
	defer db.Close()
	fn(db)
}

// sql opens a raw connection to the lab's database, beside the store.
func (l *auditLab) sql() *storetest.SQL { return storetest.OpenSQL(l.t, l.url, l.dir) }

func (l *auditLab) exec(qs ...string) {
	l.t.Helper()
	db := l.sql()
	for _, q := range qs {
		if err := db.Exec(q); err != nil {
			l.t.Fatalf("%s: %v", q, err)
		}
	}
}

func (l *auditLab) size() int64 {
	l.t.Helper()
	var n int64
	l.db(func(db *store.DB) {
		var err error
		if n, _, err = db.AuditHead(context.Background()); err != nil {
			l.t.Fatal(err)
		}
	})
	return n
}

// records reads the log as stored.
func (l *auditLab) records() []audit.Stored {
	l.t.Helper()
	var out []audit.Stored
	l.db(func(db *store.DB) {
		if err := db.AuditSince(context.Background(), 0, func(s audit.Stored) error { out = append(out, s); return nil }); err != nil {
			l.t.Fatal(err)
		}
	})
	return out
}

// rewindHead points the chain head at record k, as an attacker who removed
// the records after it would.
func (l *auditLab) rewindHead(k int64) {
	if k == 0 {
		l.exec(`UPDATE chain_head SET seq = 0, hash = '` + audit.Genesis + `', prev_hash = '' WHERE id = 1`)
		return
	}
	l.exec(fmt.Sprintf(`UPDATE chain_head SET seq = %d, hash = (SELECT hash FROM audit_log WHERE seq = %d), prev_hash = (SELECT prev_hash FROM audit_log WHERE seq = %d) WHERE id = 1`, k, k, k))
}

// snapshot keeps the log as it is now, as a backup would; putBack puts it
// back over whatever the log holds then. On SQLite the whole database file
// is copied back; on PostgreSQL the audit rows and the chain head.
func (l *auditLab) snapshot() (putBack func()) {
	l.t.Helper()
	if l.url == "" {
		file := filepath.Join(l.t.TempDir(), "older.db")
		l.ok("backup", file)
		return func() {
			for _, suffix := range []string{"-wal", "-shm"} {
				_ = os.Remove(filepath.Join(l.dir, "keyward.db"+suffix))
			}
			copyFile(l.t, file, filepath.Join(l.dir, "keyward.db"))
		}
	}
	l.exec(`CREATE TABLE older_log AS SELECT * FROM audit_log`, `CREATE TABLE older_head AS SELECT * FROM chain_head`)
	return func() {
		l.exec(`DELETE FROM audit_log`, `INSERT INTO audit_log SELECT * FROM older_log`,
			`UPDATE chain_head SET seq = (SELECT seq FROM older_head), hash = (SELECT hash FROM older_head), prev_hash = (SELECT prev_hash FROM older_head) WHERE id = 1`)
	}
}

func copyFile(t *testing.T, from, to string) {
	t.Helper()
	in, err := os.Open(from)
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	out, err := os.OpenFile(to, os.O_WRONLY|os.O_TRUNC|os.O_CREATE, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.Copy(out, in); err != nil {
		t.Fatal(err)
	}
	if err := out.Close(); err != nil {
		t.Fatal(err)
	}
}

// rechain edits record seq (its actor) and recomputes the hash of every
// record from it on and the chain head, so the chain is intact again.
func (l *auditLab) rechain(seq int64) {
	l.t.Helper()
	recs := l.records()
	prev := recs[seq-1].PrevHash
	var qs []string
	for _, s := range recs[seq-1:] {
		if s.Seq == seq {
			s.Actor = "mallory@acme.test"
		}
		h := audit.ChainHash(prev, s.Record)
		qs = append(qs, fmt.Sprintf(`UPDATE audit_log SET actor = '%s', prev_hash = '%s', hash = '%s' WHERE seq = %d`, s.Actor, prev, h, s.Seq))
		prev = h
	}
	last := recs[len(recs)-1].Seq
	qs = append(qs, fmt.Sprintf(`UPDATE chain_head SET seq = %d, hash = '%s', prev_hash = (SELECT prev_hash FROM audit_log WHERE seq = %d) WHERE id = 1`, last, prev, last))
	l.exec(qs...)
}

// TestAuditCheckpointsCatchTampering: each way of rewriting the log that
// leaves its own hash chain intact passes a plain recomputation, and is caught
// by audit verify against the checkpoints serve (here: audit checkpoint)
// signed, and by audit verify --since an earlier export.
func TestAuditCheckpointsCatchTampering(t *testing.T) {
	cases := []struct {
		name   string
		tamper func(l *auditLab, putBack func())
		// what verify says about the later checkpoint, and what --since says
		checkpoint, since string
	}{
		{"truncate and rewind the head, then carry on", func(l *auditLab, _ func()) {
			l.exec(`DELETE FROM audit_log WHERE seq > 3`)
			l.rewindHead(3)
			l.grow(8)
		}, "are not the ones signed", "record seq 4"},
		{"wipe the log", func(l *auditLab, _ func()) {
			l.exec(`DELETE FROM audit_log`)
			l.rewindHead(0)
		}, "the log holds only 0", "record seq 1 (id aud_"},
		{"edit a record and re-chain everything after it", func(l *auditLab, _ func()) {
			l.rechain(4)
		}, "are not the ones signed", "record seq 4"},
		{"put back an older backup, then carry on", func(l *auditLab, putBack func()) {
			putBack()
			l.grow(8)
		}, "are not the ones signed", "record seq 6 (id aud_"},
	}
	storetest.Each(t, func(t *testing.T, backend storetest.Backend) {
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				l := newAuditLab(t, backend)
				l.grow(3)
				putBack := l.snapshot() // the "older backup"
				l.grow(2)
				early := l.size()
				l.ok("audit", "checkpoint")
				export := filepath.Join(t.TempDir(), "earlier.json")
				l.ok("audit", "export", "--out", export)
				l.grow(2)
				l.ok("audit", "checkpoint")
				late := l.size()
				if out := l.ok("audit", "verify"); !strings.Contains(out, "2 checkpoints checked") {
					t.Fatalf("untouched log: %s", out)
				}
				if out := l.ok("audit", "verify", "--since", export); !strings.Contains(out, "every record of "+export) {
					t.Fatalf("untouched log --since: %s", out)
				}

				tc.tamper(l, putBack)

				// The tampered log is consistent in itself: the recomputation alone passes.
				l.db(func(db *store.DB) {
					if _, _, err := db.VerifyAudit(context.Background(), nil); err != nil {
						t.Fatalf("the tampered chain does not verify by itself, so the case tests nothing: %v", err)
					}
				})
				code, out := l.cli("audit", "verify")
				wantName := fmt.Sprintf("checkpoint %020d-", late)
				if code != 1 || !strings.HasPrefix(out, "FAILED") || !strings.Contains(out, wantName) || !strings.Contains(out, tc.checkpoint) {
					t.Fatalf("verify against the checkpoints (%d and %d records): exit %d\n%s", early, late, code, out)
				}
				code, out = l.cli("audit", "verify", "--since", export)
				if code != 1 || !strings.Contains(out, tc.since) {
					t.Fatalf("verify --since the earlier export: exit %d\n%s", code, out)
				}
			})
		}
	})
}

// TestAuditRestoreSupersedesCheckpoints: a log put back from a backup and
// followed by its restore record verifies; the checkpoints signed between the
// backup and the restore are reported as superseded, the one before the
// backup still has to match, and --since an export of the lost records still
// names what was lost.
func TestAuditRestoreSupersedesCheckpoints(t *testing.T) {
	storetest.Each(t, func(t *testing.T, backend storetest.Backend) {
		l := newAuditLab(t, backend)
		l.grow(2)
		l.ok("audit", "checkpoint")
		l.grow(1)
		putBack := l.snapshot()
		restored := l.size()
		takenAt := time.Now().UTC()
		time.Sleep(5 * time.Millisecond)
		l.grow(2)
		l.ok("audit", "checkpoint")
		export := filepath.Join(t.TempDir(), "before-restore.json")
		l.ok("audit", "export", "--out", export)
		l.grow(2)
		l.ok("audit", "checkpoint")
		lost := l.size()
		time.Sleep(5 * time.Millisecond)

		putBack()
		// What `keyward restore` appends after putting the log back.
		restoreSeq, err := l.sql().AppendAudit(time.Now(), keyward.SystemActor("restore"), audit.RestoreAction, "audit_log", "audit",
			map[string]any{"restored_size": restored, "backup_taken_at": takenAt.Format(time.RFC3339), "backup": "older.db"})
		if err != nil {
			t.Fatal(err)
		}
		if restoreSeq != restored+1 {
			t.Fatalf("restore record at %d, want %d", restoreSeq, restored+1)
		}
		out := l.ok("audit", "verify")
		want := fmt.Sprintf("superseded by the restore at record #%d (records %d..%d of ", restoreSeq, restored+1, lost)
		if !strings.Contains(out, want) || !strings.Contains(out, "3 checkpoints checked (1 consistent, 2 superseded by a restore, 0 failed)") {
			t.Fatalf("restored log:\n%s\nwant %q", out, want)
		}
		// Checkpoints after the restore follow the restored log.
		l.grow(4)
		l.ok("audit", "checkpoint")
		if out := l.ok("audit", "verify"); !strings.Contains(out, "4 checkpoints checked (2 consistent, 2 superseded") {
			t.Fatalf("after the restore:\n%s", out)
		}
		// The export taken before the restore holds records the log lost.
		code, out := l.cli("audit", "verify", "--since", export)
		if code != 1 || !strings.Contains(out, fmt.Sprintf("record seq %d", restored+1)) {
			t.Fatalf("--since an export of the lost records: exit %d\n%s", code, out)
		}

		// The same rollback without the restore record fails.
		l2 := newAuditLab(t, backend)
		l2.grow(3)
		back := l2.snapshot()
		l2.grow(3)
		l2.ok("audit", "checkpoint")
		back()
		if code, out := l2.cli("audit", "verify"); code != 1 || !strings.Contains(out, "records 6..8 are gone") {
			t.Fatalf("rollback without a restore record: exit %d\n%s", code, out)
		}
	})
}

// TestAuditCheckpointKeyAndFiles: checkpoints need the signing key that made
// them; their directory and files are private to the owner; on PostgreSQL
// audit export and audit checkpoint refuse without KEYWARD_AUDIT_KEY_FILE.
func TestAuditCheckpointKeyAndFiles(t *testing.T) {
	l := newAuditLab(t, storetest.SQLite)
	l.grow(1)
	l.ok("audit", "checkpoint")
	dir := filepath.Join(l.dir, "checkpoints")
	st, err := os.Stat(dir)
	if err != nil || st.Mode().Perm() != 0o700 {
		t.Fatalf("checkpoint dir: %v %v", st.Mode(), err)
	}
	files, _ := filepath.Glob(filepath.Join(dir, "*.checkpoint"))
	if len(files) != 1 {
		t.Fatalf("checkpoint files: %v", files)
	}
	if st, _ := os.Stat(files[0]); st.Mode().Perm() != 0o600 {
		t.Fatalf("checkpoint file mode %v", st.Mode())
	}
	if !regexp.MustCompile(`^0+` + strconv.FormatInt(l.size(), 10) + `-\d{8}T\d{6}\.\d{9}Z\.checkpoint$`).MatchString(filepath.Base(files[0])) {
		t.Fatalf("checkpoint name %s", filepath.Base(files[0]))
	}
	// Checked with another verifier key (an auditor's, for another log), it fails.
	other, _ := audit.LoadOrCreateKey(filepath.Join(t.TempDir(), "other.key"))
	vk, _ := audit.VerifierKey(other)
	l.env["KEYWARD_AUDIT_VERIFIER_KEY"] = vk
	if code, out := l.cli("audit", "verify"); code != 1 || !strings.Contains(out, "does not verify with the audit verifier key") {
		t.Fatalf("another verifier key: exit %d\n%s", code, out)
	}

	pg := newAuditLab(t, storetest.Postgres)
	delete(pg.env, "KEYWARD_AUDIT_KEY_FILE")
	delete(pg.env, "KEYWARD_CHECKPOINT_DIR")
	if code, out := pg.cli("audit", "export", "--out", filepath.Join(t.TempDir(), "x.json")); code != 1 || !strings.Contains(out, "KEYWARD_AUDIT_KEY_FILE") {
		t.Fatalf("export on PostgreSQL without a key file: exit %d\n%s", code, out)
	}
	if _, err := os.Stat(filepath.Join(pg.dir, audit.KeyFile)); err == nil {
		t.Fatal("a key file was made in the working data directory")
	}
	if code, out := pg.cli("audit", "checkpoint"); code != 1 || !strings.Contains(out, "KEYWARD_CHECKPOINT_DIR") {
		t.Fatalf("checkpoint on PostgreSQL without configuration: exit %d\n%s", code, out)
	}
	if out := pg.ok("audit", "verify"); !strings.Contains(out, "0 checkpoints checked") || !strings.Contains(out, "checkpoints are off") {
		t.Fatalf("verify on PostgreSQL without checkpoints: %s", out)
	}
}

// TestServeSignsCheckpoints: serve signs a checkpoint when it starts, within
// seconds of a sensitive record (a new token), and not for an ordinary record
// before the interval; on PostgreSQL without configuration it warns and runs.
func TestServeSignsCheckpoints(t *testing.T) {
	storetest.Each(t, func(t *testing.T, backend storetest.Backend) {
		l := newAuditLab(t, backend)
		l.env["KEYWARD_SCHEDULER_INTERVAL"] = "1h"
		dir := filepath.Join(l.dir, "checkpoints")
		if d := l.env["KEYWARD_CHECKPOINT_DIR"]; d != "" {
			dir = d
		}
		sizes := func() []int64 {
			files, _ := filepath.Glob(filepath.Join(dir, "*.checkpoint"))
			var out []int64
			for _, f := range files {
				n, _ := strconv.ParseInt(strings.SplitN(filepath.Base(f), "-", 2)[0], 10, 64)
				out = append(out, n)
			}
			return out
		}
		waitFor := func(n int64) {
			t.Helper()
			for range 100 {
				for _, s := range sizes() {
					if s == n {
						return
					}
				}
				time.Sleep(50 * time.Millisecond)
			}
			t.Fatalf("no checkpoint of %d records; have %v", n, sizes())
		}
		startServe(t, l.env)
		waitFor(l.size())
		l.grow(1) // a token: sensitive
		waitFor(l.size())
		// An ordinary record (a site) waits for the interval.
		if _, err := l.sql().AppendAudit(time.Now(), keyward.SystemActor("test"), "site.create", "site", "s", nil); err != nil {
			t.Fatal(err)
		}
		time.Sleep(2500 * time.Millisecond)
		for _, s := range sizes() {
			if s == l.size() {
				t.Fatalf("an ordinary record was checkpointed before the interval: %v", sizes())
			}
		}
		if out := l.ok("audit", "verify"); !strings.Contains(out, "2 checkpoints checked") {
			t.Fatalf("verify: %s", out)
		}
	})
	t.Run("postgres without configuration", func(t *testing.T) {
		pg := storetest.Postgres(t)
		env := map[string]string{"KEYWARD_DB": pg.URL, "KEYWARD_DATA": pg.Dir, "KEYWARD_SCHEDULER_INTERVAL": "1h", "KEYWARD_VAULT_KEY": testVaultKey(t)}
		ctx, cancel := context.WithCancel(context.Background())
		var out, errb syncBuffer
		done := make(chan int, 1)
		go func() {
			done <- run(ctx, []string{"serve", "--addr", "127.0.0.1:0"}, func(k string) string { return env[k] }, strings.NewReader(""), &out, &errb)
		}()
		for i := 0; i < 200 && !strings.Contains(out.String(), "listening"); i++ {
			time.Sleep(25 * time.Millisecond)
		}
		cancel()
		if code := <-done; code != 0 || !strings.Contains(out.String(), "listening") {
			t.Fatalf("serve: exit %d\n%s\n%s", code, out.String(), errb.String())
		}
		if !strings.Contains(errb.String(), "Audit checkpoints are off") || !strings.Contains(errb.String(), "KEYWARD_AUDIT_KEY_FILE") {
			t.Fatalf("no warning: %s", errb.String())
		}
	})
}

// testVaultKey is a fresh vault key: PostgreSQL keeps none of its own.
func testVaultKey(t *testing.T) string {
	t.Helper()
	raw := make([]byte, 32)
	if _, err := rand.Read(raw); err != nil {
		t.Fatal(err)
	}
	return base64.StdEncoding.EncodeToString(raw)
}
