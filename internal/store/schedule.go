package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/keyward/keyward/internal/keyward"
)

// Schedule is the keying schedule: which key symbols operate which opening,
// kept by hand, and the per-opening view of every key and where it is now.
type Schedule struct{ db *DB }

// Schedule returns the keying schedule service.
func (d *DB) Schedule() *Schedule { return &Schedule{db: d} }

// AddSymbol records that keys stamped symbol operate the opening.
// ENOTFOUND for an unknown opening, ECONFLICT if the symbol is already listed.
func (s *Schedule) AddSymbol(ctx context.Context, a keyward.Actor, openingID string, in keyward.SymbolInput) ([]string, error) {
	if err := s.db.recordDenial(ctx, a, keyward.ActInventoryEdit, "opening", openingID); err != nil {
		return nil, err
	}
	if err := in.Validate(); err != nil {
		return nil, err
	}
	var out []string
	err := s.db.withTx(ctx, func(tx *Tx) error {
		if !tx.exists(ctx, "openings", openingID) {
			return keyward.Errorf(keyward.ENOTFOUND, "opening %q not found", openingID)
		}
		if _, err := tx.Exec(ctx, `INSERT INTO opening_symbols (opening_id, symbol, created_at) VALUES (?, ?, ?)`, openingID, in.Symbol, ts(tx.now)); err != nil {
			if isUnique(err) {
				return &keyward.Error{Code: keyward.ECONFLICT, Message: fmt.Sprintf("symbol %s already operates this opening", in.Symbol),
					Fields: []keyward.FieldError{{Field: "symbol", Rule: "is already in the opening's schedule"}}}
			}
			return fmt.Errorf("store: insert opening symbol: %w", err)
		}
		if _, err := tx.record(ctx, a, "opening.symbol.add", "opening", openingID, map[string]any{"symbol": in.Symbol}); err != nil {
			return err
		}
		var err error
		out, err = tx.openingSymbols(ctx, openingID)
		return err
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// RemoveSymbol deletes a symbol from an opening's schedule. ENOTFOUND if it is not there.
func (s *Schedule) RemoveSymbol(ctx context.Context, a keyward.Actor, openingID, symbol string) error {
	if err := s.db.recordDenial(ctx, a, keyward.ActInventoryEdit, "opening", openingID); err != nil {
		return err
	}
	return s.db.withTx(ctx, func(tx *Tx) error {
		res, err := tx.Exec(ctx, `DELETE FROM opening_symbols WHERE opening_id = ? AND symbol = ?`, openingID, symbol)
		if err != nil {
			return fmt.Errorf("store: delete opening symbol: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return keyward.Errorf(keyward.ENOTFOUND, "symbol %q is not in the keying schedule of opening %q (symbols from a key system's pinning change with the pinning)", symbol, openingID)
		}
		_, err = tx.record(ctx, a, "opening.symbol.remove", "opening", openingID, map[string]any{"symbol": symbol})
		return err
	})
}

func (t *Tx) openingSymbols(ctx context.Context, openingID string) ([]string, error) {
	rows, err := t.Query(ctx, `SELECT symbol FROM opening_symbols WHERE opening_id = ? ORDER BY symbol`, openingID)
	if err != nil {
		return nil, fmt.Errorf("store: opening symbols: %w", err)
	}
	defer rows.Close()
	out := []string{}
	for rows.Next() {
		var sym string
		if err := rows.Scan(&sym); err != nil {
			return nil, err
		}
		out = append(out, sym)
	}
	return out, rows.Err()
}

// maxOpeningKeys bounds the keys one opening view lists.
const maxOpeningKeys = 2000

// Access answers the question after any incident: every key that operates the
// opening (by symbol), where each one is now, and the credentials that open it.
// It reads in one read-only transaction, so the answer is one consistent
// moment and never waits for a move's commit.
func (s *Schedule) Access(ctx context.Context, a keyward.Actor, openingID string) (*keyward.OpeningAccess, error) {
	if err := keyward.Authorize(a, keyward.ActInventoryRead); err != nil {
		return nil, err
	}
	var out *keyward.OpeningAccess
	err := s.db.withReadTx(ctx, func(tx *Tx) error {
		o, err := scanOpening(tx.QueryRow(ctx, `SELECT id, site_id, name, kind, created_at FROM openings WHERE id = ?`, openingID))
		if err != nil {
			return notFound(err, "opening", openingID)
		}
		out = &keyward.OpeningAccess{Opening: o, Keys: []keyward.OpeningKey{}}
		if out.Symbols, err = tx.openingSymbols(ctx, openingID); err != nil {
			return err
		}
		if out.Operating, err = tx.operatingSymbols(ctx, openingID, out.Symbols); err != nil {
			return err
		}
		if len(out.Operating) == 0 {
			out.Credentials, err = tx.openingCredentials(ctx, openingID)
			return err
		}
		args := make([]any, 0, len(out.Operating)+1)
		for _, o := range out.Operating {
			args = append(args, o.Symbol)
		}
		opens, statuses := statusIn("k.status", keyward.OpeningStatuses)
		rows, err := tx.Query(ctx, `SELECT `+keyColsK+`, COALESCE(hd.name, ''),
				COALESCE(h.storage_id, ''), COALESCE(p.name, ''), COALESCE(p.kind, ''), COALESCE(h.hook, 0)
			FROM keys k
			LEFT JOIN holders hd ON hd.id = k.holder_id
			LEFT JOIN key_homes h ON h.key_id = k.id
			LEFT JOIN storage_places p ON p.id = h.storage_id
			WHERE k.symbol IN (`+marks(len(args))+`) AND `+opens+`
			ORDER BY k.symbol, k.copy_number LIMIT ?`, append(append(args, statuses...), maxOpeningKeys)...)
		if err != nil {
			return fmt.Errorf("store: opening keys: %w", err)
		}
		defer rows.Close()
		for rows.Next() {
			var ok keyward.OpeningKey
			var home keyward.KeyHome
			k, err := scanKey(multiScan{rows, []any{&ok.HolderName, &home.StorageID, &home.StorageName, &home.StorageKind, &home.Hook}})
			if err != nil {
				return fmt.Errorf("store: scan opening key: %w", err)
			}
			ok.Key = k
			if home.StorageID != "" {
				home.KeyID = k.ID
				h := home
				ok.Home = &h
			}
			ok.Where = where(ok)
			out.Keys = append(out.Keys, ok)
		}
		if err := rows.Err(); err != nil {
			return err
		}
		rows.Close()
		out.Credentials, err = tx.openingCredentials(ctx, openingID)
		return err
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// openingCredentials lists the credentials that open the opening now: not
// revoked and not expired.
func (t *Tx) openingCredentials(ctx context.Context, openingID string) ([]keyward.Credential, error) {
	creds, err := t.credentials(ctx, `c.id IN (SELECT credential_id FROM credential_openings WHERE opening_id = ?) AND c.revoked_at IS NULL`, maxHeld, openingID)
	if err != nil {
		return nil, err
	}
	live := creds[:0]
	for _, c := range creds {
		if c.Status = keyward.CredentialStatus(&c, t.now); c.Status != keyward.CredentialExpired {
			live = append(live, c)
		}
	}
	return live, nil
}

// keySymbolRow is one key of a key system's tree; origin and depth place it
// above a scheduled symbol (depth 0 is the symbol itself).
type keySymbolRow struct {
	id, symbol, tier, parentID, system, origin string
	depth                                      int
}

// operatingSymbols is every symbol whose keys operate the opening, each once,
// in this order: the schedule's symbols, the key list of the opening's current
// cylinder pinning (keyed symbol, its masters, cross keys), then the masters
// above scheduled symbols that belong to a key system: by master keying, a
// cylinder keyed to a change key is operated by every master above it.
// At most three queries, whatever the depth of the key tree.
func (t *Tx) operatingSymbols(ctx context.Context, openingID string, schedule []string) ([]keyward.OperatingSymbol, error) {
	out := []keyward.OperatingSymbol{}
	seen := map[string]bool{}
	add := func(o keyward.OperatingSymbol) {
		if !seen[o.Symbol] {
			seen[o.Symbol] = true
			out = append(out, o)
		}
	}
	// The scheduled symbols that are in a key system, each with its masters.
	chains := map[string][]keySymbolRow{}
	if len(schedule) > 0 {
		args := make([]any, len(schedule))
		for i, sym := range schedule {
			args[i] = sym
		}
		rows, err := t.Query(ctx, `WITH RECURSIVE chain (id, symbol, tier, parent_id, system_id, origin, depth) AS (
				SELECT id, symbol, tier, parent_id, system_id, symbol, 0 FROM key_symbols WHERE symbol IN (`+marks(len(args))+`)
				UNION ALL
				SELECT k.id, k.symbol, k.tier, k.parent_id, k.system_id, c.origin, c.depth + 1
				FROM key_symbols k JOIN chain c ON k.id = c.parent_id
			)
			SELECT c.id, c.symbol, c.tier, COALESCE(c.parent_id, ''), s.name, c.origin, c.depth
			FROM chain c JOIN key_systems s ON s.id = c.system_id ORDER BY c.origin, c.depth`, args...)
		if err != nil {
			return nil, fmt.Errorf("store: scheduled symbols: %w", err)
		}
		for rows.Next() {
			var k keySymbolRow
			if err := rows.Scan(&k.id, &k.symbol, &k.tier, &k.parentID, &k.system, &k.origin, &k.depth); err != nil {
				rows.Close()
				return nil, fmt.Errorf("store: scan scheduled symbol: %w", err)
			}
			chains[k.origin] = append(chains[k.origin], k)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, err
		}
	}
	for _, sym := range schedule {
		o := keyward.OperatingSymbol{Symbol: sym, Source: keyward.OperatesBySchedule}
		if c := chains[sym]; len(c) > 0 {
			o.Tier, o.System = c[0].tier, c[0].system
		}
		add(o)
	}
	pinned, err := t.pinnedSymbols(ctx, openingID)
	if err != nil {
		return nil, err
	}
	for _, k := range pinned {
		add(keyward.OperatingSymbol{Symbol: k.symbol, Tier: k.tier, Source: keyward.OperatesByPinning, System: k.system})
	}
	for _, sym := range schedule {
		for _, k := range chains[sym] {
			if k.depth > 0 {
				add(keyward.OperatingSymbol{Symbol: k.symbol, Tier: k.tier, Source: keyward.OperatesAsMaster, System: k.system})
			}
		}
	}
	return out, nil
}

// pinnedSymbols is the key list of the opening's current cylinder pinning, in
// its order (keyed symbol, its masters, cross keys); none if it has none.
func (t *Tx) pinnedSymbols(ctx context.Context, openingID string) ([]keySymbolRow, error) {
	var keyList string
	switch err := t.QueryRow(ctx, `SELECT key_list FROM cylinder_pinnings WHERE opening_id = ? AND active = 1`, openingID).Scan(&keyList); {
	case errors.Is(err, sql.ErrNoRows):
		return nil, nil
	case err != nil:
		return nil, fmt.Errorf("store: opening pinning: %w", err)
	}
	var ids []string
	if err := json.Unmarshal([]byte(keyList), &ids); err != nil {
		return nil, fmt.Errorf("store: pinning key list: %w", err)
	}
	if len(ids) == 0 {
		return nil, nil
	}
	args := make([]any, len(ids))
	for i, id := range ids {
		args[i] = id
	}
	rows, err := t.Query(ctx, `SELECT ks.id, ks.symbol, ks.tier, s.name FROM key_symbols ks JOIN key_systems s ON s.id = ks.system_id
		WHERE ks.id IN (`+marks(len(args))+`)`, args...)
	if err != nil {
		return nil, fmt.Errorf("store: pinned symbols: %w", err)
	}
	defer rows.Close()
	byID := map[string]keySymbolRow{}
	for rows.Next() {
		var k keySymbolRow
		if err := rows.Scan(&k.id, &k.symbol, &k.tier, &k.system); err != nil {
			return nil, fmt.Errorf("store: scan pinned symbol: %w", err)
		}
		byID[k.id] = k
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	out := make([]keySymbolRow, 0, len(ids))
	for _, id := range ids {
		k, ok := byID[id]
		if !ok {
			return nil, fmt.Errorf("store: pinned symbol %s is not in its key system", id)
		}
		out = append(out, k)
	}
	return out, nil
}

// where says where a key is now.
func where(k keyward.OpeningKey) string {
	switch k.Status {
	case keyward.StatusInStorage:
		if k.Home != nil {
			return "in storage: " + k.Home.Where()
		}
		return "in storage (no storage place assigned)"
	case keyward.StatusCheckedOut:
		return "checked out to " + k.HolderName
	case keyward.StatusIssued:
		return "issued to " + k.HolderName
	case keyward.StatusLost:
		if k.HolderName != "" {
			return "lost (last held by " + k.HolderName + ")"
		}
		return "lost"
	}
	return k.Status
}

// multiScan lets scanKey read a row that has extra columns after the key's.
type multiScan struct {
	r     interface{ Scan(...any) error }
	extra []any
}

func (m multiScan) Scan(dest ...any) error { return m.r.Scan(append(dest, m.extra...)...) }

// keyColsK is keyCols for a query where keys is aliased k.
const keyColsK = `k.id, k.keyway_id, k.symbol, k.copy_number, k.status, COALESCE(k.holder_id, ''), k.due_at, k.created_at, k.origin, COALESCE(k.copy_request_id, '')`
