package store

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/keyward/keyward/internal/keyward"
)

// Editing, retiring and restoring the directory, and merging holders. Each
// change loads the record, asks the domain (the patch's Apply and the create's
// Validate, MayRetire…, MayMergeHolders), and writes the change with its audit
// record in one transaction.

// update is the common shape of an edit: load, apply, validate, save, record.
func update[T any, In interface{ Validate() error }](ctx context.Context, d *DB, a keyward.Actor, act keyward.Action, kind, id string,
	load func(tx *Tx) (T, error), apply func(T) (In, []keyward.Change), save func(tx *Tx, in In) error) (*T, error) {
	if err := d.recordDenial(ctx, a, act, kind, id); err != nil {
		return nil, err
	}
	return inTx(ctx, d, func(tx *Tx) (*T, error) {
		cur, err := load(tx)
		if err != nil {
			return nil, notFound(err, kind, id)
		}
		in, changes := apply(cur)
		if err := in.Validate(); err != nil {
			return nil, err
		}
		if len(changes) == 0 {
			return &cur, nil // nothing changed: nothing to record
		}
		if err := save(tx, in); err != nil {
			return nil, err
		}
		if _, err := tx.record(ctx, a, kind+".update", kind, id, map[string]any{"changes": keyward.ChangeDetails(changes)}); err != nil {
			return nil, err
		}
		after, err := load(tx)
		if err != nil {
			return nil, fmt.Errorf("store: reread %s: %w", kind, err)
		}
		return &after, nil
	})
}

func (s *Directory) UpdateSite(ctx context.Context, a keyward.Actor, id string, p keyward.SitePatch) (*keyward.Site, error) {
	return update(ctx, s.db, a, keyward.ActInventoryEdit, keyward.KindSite, id,
		func(tx *Tx) (keyward.Site, error) {
			return scanSite(tx.QueryRow(ctx, `SELECT `+siteCols+` FROM sites WHERE id = ?`, id))
		}, func(cur keyward.Site) (*keyward.SiteInput, []keyward.Change) {
			in, cs := p.Apply(cur)
			return &in, cs
		}, func(tx *Tx, in *keyward.SiteInput) error {
			_, err := tx.Exec(ctx, `UPDATE sites SET name = ?, address = ? WHERE id = ?`, in.Name, in.Address, id)
			return err
		})
}

func (s *Directory) UpdateOpening(ctx context.Context, a keyward.Actor, id string, p keyward.OpeningPatch) (*keyward.Opening, error) {
	return update(ctx, s.db, a, keyward.ActInventoryEdit, keyward.KindOpening, id,
		func(tx *Tx) (keyward.Opening, error) {
			return scanOpeningRow(tx.QueryRow(ctx, `SELECT `+openingCols+` FROM openings WHERE id = ?`, id))
		}, func(cur keyward.Opening) (*keyward.OpeningInput, []keyward.Change) {
			in, cs := p.Apply(cur)
			return &in, cs
		}, func(tx *Tx, in *keyward.OpeningInput) error {
			if p.SiteID != nil {
				if err := tx.activeSite(ctx, in.SiteID); err != nil {
					return err
				}
			}
			_, err := tx.Exec(ctx, `UPDATE openings SET site_id = ?, name = ?, kind = ? WHERE id = ?`, in.SiteID, in.Name, in.Kind, id)
			return err
		})
}

// activeSite refuses a site_id that names no site, or a retired one.
func (t *Tx) activeSite(ctx context.Context, id string) error {
	return t.active(ctx, "sites", "site_id", "site", id)
}

// activeKeyway refuses a keyway_id that names no keyway, or a retired one:
// no new copy is cut on a keyway taken out of use.
func (t *Tx) activeKeyway(ctx context.Context, id string) error {
	return t.active(ctx, "keyways", "keyway_id", "keyway", id)
}

// active refuses an id of table (a constant of ours) that names no record,
// or a retired one, as a 400 on field.
func (t *Tx) active(ctx context.Context, table, field, noun, id string) error {
	var retired sql.NullString
	if err := t.QueryRow(ctx, `SELECT retired_at FROM `+table+` WHERE id = ?`, id).Scan(&retired); err != nil {
		return keyward.Invalid(field, "must name an existing "+noun)
	}
	if retired.Valid {
		return keyward.Invalid(field, "must name a "+noun+" that is not retired")
	}
	return nil
}

