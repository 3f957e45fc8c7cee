package store

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"

	"github.com/keyward/keyward/internal/keyward"
)

// ExportKinds lists the tables Export writes.
var ExportKinds = []string{"keys", "holders", "logbook"}

// export is one table: its header and the query whose columns match it.
type export struct {
	header []string
	query  string
	// times lists the columns holding stored timestamps, written as RFC 3339
	// on the organization's clock (the same instant, with its offset).
	times []int
	// hidden is how many of the query's last columns feed finish rather than
	// the file.
	hidden int
	// finish fills the columns after the query's (the keys' doors and storage).
	finish func(x *exportCtx, row []string, hidden []string)
}

// exportCtx is what finish needs beyond the row: the doors each symbol opens.
type exportCtx struct {
	opens map[string][]keyward.KeyOpening
}

var exports = map[string]export{
	// The first six columns are the import's, so an export loads into another database.
	// doors: every door the key opens, "Door (Site)", separated by "; ";
	// storage: its storage place, with the hook ("Cabinet A, hook 12").
	"keys": {
		header: []string{"symbol", "keyway", "copy_number", "holder_name", "holder_email", "due_at", "status", "stamp", "key_id", "created_at", "doors", "storage"},
		query: `SELECT k.symbol, w.name, k.copy_number, COALESCE(h.name, ''), COALESCE(h.email, ''), COALESCE(k.due_at, ''), k.status,
			k.symbol || '-' || CAST(k.copy_number AS TEXT), k.id, k.created_at, '', '', COALESCE(p.name, ''), CAST(COALESCE(hm.hook, 0) AS TEXT)
			FROM keys k JOIN keyways w ON w.id = k.keyway_id LEFT JOIN holders h ON h.id = k.holder_id
			LEFT JOIN key_homes hm ON hm.key_id = k.id LEFT JOIN storage_places p ON p.id = hm.storage_id
			ORDER BY k.symbol, k.copy_number`,
		times:  []int{5, 9},
		hidden: 2,
		finish: func(x *exportCtx, row, hidden []string) {
			var doors []string
			for _, o := range x.opens[row[0]] {
				doors = append(doors, o.OpeningName+" ("+o.SiteName+")")
			}
			row[10] = strings.Join(doors, "; ")
			if row[11] = hidden[0]; hidden[0] != "" && hidden[1] != "0" {
				row[11] += ", hook " + hidden[1]
			}
		},
	},
	"holders": {
		header: []string{"holder_id", "name", "email", "phone", "kind", "signatory", "emergency_contact", "created_at"},
		query: `SELECT id, name, COALESCE(email, ''), phone, kind, signatory, emergency_contact, created_at
			FROM holders ORDER BY name, id`,
		times: []int{7},
	},
	"logbook": {
		header: []string{"at", "stamp", "action", "actor", "actor_role", "holder_name", "holder_email", "due_at", "note", "key_id", "event_id"},
		query: `SELECT e.at, k.symbol || '-' || CAST(k.copy_number AS TEXT), e.action, e.actor, e.actor_role, COALESCE(h.name, ''), COALESCE(h.email, ''), COALESCE(e.due_at, ''),
			e.note, e.key_id, e.id
			FROM custody_events e JOIN keys k ON k.id = e.key_id LEFT JOIN holders h ON h.id = e.holder_id
			ORDER BY e.audit_seq, e.id`,
		times: []int{0, 7},
	},
}

// Export streams one table as rows of text, the header first: keys, holders
// or logbook. It never reads a secret: key codes and tokens live in other
// tables. Each export is recorded in the audit log before its first row.
// EFORBIDDEN, ENOTFOUND for another kind. An error from row stops the export.
func (d *DB) Export(ctx context.Context, a keyward.Actor, kind string, row func([]string) error) error {
	if err := keyward.Authorize(a, keyward.ActInventoryRead); err != nil {
		return err
	}
	ex, ok := exports[kind]
	if !ok {
		return keyward.Errorf(keyward.ENOTFOUND, "no export named %q: try keys, holders or logbook", kind)
	}
	x := &exportCtx{}
	zone := time.UTC
	err := d.withTx(ctx, func(tx *Tx) error {
		var name string
		if err := tx.QueryRow(ctx, `SELECT time_zone FROM org`).Scan(&name); err == nil {
			if l, err := time.LoadLocation(name); err == nil {
				zone = l
			}
		}
		if ex.finish != nil {
			var symbols []string
			if err := scanEach(ctx, tx, `SELECT DISTINCT symbol FROM keys ORDER BY symbol`, nil, func(rows *sql.Rows) error {
				var s string
				symbols = append(symbols, s)
				return rows.Scan(&symbols[len(symbols)-1])
			}); err != nil {
				return fmt.Errorf("store: export %s: %w", kind, err)
			}
			opens, err := tx.symbolOpenings(ctx, symbols)
			if err != nil {
				return err
			}
			x.opens = opens
		}
		_, err := tx.record(ctx, a, "export."+kind, "export", kind, nil)
		return err
	})
	if err != nil {
		return err
	}
	rows, err := d.query(ctx, ex.query)
	if err != nil {
		return fmt.Errorf("store: export %s: %w", kind, err)
	}
	defer rows.Close()
	if err := row(ex.header); err != nil {
		return err
	}
	n := len(ex.header) + ex.hidden
	vals := make([]sql.NullString, n)
	ptrs := make([]any, n)
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	out := make([]string, len(ex.header))
	for rows.Next() {
		if err := rows.Scan(ptrs...); err != nil {
			return fmt.Errorf("store: export %s: %w", kind, err)
		}
		for i := range out {
			out[i] = vals[i].String
		}
		for _, i := range ex.times {
			if out[i] != "" {
				out[i] = parseTS(out[i]).In(zone).Format(time.RFC3339)
			}
		}
		if ex.finish != nil {
			hidden := make([]string, ex.hidden)
			for i := range hidden {
				hidden[i] = vals[len(ex.header)+i].String
			}
			ex.finish(x, out, hidden)
		}
		if err := row(out); err != nil {
			return err
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("store: export %s: %w", kind, err)
	}
	return nil
}
