package store

import (
	"context"
	"database/sql"
	"fmt"
	"slices"

	"github.com/keyward/keyward/internal/keyward"
)

// Copy accounting: every symbol's copies by status (keyward.CopyCount.Tally
// decides which count as under control), where each copy is, and the copies
// found outside Keyward, whose exposure is the lost-key path's
// (LostKeys.exposure).

// copyPair is one keyway and symbol, as the counts list them.
type copyPair struct{ keywayID, symbol string }

// CopyCounts lists every keyway and symbol that has a copy, destroyed or
// found outside Keyward, by keyway name, keyway id and symbol.
func (s *Duplication) CopyCounts(ctx context.Context, a keyward.Actor, keywayID string, opt keyward.ListOptions) (keyward.Page[keyward.CopyCount], error) {
	page := keyward.Page[keyward.CopyCount]{Items: []keyward.CopyCount{}}
	if err := keyward.Authorize(a, keyward.ActCopyRead); err != nil {
		return page, err
	}
	limit := clampLimit(opt.Limit)
	var after []string
	if opt.Cursor != "" {
		var err error
		if after, err = decodeCursor(opt.Cursor, 3); err != nil {
			return page, err
		}
	}
	err := s.db.withTx(ctx, func(tx *Tx) error {
		q := `SELECT kw.id, kw.name, kw.duplication_policy, x.symbol
			FROM (SELECT keyway_id, symbol FROM keys UNION SELECT keyway_id, symbol FROM uncontrolled_copies) x
			JOIN keyways kw ON kw.id = x.keyway_id WHERE 1 = 1`
		var args []any
		if keywayID != "" {
			if !tx.exists(ctx, "keyways", keywayID) {
				return keyward.Invalid("keyway_id", "must name a keyway")
			}
			q, args = q+` AND kw.id = ?`, append(args, keywayID)
		}
		if after != nil {
			q += ` AND (kw.name > ? OR (kw.name = ? AND (kw.id > ? OR (kw.id = ? AND x.symbol > ?))))`
			args = append(args, after[0], after[0], after[1], after[1], after[2])
		}
		args = append(args, limit+1)
		err := scanEach(ctx, tx, q+` ORDER BY kw.name, kw.id, x.symbol LIMIT ?`, args, func(rows *sql.Rows) error {
			var c keyward.CopyCount
			if err := rows.Scan(&c.KeywayID, &c.KeywayName, &c.Policy, &c.Symbol); err != nil {
				return err
			}
			page.Items = append(page.Items, c)
			return nil
		})
		if err != nil {
			return fmt.Errorf("store: copy counts: %w", err)
		}
		if len(page.Items) > limit {
			page.Items = page.Items[:limit]
			last := page.Items[limit-1]
			page.Next = encodeCursor(last.KeywayName, last.KeywayID, last.Symbol)
		}
		return tx.tallyCopies(ctx, page.Items)
	})
	if err != nil {
		return keyward.Page[keyward.CopyCount]{Items: []keyward.CopyCount{}}, err
	}
	return page, nil
}

// tallyCopies counts the copies of each item by status and lists its
// uncontrolled copies, newest first, with a fixed number of queries per
// chunk of items.
func (t *Tx) tallyCopies(ctx context.Context, items []keyward.CopyCount) error {
	at := map[copyPair]int{}
	for i := range items {
		at[copyPair{items[i].KeywayID, items[i].Symbol}] = i
		items[i].Uncontrolled = []keyward.UncontrolledCopy{}
	}
	statuses := make([]map[string]int, len(items))
	for chunk := range slices.Chunk(items, reachChunk/2) {
		var kws, syms []string
		for _, c := range chunk {
			if !slices.Contains(kws, c.KeywayID) {
				kws = append(kws, c.KeywayID)
			}
			if !slices.Contains(syms, c.Symbol) {
				syms = append(syms, c.Symbol)
			}
		}
		where := `keyway_id IN (` + marks(len(kws)) + `) AND symbol IN (` + marks(len(syms)) + `)`
		args := append(anys(kws), anys(syms)...)
		err := scanEach(ctx, t, `SELECT keyway_id, symbol, status, COUNT(*) FROM keys WHERE `+where+` GROUP BY keyway_id, symbol, status`, args,
			func(rows *sql.Rows) error {
				var p copyPair
				var status string
				var n int
				if err := rows.Scan(&p.keywayID, &p.symbol, &status, &n); err != nil {
					return err
				}
				if i, ok := at[p]; ok {
					if statuses[i] == nil {
						statuses[i] = map[string]int{}
					}
					statuses[i][status] = n
				}
				return nil
			})
		if err != nil {
			return fmt.Errorf("store: count copies: %w", err)
		}
		err = scanEach(ctx, t, uncontrolledSelect+` WHERE `+where+` ORDER BY found_at DESC, id DESC`, args, func(rows *sql.Rows) error {
			u, err := scanUncontrolled(rows)
			if err != nil {
				return err
			}
			if i, ok := at[copyPair{u.KeywayID, u.Symbol}]; ok {
				items[i].Uncontrolled = append(items[i].Uncontrolled, u)
			}
			return nil
		})
		if err != nil {
			return fmt.Errorf("store: uncontrolled copies: %w", err)
		}
	}
	for i := range items {
		items[i].Tally(statuses[i])
	}
	return nil
}

