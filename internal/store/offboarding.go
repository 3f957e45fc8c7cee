package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/keyward/keyward/internal/keyward"
)

// Offboarding is "this person is leaving": everything a holder holds (keys,
// credentials, storage they are designated for), one action per item, and a
// report that stays open until it is cleared.
type Offboarding struct{ db *DB }

// Offboarding returns the offboarding service.
func (d *DB) Offboarding() *Offboarding { return &Offboarding{db: d} }

// leavingSince is when the open offboarding of holder r started (NULL when
// none is open): the one way every recipient check reads it.
const leavingSince = `(SELECT started_at FROM offboardings WHERE holder_id = r.id AND cleared_at IS NULL)`

// recipient loads what keyward.Recipient.MayReceive needs to know of
// holderID, and asks it, in one query. (A custody move reads the same in
// moveSubject, with the key.)
func (t *Tx) recipient(ctx context.Context, holderID string) error {
	r, err := t.loadRecipient(ctx, holderID)
	if err != nil {
		return err
	}
	return r.MayReceive()
}

// loadRecipient reads what the rules need to know of a holder something is
// about to go to (Found is false for an unknown holder).
func (t *Tx) loadRecipient(ctx context.Context, holderID string) (*keyward.Recipient, error) {
	var r keyward.Recipient
	var leaving, retired sql.NullString
	err := t.QueryRow(ctx, `SELECT r.name, `+leavingSince+`, r.retired_at
		FROM holders r WHERE r.id = ?`, holderID).Scan(&r.Name, &leaving, &retired)
	switch {
	case errors.Is(err, sql.ErrNoRows):
	case err != nil:
		return nil, fmt.Errorf("store: holder check: %w", err)
	default:
		r.Found, r.LeavingSince, r.RetiredAt = true, tsPtr(leaving), tsPtr(retired)
	}
	return &r, nil
}

