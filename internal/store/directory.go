package store

import (
	"context"
	"database/sql"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/keyward/keyward/internal/keyward"
)

// Directory implements keyward.Directory.
type Directory struct{ db *DB }

// Directory returns the inventory service.
func (d *DB) Directory() *Directory { return &Directory{db: d} }

var _ keyward.Directory = (*Directory)(nil)

// cursor pages through a list ordered by (sort key, id).
func encodeCursor(parts ...string) string {
	return base64.RawURLEncoding.EncodeToString([]byte(strings.Join(parts, "\x00")))
}

func decodeCursor(c string, n int) ([]string, error) {
	b, err := base64.RawURLEncoding.DecodeString(c)
	parts := strings.Split(string(b), "\x00")
	// A cursor is opaque but can be made by hand: its parts reach SQL, where
	// PostgreSQL refuses text that is not UTF-8.
	if err != nil || len(parts) != n || !utf8.Valid(b) {
		return nil, keyward.Invalid("cursor", "is not a cursor this list returned")
	}
	return parts, nil
}

// notFound maps sql.ErrNoRows to ENOTFOUND.
func notFound(err error, what, id string) error {
	if errors.Is(err, sql.ErrNoRows) {
		return keyward.Errorf(keyward.ENOTFOUND, "%s %q not found", what, id)
	}
	return fmt.Errorf("store: read %s: %w", what, err)
}

func (s *Directory) CreateSite(ctx context.Context, a keyward.Actor, in keyward.SiteInput) (*keyward.Site, error) {
	if err := s.db.recordDenial(ctx, a, keyward.ActInventoryEdit, "site", ""); err != nil {
		return nil, err
	}
	if err := in.Validate(); err != nil {
		return nil, err
	}
	var site *keyward.Site
	err := s.db.withTx(ctx, func(tx *Tx) error {
		site = &keyward.Site{ID: newID("site"), Name: in.Name, Address: in.Address, CreatedAt: tx.now}
		if _, err := tx.Exec(ctx, `INSERT INTO sites (id, name, address, created_at) VALUES (?, ?, ?, ?)`,
			site.ID, site.Name, site.Address, ts(site.CreatedAt)); err != nil {
			return fmt.Errorf("store: insert site: %w", err)
		}
		_, err := tx.record(ctx, a, "site.create", "site", site.ID, map[string]any{"name": site.Name})
		return err
	})
	if err != nil {
		return nil, err
	}
	return site, nil
}

func (s *Directory) Site(ctx context.Context, a keyward.Actor, id string) (*keyward.Site, error) {
	if err := keyward.Authorize(a, keyward.ActInventoryRead); err != nil {
		return nil, err
	}
	site, err := scanSite(s.db.queryRow(ctx, `SELECT `+siteCols+` FROM sites WHERE id = ?`, id))
	if err != nil {
		return nil, notFound(err, "site", id)
	}
	return &site, nil
}

func (s *Directory) Sites(ctx context.Context, a keyward.Actor, opt keyward.ListOptions) (*keyward.Page[keyward.Site], error) {
	if err := keyward.Authorize(a, keyward.ActInventoryRead); err != nil {
		return nil, err
	}
	return namedList(ctx, s.db, opt, `SELECT `+siteCols+` FROM sites`, "", nil,
		func(r *sql.Rows) (keyward.Site, string, error) {
			v, err := scanSite(r)
			return v, v.Name, err
		}, func(v keyward.Site) string { return v.ID })
}

const siteCols = `id, name, address, created_at, retired_at`

func scanSite(r interface{ Scan(...any) error }) (keyward.Site, error) {
	var v keyward.Site
	var at string
	var retired sql.NullString
	err := r.Scan(&v.ID, &v.Name, &v.Address, &at, &retired)
	v.CreatedAt, v.RetiredAt = parseTS(at), tsPtr(retired)
	return v, err
}

