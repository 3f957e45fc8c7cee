package access

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"sync"
	"testing"
	"time"
)

// bigState is the scale: 10,000 locks in 1,000 groups (ten each),
// 200,000 keys (per group a master, a backup and 198 sub or soft keys, each
// granted one to three of its group's locks), and every group granting two
// of its locks to three masters of other groups.
func bigState() State {
	const groups, locksPer, keysPer = 1000, 10, 200
	r := rand.New(rand.NewPCG(19, 20))
	var s State
	for g := range groups {
		gid := fmt.Sprintf("m%04d", g)
		s.Keys = append(s.Keys, Key{ID: gid, Kind: Master, Group: gid}, Key{ID: gid + "-b", Kind: Backup, Group: gid})
		for l := range locksPer {
			s.Locks = append(s.Locks, Lock{ID: fmt.Sprintf("l%04d-%d", g, l), Owner: gid, Online: true})
		}
		for k := range keysPer - 2 {
			kind := Sub
			if k%4 == 0 {
				kind = Soft
			}
			id := fmt.Sprintf("%s-s%03d", gid, k)
			s.Keys = append(s.Keys, Key{ID: id, Kind: kind, Group: gid})
			for _, l := range r.Perm(locksPer)[:1+r.IntN(3)] {
				s.Grants = append(s.Grants, Grant{Lock: fmt.Sprintf("l%04d-%d", g, l), Key: id})
			}
		}
		for range 3 {
			other := (g + 1 + r.IntN(groups-1)) % groups
			for l := range 2 {
				s.Grants = append(s.Grants, Grant{Lock: fmt.Sprintf("l%04d-%d", g, l), Key: fmt.Sprintf("m%04d", other)})
			}
		}
	}
	s.Grants = slices.CompactFunc(s.Grants, func(a, b Grant) bool { return a == b })
	return s
}

var big = sync.OnceValues(func() (*Model, error) { return Restore(bigState()) })

func bigModel(b *testing.B) (*Model, State) {
	b.Helper()
	m, err := big()
	if err != nil {
		b.Fatal(err)
	}
	s := bigState()
	if len(s.Keys) != 200_000 || len(s.Locks) != 10_000 {
		b.Fatalf("%d keys, %d locks", len(s.Keys), len(s.Locks))
	}
	return m, s
}

// median times f over n calls and reports the median per call.
func median(b *testing.B, n int, f func(i int)) {
	ds := make([]time.Duration, n)
	for i := range n {
		t := time.Now()
		f(i)
		ds[i] = time.Since(t)
	}
	slices.Sort(ds)
	b.ReportMetric(float64(ds[n/2].Nanoseconds()), "median-ns")
	b.ReportMetric(float64(ds[n*99/100].Nanoseconds()), "p99-ns")
}

// BenchmarkCan: one access check at the scale (limit: median under 50 µs).
func BenchmarkCan(b *testing.B) {
	m, s := bigModel(b)
	r := rand.New(rand.NewPCG(1, 2))
	b.ResetTimer()
	median(b, b.N, func(int) {
		if _, err := m.Can(s.Keys[r.IntN(len(s.Keys))].ID, s.Locks[r.IntN(len(s.Locks))].ID); err != nil {
			b.Fatal(err)
		}
	})
}

// BenchmarkAcceptors: every key that opens one lock (limit: under 5 ms).
func BenchmarkAcceptors(b *testing.B) {
	m, s := bigModel(b)
	r := rand.New(rand.NewPCG(3, 4))
	b.ResetTimer()
	median(b, b.N, func(int) {
		if ks, err := m.Acceptors(s.Locks[r.IntN(len(s.Locks))].ID); err != nil || len(ks) < 2 {
			b.Fatal(len(ks), err)
		}
	})
}

// BenchmarkReaches: every lock one key opens.
func BenchmarkReaches(b *testing.B) {
	m, s := bigModel(b)
	r := rand.New(rand.NewPCG(5, 6))
	b.ResetTimer()
	median(b, b.N, func(int) {
		if _, err := m.Reaches(s.Keys[r.IntN(len(s.Keys))].ID); err != nil {
			b.Fatal(err)
		}
	})
}

// BenchmarkRestore: loading the whole hierarchy from its records.
func BenchmarkRestore(b *testing.B) {
	s := bigState()
	b.ResetTimer()
	for range b.N {
		if _, err := Restore(s); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkGrantThenRevoke: one change and its undo, at scale.
func BenchmarkGrantThenRevoke(b *testing.B) {
	m, _ := bigModel(b)
	b.ResetTimer()
	for range b.N {
		if _, err := m.Grant("m0001", []string{"l0000-9"}, "m0000"); err != nil {
			b.Fatal(err)
		}
		if _, err := m.Revoke("m0001", []string{"l0000-9"}, "m0000-b"); err != nil {
			b.Fatal(err)
		}
	}
}
