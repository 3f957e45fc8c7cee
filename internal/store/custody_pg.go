package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/keyward/keyward/internal/audit"
	"github.com/keyward/keyward/internal/keyward"
)

// eventDetails is what the audit record of a custody event says.
func eventDetails(k *keyward.Key, holderID string, due *time.Time, note string) map[string]any {
	details := map[string]any{"stamp": k.Stamp, "status": k.Status}
	if holderID != "" {
		details["holder_id"] = holderID
	}
	if due != nil {
		details["due_at"] = due.UTC().Format(time.RFC3339)
	}
	if note != "" {
		details["note"] = note
	}
	return details
}

// stampMark stands in for the key's stamp while Go builds the audit details
// and leaf of a one-statement move; the statement splices in the real stamp.
const stampMark = "STAMP.MARK_"

// pgMoveSQL is a check-out or check-in as one autocommitted statement, one
// round trip and one commit. The key update is guarded by the allowed states,
// the chain head update locks and advances the one audit chain and computes
// the record hash from the head it locked (so appends from several servers
// still form one chain), and the audit record and logbook line are written
// from what those two updates return. If the key is not in an allowed state,
// the holder is unknown or the key's symbol has characters the splice cannot
// carry, nothing is written and no row comes back.
const pgMoveSQL = `WITH k AS (
	UPDATE keys SET status = $1, holder_id = $2, due_at = $3, checkout_id = $4
	WHERE id = $5 AND status = ANY($6) AND symbol ~ '^[A-Za-z0-9._]+$'
		AND ($2::text IS NULL OR EXISTS (SELECT 1 FROM holders WHERE id = $2))
	RETURNING id, keyway_id, symbol, copy_number, status, COALESCE(holder_id, '') AS holder, due_at, created_at,
		symbol || '-' || copy_number AS stamp
), h AS (
	UPDATE chain_head c SET seq = c.seq + 1, prev_hash = c.hash,
		hash = encode(sha256(decode(c.hash, 'hex') || convert_to('[' || (c.seq + 1), 'UTF8') || $7::bytea
			|| convert_to(k.stamp, 'UTF8') || $8::bytea), 'hex')
	FROM k WHERE c.id = 1
	RETURNING c.seq, c.prev_hash, c.hash, k.stamp
), a AS (
	INSERT INTO audit_log (seq, id, at, actor, actor_role, action, subject_type, subject_id, details, prev_hash, hash)
	SELECT seq, $9, $10, $11, $12, $13, 'key', $5, $14::text || stamp || $15::text, prev_hash, hash FROM h
), e AS (
	INSERT INTO custody_events (id, key_id, action, at, actor, actor_role, holder_id, due_at, note, audit_seq)
	SELECT $16, $5, $17, $10, $11, $12, $2, $3, $18, seq FROM h
)
SELECT k.id, k.keyway_id, k.symbol, k.copy_number, k.status, k.holder, k.due_at, k.created_at FROM k, h`

// pgCheckInOut runs a check-out or check-in on PostgreSQL as pgMoveSQL. ok is
// false when the statement wrote nothing: the caller then runs the generic
// move, which names the reason (unknown key, current state, unknown holder) or,
// for a symbol the statement cannot splice, does the move itself.
func (s *Custody) pgCheckInOut(ctx context.Context, a keyward.Actor, keyID, action, holderID string, due *time.Time, note string) (k *keyward.Key, ok bool, err error) {
	from, to, _ := keyward.Transition(action)
	now := s.db.Now()
	checkoutID := sql.NullString{}
	if action == keyward.CustodyCheckout {
		checkoutID = nullStr(newID("co"))
	}
	details, err := json.Marshal(eventDetails(&keyward.Key{Stamp: stampMark, Status: to}, holderID, due, note))
	if err != nil {
		return nil, false, err
	}
	d := string(details)
	cut := strings.LastIndex(d, stampMark)
	r := audit.Record{ID: newID("aud"), At: now, Actor: actorName(a), ActorRole: string(a.Role),
		Action: "key." + action, SubjectType: "key", SubjectID: keyID, Details: d}
	sp, spliced := audit.SpliceLeaf(r, stampMark)
	if !spliced || cut < 0 {
		return nil, false, nil
	}
	got, err := scanKey(s.db.db.QueryRowContext(ctx, pgMoveSQL,
		to, nullStr(holderID), nullTS(due), checkoutID, keyID, from, sp.Mid, sp.Tail,
		r.ID, ts(now), r.Actor, r.ActorRole, r.Action, d[:cut], d[cut+len(stampMark):],
		newID("evt"), action, note))
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return nil, false, nil
	case err != nil:
		return nil, false, fmt.Errorf("store: %s: %w", action, err)
	}
	return &got, true, nil
}
