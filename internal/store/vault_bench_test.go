package store_test

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/keyward/keyward/internal/keyward"
	"github.com/keyward/keyward/internal/store"
	"github.com/keyward/keyward/internal/store/storetest"
	"github.com/keyward/keyward/internal/vault"
)

// BenchmarkRotate10000 seeds 10,000 lockbox codes, then rotates the KEK (a
// new KEK, every data key rewrapped in batches of 500, the old KEK retired)
// while a second handle, as another server would, reveals a code without
// pause. It reports the seconds per rotation of 10,000 secrets and the
// reveals served meanwhile. Run it with -benchtime=1x.
func BenchmarkRotate10000(b *testing.B) {
	const n = 10000
	storetest.Each(b, func(b *testing.B, be storetest.Backend) {
		env, db, a := benchSetup(b, be)
		ctx := context.Background()
		if err := db.SeedLockboxesForTest(ctx, n, func(code, aad string) string { return env.Vault.Seal(keyward.Secret(code), aad) }); err != nil {
			b.Fatal(err)
		}
		other := env.Open(b)
		v2, err := vault.ReadKeyFile(env.Vault.Path())
		if err != nil {
			b.Fatal(err)
		}
		var stop atomic.Bool
		var reveals, failed atomic.Int64
		var wg sync.WaitGroup
		wg.Add(1)
		go func() {
			defer wg.Done()
			st := other.Storage(v2)
			for i := 0; !stop.Load(); i++ {
				id := fmt.Sprintf("sto_b%d", i%n)
				if s, err := st.RevealCode(ctx, a, id, keyward.CodeRevealInput{Reason: "bench"}); err != nil || s.Reveal() != fmt.Sprintf("code-%d", i%n) {
					failed.Add(1)
				} else {
					reveals.Add(1)
				}
			}
		}()
		b.ResetTimer()
		start := time.Now()
		for range b.N {
			rot, err := db.RotateKEK(ctx, keyward.SystemActor("bench"), env.Vault, store.RotateOptions{})
			if err != nil || rot.Rewrapped != n {
				b.Fatalf("rotation: %+v, %v", rot, err)
			}
		}
		elapsed := time.Since(start)
		b.StopTimer()
		stop.Store(true)
		wg.Wait()
		if failed.Load() > 0 {
			b.Fatalf("%d reveals failed during the rotation", failed.Load())
		}
		b.ReportMetric(elapsed.Seconds()/float64(b.N), "s/rotation")
		b.ReportMetric(float64(reveals.Load())/float64(b.N), "reveals/rotation")
	})
}
