package store_test

import (
	"context"
	"fmt"
	"os"
	"runtime"
	"sync/atomic"
	"testing"
	"time"

	"github.com/keyward/keyward/internal/audit"
	"github.com/keyward/keyward/internal/keyward"
	"github.com/keyward/keyward/internal/store"
	"github.com/keyward/keyward/internal/store/storetest"
)

// benchSetup opens a fresh database with an owner.
func benchSetup(tb testing.TB, backend storetest.Backend) (*storetest.Env, *store.DB, keyward.Actor) {
	env := backend(tb)
	env.Clock = storetest.NewClock()
	db := env.Open(tb)
	u, _, err := db.Accounts(env.Vault).Init(context.Background(), store.InitInput{Org: "Bench", Email: "o@bench.test", Password: "correct horse battery"})
	if err != nil {
		tb.Fatal(err)
	}
	return env, db, keyward.Actor{UserID: u.ID, Email: u.Email, Role: u.Role}
}

// stockKeys makes n copies of key AA1 in storage and a holder to give them to.
func stockKeys(tb testing.TB, db *store.DB, a keyward.Actor, n int) (holderID string, keyIDs []string) {
	ctx := context.Background()
	kw, err := db.Directory().CreateKeyway(ctx, a, keyward.KeywayInput{Name: "K", DuplicationPolicy: "open"})
	if err != nil {
		tb.Fatal(err)
	}
	h, err := db.Directory().CreateHolder(ctx, a, keyward.HolderInput{Name: "H", Email: "h@bench.test"})
	if err != nil {
		tb.Fatal(err)
	}
	for range n {
		k, err := db.Custody().CreateKey(ctx, a, keyward.KeyInput{KeywayID: kw.ID, Symbol: "AA1"})
		if err != nil {
			tb.Fatal(err)
		}
		keyIDs = append(keyIDs, k.ID)
	}
	return h.ID, keyIDs
}

// BenchmarkCheckoutCheckin measures check-out + check-in pairs, each with its
// audit record and logbook line, durable commits, next to the raw rate of
// single-row durable commits on the same database.
func BenchmarkCheckoutCheckin(b *testing.B) {
	storetest.Each(b, func(b *testing.B, be storetest.Backend) {
		b.Run("pair", func(b *testing.B) {
			env, db, a := benchSetup(b, be)
			ctx := context.Background()
			holder, keys := stockKeys(b, db, a, 1)
			due := env.Clock.Now().Add(time.Hour)
			b.ResetTimer()
			for b.Loop() {
				if _, err := db.Custody().Checkout(ctx, a, keys[0], keyward.CheckoutInput{HolderID: holder, DueAt: due}); err != nil {
					b.Fatal(err)
				}
				if _, err := db.Custody().Checkin(ctx, a, keys[0], keyward.CheckinInput{}); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "pairs/s")
		})
		b.Run("floor-pair", func(b *testing.B) {
			// The floor hook writes SQLite's pages by hand; it is measured there alone.
			env, db, a := benchSetup(b, be)
			if env.Name != "sqlite" {
				b.Skip("the floor is measured on SQLite")
			}
			ctx := context.Background()
			holder, keys := stockKeys(b, db, a, 1)
			seq, err := env.SQL().Count(`SELECT seq FROM chain_head`)
			if err != nil {
				b.Fatal(err)
			}
			b.ResetTimer()
			for b.Loop() {
				for range 2 {
					seq++
					if err := db.FloorMoveForTest(ctx, keys[0], holder, seq); err != nil {
						b.Fatal(err)
					}
				}
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "pairs/s")
		})
		b.Run("raw-commit", func(b *testing.B) {
			_, db, _ := benchSetup(b, be)
			ctx := context.Background()
			i := 0
			for b.Loop() {
				i++
				if err := db.RawCommitForTest(ctx, fmt.Sprint("r", i)); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "commits/s")
		})
	})
}

