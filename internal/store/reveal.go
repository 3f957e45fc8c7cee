package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/keyward/keyward/internal/keyward"
	"github.com/keyward/keyward/internal/vault"
)

// revealGate is the one door every reveal of a secret goes through, before
// it opens anything: the policy table for action (a refused role is
// recorded, as every refusal), then keyward.MayReveal with the user's
// authenticator and the organization's rule. A refusal for a missing
// authenticator commits its own audit record ("denied." + action, with the
// rule, never a secret) and is EFORBIDDEN in words.
//
// Lockbox codes, credential PINs, bittings and pinning charts call it; a new
// kind of secret (key codes) calls it the same way.
func (d *DB) revealGate(ctx context.Context, a keyward.Actor, action keyward.Action, subjectType, subjectID string) error {
	if err := d.recordDenial(ctx, a, action, subjectType, subjectID); err != nil {
		return err
	}
	st, err := d.revealStanding(ctx, a)
	if err != nil {
		return err
	}
	if err := st.Check(d.Now()); err != nil {
		return d.recordRefusal(ctx, a, string(action), subjectType, subjectID, map[string]any{"rule": keyward.RuleAuthenticatorRequired}, err)
	}
	return nil
}

// revealStanding reads what keyward.MayReveal needs to know about a: the
// organization's rule, whether a has an authenticator, and the end of a's
// grace period on the organization's clock.
func (d *DB) revealStanding(ctx context.Context, a keyward.Actor) (keyward.RevealStanding, error) {
	st := keyward.RevealStanding{Role: a.Role}
	if !keyward.RevealsSecrets(a.Role) {
		return st, nil // MayReveal refuses the role, or passes the system actor
	}
	org, err := d.org(ctx)
	if keyward.ErrorCode(err) == keyward.ENOTFOUND {
		return st, nil // before setup there is no rule to apply
	}
	if err != nil {
		return st, err
	}
	st.OrgRequires = org.RequireTOTP
	var secret sql.NullString
	var created string
	switch err := d.queryRow(ctx, `SELECT totp_secret, created_at FROM users WHERE id = ?`, a.UserID).Scan(&secret, &created); {
	case errors.Is(err, sql.ErrNoRows):
		// Not a user account: no authenticator, no grace of its own.
	case err != nil:
		return st, fmt.Errorf("store: read the user's authenticator: %w", err)
	}
	st.Enrolled = secret.Valid
	if org.RequireTOTP {
		since := org.CreatedAt
		if org.RequireTOTPSince != nil {
			since = *org.RequireTOTPSince
		}
		loc := time.UTC
		if l, err := time.LoadLocation(org.TimeZone); err == nil {
			loc = l
		}
		st.Deadline = keyward.TOTPGraceDeadline(since, parseTS(created), org.TOTPGraceDays).In(loc)
	}
	return st, nil
}

// noteRefusedAction is the audit action of a note refused for holding its
// record's code ("denied." + it).
const noteRefusedAction = "note.code"

// guardNotes refuses free-text fields that hold one of the record's codes
// (keyward.CheckNotes), opened by the caller inside this transaction. A user
// whose notes were refused too often lately gets ETOOMANY for any typed note
// on a record with a code (keyward.MayTryNote), whatever it says, so the
// answers cannot be used to guess a code. The caller's write rolls back on
// the refusal; noteRefused then records it.
func (t *Tx) guardNotes(ctx context.Context, a keyward.Actor, fields []keyward.NoteField, guards []keyward.CodeGuard) error {
	if len(guards) == 0 || !keyward.NotesTyped(fields) {
		return nil
	}
	rows, err := t.Query(ctx, `SELECT at FROM audit_log WHERE action = ? AND actor = ? AND at > ?`,
		"denied."+noteRefusedAction, actorName(a), ts(t.now.Add(-keyward.NoteRefusalWindow)))
	if err != nil {
		return fmt.Errorf("store: refused notes: %w", err)
	}
	var refusals []time.Time
	for rows.Next() {
		var at string
		if err := rows.Scan(&at); err != nil {
			rows.Close()
			return err
		}
		refusals = append(refusals, parseTS(at))
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	if err := keyward.MayTryNote(refusals, t.now); err != nil {
		return err
	}
	return keyward.CheckNotes(fields, guards)
}

// noteRefused commits the audit record of a note guardNotes refused (the
// field's name and what it held, never the note or the code) and returns err;
// any other err is returned as it is.
func (d *DB) noteRefused(ctx context.Context, a keyward.Actor, subjectType, subjectID string, err error) error {
	if !keyward.IsCodeInNote(err) {
		return err
	}
	return d.recordRefusal(ctx, a, noteRefusedAction, subjectType, subjectID, map[string]any{"field": keyward.RefusedField(err), "rule": keyward.RuleCodeInNote}, err)
}

// lockboxGuards opens the code of lockbox storageID, if it is one with a
// code, as what notes on it must not hold; what says it in the refusal.
func (t *Tx) lockboxGuards(ctx context.Context, v *vault.Key, storageID, what string) ([]keyward.CodeGuard, error) {
	if v == nil {
		return nil, nil
	}
	var sealed sql.NullString
	err := t.QueryRow(ctx, `SELECT code_sealed FROM storage_places WHERE id = ? AND kind = ?`, storageID, keyward.StorageLockbox).Scan(&sealed)
	if errors.Is(err, sql.ErrNoRows) || (err == nil && !sealed.Valid) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("store: lockbox code: %w", err)
	}
	code, err := v.Open(sealed.String, codeAAD(storageID))
	if err != nil {
		return nil, fmt.Errorf("store: open lockbox code: %w", err)
	}
	return []keyward.CodeGuard{{What: what, Code: code}}, nil
}

// guardKeyNote refuses a custody move's note that holds the code of the
// lockbox the key lives in.
func (t *Tx) guardKeyNote(ctx context.Context, a keyward.Actor, v *vault.Key, keyID, note string) error {
	if v == nil || note == "" {
		return nil
	}
	home, err := t.keyHome(ctx, keyID)
	if err != nil || home == nil || home.StorageKind != keyward.StorageLockbox {
		return err
	}
	guards, err := t.lockboxGuards(ctx, v, home.StorageID, "the code of the lockbox this key is kept in")
	if err != nil {
		return err
	}
	return t.guardNotes(ctx, a, []keyward.NoteField{{Field: "note", Text: note}}, guards)
}

// credentialGuards opens a credential's PIN, if it has one.
func (t *Tx) credentialGuards(ctx context.Context, v *vault.Key, id string) ([]keyward.CodeGuard, error) {
	if v == nil {
		return nil, nil
	}
	var sealed sql.NullString
	err := t.QueryRow(ctx, `SELECT pin_sealed FROM credentials WHERE id = ?`, id).Scan(&sealed)
	if errors.Is(err, sql.ErrNoRows) || (err == nil && !sealed.Valid) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("store: credential PIN: %w", err)
	}
	pin, err := v.Open(sealed.String, pinAAD(id))
	if err != nil {
		return nil, fmt.Errorf("store: open PIN: %w", err)
	}
	return []keyward.CodeGuard{{What: "this credential's PIN", Code: pin}}, nil
}
