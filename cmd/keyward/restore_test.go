package main

import (
	"context"
	"database/sql"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestBackupRestore: backup → restore into an empty target → audit verify
// passes, keys and holders are equal, and the log has one more record, the
// restore itself. The vault key is in no backup file. Restoring into a
// non-empty target, or a file that is not a backup, is refused.
func TestBackupRestore(t *testing.T) {
	eachTarget(t, func(t *testing.T, target func(t *testing.T) cliTarget) {
		src := target(t)
		name := src.name
		key := keyFileFor(t, src)
		mustRun(t, src.env, "init", "--org", "Acme", "--admin-email", "o@acme.test")
		mustRun(t, src.env, "demo")
		if name == "sqlite" {
			b, err := os.ReadFile(filepath.Join(src.env["KEYWARD_DATA"], "vault.key"))
			if err != nil {
				t.Fatal(err)
			}
			key = strings.TrimSpace(string(b))
		}
		file := filepath.Join(t.TempDir(), "nightly.backup")
		mustRun(t, src.env, "backup", file)
		raw, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(string(raw), key) {
			t.Fatalf("the vault key is in the %s backup", name)
		}
		srcDB := src.sql(t)
		var auditCount int
		srcDB.QueryRow(`SELECT COUNT(*) FROM audit_log`).Scan(&auditCount)

		dst := target(t)
		// The restored database needs no key to restore, but the key to serve.
		bareDst := map[string]string{}
		for k, v := range dst.env {
			bareDst[k] = v
		}
		old := syscall.Umask(0o022)
		out := mustRun(t, bareDst, "restore", file)
		syscall.Umask(old)
		if !strings.Contains(out, "Restored") {
			t.Fatalf("restore said %q", out)
		}
		if name == "sqlite" {
			checkMode(t, filepath.Join(dst.env["KEYWARD_DATA"], "keyward.db"), 0o600)
			checkMode(t, dst.env["KEYWARD_DATA"], 0o700)
		}
		if out := mustRun(t, bareDst, "audit", "verify"); !strings.HasPrefix(out, "OK:") {
			t.Fatalf("verify after restore: %s", out)
		}
		dstDB := dst.sql(t)
		for _, q := range []string{
			`SELECT id, symbol, copy_number, status, COALESCE(holder_id, '') FROM keys ORDER BY id`,
			`SELECT id, name, email FROM holders ORDER BY id`,
			`SELECT seq, hash FROM audit_log ORDER BY seq`,
		} {
			a, b := rowsOf(t, srcDB, q), rowsOf(t, dstDB, q)
			if strings.HasPrefix(q, "SELECT seq") {
				if len(b) != len(a)+1 {
					t.Fatalf("restored log has %d records, want %d + 1", len(b), len(a))
				}
				b = b[:len(a)]
			}
			if len(a) == 0 || strings.Join(a, "\n") != strings.Join(b, "\n") {
				t.Fatalf("%s: %d rows before, %d after, or different", q, len(a), len(b))
			}
		}
		var action, subjectType, subjectID, details string
		if err := dstDB.QueryRow(`SELECT action, subject_type, subject_id, details FROM audit_log ORDER BY seq DESC LIMIT 1`).Scan(&action, &subjectType, &subjectID, &details); err != nil {
			t.Fatal(err)
		}
		var d map[string]any
		if err := json.Unmarshal([]byte(details), &d); err != nil {
			t.Fatal(err)
		}
		if action != "audit.restored" || subjectType != "audit_log" || subjectID != "audit" ||
			d["restored_size"] != float64(auditCount) || d["backup"] != "nightly.backup" || len(d) != 3 {
			t.Fatalf("restore record: %s %s %s %s (backup had %d records)", action, subjectType, subjectID, details, auditCount)
		}
		if at, _ := d["backup_taken_at"].(string); len(at) != len("2026-03-02T09:00:00Z") || !strings.HasSuffix(at, "Z") {
			t.Fatalf("backup_taken_at = %v", d["backup_taken_at"])
		}
		// With the source's key, serve starts on the restored database.
		if name == "postgres" {
			dst.env["KEYWARD_VAULT_KEY"] = key
		} else {
			os.WriteFile(filepath.Join(dst.env["KEYWARD_DATA"], "vault.key"), []byte(key+"\n"), 0o600)
		}
		startServe(t, dst.env)

		// A second restore into the now non-empty target is refused, naming it.
		code, _, errOut := runCmd(t, context.Background(), bareDst, "", "restore", file)
		if code == 0 || !strings.Contains(errOut, "not empty") {
			t.Fatalf("restore into a non-empty target: %d %s", code, errOut)
		}
		if name == "sqlite" && !strings.Contains(errOut, filepath.Join(dst.env["KEYWARD_DATA"], "keyward.db")) {
			t.Fatalf("the refusal does not name the target: %s", errOut)
		}
		// The serve above may have added its own records since (the demo's
		// overdue check-out is reported); a refused restore adds none and
		// removes none: still the one restore record, and every record before it.
		var n, restored int
		dstDB.QueryRow(`SELECT COUNT(*) FROM audit_log`).Scan(&n)
		dstDB.QueryRow(`SELECT COUNT(*) FROM audit_log WHERE action = 'audit.restored'`).Scan(&restored)
		if n < auditCount+1 || restored != 1 {
			t.Fatalf("a refused restore changed the log: %d records (want at least %d), %d restore records (want 1)", n, auditCount+1, restored)
		}
		// Garbage is refused clearly, and leaves the target empty.
		garbage := filepath.Join(t.TempDir(), "garbage")
		os.WriteFile(garbage, []byte("SQLite format 3\x00 but not really\n{\"table\":1}\n"), 0o600)
		empty := target(t)
		code, _, errOut = runCmd(t, context.Background(), empty.env, "", "restore", garbage)
		if code == 0 || !strings.Contains(errOut, "not a keyward backup") {
			t.Fatalf("restore of garbage: %d %s", code, errOut)
		}
		if name == "sqlite" {
			if _, err := os.Stat(filepath.Join(empty.env["KEYWARD_DATA"], "keyward.db")); err == nil {
				t.Fatal("a refused restore left a database behind")
			}
		} else {
			var tables int
			empty.sql(t).QueryRow(`SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = current_schema()`).Scan(&tables)
			if tables != 0 {
				t.Fatalf("a refused restore left %d tables", tables)
			}
		}
	})
}

func rowsOf(t *testing.T, db *sql.DB, q string) []string {
	t.Helper()
	rows, err := db.Query(q)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	cols, _ := rows.Columns()
	var out []string
	for rows.Next() {
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			t.Fatal(err)
		}
		b, _ := json.Marshal(vals)
		out = append(out, string(b))
	}
	return out
}