// namedList pages a table ordered by (name, id), without its retired rows
// unless opt.IncludeRetired. where is an extra condition ("" for none).
func namedList[T any](ctx context.Context, d *DB, opt keyward.ListOptions, sel, where string, args []any,
	scan func(*sql.Rows) (T, string, error), id func(T) string) (*keyward.Page[T], error) {
	limit := clampLimit(opt.Limit)
	q := sel + ` WHERE 1 = 1`
	if !opt.IncludeRetired {
		q += ` AND retired_at IS NULL`
	}
	if where != "" {
		q += ` AND ` + where
	}
	if opt.Cursor != "" {
		p, err := decodeCursor(opt.Cursor, 2)
		if err != nil {
			return nil, err
		}
		q += ` AND (name > ? OR (name = ? AND id > ?))`
		args = append(args, p[0], p[0], p[1])
	}
	q += ` ORDER BY name, id LIMIT ?`
	args = append(args, limit+1)
	rows, err := d.query(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("store: list: %w", err)
	}
	defer rows.Close()
	page := &keyward.Page[T]{Items: []T{}}
	var names []string
	for rows.Next() {
		v, name, err := scan(rows)
		if err != nil {
			return nil, fmt.Errorf("store: scan: %w", err)
		}
		page.Items = append(page.Items, v)
		names = append(names, name)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	if len(page.Items) > limit {
		page.Items = page.Items[:limit]
		page.Next = encodeCursor(names[limit-1], id(page.Items[limit-1]))
	}
	return page, nil
}

func (s *Directory) CreateOpening(ctx context.Context, a keyward.Actor, in keyward.OpeningInput) (*keyward.Opening, error) {
	if err := s.db.recordDenial(ctx, a, keyward.ActInventoryEdit, "opening", ""); err != nil {
		return nil, err
	}
	if err := in.Validate(); err != nil {
		return nil, err
	}
	var o *keyward.Opening
	err := s.db.withTx(ctx, func(tx *Tx) error {
		if err := tx.activeSite(ctx, in.SiteID); err != nil {
			return err
		}
		o = &keyward.Opening{ID: newID("opn"), SiteID: in.SiteID, Name: in.Name, Kind: in.Kind, CreatedAt: tx.now}
		if _, err := tx.Exec(ctx, `INSERT INTO openings (id, site_id, name, kind, created_at) VALUES (?, ?, ?, ?, ?)`,
			o.ID, o.SiteID, o.Name, o.Kind, ts(o.CreatedAt)); err != nil {
			return fmt.Errorf("store: insert opening: %w", err)
		}
		_, err := tx.record(ctx, a, "opening.create", "opening", o.ID, map[string]any{"name": o.Name, "site_id": o.SiteID, "kind": o.Kind})
		return err
	})
	if err != nil {
		return nil, err
	}
	return o, nil
}

func (t *Tx) exists(ctx context.Context, table, id string) bool {
	var one int
	// table is always a constant of ours, never input.
	err := t.QueryRow(ctx, `SELECT 1 FROM `+table+` WHERE id = ?`, id).Scan(&one)
	return err == nil
}

func scanOpening(r interface{ Scan(...any) error }) (keyward.Opening, error) {
	var v keyward.Opening
	var at string
	err := r.Scan(&v.ID, &v.SiteID, &v.Name, &v.Kind, &at)
	v.CreatedAt = parseTS(at)
	return v, err
}

const openingCols = `id, site_id, name, kind, created_at, retired_at`

// scanOpeningRow reads openingCols.
func scanOpeningRow(r interface{ Scan(...any) error }) (keyward.Opening, error) {
	var v keyward.Opening
	var at string
	var retired sql.NullString
	err := r.Scan(&v.ID, &v.SiteID, &v.Name, &v.Kind, &at, &retired)
	v.CreatedAt, v.RetiredAt = parseTS(at), tsPtr(retired)
	return v, err
}

func (s *Directory) Opening(ctx context.Context, a keyward.Actor, id string) (*keyward.Opening, error) {
	if err := keyward.Authorize(a, keyward.ActInventoryRead); err != nil {
		return nil, err
	}
	o, err := scanOpeningRow(s.db.queryRow(ctx, `SELECT `+openingCols+` FROM openings WHERE id = ?`, id))
	if err != nil {
		return nil, notFound(err, "opening", id)
	}
	return &o, nil
}

func (s *Directory) Openings(ctx context.Context, a keyward.Actor, siteID string, opt keyward.ListOptions) (*keyward.Page[keyward.Opening], error) {
	if err := keyward.Authorize(a, keyward.ActInventoryRead); err != nil {
		return nil, err
	}
	where, args := "", []any(nil)
	if siteID != "" {
		where, args = "site_id = ?", []any{siteID}
	}
	return namedList(ctx, s.db, opt, `SELECT `+openingCols+` FROM openings`, where, args,
		func(r *sql.Rows) (keyward.Opening, string, error) {
			v, err := scanOpeningRow(r)
			return v, v.Name, err
		}, func(v keyward.Opening) string { return v.ID })
}

func (s *Directory) CreateKeyway(ctx context.Context, a keyward.Actor, in keyward.KeywayInput) (*keyward.Keyway, error) {
	if err := s.db.recordDenial(ctx, a, keyward.ActInventoryEdit, "keyway", ""); err != nil {
		return nil, err
	}
	if err := in.Validate(); err != nil {
		return nil, err
	}
	var k *keyward.Keyway
	err := s.db.withTx(ctx, func(tx *Tx) error {
		var err error
		k, err = tx.insertKeyway(ctx, a, in, "name")
		return err
	})
	if err != nil {
		return nil, err
	}
	return k, nil
}

// insertKeyway adds a validated keyway with its audit record; a name taken
// is a conflict on field.
func (tx *Tx) insertKeyway(ctx context.Context, a keyward.Actor, in keyward.KeywayInput, field string) (*keyward.Keyway, error) {
	k := &keyward.Keyway{ID: newID("kwy"), Name: in.Name, Manufacturer: in.Manufacturer, DuplicationPolicy: in.DuplicationPolicy, CreatedAt: tx.now}
	if _, err := tx.Exec(ctx, `INSERT INTO keyways (id, name, manufacturer, duplication_policy, created_at) VALUES (?, ?, ?, ?, ?)`,
		k.ID, k.Name, k.Manufacturer, k.DuplicationPolicy, ts(k.CreatedAt)); err != nil {
		if isUnique(err) {
			return nil, &keyward.Error{Code: keyward.ECONFLICT, Message: fmt.Sprintf("a key type (keyway) named %q already exists; choose it from the list", k.Name),
				Fields: []keyward.FieldError{{Field: field, Rule: "must be unique"}}}
		}
		return nil, fmt.Errorf("store: insert keyway: %w", err)
	}
	_, err := tx.record(ctx, a, "keyway.create", "keyway", k.ID, map[string]any{"name": k.Name, "duplication_policy": k.DuplicationPolicy})
	return k, err
}

const keywayCols = `id, name, manufacturer, duplication_policy, created_at, retired_at`

func scanKeyway(r interface{ Scan(...any) error }) (keyward.Keyway, error) {
	var v keyward.Keyway
	var at string
	var retired sql.NullString
	err := r.Scan(&v.ID, &v.Name, &v.Manufacturer, &v.DuplicationPolicy, &at, &retired)
	v.CreatedAt, v.RetiredAt = parseTS(at), tsPtr(retired)
	return v, err
}

func (s *Directory) Keyway(ctx context.Context, a keyward.Actor, id string) (*keyward.Keyway, error) {
	if err := keyward.Authorize(a, keyward.ActInventoryRead); err != nil {
		return nil, err
	}
	k, err := scanKeyway(s.db.queryRow(ctx, `SELECT `+keywayCols+` FROM keyways WHERE id = ?`, id))
	if err != nil {
		return nil, notFound(err, "keyway", id)
	}
	return &k, nil
}

func (s *Directory) Keyways(ctx context.Context, a keyward.Actor, opt keyward.ListOptions) (*keyward.Page[keyward.Keyway], error) {
	if err := keyward.Authorize(a, keyward.ActInventoryRead); err != nil {
		return nil, err
	}
	return namedList(ctx, s.db, opt, `SELECT `+keywayCols+` FROM keyways`, "", nil,
		func(r *sql.Rows) (keyward.Keyway, string, error) {
			v, err := scanKeyway(r)
			return v, v.Name, err
		}, func(v keyward.Keyway) string { return v.ID })
}

func (s *Directory) CreateHolder(ctx context.Context, a keyward.Actor, in keyward.HolderInput) (*keyward.Holder, error) {
	if err := s.db.recordDenial(ctx, a, keyward.ActHolderEdit, "holder", ""); err != nil {
		return nil, err
	}
	if err := in.Validate(); err != nil {
		return nil, err
	}
	return inTx(ctx, s.db, func(tx *Tx) (*keyward.Holder, error) {
		return tx.createHolder(ctx, a, in)
	})
}

// createHolder inserts a validated holder and its audit record.
func (t *Tx) createHolder(ctx context.Context, a keyward.Actor, in keyward.HolderInput) (*keyward.Holder, error) {
	h := &keyward.Holder{ID: newID("hld"), Name: in.Name, Email: strings.ToLower(in.Email), Phone: in.Phone, Kind: in.Kind,
		Signatory: in.Signatory, EmergencyContact: in.EmergencyContact, CreatedAt: t.now}
	if _, err := t.Exec(ctx, `INSERT INTO holders (id, name, email, phone, kind, signatory, emergency_contact, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
		h.ID, h.Name, nullStr(h.Email), h.Phone, h.Kind, b2i(h.Signatory), b2i(h.EmergencyContact), ts(h.CreatedAt)); err != nil {
		if isUnique(err) {
			return nil, &keyward.Error{Code: keyward.ECONFLICT, Message: fmt.Sprintf("a holder with email %q already exists", h.Email),
				Fields: []keyward.FieldError{{Field: "email", Rule: "must be unique"}}}
		}
		return nil, fmt.Errorf("store: insert holder: %w", err)
	}
	_, err := t.record(ctx, a, "holder.create", "holder", h.ID, map[string]any{"name": h.Name, "email": h.Email})
	return h, err
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

const holderCols = `id, name, COALESCE(email, ''), phone, kind, signatory, emergency_contact, created_at, retired_at, COALESCE(merged_into, '')`

func scanHolder(r interface{ Scan(...any) error }) (keyward.Holder, error) {
	var v keyward.Holder
	var at string
	var sig, em int
	var retired sql.NullString
	err := r.Scan(&v.ID, &v.Name, &v.Email, &v.Phone, &v.Kind, &sig, &em, &at, &retired, &v.MergedInto)
	v.Signatory, v.EmergencyContact, v.CreatedAt, v.RetiredAt = sig == 1, em == 1, parseTS(at), tsPtr(retired)
	return v, err
}

func (s *Directory) Holder(ctx context.Context, a keyward.Actor, id string) (*keyward.Holder, error) {
	if a.Role != keyward.RoleHolder || a.HolderID != id {
		if err := keyward.Authorize(a, keyward.ActInventoryRead); err != nil {
			return nil, err
		}
	}
	h, err := scanHolder(s.db.queryRow(ctx, `SELECT `+holderCols+` FROM holders WHERE id = ?`, id))
	if err != nil {
		return nil, notFound(err, "holder", id)
	}
	return &h, nil
}

func (s *Directory) Holders(ctx context.Context, a keyward.Actor, opt keyward.ListOptions) (*keyward.Page[keyward.Holder], error) {
	if err := keyward.Authorize(a, keyward.ActInventoryRead); err != nil {
		return nil, err
	}
	return namedList(ctx, s.db, opt, `SELECT `+holderCols+` FROM holders`, "", nil,
		func(r *sql.Rows) (keyward.Holder, string, error) {
			v, err := scanHolder(r)
			return v, v.Name, err
		}, func(v keyward.Holder) string { return v.ID })
}
