package store

import (
	"context"
	"database/sql"
	"fmt"
	"math"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/keyward/keyward/internal/keyward"
)

// Search finds keys by their stamp as written on the metal, whatever the case
// and dashes (every reading of keyward.StampReadings that exists, and only
// those), holders by part of their name, email or phone, and openings by part
// of their name. Key lookups use the upper-case symbol index.
func (d *DB) Search(ctx context.Context, a keyward.Actor, q string, limit int) (*keyward.SearchResult, error) {
	if err := keyward.Authorize(a, keyward.ActInventoryRead); err != nil {
		return nil, err
	}
	q = strings.TrimSpace(q)
	if q == "" || len(q) > keyward.MaxName {
		return nil, keyward.Invalid("q", "must be 1 to 200 characters")
	}
	limit = clampLimit(limit)
	res := &keyward.SearchResult{Keys: []keyward.Key{}, Holders: []keyward.Holder{}, Openings: []keyward.Opening{}, Places: []keyward.StoragePlace{}, Hooks: []keyward.HookMatch{}}
	if readings := keyward.StampReadings(q); len(readings) > 0 {
		var where []string
		var args []any
		for _, r := range readings {
			if r.Copy == 0 {
				where, args = append(where, `UPPER(symbol) = ?`), append(args, r.Symbol)
			} else {
				where, args = append(where, `(UPPER(symbol) = ? AND copy_number = ?)`), append(args, r.Symbol, r.Copy)
			}
		}
		keys, err := d.scanKeys(ctx, `SELECT `+keyCols+` FROM keys WHERE `+strings.Join(where, " OR ")+` ORDER BY UPPER(symbol), copy_number LIMIT ?`, append(args, limit)...)
		if err != nil {
			return nil, err
		}
		res.Keys = append(res.Keys, keys...)
	}
	pattern := "%" + strings.NewReplacer(`\`, `\\`, "%", `\%`, "_", `\_`).Replace(strings.ToLower(q)) + "%"
	rows, err := d.query(ctx, `SELECT `+holderCols+` FROM holders WHERE retired_at IS NULL AND (LOWER(name) LIKE ? ESCAPE '\' OR LOWER(email) LIKE ? ESCAPE '\' OR phone LIKE ? ESCAPE '\') ORDER BY name, id LIMIT ?`, pattern, pattern, pattern, limit)
	if err != nil {
		return nil, fmt.Errorf("store: search holders: %w", err)
	}
	for rows.Next() {
		h, err := scanHolder(rows)
		if err != nil {
			rows.Close()
			return nil, err
		}
		res.Holders = append(res.Holders, h)
	}
	rows.Close()
	rows, err = d.query(ctx, `SELECT id, site_id, name, kind, created_at FROM openings WHERE retired_at IS NULL AND LOWER(name) LIKE ? ESCAPE '\' ORDER BY name, id LIMIT ?`, pattern, limit)
	if err != nil {
		return nil, fmt.Errorf("store: search openings: %w", err)
	}
	for rows.Next() {
		o, err := scanOpening(rows)
		if err != nil {
			rows.Close()
			return nil, err
		}
		res.Openings = append(res.Openings, o)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	seal := strings.TrimSpace(strings.TrimPrefix(q, "#"))
	rows, err = d.query(ctx, `SELECT `+storageCols+` FROM storage_places WHERE retired_at IS NULL AND (LOWER(name) LIKE ? ESCAPE '\' OR LOWER(location) LIKE ? ESCAPE '\' OR (kind = ? AND seal_number = ?))
		ORDER BY name, id LIMIT ?`, pattern, pattern, keyward.StorageEnvelope, seal, limit)
	if err != nil {
		return nil, fmt.Errorf("store: search storage: %w", err)
	}
	for rows.Next() {
		p, err := scanStorage(rows)
		if err != nil {
			rows.Close()
			return nil, fmt.Errorf("store: scan storage: %w", err)
		}
		res.Places = append(res.Places, p)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	if m := hookQuery.FindStringSubmatch(q); m != nil {
		hook, _ := strconv.Atoi(m[2])
		place := "%" + strings.NewReplacer(`\`, `\\`, "%", `\%`, "_", `\_`).Replace(strings.ToLower(m[1])) + "%"
		rows, err = d.query(ctx, `SELECT p.id, p.name, h.hook, k.id, k.symbol || '-' || k.copy_number
			FROM key_homes h JOIN storage_places p ON p.id = h.storage_id JOIN keys k ON k.id = h.key_id
			WHERE p.retired_at IS NULL AND p.kind = ? AND h.hook = ? AND LOWER(p.name) LIKE ? ESCAPE '\'
			ORDER BY p.name, p.id LIMIT ?`, keyward.StorageCabinet, hook, place, limit)
		if err != nil {
			return nil, fmt.Errorf("store: search hooks: %w", err)
		}
		defer rows.Close()
		for rows.Next() {
			var h keyward.HookMatch
			if err := rows.Scan(&h.StorageID, &h.StorageName, &h.Hook, &h.KeyID, &h.Stamp); err != nil {
				return nil, fmt.Errorf("store: scan hook: %w", err)
			}
			res.Hooks = append(res.Hooks, h)
		}
		return res, rows.Err()
	}
	return res, nil
}

// hookQuery reads "Cabinet A 12", "cabinet a, hook 12" or "Cabinet A #12" as
// a place's name and a hook number.
var hookQuery = regexp.MustCompile(`(?i)^(.*?\S)(?:[\s,]+(?:hook\s*)?#?|\s*#)(\d{1,4})$`)

// HolderEvents is a holder's logbook, newest first, paged by audit sequence:
// every move of a key to them or away from them. A holder may read their own.
func (d *DB) HolderEvents(ctx context.Context, a keyward.Actor, holderID string, opt keyward.ListOptions) (*keyward.Page[keyward.Event], error) {
	if a.Role != keyward.RoleHolder || a.HolderID != holderID {
		if err := keyward.Authorize(a, keyward.ActInventoryRead); err != nil {
			return nil, err
		}
	}
	limit := clampLimit(opt.Limit)
	// The lines that name the holder as receiver, and the transfers in which
	// they gave a key away: two index range reads, merged by sequence.
	before, err := seqCursor(opt.Cursor, math.MaxInt64)
	if err != nil {
		return nil, err
	}
	rows, err := d.query(ctx, `SELECT e.id, e.key_id, e.action, e.at, e.actor, e.actor_role, COALESCE(e.holder_id, ''), COALESCE(e.from_holder_id, ''),
			e.due_at, e.note, k.symbol || '-' || k.copy_number, e.audit_seq
		FROM (
			SELECT * FROM (SELECT * FROM custody_events WHERE holder_id = ? AND audit_seq < ? ORDER BY audit_seq DESC LIMIT ?) r
			UNION ALL
			SELECT * FROM (SELECT * FROM custody_events WHERE from_holder_id = ? AND audit_seq < ? ORDER BY audit_seq DESC LIMIT ?) g
		) e JOIN keys k ON k.id = e.key_id
		ORDER BY e.audit_seq DESC LIMIT ?`, holderID, before, limit+1, holderID, before, limit+1, limit+1)
	if err != nil {
		return nil, fmt.Errorf("store: holder events: %w", err)
	}
	return seqPage(rows, limit, func(rows *sql.Rows) (keyward.Event, int64, error) {
		var e keyward.Event
		var at string
		var due sql.NullString
		var seq int64
		if err := rows.Scan(&e.ID, &e.KeyID, &e.Action, &at, &e.Actor, &e.ActorRole, &e.HolderID, &e.FromHolderID, &due, &e.Note, &e.Stamp, &seq); err != nil {
			return e, 0, fmt.Errorf("store: scan holder event: %w", err)
		}
		e.At, e.DueAt = parseTS(at), tsPtr(due)
		return e, seq, nil
	})
}

// KeyCounts counts keys by status and the check-outs past due at now: the dashboard's numbers.
func (d *DB) KeyCounts(ctx context.Context, a keyward.Actor, now time.Time) (*keyward.KeyCounts, error) {
	if err := keyward.Authorize(a, keyward.ActInventoryRead); err != nil {
		return nil, err
	}
	rows, err := d.query(ctx, `SELECT status, COUNT(*) FROM keys GROUP BY status`)
	if err != nil {
		return nil, fmt.Errorf("store: key counts: %w", err)
	}
	c := &keyward.KeyCounts{}
	if c.ByStatus, err = scanCounts(rows); err != nil {
		return nil, err
	}
	if err := d.queryRow(ctx, `SELECT COUNT(*) FROM keys WHERE status = ? AND due_at < ?`, keyward.StatusCheckedOut, ts(now)).Scan(&c.Overdue); err != nil {
		return nil, fmt.Errorf("store: overdue count: %w", err)
	}
	return c, nil
}

// OverdueKeys lists check-outs past due at now, longest overdue first.
func (d *DB) OverdueKeys(ctx context.Context, a keyward.Actor, now time.Time, limit int) ([]keyward.Key, error) {
	if err := keyward.Authorize(a, keyward.ActInventoryRead); err != nil {
		return nil, err
	}
	return d.scanKeys(ctx, `SELECT `+keyCols+` FROM keys WHERE status = ? AND due_at < ? ORDER BY due_at, id LIMIT ?`, keyward.StatusCheckedOut, ts(now), clampLimit(limit))
}
