package store

// Test hooks that need the store's internals. This file is compiled only into
// the store's own tests, never into the binary; tests elsewhere reach the
// database through storetest.

import (
	"context"
	"database/sql"
	"fmt"
	"strings"

	"github.com/keyward/keyward/internal/keyward"
)

// AppendAuditForTest appends n audit records in one transaction, for benchmarks of verification.
func (d *DB) AppendAuditForTest(ctx context.Context, n int) error {
	return d.withTx(ctx, func(tx *Tx) error {
		for i := range n {
			if _, err := tx.record(ctx, keyward.SystemActor("bench"), "bench.record", "bench", "b", map[string]any{"i": i}); err != nil {
				return err
			}
		}
		return nil
	})
}

// RawCommitForTest commits one single-row insert: the baseline durable commit
// rate, the same commit ProbeCommits (and so `keyward load`) measures.
func (d *DB) RawCommitForTest(ctx context.Context, id string) error {
	return d.probeCommit(ctx, id)
}

// SeedScaleForTest fills the database with n keys, h holders and e custody
// events (batched inserts, no audit records), for the scale benchmarks.
// Key i has symbol fmt "S%05d" of i/10 and copy i%10+1; holder j is hld_b<j>.
func (d *DB) SeedScaleForTest(ctx context.Context, n, h, e int) error {
	now := ts(d.Now())
	return d.withTx(ctx, func(tx *Tx) error {
		if _, err := tx.Exec(ctx, `INSERT INTO keyways (id, name, manufacturer, duplication_policy, created_at) VALUES ('kwy_bench', 'Bench', 'Bench', 'open', ?)`, now); err != nil {
			return err
		}
		if err := batchInsert(ctx, tx, "holders", []string{"id", "name", "email", "phone", "kind", "signatory", "emergency_contact", "created_at"}, h, func(i int) []any {
			return []any{fmt.Sprintf("hld_b%d", i), fmt.Sprintf("Holder %05d Example", i), fmt.Sprintf("h%d@bench.test", i), "", "staff", 0, 0, now}
		}); err != nil {
			return err
		}
		if err := batchInsert(ctx, tx, "keys", []string{"id", "keyway_id", "symbol", "copy_number", "status", "holder_id", "due_at", "created_at"}, n, func(i int) []any {
			status, holder := keyward.StatusInStorage, sql.NullString{}
			if i%3 == 0 {
				status, holder = keyward.StatusIssued, nullStr(fmt.Sprintf("hld_b%d", i%h))
			}
			return []any{fmt.Sprintf("key_b%d", i), "kwy_bench", fmt.Sprintf("S%05d", i/10), i%10 + 1, status, holder, nil, now}
		}); err != nil {
			return err
		}
		return batchInsert(ctx, tx, "custody_events", []string{"id", "key_id", "action", "at", "actor", "actor_role", "holder_id", "due_at", "note", "audit_seq"}, e, func(i int) []any {
			return []any{fmt.Sprintf("evt_b%d", i), fmt.Sprintf("key_b%d", i%n), "issue", now, "bench", "system", fmt.Sprintf("hld_b%d", i%h), nil, "", int64(i + 1000)}
		})
	})
}

func batchInsert(ctx context.Context, tx *Tx, table string, cols []string, n int, row func(int) []any) error {
	const per = 500
	for start := 0; start < n; start += per {
		end := min(start+per, n)
		var b strings.Builder
		b.WriteString("INSERT INTO " + table + " (" + strings.Join(cols, ", ") + ") VALUES ")
		args := make([]any, 0, (end-start)*len(cols))
		ph := "(" + marks(len(cols)) + ")"
		for i := start; i < end; i++ {
			if i > start {
				b.WriteString(", ")
			}
			b.WriteString(ph)
			args = append(args, row(i)...)
		}
		if _, err := tx.Exec(ctx, b.String(), args...); err != nil {
			return fmt.Errorf("seed %s: %w", table, err)
		}
	}
	return nil
}

// FloorMoveForTest makes the least a custody move could write: the key's new
// status and holder, one audit row and the chain head, with no reads, no
// logbook line and no hashing. The benchmark compares it with the raw commit
// to show how much of the real move's cost no design could remove.
func (d *DB) FloorMoveForTest(ctx context.Context, keyID, holderID string, seq int64) error {
	return d.withTx(ctx, func(tx *Tx) error {
		status, holder := keyward.StatusInStorage, sql.NullString{}
		if seq%2 == 1 {
			status, holder = keyward.StatusCheckedOut, nullStr(holderID)
		}
		if _, err := tx.Exec(ctx, `UPDATE keys SET status = ?, holder_id = ? WHERE id = ?`, status, holder, keyID); err != nil {
			return err
		}
		h := strings.Repeat("0", 64)
		if _, err := tx.Exec(ctx, `INSERT INTO audit_log (seq, id, at, actor, actor_role, action, subject_type, subject_id, details, prev_hash, hash)
			VALUES (?, ?, ?, 'bench', 'owner', 'key.floor', 'key', ?, '{}', ?, ?)`, seq, newID("aud"), ts(tx.now), keyID, h, h); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, `UPDATE chain_head SET seq = ?, hash = ?, prev_hash = ? WHERE id = 1`, seq, h, h)
		return err
	})
}

// MigrateToForTest opens the database of cfg and applies the migrations up to
// and including number n only, as an older binary would have left it.
func MigrateToForTest(ctx context.Context, cfg Config, n int) error {
	d, err := connect(ctx, cfg)
	if err != nil {
		return err
	}
	defer d.Close()
	ms, err := loadMigrations()
	if err != nil {
		return err
	}
	if _, err := d.db.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS keyward_migrations (
		version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)`); err != nil {
		return err
	}
	for _, m := range ms[:n] {
		if err := d.applyMigration(ctx, m, len(ms)); err != nil {
			return err
		}
	}
	return nil
}

// SealedColumnForTest is one entry of the store's list of sealed columns.
type SealedColumnForTest struct {
	Table, Column string
	AAD           func(id string) string
}

// SealedColumnsForTest is the store's one list of sealed columns.
func SealedColumnsForTest() []SealedColumnForTest {
	var out []SealedColumnForTest
	for _, c := range sealedColumns {
		out = append(out, SealedColumnForTest{c.table, c.column, c.aad})
	}
	return out
}

// SealedColumnNamesForTest lists "table.column" of the sealed columns, sorted.
func SealedColumnNamesForTest() []string { return sealedColumnNames() }

// SeedLockboxesForTest adds n lockboxes "Box NNNNN" whose codes are
// "code-<i>", sealed by seal (batched inserts, no audit records), for the
// rotation benchmark. Lockbox i has id "sto_b<i>".
func (d *DB) SeedLockboxesForTest(ctx context.Context, n int, seal func(code, aad string) string) error {
	now := ts(d.Now())
	return d.withTx(ctx, func(tx *Tx) error {
		return batchInsert(ctx, tx, "storage_places", []string{"id", "kind", "name", "code_sealed", "created_at"}, n, func(i int) []any {
			id := fmt.Sprintf("sto_b%d", i)
			return []any{id, keyward.StorageLockbox, fmt.Sprintf("Box %05d", i), seal(fmt.Sprintf("code-%d", i), codeAAD(id)), now}
		})
	})
}

// ConnsInUseForTest is how many connections are checked out of the pool: 0
// once every query has ended and closed its rows.
func (d *DB) ConnsInUseForTest() int { return d.db.Stats().InUse }