func (s *Directory) UpdateKeyway(ctx context.Context, a keyward.Actor, id string, p keyward.KeywayPatch) (*keyward.Keyway, error) {
	return update(ctx, s.db, a, keyward.ActInventoryEdit, keyward.KindKeyway, id,
		func(tx *Tx) (keyward.Keyway, error) {
			return scanKeyway(tx.QueryRow(ctx, `SELECT `+keywayCols+` FROM keyways WHERE id = ?`, id))
		}, func(cur keyward.Keyway) (*keyward.KeywayInput, []keyward.Change) {
			in, cs := p.Apply(cur)
			return &in, cs
		}, func(tx *Tx, in *keyward.KeywayInput) error {
			_, err := tx.Exec(ctx, `UPDATE keyways SET name = ?, manufacturer = ?, duplication_policy = ? WHERE id = ?`,
				in.Name, in.Manufacturer, in.DuplicationPolicy, id)
			if isUnique(err) {
				return &keyward.Error{Code: keyward.ECONFLICT, Message: fmt.Sprintf("a keyway named %q already exists", in.Name),
					Fields: []keyward.FieldError{{Field: "name", Rule: "must be unique"}}}
			}
			return err
		})
}

func (s *Directory) UpdateHolder(ctx context.Context, a keyward.Actor, id string, p keyward.HolderPatch) (*keyward.Holder, error) {
	return update(ctx, s.db, a, keyward.ActHolderEdit, keyward.KindHolder, id,
		func(tx *Tx) (keyward.Holder, error) {
			return scanHolder(tx.QueryRow(ctx, `SELECT `+holderCols+` FROM holders WHERE id = ?`, id))
		}, func(cur keyward.Holder) (*keyward.HolderInput, []keyward.Change) {
			in, cs := p.Apply(cur)
			return &in, cs
		}, func(tx *Tx, in *keyward.HolderInput) error {
			_, err := tx.Exec(ctx, `UPDATE holders SET name = ?, email = ?, phone = ?, kind = ?, signatory = ?, emergency_contact = ? WHERE id = ?`,
				in.Name, nullStr(in.Email), in.Phone, in.Kind, b2i(in.Signatory), b2i(in.EmergencyContact), id)
			if isUnique(err) {
				return &keyward.Error{Code: keyward.ECONFLICT, Message: fmt.Sprintf("a holder with email %q is already on file", in.Email),
					Fields: []keyward.FieldError{{Field: "email", Rule: "must be unique"}}}
			}
			return err
		})
}

// retireTables: each kind's table and the policy action that edits it. The
// table names are constants of ours, never input.
var retireTables = map[string]struct {
	table string
	act   keyward.Action
}{
	keyward.KindSite:    {"sites", keyward.ActInventoryEdit},
	keyward.KindOpening: {"openings", keyward.ActInventoryEdit},
	keyward.KindKeyway:  {"keyways", keyward.ActInventoryEdit},
	keyward.KindHolder:  {"holders", keyward.ActHolderEdit},
}

func (s *Directory) Retire(ctx context.Context, a keyward.Actor, kind, id string) error {
	return s.setRetired(ctx, a, kind, id, true)
}

func (s *Directory) Restore(ctx context.Context, a keyward.Actor, kind, id string) error {
	return s.setRetired(ctx, a, kind, id, false)
}

func (s *Directory) setRetired(ctx context.Context, a keyward.Actor, kind, id string, retire bool) error {
	t, ok := retireTables[kind]
	if !ok {
		return fmt.Errorf("store: %q does not retire", kind)
	}
	if err := s.db.recordDenial(ctx, a, t.act, kind, id); err != nil {
		return err
	}
	return s.db.withTx(ctx, func(tx *Tx) error {
		var name string
		var retired sql.NullString
		if err := tx.QueryRow(ctx, `SELECT name, retired_at FROM `+t.table+` WHERE id = ?`, id).Scan(&name, &retired); err != nil {
			return notFound(err, kind, id)
		}
		if retired.Valid == retire {
			return nil // already so: nothing to change or record
		}
		action, set := kind+".restore", sql.NullString{}
		if retire {
			if err := tx.mayRetire(ctx, kind, id, name); err != nil {
				return err
			}
			action, set = kind+".retire", sql.NullString{String: ts(tx.now), Valid: true}
		}
		if _, err := tx.Exec(ctx, `UPDATE `+t.table+` SET retired_at = ? WHERE id = ?`, set, id); err != nil {
			return fmt.Errorf("store: %s: %w", action, err)
		}
		_, err := tx.record(ctx, a, action, kind, id, map[string]any{"name": name})
		return err
	})
}

