package store

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/keyward/keyward/internal/keyward"
)

// StartCounts counts what the getting-started checklist is ticked from;
// each count stops at one, which is all the checklist asks.
func (d *DB) StartCounts(ctx context.Context, a keyward.Actor) (*keyward.StartCounts, error) {
	if err := keyward.Authorize(a, keyward.ActInventoryRead); err != nil {
		return nil, err
	}
	var c keyward.StartCounts
	for _, q := range []struct {
		n   *int
		sql string
		arg []any
	}{
		{&c.Sites, `SELECT id FROM sites WHERE retired_at IS NULL`, nil},
		{&c.Doors, `SELECT id FROM openings WHERE retired_at IS NULL`, nil},
		{&c.Keys, `SELECT id FROM keys`, nil},
		{&c.Imports, `SELECT id FROM keys WHERE origin = ?`, []any{keyward.OriginImported}},
		{&c.Holders, `SELECT id FROM holders WHERE retired_at IS NULL`, nil},
		{&c.CheckOuts, `SELECT id FROM custody_events WHERE action IN (?, ?)`, []any{keyward.CustodyCheckout, keyward.CustodyIssue}},
	} {
		if err := d.queryRow(ctx, `SELECT COUNT(*) FROM (`+q.sql+` LIMIT 1) AS one`, q.arg...).Scan(q.n); err != nil {
			return nil, fmt.Errorf("store: checklist counts: %w", err)
		}
	}
	var at sql.NullString
	if err := d.queryRow(ctx, `SELECT checklist_dismissed_at FROM org`).Scan(&at); err != nil {
		return nil, notFound(err, "organization", "")
	}
	c.DismissedAt = tsPtr(at)
	return &c, nil
}

// DismissChecklist puts the getting-started checklist away; owners only.
func (d *DB) DismissChecklist(ctx context.Context, a keyward.Actor) error {
	if err := d.recordDenial(ctx, a, keyward.ActOrgManage, "org", ""); err != nil {
		return err
	}
	return d.withTx(ctx, func(tx *Tx) error {
		res, err := tx.Exec(ctx, `UPDATE org SET checklist_dismissed_at = ? WHERE checklist_dismissed_at IS NULL`, ts(tx.now))
		if err != nil {
			return fmt.Errorf("store: dismiss checklist: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return nil // already put away
		}
		_, err = tx.record(ctx, a, "org.checklist_dismiss", "org", "", nil)
		return err
	})
}
