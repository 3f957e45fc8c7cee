package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"slices"
	"strings"

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

// planBuilder picks replacement keys for a lost-key plan.
type planBuilder struct {
	st       *sysState
	lost     *symRow
	lostB    keying.Bitting
	reserved map[string]bool   // symbol ids in use or promised to a plan
	repl     map[string]string // keyed symbol id → new symbol id ("" = cylinder change)
	master   string            // the unused master that replaces a lost master
	picks    [][2]string       // (old, new) symbol ids: keys to cut and reissue, in order
}

// fixDoor is the new keying of a door the lost bitting opens: compromised
// keys (the lost one and those under it) are replaced, and a door opened
// incidentally moves to an unused sibling of its key. "" means a cylinder change.
func (pb *planBuilder) fixDoor(p pinRow) (string, []string, error) {
	st := pb.st
	cross := []string{}
	for _, x := range p.cross {
		if slices.Contains(st.chain(x), pb.lost.id) {
			to, err := pb.replacement(x)
			if err != nil {
				return "", nil, err
			}
			if to != "" {
				cross = append(cross, to)
			}
			continue
		}
		cross = append(cross, x)
	}
	var cands []string
	if slices.Contains(st.chain(p.symbolID), pb.lost.id) {
		to, err := pb.replacement(p.symbolID)
		if err != nil || to == "" {
			return "", nil, err
		}
		cands = []string{to}
	} else {
		if to, ok := pb.repl[p.symbolID]; ok && to != "" {
			cands = append(cands, to)
		}
		cands = append(cands, p.symbolID)
		if parent := st.byID[p.symbolID].parent; parent != "" {
			for _, id := range st.children(parent) {
				if pb.free(id) && st.byID[id].tier == st.byID[p.symbolID].tier {
					cands = append(cands, id)
				}
			}
		}
	}
	for _, c := range cands {
		keys, err := st.bittings(st.keyList(c, cross))
		if err != nil {
			return "", nil, err
		}
		if keying.Operates(keying.Cylinder{ID: "candidate", Keys: keys}, pb.lostB) {
			continue
		}
		if c != p.symbolID && !pb.reserved[c] {
			pb.reserved[c] = true
			pb.repl[p.symbolID] = c
			pb.picks = append(pb.picks, [2]string{p.symbolID, c})
		}
		return c, cross, nil
	}
	return "", nil, nil
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
	lostB, err := st.open(lost.id)
	if err != nil {
		return nil, err
	}
	cyls, err := st.cylinders()
	if err != nil {
		return nil, err
	}
	res := &keying.LostKeyResult{Opens: []string{}, Intended: []string{}, Incidental: []string{}}
	if len(cyls) > 0 {
		if res, err = keying.LostKey(cyls, lostB); err != nil {
			return nil, keyingError(err)
		}
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

	pb := &planBuilder{st: st, lost: lost, lostB: lostB, reserved: map[string]bool{}, repl: map[string]string{}}
	for _, p := range st.pins {
		for _, id := range p.keyList {
			pb.reserved[id] = true
		}
	}
	rows, err := tx.Query(ctx, `SELECT i.to_symbol_id FROM rekey_plan_items i JOIN rekey_plans p ON p.id = i.plan_id
		WHERE p.system_id = ? AND p.status = 'open' AND i.to_symbol_id IS NOT NULL`, st.id)
	if err != nil {
		return nil, fmt.Errorf("store: promised symbols: %w", err)
	}
	for rows.Next() {
		var sid string
		if err := rows.Scan(&sid); err != nil {
			rows.Close()
			return nil, err
		}
		pb.reserved[sid] = true
	}
	rows.Close()

	plan := &keyward.RekeyPlan{ID: newID("plan"), SystemID: st.id, LostSymbol: lost.symbol, Status: "open",
		Intended: res.Intended, Incidental: res.Incidental, LostOperates: []string{}, CreatedAt: tx.now}
	pinOf := map[string]pinRow{}
	for _, p := range st.pins {
		pinOf[p.openingID] = p
	}
	// Intended openings first, then incidental, each by opening name.
	order := func(ids []string) []string {
		out := slices.Clone(ids)
		slices.SortFunc(out, func(x, y string) int {
			if c := compare(st.openings[x], st.openings[y]); c != 0 {
				return c
			}
			return compare(x, y)
		})
		return out
	}
	var rekeys []keyward.PlanItem
	for _, group := range [][]string{order(res.Intended), order(res.Incidental)} {
		for _, oid := range group {
			p := pinOf[oid]
			to, cross, err := pb.fixDoor(p)
			if err != nil {
				return nil, err
			}
			why := "intended: the key list holds " + lost.symbol
			if !slices.Contains(res.Intended, oid) {
				why = "incidental: " + lost.symbol + " operates it through its master pins"
			}
			it := keyward.PlanItem{Kind: keyward.PlanRekey, OpeningID: oid, OpeningName: st.openings[oid], FromSymbol: st.byID[p.symbolID].symbol}
			if to == "" {
				it.Kind = keyward.PlanReplaceCylinder
				it.Note = why + "; no unused key of this system avoids it: replace the cylinder"
			} else {
				it.ToSymbol, it.CrossKeys = st.byID[to].symbol, st.symbols(cross)
				it.Note = why + "; re-pin for " + it.ToSymbol
				if len(cross) > 0 {
					it.Note += " cross-keyed to " + strings.Join(it.CrossKeys, ", ")
				}
			}
			rekeys = append(rekeys, it)
		}
	}
	copies, err := st.copies(ctx, tx)
	if err != nil {
		return nil, err
	}
	var items []keyward.PlanItem
	for _, pk := range pb.picks {
		from, to := st.byID[pk[0]], st.byID[pk[1]]
		n := max(copies[from.symbol], 1)
		items = append(items, keyward.PlanItem{Kind: keyward.PlanCut, FromSymbol: from.symbol, ToSymbol: to.symbol, Copies: n,
			Note: fmt.Sprintf("cut %d × %s to replace %s", n, to.symbol, from.symbol)})
	}
	items = append(items, rekeys...)
	for _, pk := range pb.picks {
		from, to := st.byID[pk[0]], st.byID[pk[1]]
		items = append(items, keyward.PlanItem{Kind: keyward.PlanReissue, FromSymbol: from.symbol, ToSymbol: to.symbol, Copies: copies[from.symbol],
			Note: fmt.Sprintf("issue %s to the holders of %s and collect their %s copies", to.symbol, from.symbol, from.symbol)})
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

func compare(a, b string) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
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

func (pb *planBuilder) free(id string) bool {
	r := pb.st.byID[id]
	return r != nil && r.status == keyward.SymbolActive && !pb.reserved[id]
}

// children lists the ids under parent, in generation order.
func (st *sysState) children(parent string) []string {
	var out []string
	for _, r := range st.syms {
		if r.parent == parent {
			out = append(out, r.id)
		}
	}
	return out
}

// replacement picks the new key for a cylinder keyed to symID: the next
// unused change key of the same master; for a lost master, a change key of an
// unused sibling master (one for all its doors). "" means a cylinder change.
// Every candidate is checked: the lost bitting must not operate the new key list.
func (pb *planBuilder) replacement(symID string) (string, error) {
	if to, ok := pb.repl[symID]; ok {
		return to, nil
	}
	st := pb.st
	keyed := st.byID[symID]
	chain := st.chain(symID)
	var cands []string
	switch {
	case !slices.Contains(chain, pb.lost.id) || pb.lost.id == symID:
		// The keyed key itself is lost, or the door is opened incidentally:
		// the next unused sibling under the same master.
		if keyed.parent != "" {
			cands = slices.DeleteFunc(st.children(keyed.parent), func(id string) bool { return !pb.free(id) || st.byID[id].tier != keyed.tier })
		}
	case pb.lost.tier == keyward.TierMaster:
		// A lost master: its doors move to an unused sibling master, keeping
		// each door's change-key number where that key exists.
		idx := slices.Index(st.children(pb.lost.id), symID)
		masters := st.children(pb.lost.parent)
		if pb.master != "" {
			masters = []string{pb.master}
		}
		for _, m := range masters {
			if m == pb.lost.id || (m != pb.master && !pb.free(m)) || st.byID[m].tier != keyward.TierMaster {
				continue
			}
			kids := slices.DeleteFunc(st.children(m), pb.free2)
			if idx >= 0 && idx < len(st.children(m)) && pb.free(st.children(m)[idx]) {
				kids = append([]string{st.children(m)[idx]}, slices.DeleteFunc(kids, func(id string) bool { return id == st.children(m)[idx] })...)
			}
			cands = append(cands, kids...)
		}
	}
	for _, c := range cands {
		keys, err := st.bittings(st.chain(c))
		if err != nil {
			return "", err
		}
		if keying.Operates(keying.Cylinder{ID: "candidate", Keys: keys}, pb.lostB) {
			continue
		}
		if pb.lost.tier == keyward.TierMaster && slices.Contains(chain, pb.lost.id) && pb.lost.id != symID && pb.master == "" {
			pb.master = st.byID[c].parent
			pb.reserved[pb.master] = true
			pb.picks = append(pb.picks, [2]string{pb.lost.id, pb.master})
		}
		pb.repl[symID] = c
		pb.reserved[c] = true
		pb.picks = append(pb.picks, [2]string{symID, c})
		return c, nil
	}
	pb.repl[symID] = ""
	return "", nil
}

// free2 is the DeleteFunc form of !free.
func (pb *planBuilder) free2(id string) bool { return !pb.free(id) }

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
	rows, err := tx.Query(ctx, `SELECT i.id, i.seq, i.kind, COALESCE(i.opening_id, ''), COALESCE(o.name, ''), COALESCE(i.from_symbol_id, ''), COALESCE(i.to_symbol_id, ''),
		i.cross_keys, i.copies, i.note, i.done, i.done_at, COALESCE(i.done_by, '')
		FROM rekey_plan_items i LEFT JOIN openings o ON o.id = i.opening_id WHERE i.plan_id = ? ORDER BY i.seq`, planID)
	if err != nil {
		return nil, fmt.Errorf("store: plan items: %w", err)
	}
	defer rows.Close()
	out := []keyward.PlanItem{}
	for rows.Next() {
		var it keyward.PlanItem
		var from, to, cross string
		var done int
		var doneAt sql.NullString
		if err := rows.Scan(&it.ID, &it.Seq, &it.Kind, &it.OpeningID, &it.OpeningName, &from, &to, &cross, &it.Copies, &it.Note, &done, &doneAt, &it.DoneBy); err != nil {
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
		if it.Kind == keyward.PlanRekey {
			it.CrossKeys = st.symbols(crossIDs)
		}
		it.Done, it.DoneAt = done == 1, tsPtr(doneAt)
		out = append(out, it)
	}
	return out, rows.Err()
}

func (s *KeySystems) CompleteItem(ctx context.Context, a keyward.Actor, id, planID, itemID string) (*keyward.RekeyPlan, error) {
	if err := s.db.recordDenial(ctx, a, keyward.ActKeySystemEdit, "keysystem", id); err != nil {
		return nil, err
	}
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
		// The guarded update is the race guard: an item is done once.
		r, err := tx.Exec(ctx, `UPDATE rekey_plan_items SET done = 1, done_at = ?, done_by = ? WHERE id = ? AND plan_id = ? AND done = 0`,
			ts(tx.now), actorName(a), itemID, planID)
		if err != nil {
			return nil, fmt.Errorf("store: complete plan item: %w", err)
		}
		if n, _ := r.RowsAffected(); n == 0 {
			return nil, keyward.Errorf(keyward.ECONFLICT, "plan item %d is already done", it.Seq)
		}
		switch it.Kind {
		case keyward.PlanRekey:
			if _, err := st.repin(ctx, tx, a, it.OpeningID, st.idOf(it.ToSymbol), st.ids(it.CrossKeys), "rekeyed: "+p.LostSymbol+" lost"); err != nil {
				return nil, err
			}
		case keyward.PlanReplaceCylinder:
			if _, err := st.repin(ctx, tx, a, it.OpeningID, "", nil, "cylinder replaced: "+p.LostSymbol+" lost"); err != nil {
				return nil, err
			}
		}
		if _, err := tx.record(ctx, a, "keysystem.plan_item", "keysystem", id, map[string]any{"plan_id": planID, "item": it.Seq, "kind": it.Kind,
			"opening_id": it.OpeningID, "from": it.FromSymbol, "to": it.ToSymbol}); err != nil {
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
