package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/keyward/keyward/internal/keyward"
)

// reachChunk bounds the placeholders of one IN list.
const reachChunk = 500

// KeyReach is what one key opens and where it is now. ENOTFOUND.
func (s *Schedule) KeyReach(ctx context.Context, a keyward.Actor, keyID string) (*keyward.KeyReach, error) {
	m, err := s.KeyReaches(ctx, a, []string{keyID})
	if err != nil {
		return nil, err
	}
	r, ok := m[keyID]
	if !ok {
		return nil, keyward.Errorf(keyward.ENOTFOUND, "key %q not found", keyID)
	}
	return r, nil
}

// KeyReaches answers KeyReach for many keys in one read transaction, with a
// fixed number of queries per 500 keys whatever the depth of a key tree: the
// inverse of Access. A key opens the openings whose schedule lists its
// symbol, those whose schedule lists a symbol below it in its key system (it
// is their master), and those whose current cylinder pinning has its symbol
// in the key list.
func (s *Schedule) KeyReaches(ctx context.Context, a keyward.Actor, keyIDs []string) (map[string]*keyward.KeyReach, error) {
	if err := keyward.Authorize(a, keyward.ActInventoryRead); err != nil {
		return nil, err
	}
	if len(keyIDs) > keyward.MaxKeyReaches {
		return nil, keyward.Invalid("key_ids", fmt.Sprintf("must be at most %d keys", keyward.MaxKeyReaches))
	}
	var out map[string]*keyward.KeyReach
	err := s.db.withTx(ctx, func(tx *Tx) error {
		var symbolOf map[string]string
		var err error
		if out, symbolOf, err = tx.whereabouts(ctx, keyIDs); err != nil {
			return err
		}
		var symbols []string
		for _, sym := range symbolOf {
			if !slices.Contains(symbols, sym) {
				symbols = append(symbols, sym)
			}
		}
		slices.Sort(symbols)
		opens, err := tx.symbolOpenings(ctx, symbols)
		if err != nil {
			return err
		}
		for id, sym := range symbolOf {
			out[id].Opens = append(out[id].Opens, opens[sym]...)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// whereabouts is where each key is now, as KeyReach says it (its holder's
// name, its storage place and envelope seal, when a lost key was reported
// lost), with Opens left empty, and each key's symbol. Unknown ids are
// left out.
func (t *Tx) whereabouts(ctx context.Context, keyIDs []string) (map[string]*keyward.KeyReach, map[string]string, error) {
	out := map[string]*keyward.KeyReach{}
	symbolOf := map[string]string{} // key id → symbol
	var lost []string
	for ids := range slices.Chunk(keyIDs, reachChunk) {
		err := scanEach(ctx, t, `SELECT k.id, k.symbol, k.status, COALESCE(hd.name, ''),
				COALESCE(h.storage_id, ''), COALESCE(p.name, ''), COALESCE(p.kind, ''), COALESCE(h.hook, 0), COALESCE(p.seal_number, '')
			FROM keys k
			LEFT JOIN holders hd ON hd.id = k.holder_id
			LEFT JOIN key_homes h ON h.key_id = k.id
			LEFT JOIN storage_places p ON p.id = h.storage_id
			WHERE k.id IN (`+marks(len(ids))+`)`, anys(ids), func(rows *sql.Rows) error {
			var r keyward.KeyReach
			var sym, status, seal string
			var home keyward.KeyHome
			if err := rows.Scan(&r.KeyID, &sym, &status, &r.HolderName, &home.StorageID, &home.StorageName, &home.StorageKind, &home.Hook, &seal); err != nil {
				return err
			}
			if home.StorageID != "" {
				home.KeyID = r.KeyID
				r.Home = &home
				if home.StorageKind == keyward.StorageEnvelope {
					r.Seal = seal
				}
			}
			r.Opens = []keyward.KeyOpening{}
			out[r.KeyID], symbolOf[r.KeyID] = &r, sym
			if status == keyward.StatusLost {
				lost = append(lost, r.KeyID)
			}
			return nil
		})
		if err != nil {
			return nil, nil, fmt.Errorf("store: key reach keys: %w", err)
		}
	}
	for ids := range slices.Chunk(lost, reachChunk) {
		err := scanEach(ctx, t, `SELECT key_id, MAX(at) FROM custody_events WHERE action = ? AND key_id IN (`+marks(len(ids))+`) GROUP BY key_id`,
			append([]any{keyward.CustodyLost}, anys(ids)...), func(rows *sql.Rows) error {
				var id, at string
				if err := rows.Scan(&id, &at); err != nil {
					return err
				}
				when := parseTS(at)
				out[id].LostAt = &when
				return nil
			})
		if err != nil {
			return nil, nil, fmt.Errorf("store: key reach lost: %w", err)
		}
	}
	return out, symbolOf, nil
}

// symbolOpenings is, per symbol, the openings its keys operate, each once,
// by site name and opening name.
func (t *Tx) symbolOpenings(ctx context.Context, symbols []string) (map[string][]keyward.KeyOpening, error) {
	type reach struct{ symbol, opening, source string }
	var found []reach
	systems := map[string]bool{}
	symbolByID := map[string]string{}
	for syms := range slices.Chunk(symbols, reachChunk) {
		// The schedule, and the schedule of every symbol below it in its key system.
		err := scanEach(ctx, t, `WITH RECURSIVE down (id, symbol, root, depth) AS (
				SELECT id, symbol, symbol, 0 FROM key_symbols WHERE symbol IN (`+marks(len(syms))+`)
				UNION ALL
				SELECT k.id, k.symbol, d.root, d.depth + 1 FROM key_symbols k JOIN down d ON k.parent_id = d.id
			)
			SELECT d.root, o.opening_id FROM down d JOIN opening_symbols o ON o.symbol = d.symbol WHERE d.depth > 0`,
			anys(syms), func(rows *sql.Rows) error {
				var r reach
				r.source = keyward.OperatesAsMaster
				if err := rows.Scan(&r.symbol, &r.opening); err != nil {
					return err
				}
				found = append(found, r)
				return nil
			})
		if err != nil {
			return nil, fmt.Errorf("store: symbols as masters: %w", err)
		}
		err = scanEach(ctx, t, `SELECT symbol, opening_id FROM opening_symbols WHERE symbol IN (`+marks(len(syms))+`)`, anys(syms), func(rows *sql.Rows) error {
			r := reach{source: keyward.OperatesBySchedule}
			if err := rows.Scan(&r.symbol, &r.opening); err != nil {
				return err
			}
			found = append(found, r)
			return nil
		})
		if err != nil {
			return nil, fmt.Errorf("store: scheduled symbols: %w", err)
		}
		err = scanEach(ctx, t, `SELECT id, symbol, system_id FROM key_symbols WHERE symbol IN (`+marks(len(syms))+`)`, anys(syms), func(rows *sql.Rows) error {
			var id, sym, system string
			if err := rows.Scan(&id, &sym, &system); err != nil {
				return err
			}
			symbolByID[id], systems[system] = sym, true
			return nil
		})
		if err != nil {
			return nil, fmt.Errorf("store: key symbols: %w", err)
		}
	}
	// The current pinnings of those key systems whose key list names a symbol.
	for system := range systems {
		err := scanEach(ctx, t, `SELECT opening_id, key_list FROM cylinder_pinnings WHERE system_id = ? AND active = 1`, []any{system}, func(rows *sql.Rows) error {
			var opening, list string
			if err := rows.Scan(&opening, &list); err != nil {
				return err
			}
			var ids []string
			if err := json.Unmarshal([]byte(list), &ids); err != nil {
				return fmt.Errorf("pinning key list: %w", err)
			}
			for _, id := range ids {
				if sym, ok := symbolByID[id]; ok {
					found = append(found, reach{symbol: sym, opening: opening, source: keyward.OperatesByPinning})
				}
			}
			return nil
		})
		if err != nil {
			return nil, fmt.Errorf("store: pinnings: %w", err)
		}
	}
	// The schedule first, then as a master, then by pinning: an opening
	// reached more than one way keeps the first.
	rank := map[string]int{keyward.OperatesBySchedule: 0, keyward.OperatesAsMaster: 1, keyward.OperatesByPinning: 2}
	slices.SortStableFunc(found, func(x, y reach) int { return rank[x.source] - rank[y.source] })
	seen := map[[2]string]bool{}
	var openingIDs []string
	kept := found[:0]
	for _, r := range found {
		if seen[[2]string{r.symbol, r.opening}] {
			continue
		}
		seen[[2]string{r.symbol, r.opening}] = true
		kept = append(kept, r)
		if !slices.Contains(openingIDs, r.opening) {
			openingIDs = append(openingIDs, r.opening)
		}
	}
	openings := map[string]keyward.KeyOpening{}
	for ids := range slices.Chunk(openingIDs, reachChunk) {
		err := scanEach(ctx, t, `SELECT o.id, o.name, o.site_id, s.name FROM openings o JOIN sites s ON s.id = o.site_id WHERE o.id IN (`+marks(len(ids))+`)`, anys(ids), func(rows *sql.Rows) error {
			var o keyward.KeyOpening
			if err := rows.Scan(&o.OpeningID, &o.OpeningName, &o.SiteID, &o.SiteName); err != nil {
				return err
			}
			openings[o.OpeningID] = o
			return nil
		})
		if err != nil {
			return nil, fmt.Errorf("store: reached openings: %w", err)
		}
	}
	out := map[string][]keyward.KeyOpening{}
	for _, r := range kept {
		o, ok := openings[r.opening]
		if !ok {
			continue
		}
		o.Source = r.source
		out[r.symbol] = append(out[r.symbol], o)
	}
	for _, list := range out {
		slices.SortFunc(list, func(x, y keyward.KeyOpening) int {
			if c := strings.Compare(x.SiteName, y.SiteName); c != 0 {
				return c
			}
			if c := keyward.CompareStamps(x.OpeningName, 0, y.OpeningName, 0); c != 0 {
				return c
			}
			return strings.Compare(x.OpeningID, y.OpeningID)
		})
	}
	return out, nil
}
