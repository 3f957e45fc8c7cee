package store_test

import (
	"context"
	"math/rand/v2"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/keyward/keyward/internal/keyward"
	"github.com/keyward/keyward/internal/store"
	"github.com/keyward/keyward/internal/store/storetest"
)

// TestCustodyContention is many clients fighting over a few keys, as an
// outside load run did: 50 clients check 10 shared keys out and in at random
// for a few seconds, through two handles on the database (two servers). Every
// answer is a move made or a 409; every move acknowledged is in its key's
// history, and nothing else is; the audit log verifies.
func TestCustodyContention(t *testing.T) {
	if testing.Short() {
		t.Skip("contention run takes seconds")
	}
	const clients, nkeys = 50, 10
	run := 3 * time.Second
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		env, db, a := benchSetup(t, b)
		dbs := []*store.DB{db, env.Open(t)}
		ctx := context.Background()
		holder, keys := stockKeys(t, db, a, nkeys)
		due := env.Clock.Now().Add(time.Hour)
		index := map[string]int{}
		for i, k := range keys {
			index[k] = i
		}

		var outs, ins [nkeys]atomic.Int64
		var conflicts, failures atomic.Int64
		var mu sync.Mutex
		var firstFailures []string
		var latencies []time.Duration
		stop := time.Now().Add(run)
		var wg sync.WaitGroup
		for c := range clients {
			wg.Add(1)
			go func() {
				defer wg.Done()
				r := rand.New(rand.NewPCG(uint64(c), 11))
				custody := dbs[c%len(dbs)].Custody()
				var mine []time.Duration
				defer func() {
					mu.Lock()
					latencies = append(latencies, mine...)
					mu.Unlock()
				}()
				for time.Now().Before(stop) {
					i := r.IntN(nkeys)
					start := time.Now()
					var err error
					if r.IntN(2) == 0 {
						if _, err = custody.Checkout(ctx, a, keys[i], keyward.CheckoutInput{HolderID: holder, DueAt: due}); err == nil {
							outs[i].Add(1)
						}
					} else if _, err = custody.Checkin(ctx, a, keys[i], keyward.CheckinInput{}); err == nil {
						ins[i].Add(1)
					}
					mine = append(mine, time.Since(start))
					switch {
					case err == nil:
					case keyward.ErrorCode(err) == keyward.ECONFLICT:
						conflicts.Add(1)
					default:
						failures.Add(1)
						mu.Lock()
						if len(firstFailures) < 5 {
							firstFailures = append(firstFailures, err.Error())
						}
						mu.Unlock()
					}
				}
			}()
		}
		wg.Wait()
		var made int64
		for i := range nkeys {
			made += outs[i].Load() + ins[i].Load()
		}
		slices.Sort(latencies)
		p99 := latencies[len(latencies)*99/100]
		t.Logf("%s: %d moves made, %d refused (409), %d failed in %v; p99 %v", env.Name, made, conflicts.Load(), failures.Load(), run, p99.Round(time.Millisecond))
		if failures.Load() > 0 {
			t.Fatalf("%d moves failed with an internal error, first: %q", failures.Load(), firstFailures)
		}
		if made < nkeys {
			t.Fatalf("only %d moves made", made)
		}

		// The logbook of each key holds exactly the moves acknowledged,
		// alternating from the key's creation.
		for _, k := range keys {
			i := index[k]
			var gotOut, gotIn int64
			last := keyward.CustodyCheckin
			cursor := ""
			for {
				page, err := db.Custody().History(ctx, a, k, keyward.ListOptions{Limit: 500, Cursor: cursor})
				if err != nil {
					t.Fatal(err)
				}
				for _, e := range page.Items {
					switch e.Action {
					case keyward.CustodyCreate:
						continue
					case keyward.CustodyCheckout:
						gotOut++
					case keyward.CustodyCheckin:
						gotIn++
					default:
						t.Fatalf("key %d: unexpected %s in the history", i, e.Action)
					}
					if e.Action == last {
						t.Fatalf("key %d: two %s in a row in the history", i, e.Action)
					}
					last = e.Action
				}
				if page.Next == "" {
					break
				}
				cursor = page.Next
			}
			if gotOut != outs[i].Load() || gotIn != ins[i].Load() {
				t.Fatalf("key %d: history has %d check-outs and %d check-ins, %d and %d were acknowledged",
					i, gotOut, gotIn, outs[i].Load(), ins[i].Load())
			}
		}
		if _, _, err := db.VerifyAudit(ctx, nil); err != nil {
			t.Fatalf("audit log: %v", err)
		}
	})
}
