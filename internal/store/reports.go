package store

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/keyward/keyward/internal/keyward"
)

// OverdueHistory lists every check-out that ran, or runs, past its due time,
// newest first: the check-out's logbook line, and the first line after it
// that ended it (keyward.CheckoutEndings). How late each was is
// keyward.Lateness; only check-outs due before now can be late, so only
// those are read.
func (d *DB) OverdueHistory(ctx context.Context, a keyward.Actor, now time.Time) (*keyward.OverdueHistory, error) {
	if err := keyward.Authorize(a, keyward.ActInventoryRead); err != nil {
		return nil, err
	}
	endIn, endArgs := statusIn("x.action", keyward.CheckoutEndings())
	next := `FROM custody_events x WHERE x.key_id = e.key_id AND x.audit_seq > e.audit_seq AND ` + endIn + ` ORDER BY x.audit_seq, x.at LIMIT 1`
	q := `SELECT e.key_id, k.symbol || '-' || CAST(k.copy_number AS TEXT), COALESCE(e.holder_id, ''), COALESCE(h.name, ''), e.at, e.due_at,
			COALESCE((SELECT x.at ` + next + `), ''), COALESCE((SELECT x.action ` + next + `), '')
		FROM custody_events e JOIN keys k ON k.id = e.key_id LEFT JOIN holders h ON h.id = e.holder_id
		WHERE e.action = ? AND e.due_at IS NOT NULL AND e.due_at < ?
		ORDER BY e.at DESC, e.id`
	args := append(append(append([]any{}, endArgs...), endArgs...), keyward.CustodyCheckout, ts(now))
	out := &keyward.OverdueHistory{Items: []keyward.OverdueCheckout{}}
	err := scanEach(ctx, poolQuerier{d}, q, args, func(rows *sql.Rows) error {
		if out.More {
			return nil
		}
		var c keyward.OverdueCheckout
		var at, due, ended string
		if err := rows.Scan(&c.KeyID, &c.Stamp, &c.HolderID, &c.HolderName, &at, &due, &ended, &c.EndedBy); err != nil {
			return err
		}
		c.OutAt, c.DueAt = parseTS(at), parseTS(due)
		if ended != "" {
			t := parseTS(ended)
			c.EndedAt = &t
		}
		c.Late, c.StillOut = keyward.Lateness(c.DueAt, c.EndedAt, now)
		if c.Late <= 0 {
			return nil
		}
		if len(out.Items) == keyward.MaxOverdueHistory {
			out.More = true
			return nil
		}
		out.Items = append(out.Items, c)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("store: overdue history: %w", err)
	}
	return out, nil
}
