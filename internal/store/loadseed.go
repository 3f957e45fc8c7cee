package store

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/keyward/keyward/internal/keyward"
)

// Seeded rows have ids a load run and a benchmark can name: key k is
// key_s<k>, holder j is hld_s<j>, line i is evt_s<i>.
func seedKeyID(k int) string    { return fmt.Sprintf("key_s%d", k) }
func seedHolderID(j int) string { return fmt.Sprintf("hld_s%d", j) }

// SeedLoad fills a database that holds no keys with in.Keys keys (symbols
// of keyward.SeedSymbol, one keyway), in.Holders holders and in.Events
// logbook lines, and the seed door keyed to keyward.SeedDoorSymbols, all in
// one transaction, so a failed seed leaves nothing. Lines are written round
// by round, each key's r-th line in round r, one day apart and ending
// yesterday; each round is one "load.seed" audit record that its lines
// point to, so the audit log still verifies and a key's history pages by
// audit_seq as ever. Every move is planned by keyward.PlanMove from the
// key's state, so the histories are ones the rules allow, and each key ends
// as its history leaves it. Rows go in multi-row inserts.
func (d *DB) SeedLoad(ctx context.Context, a keyward.Actor, in keyward.LoadSeedInput) (*keyward.LoadSeed, error) {
	if err := keyward.Authorize(a, keyward.ActImport); err != nil {
		return nil, err
	}
	if err := in.Validate(); err != nil {
		return nil, err
	}
	// Each key's state after its moves: pass one for the keys' rows, which
	// the lines' foreign keys need first.
	final, err := seedFold(a, in)
	if err != nil {
		return nil, err
	}
	out := &keyward.LoadSeed{Keys: in.Keys, Holders: in.Holders, Events: in.Events, Records: in.Rounds()}
	err = d.withTx(ctx, func(tx *Tx) error {
		var n int
		if err := tx.QueryRow(ctx, `SELECT COUNT(*) FROM keys`).Scan(&n); err != nil {
			return fmt.Errorf("store: seed: %w", err)
		}
		if n > 0 {
			return keyward.Errorf(keyward.ECONFLICT, "the database already holds %d keys: seed only a fresh data directory or database, never one with a site's records in it", n)
		}
		restore, err := tx.importCache(ctx)
		if err != nil {
			return err
		}
		defer restore()
		rounds := in.Rounds()
		day := func(r int) string { return ts(tx.now.Add(-time.Duration(rounds-r) * 24 * time.Hour)) }
		now, start := ts(tx.now), day(0)
		kwID, siteID := newID("kwy"), newID("sit")
		out.DoorID = newID("opn")
		if _, err := tx.Exec(ctx, `INSERT INTO keyways (id, name, manufacturer, duplication_policy, created_at) VALUES (?, 'Load seed', 'Seed', 'open', ?)`, kwID, start); err != nil {
			return fmt.Errorf("store: seed keyway: %w", err)
		}
		if err := batchInsert(ctx, tx, "holders", []string{"id", "name", "email", "phone", "kind", "signatory", "emergency_contact", "created_at"}, in.Holders, func(j int) []any {
			return []any{seedHolderID(j), fmt.Sprintf("Holder %05d Seed", j), fmt.Sprintf("holder%d@seed.invalid", j), "", "staff", 0, 0, start}
		}); err != nil {
			return err
		}
		if err := batchInsert(ctx, tx, "keys", []string{"id", "keyway_id", "symbol", "copy_number", "status", "holder_id", "due_at", "created_at"}, in.Keys, func(k int) []any {
			if final[k].Status == keyward.StatusIssued {
				out.Issued++
			}
			return []any{seedKeyID(k), kwID, keyward.SeedSymbol(k), keyward.SeedCopy(k), final[k].Status, nullStr(final[k].HolderID), nil, start}
		}); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `INSERT INTO sites (id, name, created_at) VALUES (?, ?, ?)`, siteID, keyward.SeedSite, now); err != nil {
			return fmt.Errorf("store: seed site: %w", err)
		}
		if _, err := tx.Exec(ctx, `INSERT INTO openings (id, site_id, name, kind, created_at) VALUES (?, ?, ?, 'door', ?)`, out.DoorID, siteID, keyward.SeedDoor, now); err != nil {
			return fmt.Errorf("store: seed door: %w", err)
		}
		for _, sym := range keyward.SeedDoorSymbols {
			if _, err := tx.Exec(ctx, `INSERT INTO opening_symbols (opening_id, symbol, created_at) VALUES (?, ?, ?)`, out.DoorID, sym, now); err != nil {
				return fmt.Errorf("store: seed door symbols: %w", err)
			}
		}
		out.DoorKeys = len(keyward.SeedDoorSymbols) * keyward.SeedCopies

		// Pass two: the lines, round by round, each round under its record.
		state := make([]keyward.Key, in.Keys)
		for k := range state {
			state[k] = keyward.Key{ID: seedKeyID(k), Status: keyward.StatusInStorage}
		}
		actor, role := actorName(a), string(a.Role)
		cols := []string{"id", "key_id", "action", "at", "actor", "actor_role", "holder_id", "from_holder_id", "due_at", "note", "audit_seq"}
		for r := range rounds {
			details := map[string]any{"round": r + 1, "rounds": rounds, "events": in.RoundKeys(r)}
			if r == 0 {
				details["keys"], details["holders"], details["keyway"], details["door"], details["site"] =
					in.Keys, in.Holders, "Load seed", keyward.SeedDoor, keyward.SeedSite
			}
			seq, err := tx.record(ctx, a, "load.seed", "keyway", kwID, details)
			if err != nil {
				return err
			}
			at := day(r)
			var planErr error
			err = batchInsert(ctx, tx, "custody_events", cols, in.RoundKeys(r), func(k int) []any {
				id := fmt.Sprintf("evt_s%d", r*in.Keys+k)
				if r == 0 {
					return []any{id, state[k].ID, keyward.CustodyCreate, at, actor, role, nil, nil, nil, "", seq}
				}
				m, err := keyward.PlanMove(a, state[k], in.SeedMove(k, r, seedHolderID))
				if err != nil {
					planErr = err
					return []any{id, state[k].ID, "", at, actor, role, nil, nil, nil, "", seq}
				}
				state[k] = m.Key
				return []any{id, state[k].ID, m.Action, at, actor, role, nullStr(m.LineHolder), nullStr(m.Giver), nil, "", seq}
			})
			if planErr != nil {
				return fmt.Errorf("store: seed plan: %w", planErr)
			}
			if err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	// PostgreSQL plans by its statistics, and a table filled in one go has
	// none until autovacuum (if it is on) gets to it: the per-opening view
	// then read all 100,000 keys' status index (3 to 7 ms a view, not
	// 0.04). SQLite picks the symbol index without statistics.
	if d.dialect == postgresDialect {
		if _, err := d.db.ExecContext(ctx, `ANALYZE holders, keys, custody_events`); err != nil {
			return nil, fmt.Errorf("store: seed: analyze: %w", err)
		}
	}
	return out, nil
}

// seedFold plays every key's moves through the rules and returns where
// each key ends.
func seedFold(a keyward.Actor, in keyward.LoadSeedInput) ([]keyward.Key, error) {
	out := make([]keyward.Key, in.Keys)
	for k := range out {
		key := keyward.Key{ID: seedKeyID(k), Status: keyward.StatusInStorage}
		for r := 1; r < in.LinesOf(k); r++ {
			m, err := keyward.PlanMove(a, key, in.SeedMove(k, r, seedHolderID))
			if err != nil {
				return nil, fmt.Errorf("store: seed plan of key %d, round %d: %w", k, r, err)
			}
			key = m.Key
		}
		out[k] = key
	}
	return out, nil
}

// batchInsert inserts n rows into table, row(i) giving row i's values for
// cols, in multi-row statements of up to 500 rows.
func batchInsert(ctx context.Context, tx *Tx, table string, cols []string, n int, row func(int) []any) error {
	const per = 500
	ph := "(" + marks(len(cols)) + ")"
	for start := 0; start < n; start += per {
		end := min(start+per, n)
		var b strings.Builder
		b.WriteString("INSERT INTO " + table + " (" + strings.Join(cols, ", ") + ") VALUES ")
		args := make([]any, 0, (end-start)*len(cols))
		for i := start; i < end; i++ {
			if i > start {
				b.WriteString(", ")
			}
			b.WriteString(ph)
			args = append(args, row(i)...)
		}
		if _, err := tx.Exec(ctx, b.String(), args...); err != nil {
			return fmt.Errorf("seed %s: %w", table, err)
		}
	}
	return nil
}
