package store

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"

	"github.com/keyward/keyward/internal/keyward"
)

// Group commit. Every custody move appends to the one audit chain, so moves
// are serialized, and each used to wait for its own durable commit (an fsync)
// while the next one queued behind it. A committer lets the moves that arrive
// while one commit is in flight share the next commit: the first caller leads,
// runs everything queued as one batch, then hands the lead to a caller still
// waiting. A caller alone runs alone, exactly as without the committer.
//
// Each move in a batch keeps its own result: a move that is refused writes
// nothing and the others still commit; a move that fails after writing sends
// every move of its batch to run alone (see txBatch). A caller returns only
// after the commit that holds its move is durable.
//
// Lock order. A move locks its key row, then the audit chain head. A batch
// holds the chain head from its first move to its commit, so on PostgreSQL a
// batch that went on to lock another key could wait for a transaction (a move
// from another server, any change that appends an audit record) holding that
// key and waiting for the chain head: a deadlock. So a batch on PostgreSQL
// locks the chain head first, before any row, and batches from every server
// queue there. A transaction still chosen as a deadlock victim (a change
// outside the custody moves that locks rows a move also locks) runs again
// with every move re-read and re-decided, up to maxRetries times.

// maxBatch bounds how many moves share one commit.
const maxBatch = 64

// maxRetries bounds how often a batch chosen as a deadlock victim runs again.
const maxRetries = 5

type committer[T any] struct {
	mu      sync.Mutex
	queue   []*pending[T]
	leading bool
	// run makes every move of the batch and commits; it sets each one's err.
	run func(batch []*pending[T])
}

type pending[T any] struct {
	ctx  context.Context
	work T
	err  error
	// wake says "done" (false) or "lead the next batch" (true).
	wake chan bool
}

// do queues work and returns once the commit holding it is durable, or with
// the error that kept it out.
func (c *committer[T]) do(ctx context.Context, work T) error {
	p := &pending[T]{ctx: ctx, work: work, wake: make(chan bool, 1)}
	c.mu.Lock()
	c.queue = append(c.queue, p)
	lead := !c.leading
	c.leading = true
	c.mu.Unlock()
	if !lead && !<-p.wake {
		return p.err
	}
	c.mu.Lock()
	n := min(len(c.queue), maxBatch)
	batch := c.queue[:n:n]
	c.queue = c.queue[n:]
	c.mu.Unlock()

	live := batch[:0:0]
	for _, q := range batch {
		if err := q.ctx.Err(); err != nil {
			q.err = err // gave up while queued: never run
			continue
		}
		live = append(live, q)
	}
	if len(live) > 0 {
		c.runSafely(live)
	}

	c.mu.Lock()
	if len(c.queue) > 0 {
		c.queue[0].wake <- true
	} else {
		c.leading = false
	}
	c.mu.Unlock()
	for _, q := range batch {
		if q != p {
			q.wake <- false
		}
	}
	return p.err
}

// runSafely turns a panic in a batch into every caller's error, so the lead
// is still handed on and later moves do not wait forever.
func (c *committer[T]) runSafely(batch []*pending[T]) {
	defer func() {
		if r := recover(); r != nil {
			err := fmt.Errorf("store: custody move failed: panic: %v", r)
			for _, p := range batch {
				if p.err == nil {
					p.err = err
				}
			}
		}
	}()
	c.run(batch)
}

// runTxBatch makes each move of the batch in one transaction and commits
// once. A batch PostgreSQL gives way in a deadlock runs again from the start;
// a batch one of whose moves failed after it had written runs again with
// every move in a transaction of its own, so that move is undone alone.
func (d *DB) runTxBatch(batch []*pending[func(*Tx) error]) {
	for try := 0; ; try++ {
		for _, p := range batch {
			p.err = nil
		}
		err := d.txBatch(batch)
		if errors.Is(err, errRunAlone) {
			for _, p := range batch {
				d.runTxBatch([]*pending[func(*Tx) error]{p})
			}
			return
		}
		if !isDeadlock(err) || try == maxRetries {
			if err != nil {
				for _, p := range batch {
					if p.err == nil {
						p.err = err
					}
				}
			}
			return
		}
	}
}

// errRunAlone: a move of the batch failed after writing, and only a
// transaction of its own can undo it without undoing the others.
var errRunAlone = errors.New("store: a move failed after writing; its batch runs again one move at a time")

// txBatch is one try of runTxBatch: it sets each move's own error and
// returns what kept the whole batch from committing. A move that deadlocks
// fails the whole batch uncommitted, so that every move of it runs again.
//
// Moves share the transaction without savepoints, which would cost a round
// trip each while the chain head is held. That is safe because a move
// refuses (a conflict, a rule) before its first write: its audit records are
// still only in memory then, and are dropped with it. A move that fails
// after writing, or with an error of the database, ends the batch: see
// errRunAlone.
func (d *DB) txBatch(batch []*pending[func(*Tx) error]) error {
	// Not any one caller's context: a caller who gives up must not roll back
	// the others' moves.
	ctx := context.Background()
	tx, err := d.begin(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if d.dialect == postgresDialect {
		if _, err := tx.lockHead(ctx); err != nil {
			return err
		}
	}
	for _, p := range batch {
		head, unwritten := tx.head, slices.Clip(tx.unwritten)
		tx.wrote = false
		p.err = p.work(tx)
		switch {
		case p.err == nil:
		case isDeadlock(p.err):
			return p.err
		case len(batch) == 1:
			return nil // alone, the rollback undoes it
		case tx.wrote || !isRefusal(p.err):
			return errRunAlone
		default:
			tx.head, tx.unwritten = head, unwritten
		}
	}
	return tx.Commit()
}

// isRefusal is a move refused by a rule or a conflict: an error of ours,
// not of the database, so the transaction is still usable.
func isRefusal(err error) bool {
	var ke *keyward.Error
	return errors.As(err, &ke)
}

// moveTx runs a custody move's transaction through the committer. fn runs
// with a context its caller cannot cancel: SQLite rolls back the whole
// transaction of an interrupted write, and PostgreSQL aborts it, and with it
// the batch's other moves. A caller who gives up while queued is still never
// run.
func (d *DB) moveTx(ctx context.Context, fn func(context.Context, *Tx) error) error {
	return d.txMoves.do(ctx, func(tx *Tx) error { return fn(context.WithoutCancel(ctx), tx) })
}
