package store

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/keyward/keyward/internal/keyward"
)

// BatchMove is one custody move for MoveBatchForTest. Fail makes it fail
// after it has written, as a move that fails late would; DeadlockOnce makes
// its first try fail as a PostgreSQL deadlock victim does; ReadsLog makes it
// read its own audit record back from the log after the move, which writes
// the batch's records chained so far before Fail undoes it.
type BatchMove struct {
	KeyID        string
	Req          keyward.MoveRequest
	Fail         bool
	DeadlockOnce bool
	ReadsLog     bool
}

// MoveBatchForTest makes moves as one group-commit batch, as the committer
// does with moves that arrive together: errs[i] is move i's own result.
func (d *DB) MoveBatchForTest(a keyward.Actor, moves []BatchMove) []error {
	ctx := context.Background()
	var batch []*pending[func(*Tx) error]
	for _, m := range moves {
		tries := 0
		batch = append(batch, &pending[func(*Tx) error]{ctx: ctx, work: func(tx *Tx) error {
			if _, err := tx.move(ctx, a, m.KeyID, m.Req); err != nil {
				return err
			}
			if m.ReadsLog {
				var n int
				if err := tx.QueryRow(ctx, `SELECT COUNT(*) FROM audit_log WHERE seq = ?`, tx.head.seq).Scan(&n); err != nil || n != 1 {
					return fmt.Errorf("the move's own audit record read back %d times (%v), want once", n, err)
				}
			}
			if tries++; m.DeadlockOnce && tries == 1 {
				return &pgconn.PgError{Code: "40P01", Message: "deadlock detected"}
			}
			if m.Fail {
				return errors.New("failed after writing")
			}
			return nil
		}})
	}
	d.runTxBatch(batch)
	errs := make([]error, len(batch))
	for i, p := range batch {
		errs[i] = p.err
	}
	return errs
}

// PlanAheadForTest plans a move outside any transaction, as a PostgreSQL
// move does before it queues for its batch; then between runs; then the
// planned move is made if what it was planned on still holds. It reports
// whether it was made (a plan gone stale writes nothing).
func (d *DB) PlanAheadForTest(a keyward.Actor, keyID string, r keyward.MoveRequest, between func()) (bool, error) {
	ctx := context.Background()
	p, err := planMove(ctx, poolQuerier{d}, a, keyID, r)
	if err != nil {
		return false, err
	}
	between()
	var made bool
	err = d.withTx(ctx, func(tx *Tx) error {
		var err error
		_, made, err = tx.makeMove(ctx, a, p, true)
		return err
	})
	return made, err
}