// TestRestoreBackupWithoutHeader: a backup written before backups recorded
// their time (no header line, no keyward_backup table) restores too, taken
// at the file's modification time.
func TestRestoreBackupWithoutHeader(t *testing.T) {
	eachTarget(t, func(t *testing.T, target func(t *testing.T) cliTarget) {
		src := target(t)
		name := src.name
		keyFileFor(t, src)
		mustRun(t, src.env, "init", "--org", "Acme", "--admin-email", "o@acme.test")
		file := filepath.Join(t.TempDir(), "old.backup")
		mustRun(t, src.env, "backup", file)
		if name == "postgres" {
			b, _ := os.ReadFile(file)
			_, rest, _ := strings.Cut(string(b), "\n")
			os.WriteFile(file, []byte(rest), 0o600)
		} else {
			db, err := sql.Open("sqlite", file)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := db.Exec(`DROP TABLE keyward_backup`); err != nil {
				t.Fatal(err)
			}
			db.Close()
		}
		mtime := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
		os.Chtimes(file, mtime, mtime)
		dst := target(t)
		mustRun(t, dst.env, "restore", file)
		mustRun(t, dst.env, "audit", "verify")
		var details string
		if err := dst.sql(t).QueryRow(`SELECT details FROM audit_log WHERE action = 'audit.restored'`).Scan(&details); err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(details, `"backup_taken_at":"2026-01-02T03:04:05Z"`) {
			t.Fatalf("details %s", details)
		}
	})
}
