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
// events through SeedLoad (`keyward seed`), for the scale benchmarks.
func (d *DB) SeedScaleForTest(ctx context.Context, n, h, e int) (*keyward.LoadSeed, error) {
	return d.SeedLoad(ctx, keyward.SystemActor("bench"), keyward.LoadSeedInput{Keys: n, Holders: h, Events: e})
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
