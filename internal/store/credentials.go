package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	"github.com/keyward/keyward/internal/keyward"
	"github.com/keyward/keyward/internal/vault"
)

// Credentials keeps simple electronic credentials: PIN codes (sealed), cards
// and fobs, each with a holder, a set of openings and a validity window.
type Credentials struct {
	db    *DB
	vault *vault.Key
}

// Credentials returns the credential service; v seals PIN codes.
func (d *DB) Credentials(v *vault.Key) *Credentials { return &Credentials{db: d, vault: v} }

func pinAAD(id string) string { return "pin:" + id }

// Issue creates a credential. EINVALID names the field (an unknown holder or
// opening too).
func (s *Credentials) Issue(ctx context.Context, a keyward.Actor, in keyward.CredentialInput) (*keyward.Credential, error) {
	if err := s.db.recordDenial(ctx, a, keyward.ActCredential, "credential", ""); err != nil {
		return nil, err
	}
	now := s.db.Now()
	if err := in.Validate(now); err != nil {
		return nil, err
	}
	if in.PIN != "" && s.vault == nil {
		return nil, errors.New("store: no vault to seal the PIN")
	}
	var c *keyward.Credential
	err := s.db.withTx(ctx, func(tx *Tx) error {
		if err := tx.recipient(ctx, in.HolderID); err != nil {
			return err
		}
		if in.PIN != "" {
			if err := tx.guardNotes(ctx, a, []keyward.NoteField{{Field: "label", Text: in.Label}}, []keyward.CodeGuard{{What: "this credential's PIN", Code: in.PIN}}); err != nil {
				return err
			}
		}
		for _, o := range in.OpeningIDs {
			if !tx.exists(ctx, "openings", o) {
				return keyward.Invalid("opening_ids", fmt.Sprintf("must name existing openings (%q is unknown)", o))
			}
		}
		from := tx.now
		if in.ValidFrom != nil {
			from = in.ValidFrom.UTC()
		}
		c = &keyward.Credential{ID: newID("crd"), Kind: in.Kind, Label: in.Label, Number: in.Number, HasPIN: in.PIN != "",
			HolderID: in.HolderID, OpeningIDs: in.OpeningIDs, ValidFrom: from, CreatedAt: tx.now}
		if in.ValidUntil != nil {
			u := in.ValidUntil.UTC()
			c.ValidUntil = &u
		}
		pin := sql.NullString{}
		if in.PIN != "" {
			pin = nullStr(s.vault.Seal(in.PIN, pinAAD(c.ID)))
		}
		if _, err := tx.Exec(ctx, `INSERT INTO credentials (id, kind, label, number, pin_sealed, holder_id, valid_from, valid_until, created_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`, c.ID, c.Kind, c.Label, c.Number, pin, c.HolderID, ts(c.ValidFrom), nullTS(c.ValidUntil), ts(c.CreatedAt)); err != nil {
			return fmt.Errorf("store: insert credential: %w", err)
		}
		for _, o := range c.OpeningIDs {
			if _, err := tx.Exec(ctx, `INSERT INTO credential_openings (credential_id, opening_id) VALUES (?, ?)`, c.ID, o); err != nil {
				return fmt.Errorf("store: insert credential opening: %w", err)
			}
		}
		c.Status = keyward.CredentialStatus(c, tx.now)
		details := map[string]any{"kind": c.Kind, "holder_id": c.HolderID, "openings": c.OpeningIDs, "valid_from": ts(c.ValidFrom)}
		if c.Number != "" {
			details["number"] = c.Number
		}
		if c.ValidUntil != nil {
			details["valid_until"] = ts(*c.ValidUntil)
		}
		_, err := tx.record(ctx, a, "credential.issue", "credential", c.ID, details)
		return err
	})
	if err != nil {
		return nil, s.db.noteRefused(ctx, a, "credential", "", err)
	}
	return c, nil
}

const credentialCols = `c.id, c.kind, c.label, c.number, c.pin_sealed IS NOT NULL, c.holder_id, c.valid_from, c.valid_until, c.revoked_at, c.revoke_reason, c.created_at`

