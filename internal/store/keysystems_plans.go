package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"slices"

	"github.com/keyward/keyward/internal/keying"
	"github.com/keyward/keyward/internal/keyward"
)

// ReportLost answers a lost key: what its bitting opens, intended or not
// (keying.LostKey over every pinned cylinder), and the rekey plan.
func (s *KeySystems) ReportLost(ctx context.Context, a keyward.Actor, id string, in keyward.LostKeyInput) (*keyward.RekeyPlan, error) {
	if err := s.db.recordDenial(ctx, a, keyward.ActKeySystemEdit, "keysystem", id); err != nil {
		return nil, err
	}
	if err := in.Validate(); err != nil {
		return nil, err
	}
	return inSystem(ctx, s, id, func(tx *Tx, st *sysState) (*keyward.RekeyPlan, error) {
		return st.reportLost(ctx, tx, a, in)
	})
}

func (st *sysState) reportLost(ctx context.Context, tx *Tx, a keyward.Actor, in keyward.LostKeyInput) (*keyward.RekeyPlan, error) {
	lost := st.bySymbol[in.Symbol]
	if lost == nil {
		return nil, keyward.Invalid("symbol", "must be a symbol of this key system")
	}
	if lost.status == keyward.SymbolLost {
		return nil, keyward.Errorf(keyward.ECONFLICT, "symbol %s is already reported lost", lost.symbol)
	}
	if in.KeyID != "" {
		var sym string
		if err := tx.QueryRow(ctx, `SELECT symbol FROM keys WHERE id = ?`, in.KeyID).Scan(&sym); err != nil || sym != lost.symbol {
			return nil, keyward.Invalid("key_id", "must name a stamped key of symbol "+lost.symbol)
		}
	}
	rin, err := st.rekeyInput(ctx, tx, lost.id)
	if err != nil {
		return nil, err
	}
	kp, err := keying.PlanRekey(rin)
	if err != nil {
		return nil, keyingError(err)
	}
	// The guarded update is the race guard: two reports of one symbol, one plan.
	r, err := tx.Exec(ctx, `UPDATE key_symbols SET status = ? WHERE id = ? AND status <> ?`, keyward.SymbolLost, lost.id, keyward.SymbolLost)
	if err != nil {
		return nil, fmt.Errorf("store: mark symbol lost: %w", err)
	}
	if n, _ := r.RowsAffected(); n == 0 {
		return nil, keyward.Errorf(keyward.ECONFLICT, "symbol %s is already reported lost", lost.symbol)
	}
	lost.status = keyward.SymbolLost

	plan := &keyward.RekeyPlan{ID: newID("plan"), SystemID: st.id, LostSymbol: lost.symbol, Status: "open",
		Intended: kp.Intended, Incidental: kp.Incidental, LostOperates: []string{}, CreatedAt: tx.now}
	var items []keyward.PlanItem
	for _, step := range kp.Steps {
		it := keyward.PlanItem{Kind: planKinds[step.Kind], OpeningID: step.OpeningID, FromSymbol: st.byID[step.From].symbol, Copies: step.Copies, Note: step.Note}
		if step.OpeningID != "" {
			it.OpeningName = st.openings[step.OpeningID]
		}
		if step.To != "" {
			it.ToSymbol = st.byID[step.To].symbol
		}
		if step.Kind == keying.StepRekey {
			it.CrossKeys = st.symbols(step.Cross)
		}
		items = append(items, it)
	}
	intended, _ := json.Marshal(plan.Intended)
	incidental, _ := json.Marshal(plan.Incidental)
	if _, err := tx.Exec(ctx, `INSERT INTO rekey_plans (id, system_id, lost_symbol_id, key_id, status, intended, incidental, created_at) VALUES (?, ?, ?, ?, 'open', ?, ?, ?)`,
		plan.ID, st.id, lost.id, nullStr(in.KeyID), string(intended), string(incidental), ts(tx.now)); err != nil {
		return nil, fmt.Errorf("store: insert plan: %w", err)
	}
	for i := range items {
		it := &items[i]
		it.ID, it.Seq = newID("pli"), i+1
		cj, _ := json.Marshal(st.ids(it.CrossKeys))
		if _, err := tx.Exec(ctx, `INSERT INTO rekey_plan_items (id, plan_id, seq, kind, opening_id, from_symbol_id, to_symbol_id, cross_keys, copies, note) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			it.ID, plan.ID, it.Seq, it.Kind, nullStr(it.OpeningID), nullStr(st.idOf(it.FromSymbol)), nullStr(st.idOf(it.ToSymbol)), string(cj), it.Copies, it.Note); err != nil {
			return nil, fmt.Errorf("store: insert plan item: %w", err)
		}
	}
	if err := st.answerReports(ctx, tx, lost.id, plan.ID); err != nil {
		return nil, err
	}
	plan.Items = items
	if plan.Items == nil {
		plan.Items = []keyward.PlanItem{}
	}
	if _, err := tx.record(ctx, a, "keysystem.lost_key", "keysystem", st.id, map[string]any{"plan_id": plan.ID, "symbol": lost.symbol,
		"key_id": in.KeyID, "note": in.Note, "intended": plan.Intended, "incidental": plan.Incidental, "items": len(items)}); err != nil {
		return nil, err
	}
	if len(items) == 0 {
		// The lost key opens nothing pinned: the plan closes at once.
		if err := st.closePlan(ctx, tx, a, plan.ID); err != nil {
			return nil, err
		}
	}
	return st.plan(ctx, tx, plan.ID)
}

// planKinds names the keying plan steps as the domain does.
var planKinds = map[string]string{
	keying.StepCut:             keyward.PlanCut,
	keying.StepRekey:           keyward.PlanRekey,
	keying.StepReplaceCylinder: keyward.PlanReplaceCylinder,
	keying.StepReissue:         keyward.PlanReissue,
}

// rekeyInput loads what keying.PlanRekey needs for a lost symbol: every
// symbol with its bitting, the active pinnings, the symbols open plans have
// promised, and the stamped copies in circulation.
func (st *sysState) rekeyInput(ctx context.Context, tx *Tx, lostID string) (keying.RekeyInput, error) {
	in := keying.RekeyInput{Lost: lostID, Copies: map[string]int{}}
	for _, r := range st.syms {
		b, err := st.open(r.id)
		if err != nil {
			return in, err
		}
		in.Symbols = append(in.Symbols, keying.RekeySymbol{ID: r.id, Symbol: r.symbol, Parent: r.parent, Level: r.tier,
			Active: r.status == keyward.SymbolActive, Bitting: b})
	}
	for _, p := range st.pins {
		in.Pins = append(in.Pins, keying.RekeyPin{OpeningID: p.openingID, OpeningName: st.openings[p.openingID], Symbol: p.symbolID, Cross: p.cross, KeyList: p.keyList})
	}
	rows, err := tx.Query(ctx, `SELECT i.to_symbol_id FROM rekey_plan_items i JOIN rekey_plans p ON p.id = i.plan_id
		WHERE p.system_id = ? AND p.status = 'open' AND i.to_symbol_id IS NOT NULL`, st.id)
	if err != nil {
		return in, fmt.Errorf("store: promised symbols: %w", err)
	}
	for rows.Next() {
		var sid string
		if err := rows.Scan(&sid); err != nil {
			rows.Close()
			return in, err
		}
		in.Promised = append(in.Promised, sid)
	}
	rows.Close()
	copies, err := st.copies(ctx, tx)
	if err != nil {
		return in, err
	}
	for sym, n := range copies {
		if r := st.bySymbol[sym]; r != nil {
			in.Copies[r.id] = n
		}
	}
	return in, nil
}

func (st *sysState) ids(symbols []string) []string {
	out := []string{}
	for _, s := range symbols {
		out = append(out, st.idOf(s))
	}
	return out
}

func (st *sysState) idOf(symbol string) string {
	if r := st.bySymbol[symbol]; r != nil {
		return r.id
	}
	return ""
}

// copies counts stamped copies in circulation per symbol.
func (st *sysState) copies(ctx context.Context, tx *Tx) (map[string]int, error) {
	circulating, statuses := statusIn("k.status", keyward.CirculatingStatuses)
	rows, err := tx.Query(ctx, `SELECT k.symbol, COUNT(*) FROM keys k JOIN key_symbols y ON y.symbol = k.symbol
		WHERE y.system_id = ? AND `+circulating+` GROUP BY k.symbol`, append([]any{st.id}, statuses...)...)
	if err != nil {
		return nil, fmt.Errorf("store: key copies: %w", err)
	}
	return scanCounts(rows)
}

func (s *KeySystems) Plan(ctx context.Context, a keyward.Actor, id, planID string) (*keyward.RekeyPlan, error) {
	if err := keyward.Authorize(a, keyward.ActKeySystemRead); err != nil {
		return nil, err
	}
	return inSystem(ctx, s, id, func(tx *Tx, st *sysState) (*keyward.RekeyPlan, error) {
		return st.plan(ctx, tx, planID)
	})
}

func (st *sysState) plan(ctx context.Context, tx *Tx, planID string) (*keyward.RekeyPlan, error) {
	ps, err := st.plans(ctx, tx, planID)
	if err != nil {
		return nil, err
	}
	if len(ps) == 0 {
		return nil, keyward.Errorf(keyward.ENOTFOUND, "rekey plan %q not found", planID)
	}
	return &ps[0], nil
}

// plans reads the system's plans, newest first (or the one planID).
func (st *sysState) plans(ctx context.Context, tx *Tx, planID string) ([]keyward.RekeyPlan, error) {
	q := `SELECT id, lost_symbol_id, status, intended, incidental, lost_operates, created_at, closed_at FROM rekey_plans WHERE system_id = ?`
	args := []any{st.id}
	if planID != "" {
		q += ` AND id = ?`
		args = append(args, planID)
	}
	rows, err := tx.Query(ctx, q+` ORDER BY created_at DESC, id`, args...)
	if err != nil {
		return nil, fmt.Errorf("store: plans: %w", err)
	}
	out := []keyward.RekeyPlan{}
	for rows.Next() {
		var p keyward.RekeyPlan
		var lostID, intended, incidental, operates, at string
		var closed sql.NullString
		if err := rows.Scan(&p.ID, &lostID, &p.Status, &intended, &incidental, &operates, &at, &closed); err != nil {
			rows.Close()
			return nil, fmt.Errorf("store: scan plan: %w", err)
		}
		_ = json.Unmarshal([]byte(intended), &p.Intended)
		_ = json.Unmarshal([]byte(incidental), &p.Incidental)
		_ = json.Unmarshal([]byte(operates), &p.LostOperates)
		p.SystemID, p.LostSymbol, p.CreatedAt, p.ClosedAt = st.id, st.byID[lostID].symbol, parseTS(at), tsPtr(closed)
		out = append(out, p)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	for i := range out {
		if out[i].Items, err = st.items(ctx, tx, out[i].ID); err != nil {
			return nil, err
		}
	}
	return out, nil
}

func (st *sysState) items(ctx context.Context, tx *Tx, planID string) ([]keyward.PlanItem, error) {
	rows, err := tx.Query(ctx, `SELECT i.id, i.seq, i.kind, COALESCE(i.opening_id, ''), COALESCE(o.name, ''), COALESCE(o.site_id, ''), COALESCE(s.name, ''),
		COALESCE(i.from_symbol_id, ''), COALESCE(i.to_symbol_id, ''),
		i.cross_keys, i.copies, i.note, i.done, i.done_at, COALESCE(i.done_by, ''), i.new_keys, i.done_note
		FROM rekey_plan_items i LEFT JOIN openings o ON o.id = i.opening_id LEFT JOIN sites s ON s.id = o.site_id
		WHERE i.plan_id = ? ORDER BY i.seq`, planID)
	if err != nil {
		return nil, fmt.Errorf("store: plan items: %w", err)
	}
	defer rows.Close()
	out := []keyward.PlanItem{}
	for rows.Next() {
		var it keyward.PlanItem
		var from, to, cross, newKeys string
		var done int
		var doneAt sql.NullString
		if err := rows.Scan(&it.ID, &it.Seq, &it.Kind, &it.OpeningID, &it.OpeningName, &it.SiteID, &it.SiteName, &from, &to, &cross, &it.Copies, &it.Note,
			&done, &doneAt, &it.DoneBy, &newKeys, &it.DoneNote); err != nil {
			return nil, fmt.Errorf("store: scan plan item: %w", err)
		}
		if r := st.byID[from]; r != nil {
			it.FromSymbol = r.symbol
		}
		if r := st.byID[to]; r != nil {
			it.ToSymbol = r.symbol
		}
		var crossIDs []string
		_ = json.Unmarshal([]byte(cross), &crossIDs)
		switch it.Kind {
		case keyward.PlanRekey:
			it.CrossKeys = st.symbols(crossIDs)
			if to != "" {
				it.NewKeys = st.symbols(st.tree().KeyList(to, crossIDs))
			}
		case keyward.PlanReplaceCylinder:
			_ = json.Unmarshal([]byte(newKeys), &it.NewKeys)
		}
		it.Done, it.DoneAt = done == 1, tsPtr(doneAt)
		out = append(out, it)
	}
	return out, rows.Err()
}

func (s *KeySystems) CompleteItem(ctx context.Context, a keyward.Actor, id, planID, itemID string, in keyward.ItemDoneInput) (*keyward.RekeyPlan, error) {
	if err := s.db.recordDenial(ctx, a, keyward.ActKeySystemEdit, "keysystem", id); err != nil {
		return nil, err
	}
	in.Normalize()
	return inSystem(ctx, s, id, func(tx *Tx, st *sysState) (*keyward.RekeyPlan, error) {
		p, err := st.plan(ctx, tx, planID)
		if err != nil {
			return nil, err
		}
		i := slices.IndexFunc(p.Items, func(it keyward.PlanItem) bool { return it.ID == itemID })
		if i < 0 {
			return nil, keyward.Errorf(keyward.ENOTFOUND, "plan item %q not found", itemID)
		}
		it := p.Items[i]
		if it.Done {
			return nil, keyward.Errorf(keyward.ECONFLICT, "plan item %d is already done", it.Seq)
		}
		inSystems, err := tx.keySystemSymbols(ctx, in.NewKeys)
		if err != nil {
			return nil, err
		}
		if err := in.Check(keyward.DoneWork{Kind: it.Kind, LostSymbol: p.LostSymbol, InKeySystem: inSystems}); err != nil {
			return nil, err
		}
		newKeys := in.NewKeys
		if newKeys == nil {
			newKeys = []string{}
		}
		nk, _ := json.Marshal(newKeys)
		// The guarded update is the race guard: an item is done once.
		r, err := tx.Exec(ctx, `UPDATE rekey_plan_items SET done = 1, done_at = ?, done_by = ?, new_keys = ?, done_note = ? WHERE id = ? AND plan_id = ? AND done = 0`,
			ts(tx.now), actorName(a), string(nk), in.Note, itemID, planID)
		if err != nil {
			return nil, fmt.Errorf("store: complete plan item: %w", err)
		}
		if n, _ := r.RowsAffected(); n == 0 {
			return nil, keyward.Errorf(keyward.ECONFLICT, "plan item %d is already done", it.Seq)
		}
		details := map[string]any{"plan_id": planID, "item": it.Seq, "kind": it.Kind,
			"opening_id": it.OpeningID, "from": it.FromSymbol, "to": it.ToSymbol, "note": in.Note}
		switch it.Kind {
		case keyward.PlanRekey:
			if _, err := st.repin(ctx, tx, a, it.OpeningID, st.idOf(it.ToSymbol), st.ids(it.CrossKeys), "rekeyed: "+p.LostSymbol+" lost"); err != nil {
				return nil, err
			}
			removed, err := st.followSchedule(ctx, tx, it.OpeningID, it.NewKeys)
			if err != nil {
				return nil, err
			}
			details["new_keys"], details["schedule_removed"] = it.NewKeys, removed
		case keyward.PlanReplaceCylinder:
			if _, err := st.repin(ctx, tx, a, it.OpeningID, "", nil, "cylinder replaced: "+p.LostSymbol+" lost"); err != nil {
				return nil, err
			}
			// The new cylinder is keyed by hand: its keys go into the door's
			// keying schedule, so the door is not left without keys.
			removed, err := st.followSchedule(ctx, tx, it.OpeningID, nil)
			if err != nil {
				return nil, err
			}
			if err := tx.scheduleKeys(ctx, it.OpeningID, in.NewKeys); err != nil {
				return nil, err
			}
			details["new_keys"], details["schedule_removed"] = in.NewKeys, removed
		}
		if _, err := tx.record(ctx, a, "keysystem.plan_item", "keysystem", id, details); err != nil {
			return nil, err
		}
		var open int
		if err := tx.QueryRow(ctx, `SELECT COUNT(*) FROM rekey_plan_items WHERE plan_id = ? AND done = 0`, planID).Scan(&open); err != nil {
			return nil, fmt.Errorf("store: open items: %w", err)
		}
		if open == 0 {
			if err := st.closePlan(ctx, tx, a, planID); err != nil {
				return nil, err
			}
		}
		return st.plan(ctx, tx, planID)
	})
}

// followSchedule keeps a re-pinned or replaced door's hand-kept keying
// schedule true: it removes the symbols of this key system that are not in
// keep (the door's new key list; none for a replaced cylinder), and returns them.
func (st *sysState) followSchedule(ctx context.Context, tx *Tx, openingID string, keep []string) ([]string, error) {
	listed, err := tx.openingSymbols(ctx, openingID)
	if err != nil {
		return nil, err
	}
	removed := []string{}
	for _, sym := range listed {
		if st.bySymbol[sym] == nil || slices.Contains(keep, sym) {
			continue
		}
		if _, err := tx.Exec(ctx, `DELETE FROM opening_symbols WHERE opening_id = ? AND symbol = ?`, openingID, sym); err != nil {
			return nil, fmt.Errorf("store: unschedule symbol: %w", err)
		}
		removed = append(removed, sym)
	}
	return removed, nil
}

// closePlan re-runs the cross-key audit, checks what the lost bitting still
// operates (nothing, when the work was done), retires the replaced symbols
// and records the result.
func (st *sysState) closePlan(ctx context.Context, tx *Tx, a keyward.Actor, planID string) error {
	p, err := st.plan(ctx, tx, planID)
	if err != nil {
		return err
	}
	lost := st.bySymbol[p.LostSymbol]
	lostB, err := st.open(lost.id)
	if err != nil {
		return err
	}
	cyls, err := st.cylinders()
	if err != nil {
		return err
	}
	operates := []string{}
	if len(cyls) > 0 {
		res, err := keying.LostKey(cyls, lostB)
		if err != nil {
			return keyingError(err)
		}
		operates = res.Opens
	}
	for _, it := range p.Items {
		if it.Kind == keyward.PlanRekey || it.Kind == keyward.PlanReplaceCylinder {
			if from := st.bySymbol[it.FromSymbol]; from != nil && from.status == keyward.SymbolActive && !st.keyed(from.id) {
				if _, err := tx.Exec(ctx, `UPDATE key_symbols SET status = ? WHERE id = ? AND status = ?`, keyward.SymbolRetired, from.id, keyward.SymbolActive); err != nil {
					return fmt.Errorf("store: retire symbol: %w", err)
				}
				from.status = keyward.SymbolRetired
			}
		}
	}
	audit, err := st.audit(ctx, tx)
	if err != nil {
		return err
	}
	b, _ := json.Marshal(operates)
	if _, err := tx.Exec(ctx, `UPDATE rekey_plans SET status = 'done', lost_operates = ?, closed_at = ? WHERE id = ?`, string(b), ts(tx.now), planID); err != nil {
		return fmt.Errorf("store: close plan: %w", err)
	}
	_, err = tx.record(ctx, a, "keysystem.plan_closed", "keysystem", st.id, map[string]any{"plan_id": planID, "lost_symbol": p.LostSymbol,
		"lost_operates": operates, "lost_operates_nothing": len(operates) == 0, "audit_findings": len(audit.Findings)})
	return err
}

// keyed reports whether a symbol is in an active key list.
func (st *sysState) keyed(id string) bool {
	for _, p := range st.pins {
		if slices.Contains(p.keyList, id) {
			return true
		}
	}
	return false
}
