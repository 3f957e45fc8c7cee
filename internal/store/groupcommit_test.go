package store

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/keyward/keyward/internal/keyward"
)

// Moves that queue while a batch runs share the next batch; each caller gets
// its own result; a caller that gave up while queued is never run.
func TestCommitterBatchesWhatQueues(t *testing.T) {
	release := make(chan struct{})
	var mu sync.Mutex
	var batches [][]int
	c := &committer[int]{run: func(batch []*pending[int]) {
		var ids []int
		for _, p := range batch {
			ids = append(ids, p.work)
			if p.work%2 == 1 {
				p.err = fmt.Errorf("odd %d", p.work)
			}
		}
		mu.Lock()
		batches = append(batches, ids)
		first := len(batches) == 1
		mu.Unlock()
		if first {
			<-release // hold the first commit while the others queue
		}
	}}
	errs := make([]error, 6)
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { defer wg.Done(); errs[0] = c.do(context.Background(), 0) }()
	waitQueued := func(n int) {
		t.Helper()
		for deadline := time.Now().Add(5 * time.Second); ; {
			c.mu.Lock()
			q := len(c.queue)
			c.mu.Unlock()
			mu.Lock()
			started := len(batches) > 0
			mu.Unlock()
			if started && q == n {
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("queue never reached %d (at %d)", n, q)
			}
			time.Sleep(time.Millisecond)
		}
	}
	waitQueued(0)
	canceled, cancel := context.WithCancel(context.Background())
	cancel()
	for i := 1; i <= 5; i++ {
		wg.Add(1)
		ctx := context.Background()
		if i == 4 {
			ctx = canceled
		}
		go func() { defer wg.Done(); errs[i] = c.do(ctx, i) }()
		waitQueued(i)
	}
	close(release)
	wg.Wait()
	if len(batches) != 2 || fmt.Sprint(batches[0]) != "[0]" || len(batches[1]) != 4 {
		t.Fatalf("batches = %v, want [0] then the four live ones queued behind it", batches)
	}
	for i, err := range errs {
		switch {
		case i == 4:
			if !errors.Is(err, context.Canceled) {
				t.Fatalf("canceled caller: %v", err)
			}
		case i%2 == 1:
			if err == nil || err.Error() != fmt.Sprintf("odd %d", i) {
				t.Fatalf("caller %d: %v, want its own error", i, err)
			}
		case err != nil:
			t.Fatalf("caller %d: %v", i, err)
		}
	}
	if c.leading || len(c.queue) != 0 {
		t.Fatal("the committer still has a leader or a queue after everyone returned")
	}
}

// In a SQLite batch a move that fails is undone on its own and the moves
// around it commit.
func TestTxBatchUndoesOnlyTheFailedMove(t *testing.T) {
	ctx := context.Background()
	d := openSQLiteForTest(t)
	insert := func(id string, fail bool) *pending[func(*Tx) error] {
		return &pending[func(*Tx) error]{ctx: ctx, work: func(tx *Tx) error {
			if _, err := tx.Exec(ctx, `INSERT INTO sites (id, name, created_at) VALUES (?, ?, '')`, id, id); err != nil {
				return err
			}
			if fail {
				return errors.New("refused after writing")
			}
			return nil
		}}
	}
	batch := []*pending[func(*Tx) error]{insert("a", false), insert("b", true), insert("c", false)}
	d.runTxBatch(batch)
	if batch[0].err != nil || batch[1].err == nil || batch[2].err != nil {
		t.Fatalf("errors %v, %v, %v", batch[0].err, batch[1].err, batch[2].err)
	}
	rows, err := d.query(ctx, `SELECT id FROM sites ORDER BY id`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var ids []string
	for rows.Next() {
		var id string
		rows.Scan(&id)
		ids = append(ids, id)
	}
	if fmt.Sprint(ids) != "[a c]" {
		t.Fatalf("sites after the batch = %v, want [a c]", ids)
	}
}

// A batch that panics fails its callers and leaves the committer usable.
func TestCommitterSurvivesPanic(t *testing.T) {
	c := &committer[bool]{run: func(batch []*pending[bool]) {
		if batch[0].work {
			panic("boom")
		}
	}}
	if err := c.do(context.Background(), true); err == nil || !strings.Contains(err.Error(), "boom") {
		t.Fatalf("panicking move: %v", err)
	}
	done := make(chan error, 1)
	go func() { done <- c.do(context.Background(), false) }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the next move never ran after a panic")
	}
}

// On SQLite a move runs with a context its caller cannot cancel once it has
// started: an interrupted write would roll back the whole shared transaction.
func TestMoveTxIgnoresCancelOnceRunning(t *testing.T) {
	d := openSQLiteForTest(t)
	ctx, cancel := context.WithCancel(context.Background())
	err := d.moveTx(ctx, func(ctx context.Context, tx *Tx) error {
		cancel() // the caller gives up while its move runs
		if ctx.Err() != nil {
			return errors.New("the move's context was canceled with its caller's")
		}
		_, err := tx.Exec(ctx, `INSERT INTO sites (id, name, created_at) VALUES ('s1', 'Site', '')`)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	var n int64
	if err := d.db.QueryRowContext(context.Background(), `SELECT COUNT(*) FROM sites WHERE id = 's1'`).Scan(&n); err != nil || n != 1 {
		t.Fatalf("%d sites written (%v), want 1", n, err)
	}
}

// Audit records are written just before the commit (or before a read of the
// log); when writing them fails, even inside a QueryRow that cannot say so,
// the transaction does not commit without them.
func TestFailedAuditFlushKeepsTheCommitBack(t *testing.T) {
	ctx := context.Background()
	d := openSQLiteForTest(t)
	a := keyward.SystemActor("test")
	if err := d.withTx(ctx, func(tx *Tx) error {
		_, err := tx.record(ctx, a, "test.first", "test", "1", nil)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	tx, err := d.begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()
	if _, err := tx.Exec(ctx, `INSERT INTO sites (id, name, created_at) VALUES ('s', 's', '')`); err != nil {
		t.Fatal(err)
	}
	if _, err := tx.record(ctx, a, "test.second", "test", "2", nil); err != nil {
		t.Fatal(err)
	}
	tx.unwritten[0].Seq = 1 // taken: writing it fails
	var n int
	_ = tx.QueryRow(ctx, `SELECT COUNT(*) FROM audit_log`).Scan(&n)
	if err := tx.Commit(); err == nil || !strings.Contains(err.Error(), "audit append") {
		t.Fatalf("commit after a failed flush: %v, want the flush's error", err)
	}
	tx.Rollback()
	var sites int
	if err := d.queryRow(ctx, `SELECT COUNT(*) FROM sites`).Scan(&sites); err != nil || sites != 0 {
		t.Fatalf("sites = %d (%v): the change committed without its audit record", sites, err)
	}
}