// BenchmarkCheckoutCheckinConcurrent is the same comparison with 8 clients
// at once, each checking its own key out and in, next to 8 clients making raw
// single-row commits: the rates a busy site would see.
func BenchmarkCheckoutCheckinConcurrent(b *testing.B) {
	const clients = 8
	storetest.Each(b, func(b *testing.B, be storetest.Backend) {
		b.Run("pair", func(b *testing.B) {
			env, db, a := benchSetup(b, be)
			ctx := context.Background()
			holder, keys := stockKeys(b, db, a, clients)
			due := env.Clock.Now().Add(time.Hour)
			var next atomic.Int64
			b.SetParallelism((clients + runtime.GOMAXPROCS(0) - 1) / runtime.GOMAXPROCS(0))
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				key := keys[int(next.Add(1)-1)%clients]
				for pb.Next() {
					if _, err := db.Custody().Checkout(ctx, a, key, keyward.CheckoutInput{HolderID: holder, DueAt: due}); err != nil {
						b.Error(err)
						return
					}
					if _, err := db.Custody().Checkin(ctx, a, key, keyward.CheckinInput{}); err != nil {
						b.Error(err)
						return
					}
				}
			})
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "pairs/s")
		})
		b.Run("raw-commit", func(b *testing.B) {
			_, db, _ := benchSetup(b, be)
			ctx := context.Background()
			var i atomic.Int64
			b.SetParallelism((clients + runtime.GOMAXPROCS(0) - 1) / runtime.GOMAXPROCS(0))
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					if err := db.RawCommitForTest(ctx, fmt.Sprint("r", i.Add(1))); err != nil {
						b.Error(err)
						return
					}
				}
			})
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "commits/s")
		})
	})
}

// BenchmarkAuditVerify measures verification of 100,000 records next to its
// two parts alone, in the same run: reading every row (read-only) and
// computing every hash verify computes, record, chain and Merkle tree, over
// rows already in memory (hash-only). Verify should reach at least half of
// the slower of the two.
func BenchmarkAuditVerify(b *testing.B) {
	const n = 100_000
	storetest.Each(b, func(b *testing.B, be storetest.Backend) {
		_, db, _ := benchSetup(b, be)
		ctx := context.Background()
		if err := db.AppendAuditForTest(ctx, n-2); err != nil {
			b.Fatal(err)
		}
		b.Run("verify", func(b *testing.B) {
			for b.Loop() {
				sum, _, err := db.VerifyAudit(ctx, nil)
				if err != nil || sum.Records != n {
					b.Fatalf("%v %v", sum, err)
				}
			}
			b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "records/s")
		})
		b.Run("read-only", func(b *testing.B) {
			for b.Loop() {
				got := 0
				if err := db.AuditSince(ctx, 0, func(audit.Stored) error { got++; return nil }); err != nil || got != n {
					b.Fatalf("%d %v", got, err)
				}
			}
			b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "records/s")
		})
		b.Run("hash-only", func(b *testing.B) {
			var rows []audit.Stored
			if err := db.AuditSince(ctx, 0, func(s audit.Stored) error { rows = append(rows, s); return nil }); err != nil {
				b.Fatal(err)
			}
			b.ResetTimer()
			for b.Loop() {
				v := audit.NewVerifier()
				for _, s := range rows {
					if err := v.Add(s); err != nil {
						b.Fatal(err)
					}
				}
				if _, err := v.Root(); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "records/s")
		})
	})
}

