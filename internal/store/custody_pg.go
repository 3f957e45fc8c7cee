package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"

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

// pgCheckInOut runs a check-out or check-in on PostgreSQL in two round trips
// instead of nine: one batch takes the locks and reads (key row, holder, chain
// head), the other writes the key, the audit record, the chain head and the
// logbook line and commits. It is the same transaction as the generic move():
// the key row lock replaces the guarded UPDATE as the race guard, and the
// chain-head lock keeps one audit chain across servers.
func (s *Custody) pgCheckInOut(ctx context.Context, a keyward.Actor, keyID, action, holderID string, due *time.Time, note string) (*keyward.Key, error) {
	from, to, _ := keyward.Transition(action)
	conn, err := s.db.db.Conn(ctx)
	if err != nil {
		return nil, fmt.Errorf("store: connection: %w", err)
	}
	defer conn.Close()
	var out *keyward.Key
	err = conn.Raw(func(dc any) error {
		pc := dc.(*stdlib.Conn).Conn()
		rollback := func() { _, _ = pc.Exec(context.WithoutCancel(ctx), "ROLLBACK") }
		now := s.db.Now()

		reads := &pgx.Batch{}
		reads.Queue("BEGIN")
		reads.Queue(`SELECT `+keyCols+` FROM keys WHERE id = $1 FOR UPDATE`, keyID)
		reads.Queue(`SELECT EXISTS (SELECT 1 FROM holders WHERE id = $1)`, holderID)
		reads.Queue(`SELECT seq, hash FROM chain_head WHERE id = 1 FOR UPDATE`)
		br := pc.SendBatch(ctx, reads)
		_, err := br.Exec()
		var k keyward.Key
		var holderOK bool
		var seq int64
		var prev string
		if err == nil {
			k, err = scanKey(br.QueryRow())
			if errors.Is(err, pgx.ErrNoRows) {
				err = sql.ErrNoRows
			}
		}
		if err == nil {
			err = br.QueryRow().Scan(&holderOK)
		}
		if err == nil {
			err = br.QueryRow().Scan(&seq, &prev)
		}
		if cerr := br.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			rollback()
			return notFound(err, "key", keyID)
		}
		allowed := false
		for _, f := range from {
			allowed = allowed || k.Status == f
		}
		switch {
		case !allowed:
			rollback()
			return keyward.TransitionConflict(&k, action)
		case holderID != "" && !holderOK:
			rollback()
			return keyward.Invalid("holder_id", "must name an existing holder")
		}

		checkoutID := sql.NullString{}
		newHolder, newDue := holderID, due
		if action == keyward.CustodyCheckout {
			checkoutID = nullStr(newID("co"))
		}
		k.Status, k.HolderID, k.DueAt = to, newHolder, newDue
		b, err := json.Marshal(eventDetails(&k, holderID, due, note))
		if err != nil {
			rollback()
			return err
		}
		r := audit.Record{Seq: seq + 1, ID: newID("aud"), At: now, Actor: actorName(a), ActorRole: string(a.Role),
			Action: "key." + action, SubjectType: "key", SubjectID: k.ID, Details: string(b)}
		h := audit.ChainHash(prev, r)

		writes := &pgx.Batch{}
		writes.Queue(`UPDATE keys SET status = $1, holder_id = $2, due_at = $3, checkout_id = $4 WHERE id = $5`,
			to, nullStr(newHolder), nullTS(newDue), checkoutID, keyID)
		writes.Queue(`INSERT INTO audit_log (seq, id, at, actor, actor_role, action, subject_type, subject_id, details, prev_hash, hash)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`,
			r.Seq, r.ID, ts(r.At), r.Actor, r.ActorRole, r.Action, r.SubjectType, r.SubjectID, r.Details, prev, h)
		writes.Queue(`UPDATE chain_head SET seq = $1, hash = $2 WHERE id = 1`, r.Seq, h)
		writes.Queue(`INSERT INTO custody_events (id, key_id, action, at, actor, actor_role, holder_id, due_at, note, audit_seq)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
			newID("evt"), k.ID, action, ts(now), actorName(a), string(a.Role), nullStr(holderID), nullTS(due), note, r.Seq)
		writes.Queue("COMMIT")
		if err := pc.SendBatch(ctx, writes).Close(); err != nil {
			rollback()
			return fmt.Errorf("store: %s: %w", action, err)
		}
		out = &k
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}