const uncontrolledSelect = `SELECT id, keyway_id, symbol, found_where, note, in_hand, found_by, found_by_name, found_at FROM uncontrolled_copies`

func scanUncontrolled(row interface{ Scan(...any) error }) (keyward.UncontrolledCopy, error) {
	var u keyward.UncontrolledCopy
	var inHand int
	var at string
	err := row.Scan(&u.ID, &u.KeywayID, &u.Symbol, &u.Where, &u.Note, &inHand, &u.FoundBy, &u.FoundByName, &at)
	u.InHand, u.FoundAt = inHand == 1, parseTS(at)
	return u, err
}

// uncontrolledCopy reads one copy found outside Keyward. ENOTFOUND.
func (t *Tx) uncontrolledCopy(ctx context.Context, id string) (*keyward.UncontrolledCopy, error) {
	u, err := scanUncontrolled(t.QueryRow(ctx, uncontrolledSelect+` WHERE id = ?`, id))
	if err != nil {
		return nil, notFound(err, "uncontrolled copy", id)
	}
	return &u, nil
}

// copySymbol is the symbol of keywayID that symbol names, ignoring case, as
// its copies spell it (an exact spelling first); "" when the keyway has no
// copy of it.
func (t *Tx) copySymbol(ctx context.Context, keywayID, symbol string) (string, error) {
	return t.spelling(ctx, symbol, `SELECT symbol FROM keys WHERE keyway_id = ? AND UPPER(symbol) = UPPER(?)
		UNION SELECT symbol FROM uncontrolled_copies WHERE keyway_id = ? AND UPPER(symbol) = UPPER(?)`, keywayID, symbol, keywayID, symbol)
}

// knownSymbol is symbol as Keyward already spells it anywhere, ignoring
// case: on a key, in a key system or in a door's keying schedule (an exact
// spelling first); as given when nothing knows it.
func (t *Tx) knownSymbol(ctx context.Context, symbol string) (string, error) {
	sym, err := t.spelling(ctx, symbol, `SELECT symbol FROM keys WHERE UPPER(symbol) = UPPER(?)
		UNION SELECT symbol FROM key_symbols WHERE UPPER(symbol) = UPPER(?)
		UNION SELECT symbol FROM opening_symbols WHERE UPPER(symbol) = UPPER(?)`, symbol, symbol, symbol)
	if sym == "" {
		sym = symbol
	}
	return sym, err
}

// spelling is symbol as the symbols q finds spell it: itself if they
// include it, else the first of them; "" when q finds none.
func (t *Tx) spelling(ctx context.Context, symbol, q string, args ...any) (string, error) {
	var found []string
	err := scanEach(ctx, t, q, args, func(rows *sql.Rows) error {
		var s string
		err := rows.Scan(&s)
		found = append(found, s)
		return err
	})
	if err != nil {
		return "", fmt.Errorf("store: spelling of %s: %w", symbol, err)
	}
	switch {
	case len(found) == 0:
		return "", nil
	case slices.Contains(found, symbol):
		return symbol, nil
	}
	slices.Sort(found)
	return found[0], nil
}

