package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"

	"github.com/keyward/keyward/internal/keying"
	"github.com/keyward/keyward/internal/keyward"
	"github.com/keyward/keyward/internal/vault"
)

// LostKeys implements keyward.LostKeys: what a lost key opens (a key
// system's doors through the keying math, which needs the vault to open
// bittings, never to show them) and the work lists of keys outside key systems.
type LostKeys struct {
	db *DB
	ks *KeySystems
}

// LostKeys returns the lost-key service; bittings are opened with v.
func (d *DB) LostKeys(v *vault.Key) *LostKeys { return &LostKeys{db: d, ks: d.KeySystems(v)} }

func (s *LostKeys) LostKey(ctx context.Context, a keyward.Actor, keyID string) (*keyward.LostKey, error) {
	if err := keyward.Authorize(a, keyward.ActInventoryRead); err != nil {
		return nil, err
	}
	return inTx(ctx, s.db, func(tx *Tx) (*keyward.LostKey, error) { return s.lostKey(ctx, tx, keyID) })
}

// lostKey reads what a lost key opens now, its plan or work list, and the
// next step: the exposure of its symbol.
func (s *LostKeys) lostKey(ctx context.Context, tx *Tx, keyID string) (*keyward.LostKey, error) {
	var sym, status string
	var n int
	if err := tx.QueryRow(ctx, `SELECT symbol, copy_number, status FROM keys WHERE id = ?`, keyID).Scan(&sym, &n, &status); err != nil {
		return nil, notFound(err, "key", keyID)
	}
	if status != keyward.StatusLost {
		return nil, keyward.Errorf(keyward.ECONFLICT, "key %s is not lost (it is %s)", stamp(sym, n), status)
	}
	out, err := s.exposure(ctx, tx, sym)
	if err != nil {
		return nil, err
	}
	out.KeyID, out.Stamp = keyID, stamp(sym, n)
	return out, nil
}

// uncontrolledExposure is what a copy found outside Keyward opens: the
// exposure of its symbol, as for a lost key of it. ENOTFOUND.
func (s *LostKeys) uncontrolledExposure(ctx context.Context, tx *Tx, id string) (*keyward.LostKey, error) {
	var sym string
	if err := tx.QueryRow(ctx, `SELECT symbol FROM uncontrolled_copies WHERE id = ?`, id).Scan(&sym); err != nil {
		return nil, notFound(err, "uncontrolled copy", id)
	}
	return s.exposure(ctx, tx, sym)
}

// exposure is what any copy of symbol out of our hands opens now, the
// rekey plan or work list that answers it, and the next step the domain
// decides: the one path for a lost key and for a copy found outside
// Keyward. KeyID and Stamp are left for the caller.
func (s *LostKeys) exposure(ctx context.Context, tx *Tx, sym string) (*keyward.LostKey, error) {
	out := &keyward.LostKey{Symbol: sym, Doors: []keyward.LostDoor{}}
	how := map[string]string{} // opening id → how
	var symID, sysID string
	switch err := tx.QueryRow(ctx, `SELECT id, system_id FROM key_symbols WHERE symbol = ?`, sym).Scan(&symID, &sysID); {
	case errors.Is(err, sql.ErrNoRows):
	case err != nil:
		return nil, fmt.Errorf("store: key system of %s: %w", sym, err)
	}
	var planStatus, listStatus string
	if sysID != "" {
		st, err := s.ks.load(ctx, tx, sysID)
		if err != nil {
			return nil, err
		}
		out.SystemID, out.SystemName = sysID, st.name
		if len(st.pins) > 0 {
			lost, err := st.open(symID)
			if err != nil {
				return nil, err
			}
			cyls, err := st.cylinders()
			if err != nil {
				return nil, err
			}
			res, err := keying.LostKey(cyls, lost)
			if err != nil {
				return nil, keyingError(err)
			}
			for _, id := range res.Intended {
				how[id] = keyward.ReachIntended
			}
			for _, id := range res.Incidental {
				how[id] = keyward.ReachIncidental
			}
		}
		err = tx.QueryRow(ctx, `SELECT id, status FROM rekey_plans WHERE lost_symbol_id = ? ORDER BY created_at DESC, id DESC LIMIT 1`, symID).Scan(&out.PlanID, &planStatus)
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return nil, fmt.Errorf("store: plan of %s: %w", sym, err)
		}
		out.PlanStatus = planStatus
	} else {
		err := tx.QueryRow(ctx, `SELECT id, status FROM work_lists WHERE lost_symbol = ?
			ORDER BY CASE WHEN status = ? THEN 0 ELSE 1 END, created_at DESC, id DESC LIMIT 1`, sym, keyward.WorkOpen).Scan(&out.WorkListID, &listStatus)
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return nil, fmt.Errorf("store: work list of %s: %w", sym, err)
		}
		out.WorkListStatus = listStatus
	}
	// The keying schedule, and the schedules below it when it is a master.
	opens, err := tx.symbolOpenings(ctx, []string{sym})
	if err != nil {
		return nil, err
	}
	for _, o := range opens[sym] {
		if _, ok := how[o.OpeningID]; !ok {
			how[o.OpeningID] = keyward.ReachSchedule
		}
	}
	if out.Doors, err = tx.lostDoors(ctx, how); err != nil {
		return nil, err
	}
	out.Next = keyward.NextLostStep(sysID != "", planStatus, listStatus, len(out.Doors))
	return out, nil
}