// mayRetire loads what the domain's retire rule for kind needs and asks it.
func (t *Tx) mayRetire(ctx context.Context, kind, id, name string) error {
	switch kind {
	case keyward.KindHolder:
		in, args := statusIn("status", keyward.HeldStatuses)
		stamps, err := t.stamps(ctx, `holder_id = ? AND `+in, append([]any{id}, args...))
		if err != nil {
			return err
		}
		return keyward.MayRetireHolder(name, stamps)
	case keyward.KindKeyway:
		in, args := statusIn("status", keyward.CirculatingStatuses)
		stamps, err := t.stamps(ctx, `keyway_id = ? AND `+in, append([]any{id}, args...))
		if err != nil {
			return err
		}
		return keyward.MayRetireKeyway(name, stamps)
	case keyward.KindSite:
		names, err := t.strings(ctx, `SELECT name FROM openings WHERE site_id = ? AND retired_at IS NULL ORDER BY name, id`, id)
		if err != nil {
			return err
		}
		return keyward.MayRetireSite(name, names)
	}
	return nil
}

// stamps lists the stamps of the keys where cond holds, in stamp order.
func (t *Tx) stamps(ctx context.Context, cond string, args []any) ([]string, error) {
	rows, err := t.Query(ctx, `SELECT symbol, copy_number FROM keys WHERE `+cond+` ORDER BY symbol, copy_number`, args...)
	if err != nil {
		return nil, fmt.Errorf("store: keys: %w", err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var sym string
		var n int
		if err := rows.Scan(&sym, &n); err != nil {
			return nil, err
		}
		out = append(out, stamp(sym, n))
	}
	return out, rows.Err()
}

func (t *Tx) strings(ctx context.Context, q string, args ...any) ([]string, error) {
	rows, err := t.Query(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("store: list: %w", err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var v string
		if err := rows.Scan(&v); err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, rows.Err()
}

// holderRefs are the columns that name a holder: a merge moves each of them.
// The names are constants of ours, never input.
var holderRefs = []struct{ table, column, count string }{
	{"keys", "holder_id", "keys"},
	{"custody_events", "holder_id", "events"},
	{"custody_events", "from_holder_id", "events"},
	{"credentials", "holder_id", "credentials"},
	{"storage_places", "holder_id", "storage_places"},
	{"overdue_notices", "holder_id", "overdue_notices"},
	{"offboardings", "holder_id", "offboardings"},
	{"users", "holder_id", "accounts"},
}

func (s *Directory) MergeHolders(ctx context.Context, a keyward.Actor, id string, in keyward.MergeInput) (*keyward.Merged, error) {
	if err := s.db.recordDenial(ctx, a, keyward.ActHolderEdit, keyward.KindHolder, id); err != nil {
		return nil, err
	}
	if err := in.Validate(); err != nil {
		return nil, err
	}
	return inTx(ctx, s.db, func(tx *Tx) (*keyward.Merged, error) {
		load := func(hid string) (keyward.Holder, error) {
			return scanHolder(tx.QueryRow(ctx, `SELECT `+holderCols+` FROM holders WHERE id = ?`, hid))
		}
		from, err := load(id)
		if err != nil {
			return nil, notFound(err, "holder", id)
		}
		into, err := load(in.Into)
		if err != nil {
			return nil, keyward.Invalid("into", "must name an existing holder")
		}
		if err := keyward.MayMergeHolders(from, into); err != nil {
			return nil, err
		}
		var open int
		if err := tx.QueryRow(ctx, `SELECT COUNT(*) FROM offboardings WHERE holder_id IN (?, ?) AND cleared_at IS NULL`, from.ID, into.ID).Scan(&open); err != nil {
			return nil, fmt.Errorf("store: offboardings: %w", err)
		}
		if open > 1 {
			return nil, keyward.Errorf(keyward.ECONFLICT, "%s and %s are both being offboarded; clear one offboarding first", from.Name, into.Name)
		}
		moved := map[string]int64{}
		for _, ref := range holderRefs {
			res, err := tx.Exec(ctx, `UPDATE `+ref.table+` SET `+ref.column+` = ? WHERE `+ref.column+` = ?`, into.ID, from.ID)
			if err != nil {
				return nil, fmt.Errorf("store: merge %s.%s: %w", ref.table, ref.column, err)
			}
			n, err := res.RowsAffected()
			if err != nil {
				return nil, err
			}
			moved[ref.count] += n
		}
		if _, err := tx.Exec(ctx, `UPDATE holders SET retired_at = COALESCE(retired_at, ?), merged_into = ? WHERE id = ?`, ts(tx.now), into.ID, from.ID); err != nil {
			return nil, fmt.Errorf("store: retire merged holder: %w", err)
		}
		details := map[string]any{"into": into.ID, "name": from.Name, "into_name": into.Name}
		for k, n := range moved {
			details[k] = n
		}
		if _, err := tx.record(ctx, a, "holder.merge", keyward.KindHolder, from.ID, details); err != nil {
			return nil, err
		}
		return &keyward.Merged{Holder: into, MergedID: from.ID, Keys: int(moved["keys"]), Events: int(moved["events"]),
			Credentials: int(moved["credentials"]), Storage: int(moved["storage_places"])}, nil
	})
}
