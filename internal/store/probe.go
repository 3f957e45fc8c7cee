package store

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"
)

// probeMark is the email and address of the rows the commit probe writes:
// no sign-in ever fails with it (it is not an email), so the throttle never
// counts them, and the probe deletes them when it ends.
const probeMark = "commit-probe"

// ProbeCommits measures the raw durable-commit rate of this database: writers
// goroutines each commit one single-row insert after another, through the
// same transaction path and durability settings as every change, for dur.
// It returns how many commits it made. The rows are not data (failed sign-ins
// of an address that is none) and are deleted at the end; `keyward load`
// prints the rate next to what the server achieved, and the benchmarks
// compare the custody moves with it.
func (d *DB) ProbeCommits(ctx context.Context, writers int, dur time.Duration) (int64, error) {
	if writers < 1 {
		return 0, errors.New("probe: writers must be at least 1")
	}
	runCtx, cancel := context.WithTimeout(ctx, dur)
	defer cancel()
	var n atomic.Int64
	var first error
	var once sync.Once
	var wg sync.WaitGroup
	for range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for runCtx.Err() == nil {
				if err := d.probeCommit(runCtx, newID("prb")); err != nil {
					if runCtx.Err() == nil {
						once.Do(func() { first = err })
						cancel()
					}
					return
				}
				n.Add(1)
			}
		}()
	}
	wg.Wait()
	if err := d.clearProbe(context.WithoutCancel(ctx)); err != nil && first == nil {
		first = err
	}
	if first != nil {
		return n.Load(), fmt.Errorf("probe: %w", first)
	}
	return n.Load(), nil
}

// probeCommit commits one single-row insert.
func (d *DB) probeCommit(ctx context.Context, id string) error {
	return d.withTx(ctx, func(tx *Tx) error {
		_, err := tx.Exec(ctx, `INSERT INTO login_failures (id, email, addr, at) VALUES (?, ?, ?, ?)`, id, probeMark, probeMark, ts(tx.now))
		return err
	})
}

// clearProbe deletes the probe's rows in batches, so SQLite's write lock is
// never held long while a server runs beside it.
func (d *DB) clearProbe(ctx context.Context) error {
	for {
		var res int64
		err := d.withTx(ctx, func(tx *Tx) error {
			r, err := tx.Exec(ctx, `DELETE FROM login_failures WHERE id IN (SELECT id FROM login_failures WHERE addr = ? AND email = ? LIMIT 500)`, probeMark, probeMark)
			if err != nil {
				return err
			}
			res, err = r.RowsAffected()
			return err
		})
		if err != nil || res < 500 {
			return err
		}
	}
}