// lostDoors names the openings of how with their sites, in the domain's order.
func (t *Tx) lostDoors(ctx context.Context, how map[string]string) ([]keyward.LostDoor, error) {
	ids := make([]string, 0, len(how))
	for id := range how {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	out := []keyward.LostDoor{}
	for chunk := range slices.Chunk(ids, reachChunk) {
		err := scanEach(ctx, t, `SELECT o.id, o.name, o.site_id, s.name FROM openings o JOIN sites s ON s.id = o.site_id WHERE o.id IN (`+marks(len(chunk))+`)`,
			anys(chunk), func(rows *sql.Rows) error {
				var d keyward.LostDoor
				if err := rows.Scan(&d.OpeningID, &d.OpeningName, &d.SiteID, &d.SiteName); err != nil {
					return err
				}
				d.How = how[d.OpeningID]
				out = append(out, d)
				return nil
			})
		if err != nil {
			return nil, fmt.Errorf("store: lost key doors: %w", err)
		}
	}
	keyward.SortLostDoors(out)
	return out, nil
}

// keySystemSymbols are those of symbols that belong to a key system.
func (t *Tx) keySystemSymbols(ctx context.Context, symbols []string) (map[string]bool, error) {
	out := map[string]bool{}
	if len(symbols) == 0 {
		return out, nil
	}
	err := scanEach(ctx, t, `SELECT symbol FROM key_symbols WHERE symbol IN (`+marks(len(symbols))+`)`, anys(symbols), func(rows *sql.Rows) error {
		var sym string
		if err := rows.Scan(&sym); err != nil {
			return err
		}
		out[sym] = true
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("store: key system symbols: %w", err)
	}
	return out, nil
}

// scheduleKeys lists symbols in the opening's keying schedule; one already
// listed stays as it is.
func (t *Tx) scheduleKeys(ctx context.Context, openingID string, symbols []string) error {
	for _, sym := range symbols {
		if _, err := t.Exec(ctx, `INSERT INTO opening_symbols (opening_id, symbol, created_at) VALUES (?, ?, ?) ON CONFLICT DO NOTHING`,
			openingID, sym, ts(t.now)); err != nil {
			return fmt.Errorf("store: schedule new key: %w", err)
		}
	}
	return nil
}

func (s *LostKeys) CreateWorkList(ctx context.Context, a keyward.Actor, in keyward.WorkListInput) (*keyward.WorkList, error) {
	subject, subjectID := "key", in.KeyID
	if in.UncontrolledID != "" {
		subject, subjectID = "uncontrolled_copy", in.UncontrolledID
	}
	if err := s.db.recordDenial(ctx, a, keyward.ActKeySystemEdit, subject, subjectID); err != nil {
		return nil, err
	}
	if err := in.Validate(); err != nil {
		return nil, err
	}
	// The lost key, or the copy found, and the field that names it.
	field, cause := "key_id", s.lostKey
	if in.UncontrolledID != "" {
		field, cause = "uncontrolled_copy_id", s.uncontrolledExposure
	}
	return inTx(ctx, s.db, func(tx *Tx) (*keyward.WorkList, error) {
		lk, err := cause(ctx, tx, in.KeyID+in.UncontrolledID)
		if keyward.ErrorCode(err) == keyward.ENOTFOUND {
			if field == "key_id" {
				return nil, keyward.Invalid(field, "must name an existing key")
			}
			return nil, keyward.Invalid(field, "must name a copy found outside Keyward")
		}
		if err != nil {
			return nil, err
		}
		switch lk.Next {
		case keyward.NextStartPlan, keyward.NextContinuePlan, keyward.NextPlanDone:
			return nil, &keyward.Error{Code: keyward.ECONFLICT, Message: fmt.Sprintf("%s is a key of key system %s: its rekey plan answers it", lk.Symbol, lk.SystemName),
				Fields: []keyward.FieldError{{Field: field, Rule: "must name a key outside any key system"}}}
		case keyward.NextContinueWorkList:
			return nil, keyward.Errorf(keyward.ECONFLICT, "a work list for lost %s is already open", lk.Symbol)
		case keyward.NextStartWorkList:
		default:
			return nil, keyward.Errorf(keyward.ECONFLICT, "no door on record opens with %s: there is nothing to rekey", lk.Symbol)
		}
		id := newID("wl")
		if _, err := tx.Exec(ctx, `INSERT INTO work_lists (id, key_id, uncontrolled_id, lost_symbol, status, note, created_by, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
			id, nullStr(lk.KeyID), nullStr(in.UncontrolledID), lk.Symbol, keyward.WorkOpen, in.Note, actorName(a), ts(tx.now)); err != nil {
			if isUnique(err) {
				return nil, keyward.Errorf(keyward.ECONFLICT, "a work list for lost %s is already open", lk.Symbol)
			}
			return nil, fmt.Errorf("store: insert work list: %w", err)
		}
		doors := []string{}
		for i, d := range lk.Doors {
			if _, err := tx.Exec(ctx, `INSERT INTO work_list_items (id, list_id, seq, opening_id) VALUES (?, ?, ?, ?)`,
				newID("wli"), id, i+1, d.OpeningID); err != nil {
				return nil, fmt.Errorf("store: insert work list item: %w", err)
			}
			doors = append(doors, d.OpeningID)
		}
		details := map[string]any{"lost_symbol": lk.Symbol, "doors": doors, "note": in.Note}
		if lk.KeyID != "" {
			details["key_id"], details["stamp"] = lk.KeyID, lk.Stamp
		} else {
			details["uncontrolled_copy_id"] = in.UncontrolledID
		}
		if _, err := tx.record(ctx, a, "worklist.create", "worklist", id, details); err != nil {
			return nil, err
		}
		return tx.workList(ctx, id)
	})
}

func (s *LostKeys) WorkList(ctx context.Context, a keyward.Actor, id string) (*keyward.WorkList, error) {
	if err := keyward.Authorize(a, keyward.ActInventoryRead); err != nil {
		return nil, err
	}
	return inTx(ctx, s.db, func(tx *Tx) (*keyward.WorkList, error) { return tx.workList(ctx, id) })
}

// maxWorkLists bounds one list of work lists.
const maxWorkLists = 1000

func (s *LostKeys) WorkLists(ctx context.Context, a keyward.Actor, status string) ([]keyward.WorkList, error) {
	if err := keyward.Authorize(a, keyward.ActInventoryRead); err != nil {
		return nil, err
	}
	if status != "" && status != keyward.WorkOpen && status != keyward.WorkDone {
		return nil, keyward.Invalid("status", "must be open or done")
	}
	return inTx(ctx, s.db, func(tx *Tx) ([]keyward.WorkList, error) {
		var ids []string
		q, args := `SELECT id FROM work_lists`, []any{}
		if status != "" {
			q, args = q+` WHERE status = ?`, append(args, status)
		}
		err := scanEach(ctx, tx, q+` ORDER BY created_at DESC, id DESC LIMIT ?`, append(args, maxWorkLists), func(rows *sql.Rows) error {
			var id string
			err := rows.Scan(&id)
			ids = append(ids, id)
			return err
		})
		if err != nil {
			return nil, fmt.Errorf("store: work lists: %w", err)
		}
		out := []keyward.WorkList{}
		for _, id := range ids {
			wl, err := tx.workList(ctx, id)
			if err != nil {
				return nil, err
			}
			out = append(out, *wl)
		}
		return out, nil
	})
}

// workList reads one work list with its items.
func (t *Tx) workList(ctx context.Context, id string) (*keyward.WorkList, error) {
	var wl keyward.WorkList
	var n int
	var at, uncID string
	var closed sql.NullString
	err := t.QueryRow(ctx, `SELECT w.id, COALESCE(w.key_id, ''), COALESCE(k.symbol, ''), COALESCE(k.copy_number, 0), COALESCE(w.uncontrolled_id, ''),
			w.lost_symbol, w.status, w.note, w.created_by, w.created_at, w.closed_at
		FROM work_lists w LEFT JOIN keys k ON k.id = w.key_id WHERE w.id = ?`, id).
		Scan(&wl.ID, &wl.KeyID, &wl.Stamp, &n, &uncID, &wl.LostSymbol, &wl.Status, &wl.Note, &wl.CreatedBy, &at, &closed)
	if err != nil {
		return nil, notFound(err, "work list", id)
	}
	if wl.KeyID != "" {
		wl.Stamp = stamp(wl.Stamp, n)
	}
	if uncID != "" {
		if wl.Uncontrolled, err = t.uncontrolledCopy(ctx, uncID); err != nil {
			return nil, err
		}
	}
	wl.CreatedAt, wl.ClosedAt = parseTS(at), tsPtr(closed)
	wl.Items = []keyward.WorkItem{}
	err = scanEach(ctx, t, `SELECT i.id, i.seq, i.opening_id, o.name, o.site_id, s.name, i.done, i.method, i.new_keys, i.done_note, i.done_at, COALESCE(i.done_by, '')
		FROM work_list_items i JOIN openings o ON o.id = i.opening_id JOIN sites s ON s.id = o.site_id
		WHERE i.list_id = ? ORDER BY i.seq`, []any{id}, func(rows *sql.Rows) error {
		var it keyward.WorkItem
		var done int
		var keys string
		var doneAt sql.NullString
		if err := rows.Scan(&it.ID, &it.Seq, &it.OpeningID, &it.OpeningName, &it.SiteID, &it.SiteName, &done, &it.Method, &keys, &it.DoneNote, &doneAt, &it.DoneBy); err != nil {
			return err
		}
		it.NewKeys = []string{}
		_ = json.Unmarshal([]byte(keys), &it.NewKeys)
		it.Done, it.DoneAt = done == 1, tsPtr(doneAt)
		wl.Items = append(wl.Items, it)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("store: work list items: %w", err)
	}
	return &wl, nil
}

func (s *LostKeys) CompleteWorkItem(ctx context.Context, a keyward.Actor, id, itemID string, in keyward.ItemDoneInput) (*keyward.WorkList, error) {
	if err := s.db.recordDenial(ctx, a, keyward.ActKeySystemEdit, "worklist", id); err != nil {
		return nil, err
	}
	in.Normalize()
	return inTx(ctx, s.db, func(tx *Tx) (*keyward.WorkList, error) {
		wl, err := tx.workList(ctx, id)
		if err != nil {
			return nil, err
		}
		i := slices.IndexFunc(wl.Items, func(it keyward.WorkItem) bool { return it.ID == itemID })
		if i < 0 {
			return nil, keyward.Errorf(keyward.ENOTFOUND, "work list item %q not found", itemID)
		}
		it := wl.Items[i]
		if it.Done {
			return nil, keyward.Errorf(keyward.ECONFLICT, "%s is already done", it.OpeningName)
		}
		inSystems, err := tx.keySystemSymbols(ctx, in.NewKeys)
		if err != nil {
			return nil, err
		}
		if err := in.Check(keyward.DoneWork{Kind: keyward.WorkDoor, LostSymbol: wl.LostSymbol, InKeySystem: inSystems}); err != nil {
			return nil, err
		}
		nk, _ := json.Marshal(in.NewKeys)
		// The guarded update is the race guard: a door is done once.
		r, err := tx.Exec(ctx, `UPDATE work_list_items SET done = 1, method = ?, new_keys = ?, done_note = ?, done_at = ?, done_by = ? WHERE id = ? AND list_id = ? AND done = 0`,
			in.Method, string(nk), in.Note, ts(tx.now), actorName(a), itemID, id)
		if err != nil {
			return nil, fmt.Errorf("store: complete work list item: %w", err)
		}
		if n, _ := r.RowsAffected(); n == 0 {
			return nil, keyward.Errorf(keyward.ECONFLICT, "%s is already done", it.OpeningName)
		}
		// The door's keying schedule: the lost key off, the new keys on.
		res, err := tx.Exec(ctx, `DELETE FROM opening_symbols WHERE opening_id = ? AND symbol = ?`, it.OpeningID, wl.LostSymbol)
		if err != nil {
			return nil, fmt.Errorf("store: unschedule lost key: %w", err)
		}
		removed, _ := res.RowsAffected()
		if err := tx.scheduleKeys(ctx, it.OpeningID, in.NewKeys); err != nil {
			return nil, err
		}
		if _, err := tx.record(ctx, a, "worklist.item_done", "worklist", id, map[string]any{"item": it.Seq, "opening_id": it.OpeningID,
			"opening": it.OpeningName, "method": in.Method, "lost_symbol": wl.LostSymbol, "lost_symbol_removed": removed > 0,
			"new_keys": in.NewKeys, "note": in.Note}); err != nil {
			return nil, err
		}
		var open int
		if err := tx.QueryRow(ctx, `SELECT COUNT(*) FROM work_list_items WHERE list_id = ? AND done = 0`, id).Scan(&open); err != nil {
			return nil, fmt.Errorf("store: open work list items: %w", err)
		}
		if open == 0 {
			var still int
			if err := tx.QueryRow(ctx, `SELECT COUNT(*) FROM opening_symbols WHERE symbol = ?`, wl.LostSymbol).Scan(&still); err != nil {
				return nil, fmt.Errorf("store: doors still listing %s: %w", wl.LostSymbol, err)
			}
			if _, err := tx.Exec(ctx, `UPDATE work_lists SET status = ?, closed_at = ? WHERE id = ? AND status = ?`,
				keyward.WorkDone, ts(tx.now), id, keyward.WorkOpen); err != nil {
				return nil, fmt.Errorf("store: close work list: %w", err)
			}
			if _, err := tx.record(ctx, a, "worklist.closed", "worklist", id, map[string]any{"lost_symbol": wl.LostSymbol,
				"doors": len(wl.Items), "doors_still_listing_lost": still}); err != nil {
				return nil, err
			}
		}
		return tx.workList(ctx, id)
	})
}

func (s *LostKeys) OpenWork(ctx context.Context, a keyward.Actor) ([]keyward.OpenWork, error) {
	if err := keyward.Authorize(a, keyward.ActInventoryRead); err != nil {
		return nil, err
	}
	return inTx(ctx, s.db, func(tx *Tx) ([]keyward.OpenWork, error) {
		out := []keyward.OpenWork{}
		err := scanEach(ctx, tx, `SELECT p.id, p.system_id, s.name, y.symbol, p.created_at,
				(SELECT COUNT(*) FROM rekey_plan_items i WHERE i.plan_id = p.id AND i.done = 0),
				(SELECT COUNT(*) FROM rekey_plan_items i WHERE i.plan_id = p.id)
			FROM rekey_plans p JOIN key_systems s ON s.id = p.system_id JOIN key_symbols y ON y.id = p.lost_symbol_id
			WHERE p.status = ? ORDER BY p.created_at, p.id LIMIT ?`, []any{keyward.WorkOpen, maxWorkLists}, func(rows *sql.Rows) error {
			w := keyward.OpenWork{Kind: keyward.OpenWorkPlan}
			var at string
			if err := rows.Scan(&w.ID, &w.SystemID, &w.SystemName, &w.LostSymbol, &at, &w.ItemsLeft, &w.Items); err != nil {
				return err
			}
			w.CreatedAt = parseTS(at)
			out = append(out, w)
			return nil
		})
		if err != nil {
			return nil, fmt.Errorf("store: open plans: %w", err)
		}
		err = scanEach(ctx, tx, `SELECT w.id, w.lost_symbol, COALESCE(k.symbol, ''), COALESCE(k.copy_number, 0), w.created_at,
				(SELECT COUNT(*) FROM work_list_items i WHERE i.list_id = w.id AND i.done = 0),
				(SELECT COUNT(*) FROM work_list_items i WHERE i.list_id = w.id)
			FROM work_lists w LEFT JOIN keys k ON k.id = w.key_id
			WHERE w.status = ? ORDER BY w.created_at, w.id LIMIT ?`, []any{keyward.WorkOpen, maxWorkLists}, func(rows *sql.Rows) error {
			w := keyward.OpenWork{Kind: keyward.OpenWorkWorkList}
			var sym, at string
			var n int
			if err := rows.Scan(&w.ID, &w.LostSymbol, &sym, &n, &at, &w.ItemsLeft, &w.Items); err != nil {
				return err
			}
			if sym != "" {
				w.Stamp = stamp(sym, n)
			}
			w.CreatedAt = parseTS(at)
			out = append(out, w)
			return nil
		})
		if err != nil {
			return nil, fmt.Errorf("store: open work lists: %w", err)
		}
		slices.SortStableFunc(out, func(x, y keyward.OpenWork) int { return x.CreatedAt.Compare(y.CreatedAt) })
		return out, nil
	})
}
