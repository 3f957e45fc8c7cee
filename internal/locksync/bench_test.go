package locksync_test

import (
	"context"
	"fmt"
	"os/exec"
	"testing"
	"time"

	"github.com/keyward/keyward/internal/keyward"
	"github.com/keyward/keyward/internal/store/storetest"
)

// BenchmarkLockSync measures, through a private Mosquitto on this machine,
// how long a revocation takes to reach 1,000 online simulated locks and be
// acknowledged by all of them (as the store sees it), and how long a lock
// that was offline during a change takes to be in sync once it reconnects.
//
//	go test -run '^$' -bench BenchmarkLockSync -benchtime 3x ./internal/locksync/
func BenchmarkLockSync(b *testing.B) {
	if _, err := exec.LookPath("mosquitto"); err != nil {
		b.Skip("mosquitto is not installed")
	}
	const n = 1000
	port := freePort(b)
	startMosquitto(b, port)
	r := newRig(b, storetest.SQLite, fmt.Sprintf("tcp://127.0.0.1:%d", port))
	locks := r.addLocks(n)
	ids := make([]string, n)
	for i, l := range locks {
		ids[i] = l.ID
	}
	r.startSyncer()
	ctx := context.Background()
	versions := func() map[string]int64 {
		ls, err := r.ls.SyncLocks(ctx, admin, r.env.Clock.Now())
		if err != nil {
			b.Fatal(err)
		}
		m := map[string]int64{}
		for _, l := range ls {
			m[l.ID] = l.Version
		}
		return m
	}
	// allAcked: every lock has a version past before and acknowledged it.
	allAcked := func(before map[string]int64) func() bool {
		return func() bool {
			ls, err := r.ls.SyncLocks(ctx, admin, r.env.Clock.Now())
			if err != nil {
				b.Fatal(err)
			}
			for _, l := range ls {
				if l.Version <= before[l.ID] || l.AckedVersion != l.Version || !l.InSync() {
					return false
				}
			}
			return true
		}
	}
	wait := func(what string, ok func() bool) time.Duration {
		start := time.Now()
		for !ok() {
			if time.Since(start) > 60*time.Second {
				b.Fatalf("%s: not done after 60 s", what)
			}
			time.Sleep(25 * time.Millisecond)
		}
		return time.Since(start)
	}
	var revoke, reconnect time.Duration
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		before := versions()
		code, err := r.ls.IssueTempCode(ctx, admin, keyward.TempCodeInput{For: fmt.Sprintf("Guest %d", i), Locks: ids, Schedule: r.window(24)})
		if err != nil {
			b.Fatal(err)
		}
		wait("the code reaches every lock", allAcked(before))
		before = versions()
		b.StartTimer()
		start := time.Now()
		if _, err := r.ls.RevokeTempCode(ctx, admin, code.ID); err != nil {
			b.Fatal(err)
		}
		wait("every lock acknowledges the revocation", allAcked(before))
		revoke += time.Since(start)
		b.StopTimer()

		// One lock offline through a change, then back.
		off := r.sim.Lock(ids[i%n])
		off.GoOffline()
		wait("Keyward sees the lock offline", func() bool { return !r.lock(off.Name()).Online })
		c2, err := r.ls.IssueTempCode(ctx, admin, keyward.TempCodeInput{For: "Late guest", Locks: []string{off.Name()}, Schedule: r.window(1)})
		if err != nil {
			b.Fatal(err)
		}
		wait("the change is waiting for the lock", func() bool { return len(r.lock(off.Name()).Pending) > 0 })
		b.StartTimer()
		start = time.Now()
		if err := off.GoOnline(ctx); err != nil {
			b.Fatal(err)
		}
		wait("the lock is in sync after reconnecting", func() bool { l := r.lock(off.Name()); return l.InSync() && l.AckedVersion == l.Version })
		reconnect += time.Since(start)
		b.StopTimer()
		if _, err := r.ls.RevokeTempCode(ctx, admin, c2.ID); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
	}
	b.ReportMetric(revoke.Seconds()/float64(b.N), "s/revoke-1000-acked")
	b.ReportMetric(reconnect.Seconds()/float64(b.N), "s/reconnect-in-sync")
}
