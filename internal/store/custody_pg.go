package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
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

// stampMark stands in for the key's stamp while Go builds the audit details
// and leaf of a one-statement move; the statement splices in the real stamp.
const stampMark = "STAMP.MARK_"

// pgMoveSQL is a check-out or check-in as one autocommitted statement, one
// round trip and one commit. The key update is guarded by the allowed states,
// the chain head update locks and advances the one audit chain and computes
// the record hash from the head it locked (so appends from several servers
// still form one chain), and the audit record and logbook line are written
// from what those two updates return. The key row is locked first to read the
// holder it leaves, whose line a check-in is in the per-holder logbook. If the key is not in an allowed state,
// the holder is unknown or being offboarded, or the key's symbol has
// characters the splice cannot carry, nothing is written and no row comes back.
const pgMoveSQL = `WITH k AS (
	UPDATE keys SET status = $1, holder_id = $2, due_at = $3, checkout_id = $4
	FROM (SELECT holder_id AS prev_holder FROM keys WHERE id = $5 FOR UPDATE) o
	WHERE id = $5 AND status = ANY($6) AND symbol ~ '^[A-Za-z0-9._]+$'
		AND ($2::text IS NULL OR (EXISTS (SELECT 1 FROM holders WHERE id = $2)
			AND NOT EXISTS (SELECT 1 FROM offboardings WHERE holder_id = $2 AND cleared_at IS NULL)))
	RETURNING id, keyway_id, symbol, copy_number, status, COALESCE(holder_id, '') AS holder, due_at, created_at,
		symbol || '-' || copy_number AS stamp, o.prev_holder
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
	SELECT $16, $5, $17, $10, $11, $12, COALESCE($2, k.prev_holder), $3, $18, h.seq FROM h, k
)
SELECT k.id, k.keyway_id, k.symbol, k.copy_number, k.status, k.holder, k.due_at, k.created_at FROM k, h`

// pgMove is one check-out or check-in waiting for pgMoveSQL: its arguments,
// then what the statement returned.
type pgMove struct {
	args []any
	key  *keyward.Key // nil when the statement wrote nothing
}

// pgCheckInOut runs a check-out or check-in on PostgreSQL as pgMoveSQL,
// sharing a commit with moves that arrive at the same time. ok is false when
// the statement wrote nothing: the caller then runs the generic move, which
// names the reason (unknown key, current state, unknown holder) or, for a
// symbol the statement cannot splice, makes the move itself.
func (s *Custody) pgCheckInOut(ctx context.Context, a keyward.Actor, keyID, action, holderID string, due *time.Time, note string) (k *keyward.Key, ok bool, err error) {
	m, err := s.pgMoveFor(a, keyID, action, holderID, due, note)
	if m == nil || err != nil {
		return nil, false, err
	}
	if err := s.db.pgMoves.do(ctx, m); err != nil {
		return nil, false, fmt.Errorf("store: %s: %w", action, err)
	}
	return m.key, m.key != nil, nil
}

// pgMoveFor builds the statement's arguments; nil when the details cannot be
// spliced.
func (s *Custody) pgMoveFor(a keyward.Actor, keyID, action, holderID string, due *time.Time, note string) (*pgMove, error) {
	from, to, _ := keyward.Transition(action)
	now := s.db.Now()
	checkoutID := sql.NullString{}
	if action == keyward.CustodyCheckout {
		checkoutID = nullStr(newID("co"))
	}
	details, err := json.Marshal(eventDetails(&keyward.Key{Stamp: stampMark, Status: to}, holderID, due, note))
	if err != nil {
		return nil, err
	}
	d := string(details)
	cut := strings.LastIndex(d, stampMark)
	r := audit.Record{ID: newID("aud"), At: now, Actor: actorName(a), ActorRole: string(a.Role),
		Action: "key." + action, SubjectType: "key", SubjectID: keyID, Details: d}
	sp, spliced := audit.SpliceLeaf(r, stampMark)
	if !spliced || cut < 0 {
		return nil, nil
	}
	return &pgMove{args: []any{to, nullStr(holderID), nullTS(due), checkoutID, keyID, from, sp.Mid, sp.Tail,
		r.ID, ts(now), r.Actor, r.ActorRole, r.Action, d[:cut], d[cut+len(stampMark):],
		newID("evt"), action, note}}, nil
}

// runPGMove runs one move as its own autocommitted statement.
func (d *DB) runPGMove(ctx context.Context, p *pending[*pgMove]) {
	k, err := scanKey(d.db.QueryRowContext(ctx, pgMoveSQL, p.work.args...))
	switch {
	case errors.Is(err, sql.ErrNoRows):
	case err != nil:
		p.err = err
	default:
		p.work.key = &k
	}
}

// runPGMoves sends a batch's statements in one pipeline between BEGIN and
// COMMIT: one round trip and one commit for all of them. If any statement
// fails, nothing of the batch is committed and each move runs alone.
func (d *DB) runPGMoves(batch []*pending[*pgMove]) {
	if len(batch) == 1 {
		d.runPGMove(batch[0].ctx, batch[0])
		return
	}
	ctx := context.Background()
	keys := make([]*keyward.Key, len(batch))
	err := func() error {
		conn, err := d.db.Conn(ctx)
		if err != nil {
			return err
		}
		defer conn.Close()
		return conn.Raw(func(dc any) error {
			pc := dc.(*stdlib.Conn).Conn()
			b := &pgx.Batch{}
			b.Queue("BEGIN")
			for _, p := range batch {
				b.Queue(pgMoveSQL, p.work.args...)
			}
			b.Queue("COMMIT")
			br := pc.SendBatch(ctx, b)
			err := func() error {
				if _, err := br.Exec(); err != nil {
					return err
				}
				for i := range batch {
					k, err := scanKey(br.QueryRow())
					switch {
					case errors.Is(err, pgx.ErrNoRows):
					case err != nil:
						return err
					default:
						keys[i] = &k
					}
				}
				_, err := br.Exec()
				return err
			}()
			if cerr := br.Close(); err == nil {
				err = cerr
			}
			if err != nil {
				_, _ = pc.Exec(ctx, "ROLLBACK")
			}
			return err
		})
	}()
	if err != nil {
		for _, p := range batch {
			d.runPGMove(p.ctx, p)
		}
		return
	}
	for i, p := range batch {
		p.work.key = keys[i]
	}
}
