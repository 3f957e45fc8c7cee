package store

import (
	"context"

	"github.com/keyward/keyward/internal/keyward"
)

// ExecForTest runs raw SQL: tests use it to tamper with rows behind the store's back.
func (d *DB) ExecForTest(ctx context.Context, q string) error {
	_, err := d.db.ExecContext(ctx, q)
	return err
}

// CountForTest runs a raw COUNT query.
func (d *DB) CountForTest(ctx context.Context, q string) (int64, error) {
	var n int64
	err := d.db.QueryRowContext(ctx, q).Scan(&n)
	return n, err
}

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

// RawCommitForTest commits one single-row insert: the baseline durable commit rate.
func (d *DB) RawCommitForTest(ctx context.Context, id string) error {
	return d.withTx(ctx, func(tx *Tx) error {
		_, err := tx.Exec(ctx, `INSERT INTO login_failures (id, email, addr, at) VALUES (?, ?, ?, ?)`, id, "bench", "bench", ts(tx.now))
		return err
	})
}
