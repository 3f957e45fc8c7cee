package store

import "context"

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