// CopyCount is one symbol's count, each copy and where it is now, its
// uncontrolled copies and, when there are any, what they open and the next
// step, read in one transaction.
func (s *Duplication) CopyCount(ctx context.Context, a keyward.Actor, keywayID, symbol string) (*keyward.CopyCount, error) {
	if err := keyward.Authorize(a, keyward.ActCopyRead); err != nil {
		return nil, err
	}
	var v keyward.Validator
	keyward.ValidSymbol(&v, "symbol", symbol)
	if err := v.Err(); err != nil {
		return nil, err
	}
	return inTx(ctx, s.db, func(tx *Tx) (*keyward.CopyCount, error) {
		c := &keyward.CopyCount{KeywayID: keywayID}
		if err := tx.QueryRow(ctx, `SELECT name, duplication_policy FROM keyways WHERE id = ?`, keywayID).Scan(&c.KeywayName, &c.Policy); err != nil {
			return nil, notFound(err, "keyway", keywayID)
		}
		sym, err := tx.copySymbol(ctx, keywayID, symbol)
		if err != nil {
			return nil, err
		}
		if sym == "" {
			return nil, keyward.Errorf(keyward.ENOTFOUND, "the keyway %s has no copy of %s", c.KeywayName, symbol)
		}
		c.Symbol = sym
		items := []keyward.CopyCount{*c}
		if err := tx.tallyCopies(ctx, items); err != nil {
			return nil, err
		}
		*c = items[0]
		var ids []string
		var keys []keyward.Key
		err = scanEach(ctx, tx, `SELECT `+keyCols+` FROM keys WHERE keyway_id = ? AND symbol = ? ORDER BY copy_number`, []any{keywayID, sym}, func(rows *sql.Rows) error {
			k, err := scanKey(rows)
			keys, ids = append(keys, k), append(ids, k.ID)
			return err
		})
		if err != nil {
			return nil, fmt.Errorf("store: copies of %s: %w", sym, err)
		}
		where, _, err := tx.whereabouts(ctx, ids)
		if err != nil {
			return nil, err
		}
		c.Copies = make([]keyward.SymbolCopy, len(keys))
		for i, k := range keys {
			c.Copies[i] = keyward.SymbolCopy{Key: k}
			if r := where[k.ID]; r != nil {
				c.Copies[i].HolderName, c.Copies[i].Home, c.Copies[i].LostAt = r.HolderName, r.Home, r.LostAt
			}
		}
		if len(c.Uncontrolled) > 0 {
			if c.Exposure, err = s.lostKeys().exposure(ctx, tx, sym); err != nil {
				return nil, err
			}
		}
		return c, nil
	})
}

// lostKeys is the lost-key service on the same vault: an uncontrolled
// copy's exposure is a lost key's.
func (s *Duplication) lostKeys() *LostKeys { return s.db.LostKeys(s.vault) }

// RecordUncontrolled records a copy found outside Keyward against its
// keyway and symbol (spelled as its copies are), with its audit record in
// the same transaction, and answers what it opens and the next step.
func (s *Duplication) RecordUncontrolled(ctx context.Context, a keyward.Actor, in keyward.UncontrolledCopyInput) (*keyward.UncontrolledCopy, error) {
	if err := s.db.recordDenial(ctx, a, keyward.ActCustody, "keyway", in.KeywayID); err != nil {
		return nil, err
	}
	if err := in.Validate(); err != nil {
		return nil, err
	}
	return inTx(ctx, s.db, func(tx *Tx) (*keyward.UncontrolledCopy, error) {
		if !tx.exists(ctx, "keyways", in.KeywayID) {
			return nil, keyward.Invalid("keyway_id", "must name a keyway")
		}
		sym, err := tx.copySymbol(ctx, in.KeywayID, in.Symbol)
		if err != nil {
			return nil, err
		}
		if sym == "" {
			// No copy of the keyway: spelled as a key, a key system or a
			// door's keying schedule spells it, so its doors are found.
			if sym, err = tx.knownSymbol(ctx, in.Symbol); err != nil {
				return nil, err
			}
		}
		u := &keyward.UncontrolledCopy{ID: newID("unc"), KeywayID: in.KeywayID, Symbol: sym, Where: in.Where, Note: in.Note, InHand: in.InHand,
			FoundBy: a.UserID, FoundByName: tx.actorDisplayName(ctx, a), FoundAt: tx.now}
		if _, err := tx.Exec(ctx, `INSERT INTO uncontrolled_copies (id, keyway_id, symbol, found_where, note, in_hand, found_by, found_by_name, found_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`, u.ID, u.KeywayID, u.Symbol, u.Where, u.Note, b2i(u.InHand), u.FoundBy, u.FoundByName, ts(u.FoundAt)); err != nil {
			return nil, fmt.Errorf("store: insert uncontrolled copy: %w", err)
		}
		details := map[string]any{"keyway_id": u.KeywayID, "symbol": u.Symbol, "where": u.Where, "in_hand": u.InHand}
		if u.Note != "" {
			details["note"] = u.Note
		}
		if _, err := tx.record(ctx, a, "copy.uncontrolled", "uncontrolled_copy", u.ID, details); err != nil {
			return nil, err
		}
		if u.Exposure, err = s.lostKeys().exposure(ctx, tx, sym); err != nil {
			return nil, err
		}
		return u, nil
	})
}
