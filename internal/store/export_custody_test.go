package store

import (
	"context"
	"errors"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/keyward/keyward/internal/keyward"
)

// BatchMove is one custody move for MoveBatchForTest. Fail makes it fail
// after it has written, as a move that fails late would; DeadlockOnce makes
// its first try fail as a PostgreSQL deadlock victim does.
type BatchMove struct {
	KeyID        string
	Req          keyward.MoveRequest
	Fail         bool
	DeadlockOnce bool
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
