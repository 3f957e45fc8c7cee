package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/keyward/keyward/internal/keyward"
)

// keySystemLost is the custody flow's hook: when a stamped key whose symbol
// belongs to a key system is reported lost, it records a lost report in the
// same transaction, so the key system shows the compromised symbol until a
// rekey plan answers it (the plan needs the vault, which custody does not hold).
func (t *Tx) keySystemLost(ctx context.Context, a keyward.Actor, k *keyward.Key, action string) error {
	if action != keyward.CustodyLost {
		return nil
	}
	var symID, sysID string
	err := t.QueryRow(ctx, `SELECT id, system_id FROM key_symbols WHERE symbol = ?`, k.Symbol).Scan(&symID, &sysID)
	if errors.Is(err, sql.ErrNoRows) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("store: key system of %s: %w", k.Symbol, err)
	}
	if _, err := t.Exec(ctx, `INSERT INTO key_lost_reports (id, system_id, symbol_id, key_id, reported_at) VALUES (?, ?, ?, ?, ?)`,
		newID("klr"), sysID, symID, k.ID, ts(t.now)); err != nil {
		return fmt.Errorf("store: insert lost report: %w", err)
	}
	_, err = t.record(ctx, a, "keysystem.key_lost", "keysystem", sysID, map[string]any{"key_id": k.ID, "stamp": k.Stamp, "symbol": k.Symbol})
	return err
}

// lostReports lists the system's lost reports, newest first.
func (st *sysState) lostReports(ctx context.Context, tx *Tx) ([]keyward.LostReport, error) {
	rows, err := tx.Query(ctx, `SELECT r.key_id, k.symbol, k.copy_number, r.reported_at, COALESCE(r.plan_id, '')
		FROM key_lost_reports r JOIN keys k ON k.id = r.key_id WHERE r.system_id = ? ORDER BY r.reported_at DESC, r.id`, st.id)
	if err != nil {
		return nil, fmt.Errorf("store: lost reports: %w", err)
	}
	defer rows.Close()
	out := []keyward.LostReport{}
	for rows.Next() {
		var r keyward.LostReport
		var at string
		var n int
		if err := rows.Scan(&r.KeyID, &r.Symbol, &n, &at, &r.PlanID); err != nil {
			return nil, fmt.Errorf("store: scan lost report: %w", err)
		}
		r.Stamp, r.ReportedAt = stamp(r.Symbol, n), parseTS(at)
		out = append(out, r)
	}
	return out, rows.Err()
}

// answerReports links the open lost reports of a symbol to its rekey plan.
func (st *sysState) answerReports(ctx context.Context, tx *Tx, symID, planID string) error {
	if _, err := tx.Exec(ctx, `UPDATE key_lost_reports SET plan_id = ? WHERE system_id = ? AND symbol_id = ? AND plan_id IS NULL`, planID, st.id, symID); err != nil {
		return fmt.Errorf("store: answer lost reports: %w", err)
	}
	return nil
}
