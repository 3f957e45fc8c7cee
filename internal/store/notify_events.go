package store

import (
	"context"
	"fmt"

	"github.com/keyward/keyward/internal/keyward"
)

// The events beyond checkout.overdue. Each is emitted inside the transaction
// of the change that causes it, after that change's audit record, so it is
// queued exactly when the change commits and never for a refused change.

// keyMoved emits key.lost or key.found for a custody move that was one of them.
func (t *Tx) keyMoved(ctx context.Context, a keyward.Actor, m *keyward.Move) error {
	event := ""
	switch m.Action {
	case keyward.CustodyLost:
		event = keyward.EventKeyLost
	case keyward.CustodyFound:
		event = keyward.EventKeyFound
	default:
		return nil
	}
	d := keyward.KeyEventData{KeyID: m.Key.ID, Stamp: m.Key.Stamp, Symbol: m.Key.Symbol, CopyNumber: m.Key.CopyNumber,
		Status: m.Key.Status, HolderID: m.PrevHolder, By: actorName(a), Note: m.Note}
	email := ""
	if d.HolderID != "" {
		if err := t.QueryRow(ctx, `SELECT name, COALESCE(email, '') FROM holders WHERE id = ?`, d.HolderID).Scan(&d.HolderName, &email); err != nil {
			return fmt.Errorf("store: holder of %s: %w", d.Stamp, err)
		}
	}
	var subject, text string
	held := ""
	if d.HolderName != "" {
		held = "\r\nLast held by: " + d.HolderName
	}
	if event == keyward.EventKeyLost {
		subject = "Key " + d.Stamp + " reported lost"
		text = "Key " + d.Stamp + " was reported lost by " + d.By + "." + held
	} else {
		subject = "Key " + d.Stamp + " found"
		text = "Key " + d.Stamp + ", reported lost, was found by " + d.By + " and is back in storage." + held
	}
	if d.Note != "" {
		text += "\r\nNote: " + d.Note
	}
	_, _, err := t.emit(ctx, event, d, email, subject, text+"\r\n\r\nKeyward")
	return err
}

// sealBroken emits seal.broken.
func (t *Tx) sealBroken(ctx context.Context, a keyward.Actor, d keyward.SealBrokenData) error {
	d.By = actorName(a)
	text := fmt.Sprintf("The sealed envelope %s was opened by %s.\r\nBroken seal: %s\r\nNew seal: %s\r\nReason: %s\r\n\r\nKeyward",
		d.Name, d.By, d.BrokenSeal, d.NewSeal, d.Reason)
	_, _, err := t.emit(ctx, keyward.EventSealBroken, d, "", "Sealed envelope "+d.Name+" opened", text)
	return err
}

var secretWords = map[string]string{
	keyward.RevealedLockboxCode:   "the code of lockbox",
	keyward.RevealedCredentialPIN: "the PIN of credential",
	keyward.RevealedBittings:      "bittings of key system",
	keyward.RevealedPinningChart:  "a pinning chart of key system",
	keyward.RevealedKeyCode:       "the key code of",
}

// codeIncidentOpened emits code.incident: a key code may be out. The email
// lists every reveal so far and the remedy; never the code.
func (t *Tx) codeIncidentOpened(ctx context.Context, d keyward.CodeIncidentData) error {
	remedy := "re-program the vehicle's keys"
	if d.Remedy == keyward.RemedyRekey {
		remedy = "rekey the lock"
	}
	text := fmt.Sprintf("%s reported that the key code of %s may have been disclosed.\r\nNote: %s\r\n\r\nReveals of this code are stopped until the incident is closed.\r\nTo do: %s.\r\n",
		d.By, d.What, d.Note, remedy)
	if len(d.RevealedTo) == 0 {
		text += "\r\nThe code was never revealed through Keyward.\r\n"
	} else {
		text += "\r\nEvery reveal so far:\r\n"
		for _, r := range d.RevealedTo {
			text += "- " + r + "\r\n"
		}
	}
	_, _, err := t.emit(ctx, keyward.EventCodeIncident, d, "", "Key code of "+d.What+" may have been disclosed", text+"\r\nKeyward")
	return err
}

// secretRevealed emits secret.revealed: what was looked at, by whom and why,
// never the secret itself.
func (t *Tx) secretRevealed(ctx context.Context, a keyward.Actor, d keyward.SecretRevealedData) error {
	d.By, d.Role = actorName(a), a.Role
	what := secretWords[d.Secret] + " " + d.Name
	text := fmt.Sprintf("%s (%s) looked at %s.\r\nReason: %s\r\n\r\nEvery reveal is in the audit log.\r\nKeyward", d.By, d.Role, what, d.Reason)
	_, _, err := t.emit(ctx, keyward.EventSecretRevealed, d, "", "Someone looked at "+what, text)
	return err
}

// offboardingOpened emits offboarding.opened.
func (t *Tx) offboardingOpened(ctx context.Context, a keyward.Actor, d keyward.OffboardingOpenedData) error {
	d.By = actorName(a)
	if err := t.QueryRow(ctx, `SELECT name FROM holders WHERE id = ?`, d.HolderID).Scan(&d.HolderName); err != nil {
		return fmt.Errorf("store: offboarding holder: %w", err)
	}
	text := fmt.Sprintf("%s started taking back the keys of %s.", d.By, d.HolderName)
	if d.Note != "" {
		text += "\r\nNote: " + d.Note
	}
	_, _, err := t.emit(ctx, keyward.EventOffboardingOpened, d, "", "Offboarding started for "+d.HolderName, text+"\r\n\r\nKeyward")
	return err
}