// Start opens an offboarding for a holder. ENOTFOUND for an unknown holder,
// ECONFLICT if one is already open.
func (s *Offboarding) Start(ctx context.Context, a keyward.Actor, holderID string, in keyward.OffboardingInput) (*keyward.Offboarding, error) {
	if err := s.db.recordDenial(ctx, a, keyward.ActOffboard, "holder", holderID); err != nil {
		return nil, err
	}
	if err := in.Validate(); err != nil {
		return nil, err
	}
	var out *keyward.Offboarding
	err := s.db.withTx(ctx, func(tx *Tx) error {
		if !tx.exists(ctx, "holders", holderID) {
			return keyward.Errorf(keyward.ENOTFOUND, "holder %q not found", holderID)
		}
		id := newID("off")
		if _, err := tx.Exec(ctx, `INSERT INTO offboardings (id, holder_id, note, started_at, started_by) VALUES (?, ?, ?, ?, ?)`,
			id, holderID, in.Note, ts(tx.now), actorName(a)); err != nil {
			if isUnique(err) {
				return keyward.Errorf(keyward.ECONFLICT, "an offboarding is already open for this holder")
			}
			return fmt.Errorf("store: insert offboarding: %w", err)
		}
		if _, err := tx.record(ctx, a, "offboarding.start", "holder", holderID, map[string]any{"offboarding_id": id}); err != nil {
			return err
		}
		if err := tx.offboardingOpened(ctx, a, keyward.OffboardingOpenedData{OffboardingID: id, HolderID: holderID, Note: in.Note}); err != nil {
			return err
		}
		var err error
		out, err = tx.offboarding(ctx, holderID)
		return err
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// Current returns the holder's open offboarding with its outstanding items.
// ENOTFOUND if none is open.
func (s *Offboarding) Current(ctx context.Context, a keyward.Actor, holderID string) (*keyward.Offboarding, error) {
	if err := keyward.Authorize(a, keyward.ActInventoryRead); err != nil {
		return nil, err
	}
	return inTx(ctx, s.db, func(tx *Tx) (*keyward.Offboarding, error) {
		return tx.offboarding(ctx, holderID)
	})
}

// Holdings lists what a holder holds now, whether or not an offboarding is open.
func (s *Offboarding) Holdings(ctx context.Context, a keyward.Actor, holderID string) (*keyward.Offboarding, error) {
	if err := keyward.Authorize(a, keyward.ActInventoryRead); err != nil {
		return nil, err
	}
	out := &keyward.Offboarding{HolderID: holderID}
	err := s.db.withTx(ctx, func(tx *Tx) error {
		if err := tx.QueryRow(ctx, `SELECT name FROM holders WHERE id = ?`, holderID).Scan(&out.HolderName); err != nil {
			return notFound(err, "holder", holderID)
		}
		return tx.holdings(ctx, out)
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

func (t *Tx) offboarding(ctx context.Context, holderID string) (*keyward.Offboarding, error) {
	var o keyward.Offboarding
	var at string
	err := t.QueryRow(ctx, `SELECT o.id, o.holder_id, h.name, o.note, o.started_at, o.started_by FROM offboardings o
		JOIN holders h ON h.id = o.holder_id WHERE o.holder_id = ? AND o.cleared_at IS NULL`, holderID).
		Scan(&o.ID, &o.HolderID, &o.HolderName, &o.Note, &at, &o.StartedBy)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, keyward.Errorf(keyward.ENOTFOUND, "no offboarding is open for holder %q", holderID)
	}
	if err != nil {
		return nil, fmt.Errorf("store: read offboarding: %w", err)
	}
	o.StartedAt = parseTS(at)
	return &o, t.holdings(ctx, &o)
}

// holdings fills the outstanding items of o.
func (t *Tx) holdings(ctx context.Context, o *keyward.Offboarding) error {
	held, args := statusIn("status", keyward.HeldStatuses)
	rows, err := t.Query(ctx, `SELECT `+keyCols+` FROM keys WHERE holder_id = ? AND `+held+` ORDER BY symbol, copy_number`, append([]any{o.HolderID}, args...)...)
	if err != nil {
		return fmt.Errorf("store: holder keys: %w", err)
	}
	o.Keys = []keyward.Key{}
	for rows.Next() {
		k, err := scanKey(rows)
		if err != nil {
			rows.Close()
			return fmt.Errorf("store: scan key: %w", err)
		}
		o.Keys = append(o.Keys, k)
	}
	rows.Close()
	if o.Credentials, err = t.credentials(ctx, `c.holder_id = ? AND c.revoked_at IS NULL`, maxHeld, o.HolderID); err != nil {
		return err
	}
	srows, err := t.Query(ctx, `SELECT `+storageCols+` FROM storage_places WHERE holder_id = ? AND retired_at IS NULL ORDER BY name, id`, o.HolderID)
	if err != nil {
		return fmt.Errorf("store: holder storage: %w", err)
	}
	o.Storage = []keyward.StoragePlace{}
	for srows.Next() {
		p, err := scanStorage(srows)
		if err != nil {
			srows.Close()
			return fmt.Errorf("store: scan storage: %w", err)
		}
		o.Storage = append(o.Storage, p)
	}
	srows.Close()
	o.Count()
	return nil
}

// Open lists the open offboardings, oldest first, with their outstanding items.
func (s *Offboarding) Open(ctx context.Context, a keyward.Actor) ([]keyward.Offboarding, error) {
	if err := keyward.Authorize(a, keyward.ActInventoryRead); err != nil {
		return nil, err
	}
	out := []keyward.Offboarding{}
	err := s.db.withTx(ctx, func(tx *Tx) error {
		rows, err := tx.Query(ctx, `SELECT holder_id FROM offboardings WHERE cleared_at IS NULL ORDER BY started_at, id LIMIT 200`)
		if err != nil {
			return fmt.Errorf("store: open offboardings: %w", err)
		}
		var holders []string
		for rows.Next() {
			var h string
			if err := rows.Scan(&h); err != nil {
				rows.Close()
				return err
			}
			holders = append(holders, h)
		}
		rows.Close()
		for _, h := range holders {
			o, err := tx.offboarding(ctx, h)
			if err != nil {
				return err
			}
			out = append(out, *o)
		}
		return nil
	})
	return out, err
}

// CollectKey takes a key back from a leaving holder: a checked-out key is
// checked in, an issued key returned. ECONFLICT if the holder does not have it.
func (s *Offboarding) CollectKey(ctx context.Context, a keyward.Actor, holderID, keyID string, in keyward.CheckinInput) (*keyward.Key, error) {
	if err := s.db.recordDenial(ctx, a, keyward.ActCustody, "key", keyID); err != nil {
		return nil, err
	}
	if err := in.Validate(); err != nil {
		return nil, err
	}
	note := in.Note
	if note == "" {
		note = "collected at offboarding"
	}
	return s.db.Custody().move(ctx, a, keyID, keyward.MoveRequest{CollectFrom: holderID, Note: note, NewSealNumber: in.NewSealNumber})
}

// RevokeCredential revokes a leaving holder's credential.
func (s *Offboarding) RevokeCredential(ctx context.Context, a keyward.Actor, holderID, credID, reason string) (*keyward.Credential, error) {
	if err := s.db.recordDenial(ctx, a, keyward.ActCredential, "credential", credID); err != nil {
		return nil, err
	}
	in := keyward.RevokeInput{Reason: reason}
	if in.Reason == "" {
		in.Reason = "holder offboarded"
	}
	if err := in.Validate(); err != nil {
		return nil, err
	}
	return inTx(ctx, s.db, func(tx *Tx) (*keyward.Credential, error) {
		return tx.revokeCredential(ctx, a, credID, in.Reason, holderID)
	})
}

// ReleaseStorage retires a designated-holder place of a leaving holder.
func (s *Offboarding) ReleaseStorage(ctx context.Context, a keyward.Actor, holderID, storageID string) (*keyward.StoragePlace, error) {
	if err := s.db.recordDenial(ctx, a, keyward.ActStorageEdit, "storage", storageID); err != nil {
		return nil, err
	}
	var out *keyward.StoragePlace
	err := s.db.withTx(ctx, func(tx *Tx) error {
		p, err := tx.storagePlace(ctx, storageID)
		if err != nil {
			return err
		}
		if p.HolderID != holderID {
			return keyward.Errorf(keyward.ECONFLICT, "storage place %s is not designated to this holder", p.Name)
		}
		out, err = tx.retireStorage(ctx, a, storageID)
		return err
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// Clear closes the holder's offboarding. ECONFLICT names what is still outstanding.
func (s *Offboarding) Clear(ctx context.Context, a keyward.Actor, holderID string) (*keyward.Offboarding, error) {
	if err := s.db.recordDenial(ctx, a, keyward.ActOffboard, "holder", holderID); err != nil {
		return nil, err
	}
	var out *keyward.Offboarding
	err := s.db.withTx(ctx, func(tx *Tx) error {
		o, err := tx.offboarding(ctx, holderID)
		if err != nil {
			return err
		}
		if err := o.MayClear(); err != nil {
			return err
		}
		res, err := tx.Exec(ctx, `UPDATE offboardings SET cleared_at = ?, cleared_by = ? WHERE id = ? AND cleared_at IS NULL`, ts(tx.now), actorName(a), o.ID)
		if err != nil {
			return fmt.Errorf("store: clear offboarding: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return keyward.Errorf(keyward.ECONFLICT, "the offboarding was already cleared")
		}
		now := tx.now
		o.ClearedAt = &now
		out = o
		_, err = tx.record(ctx, a, "offboarding.clear", "holder", holderID, map[string]any{"offboarding_id": o.ID})
		return err
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}