// credentials lists the credentials matching where (on alias c), with their openings.
// maxHeld bounds the active credentials listed for one holder or one opening
// (offboarding, access views), which are not paged; no site comes near it.
const maxHeld = 10_000

func (t *Tx) credentials(ctx context.Context, where string, limit int, args ...any) ([]keyward.Credential, error) {
	rows, err := t.Query(ctx, `SELECT `+credentialCols+` FROM credentials c WHERE `+where+` ORDER BY c.created_at, c.id LIMIT ?`, append(args, limit)...)
	if err != nil {
		return nil, fmt.Errorf("store: list credentials: %w", err)
	}
	out := []keyward.Credential{}
	for rows.Next() {
		var c keyward.Credential
		var from, at string
		var until, revoked sql.NullString
		if err := rows.Scan(&c.ID, &c.Kind, &c.Label, &c.Number, &c.HasPIN, &c.HolderID, &from, &until, &revoked, &c.RevokeReason, &at); err != nil {
			rows.Close()
			return nil, fmt.Errorf("store: scan credential: %w", err)
		}
		c.ValidFrom, c.ValidUntil, c.RevokedAt, c.CreatedAt = parseTS(from), tsPtr(until), tsPtr(revoked), parseTS(at)
		c.Status = keyward.CredentialStatus(&c, t.now)
		out = append(out, c)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	for i := range out {
		ors, err := t.Query(ctx, `SELECT opening_id FROM credential_openings WHERE credential_id = ? ORDER BY opening_id`, out[i].ID)
		if err != nil {
			return nil, fmt.Errorf("store: credential openings: %w", err)
		}
		out[i].OpeningIDs = []string{}
		for ors.Next() {
			var o string
			if err := ors.Scan(&o); err != nil {
				ors.Close()
				return nil, err
			}
			out[i].OpeningIDs = append(out[i].OpeningIDs, o)
		}
		ors.Close()
	}
	return out, nil
}

// Credential returns one credential. ENOTFOUND.
func (s *Credentials) Credential(ctx context.Context, a keyward.Actor, id string) (*keyward.Credential, error) {
	if err := keyward.Authorize(a, keyward.ActInventoryRead); err != nil {
		return nil, err
	}
	var out []keyward.Credential
	err := s.db.withTx(ctx, func(tx *Tx) error {
		var err error
		out, err = tx.credentials(ctx, `c.id = ?`, 1, id)
		return err
	})
	if err != nil {
		return nil, err
	}
	if len(out) == 0 {
		return nil, keyward.Errorf(keyward.ENOTFOUND, "credential %q not found", id)
	}
	return &out[0], nil
}

// List lists credentials, optionally of one holder; active=true leaves out revoked ones.
func (s *Credentials) List(ctx context.Context, a keyward.Actor, holderID string, active bool, opt keyward.ListOptions) (*keyward.Page[keyward.Credential], error) {
	if err := keyward.Authorize(a, keyward.ActInventoryRead); err != nil {
		return nil, err
	}
	conds := []string{"1 = 1"}
	var args []any
	if holderID != "" {
		conds, args = append(conds, "c.holder_id = ?"), append(args, holderID)
	}
	if active {
		conds = append(conds, "c.revoked_at IS NULL")
	}
	if opt.Cursor != "" {
		p, err := decodeCursor(opt.Cursor, 2)
		if err != nil {
			return nil, err
		}
		conds = append(conds, "(c.created_at > ? OR (c.created_at = ? AND c.id > ?))")
		args = append(args, p[0], p[0], p[1])
	}
	limit := clampLimit(opt.Limit)
	items, err := inTx(ctx, s.db, func(tx *Tx) ([]keyward.Credential, error) {
		return tx.credentials(ctx, strings.Join(conds, " AND "), limit+1, args...)
	})
	if err != nil {
		return nil, err
	}
	page := &keyward.Page[keyward.Credential]{Items: items}
	if len(page.Items) > limit {
		page.Items = page.Items[:limit]
		last := page.Items[limit-1]
		page.Next = encodeCursor(ts(last.CreatedAt), last.ID)
	}
	return page, nil
}

// Revoke revokes a credential for a reason. ECONFLICT if it is already revoked.
func (s *Credentials) Revoke(ctx context.Context, a keyward.Actor, id string, in keyward.RevokeInput) (*keyward.Credential, error) {
	if err := s.db.recordDenial(ctx, a, keyward.ActCredential, "credential", id); err != nil {
		return nil, err
	}
	if err := in.Validate(); err != nil {
		return nil, err
	}
	c, err := inTx(ctx, s.db, func(tx *Tx) (*keyward.Credential, error) {
		guards, err := tx.credentialGuards(ctx, s.vault, id)
		if err != nil {
			return nil, err
		}
		if err := tx.guardNotes(ctx, a, []keyward.NoteField{{Field: "reason", Text: in.Reason}}, guards); err != nil {
			return nil, err
		}
		return tx.revokeCredential(ctx, a, id, in.Reason, "")
	})
	return c, s.db.noteRefused(ctx, a, "credential", id, err)
}

// revokeCredential is the guarded UPDATE: of two concurrent revocations the second is ECONFLICT.
// holderID, when set, must be the credential's holder.
func (t *Tx) revokeCredential(ctx context.Context, a keyward.Actor, id, reason, holderID string) (*keyward.Credential, error) {
	cs, err := t.credentials(ctx, `c.id = ?`, 1, id)
	if err != nil {
		return nil, err
	}
	if len(cs) == 0 {
		return nil, keyward.Errorf(keyward.ENOTFOUND, "credential %q not found", id)
	}
	c := cs[0]
	if holderID != "" && c.HolderID != holderID {
		return nil, keyward.Errorf(keyward.ECONFLICT, "credential %s is not held by this holder", id)
	}
	res, err := t.Exec(ctx, `UPDATE credentials SET revoked_at = ?, revoke_reason = ? WHERE id = ? AND revoked_at IS NULL`, ts(t.now), reason, id)
	if err != nil {
		return nil, fmt.Errorf("store: revoke credential: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return nil, keyward.Errorf(keyward.ECONFLICT, "credential %s is already revoked", id)
	}
	now := t.now
	c.RevokedAt, c.RevokeReason, c.Status = &now, reason, keyward.CredentialRevoked
	if _, err := t.record(ctx, a, "credential.revoke", "credential", id, map[string]any{"holder_id": c.HolderID, "reason": reason}); err != nil {
		return nil, err
	}
	return &c, nil
}

// RevealPIN returns a PIN credential's code after its audit record commits.
func (s *Credentials) RevealPIN(ctx context.Context, a keyward.Actor, id string, in keyward.CodeRevealInput) (keyward.Secret, error) {
	if err := s.db.revealGate(ctx, a, keyward.ActSecretReveal, "credential", id); err != nil {
		return "", err
	}
	if err := in.Validate(); err != nil {
		return "", err
	}
	var pin keyward.Secret
	err := s.db.withTx(ctx, func(tx *Tx) error {
		var sealed sql.NullString
		var label string
		if err := tx.QueryRow(ctx, `SELECT pin_sealed, label FROM credentials WHERE id = ?`, id).Scan(&sealed, &label); err != nil {
			return notFound(err, "credential", id)
		}
		if !sealed.Valid {
			return keyward.Errorf(keyward.ECONFLICT, "credential %q has no PIN", id)
		}
		if s.vault == nil {
			return errors.New("store: no vault to open the PIN")
		}
		var err error
		if pin, err = s.vault.Open(sealed.String, pinAAD(id)); err != nil {
			return fmt.Errorf("store: open PIN: %w", err)
		}
		if err := tx.guardNotes(ctx, a, []keyward.NoteField{{Field: "reason", Text: in.Reason}}, []keyward.CodeGuard{{What: "this credential's PIN", Code: pin}}); err != nil {
			return err
		}
		details := map[string]any{}
		if in.Reason != "" {
			details["reason"] = in.Reason
		}
		if _, err = tx.record(ctx, a, "credential.pin.reveal", "credential", id, details); err != nil {
			return err
		}
		return tx.secretRevealed(ctx, a, keyward.SecretRevealedData{Secret: keyward.RevealedCredentialPIN, ObjectType: "credential", ObjectID: id, Name: label, Reason: in.Reason})
	})
	if err != nil {
		return "", s.db.noteRefused(ctx, a, "credential", id, err)
	}
	return pin, nil
}
