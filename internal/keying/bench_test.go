package keying

import (
	"fmt"
	"math/rand"
	"testing"
)

// Targets: TPP of 4,096 < 2 ms; operating set of 15,625 < 5 ms; lost key
// against 10,000 cylinders < 20 ms; audit 2,000 × 2,000 < 1 s; Operates 0 allocs.

func BenchmarkTPPSchlage6(b *testing.B) {
	req := TPPRequest{TMK: Bitting{2, 4, 6, 8, 2, 4}, Sequence: []int{1, 2, 3, 4, 5, 6}}
	b.ReportAllocs()
	for b.Loop() {
		r, err := TPP(schlage, req)
		if err != nil || r.TheoreticalCount != 4096 {
			b.Fatal(err)
		}
	}
}

func BenchmarkOperatingSet15625(b *testing.B) {
	keys := bs("000000", "222222", "444444", "666666", "888888") // 4 master pins in each chamber
	b.ReportAllocs()
	for b.Loop() {
		r, err := OperatingSet(schlage, keys, 0)
		if err != nil || r.Count != 15625 {
			b.Fatal(err)
		}
	}
}

// site builds n cylinders of a 3-level Schlage system: change key, master, TMK.
func site(n int, r *rand.Rand) []Cylinder {
	tmk := Bitting{2, 4, 6, 8, 2, 4}
	cyls := make([]Cylinder, n)
	for i := range cyls {
		m := append(Bitting(nil), tmk...)
		m[0] = int8(2 * r.Intn(5))
		c := append(Bitting(nil), m...)
		for p := 3; p < 6; p++ {
			c[p] = int8(2 * r.Intn(5))
		}
		cyls[i] = Cylinder{ID: fmt.Sprintf("door-%05d", i), Keys: []Bitting{c, m, tmk}}
	}
	return cyls
}

func BenchmarkLostKey10000(b *testing.B) {
	cyls := site(10000, rand.New(rand.NewSource(1)))
	lost := cyls[17].Keys[1] // a master: opens many doors
	b.ReportAllocs()
	for b.Loop() {
		if _, err := LostKey(cyls, lost); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkAudit2000x2000(b *testing.B) {
	r := rand.New(rand.NewSource(2))
	cyls := site(2000, r)
	issued := make([]Key, 2000)
	for i := range issued {
		issued[i] = Key{Symbol: fmt.Sprint("K", i), Bitting: cyls[r.Intn(len(cyls))].Keys[r.Intn(2)]}
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Audit(cyls, issued); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkOperates(b *testing.B) {
	c := Cylinder{Keys: bs("222222", "444444", "246824")}
	key := b2("422442")
	b.ReportAllocs()
	for b.Loop() {
		if !Operates(c, key) {
			b.Fatal("should operate")
		}
	}
}

func BenchmarkShearOperates(b *testing.B) {
	sh := NewShear(bs("222222", "444444", "246824"))
	key := b2("422442")
	b.ReportAllocs()
	for b.Loop() {
		if !sh.Operates(key) {
			b.Fatal("should operate")
		}
	}
}

func b2(s string) Bitting { return b(s) }