// BenchmarkViewsAtScale: 100,000 keys, 10,000 holders, 1,000,000 custody
// events; the per-key, per-holder and search views, each must answer in
// under 50 ms. Set KEYWARD_BENCH_SCALE=small for a quick run.
func BenchmarkViewsAtScale(b *testing.B) {
	n, h, e := 100_000, 10_000, 1_000_000
	if os.Getenv("KEYWARD_BENCH_SCALE") == "small" {
		n, h, e = 10_000, 1_000, 100_000
	}
	storetest.Each(b, func(b *testing.B, be storetest.Backend) {
		env, db, a := benchSetup(b, be)
		ctx := context.Background()
		start := time.Now()
		seed, err := db.SeedScaleForTest(ctx, n, h, e)
		if err != nil {
			b.Fatal(err)
		}
		b.Logf("%s: seeded %d keys, %d holders, %d events in %s", env.Name, n, h, e, time.Since(start).Round(time.Millisecond))
		b.Run("per-key", func(b *testing.B) {
			for i := 0; b.Loop(); i++ {
				p, err := db.Custody().History(ctx, a, fmt.Sprintf("key_s%d", (i*7919)%n), keyward.ListOptions{})
				if err != nil || len(p.Items) == 0 {
					b.Fatal(err)
				}
			}
		})
		b.Run("per-holder", func(b *testing.B) {
			for i := 0; b.Loop(); i++ {
				id := fmt.Sprintf("hld_s%d", (i*7919)%h)
				if _, err := db.Custody().HolderKeys(ctx, a, id); err != nil {
					b.Fatal(err)
				}
				if ev, err := db.HolderEvents(ctx, a, id, keyward.ListOptions{Limit: 50}); err != nil || len(ev.Items) == 0 {
					b.Fatal(err)
				}
			}
		})
		// The seed's door is keyed to a change key, its master and the grand
		// master: every copy of those symbols is listed with where it is now.
		b.Run("per-opening", func(b *testing.B) {
			for b.Loop() {
				acc, err := db.Schedule().Access(ctx, a, seed.DoorID)
				if err != nil || len(acc.Keys) != 30 {
					b.Fatalf("%v: want the 30 copies of 3 symbols", err)
				}
			}
		})
		b.Run("keys-out-90-days", func(b *testing.B) {
			for b.Loop() {
				if s, err := db.KeysOut(ctx, a, 90); err != nil || len(s) != 90 {
					b.Fatal(err)
				}
			}
		})
		b.Run("search", func(b *testing.B) {
			for i := 0; b.Loop(); i++ {
				// Search reads stamps exactly: a symbol finds its copies.
				res, err := db.Search(ctx, a, keyward.SeedSymbol((i*7919)%n), 50)
				if err != nil || len(res.Keys) != keyward.SeedCopies {
					b.Fatal(err, res)
				}
				if _, err := db.Search(ctx, a, "older 0042", 20); err != nil {
					b.Fatal(err)
				}
			}
		})
	})
}

// BenchmarkBackupRestore backs up and restores 100,000 keys, 10,000 holders,
// 100,000 custody events and 100,000 audit records, into an empty target
// each time (KEYWARD_BENCH_SCALE=small: a tenth).
func BenchmarkBackupRestore(b *testing.B) {
	n, h, e, a := 100_000, 10_000, 100_000, 100_000
	if os.Getenv("KEYWARD_BENCH_SCALE") == "small" {
		n, h, e, a = 10_000, 1_000, 10_000, 10_000
	}
	storetest.Each(b, func(b *testing.B, be storetest.Backend) {
		env, db, _ := benchSetup(b, be)
		ctx := context.Background()
		seed, err := db.SeedScaleForTest(ctx, n, h, e)
		if err != nil {
			b.Fatal(err)
		}
		if err := db.AppendAuditForTest(ctx, a-2-seed.Records); err != nil {
			b.Fatal(err)
		}
		file := b.TempDir() + "/backup"
		start := time.Now()
		size, err := db.Backup(ctx, file)
		if err != nil {
			b.Fatal(err)
		}
		b.Logf("%s: backup of %d bytes in %s", env.Name, size, time.Since(start).Round(time.Millisecond))
		b.ResetTimer()
		for b.Loop() {
			b.StopTimer()
			target := be(b)
			b.StartTimer()
			r, err := store.Restore(ctx, store.Config{URL: target.URL, DataDir: target.Dir, Now: env.Clock.Now}, file)
			if err != nil || r.Records != int64(a) {
				b.Fatalf("%+v %v", r, err)
			}
		}
	})
}
