package keying

import (
	"math/rand"
	"reflect"
	"slices"
	"testing"
)

func randSpec(r *rand.Rand, minPositions, maxPositions int) Spec {
	s := Spec{Positions: minPositions + r.Intn(maxPositions-minPositions+1), MACS: 1 + r.Intn(9), Step: 1 + r.Intn(2)}
	if r.Intn(4) == 0 {
		s.MinDepth, s.MaxDepth = 1+r.Intn(3), 10
	} else {
		s.MinDepth = r.Intn(4)
		s.MaxDepth = s.MinDepth + r.Intn(10-s.MinDepth)
	}
	if r.Intn(3) == 0 {
		s.MinMasterPin = 1 + r.Intn(3)
	}
	return s
}

func randBitting(r *rand.Rand, s Spec) Bitting {
	b := make(Bitting, s.Positions)
	for i := range b {
		b[i] = int8(s.MinDepth + r.Intn(s.MaxDepth-s.MinDepth+1))
	}
	return b
}

// randTMK draws bittings until one passes MACS.
func randTMK(r *rand.Rand, s Spec) Bitting {
	for {
		if b := randBitting(r, s); s.PassesMACS(b) {
			return b
		}
	}
}

func TestPropertyOperatingSet(t *testing.T) {
	r := rand.New(rand.NewSource(1))
	for iter := 0; iter < 300; iter++ {
		spec := randSpec(r, 1, 5)
		keys := make([]Bitting, 1+r.Intn(4))
		for i := range keys {
			keys[i] = randBitting(r, spec)
		}
		cyl := Cylinder{Keys: keys}
		sh := NewShear(keys)
		for _, k := range keys {
			if !Operates(cyl, k) || !sh.Operates(k) {
				t.Fatalf("key %s of its own cylinder does not operate it", k)
			}
		}
		os, err := OperatingSet(spec, keys, 0)
		if err != nil {
			t.Fatal(err)
		}
		pin, err := Pinning(spec, PinningRequest{Keys: keys})
		if err != nil {
			t.Fatal(err)
		}
		product := int64(1)
		for _, ch := range pin.Chambers {
			product *= int64(len(ch.ShearDepths))
		}
		if os.Count != product || int64(len(os.All)) != product || pin.OperatingCount != product || sh.Count() != product {
			t.Fatalf("count %d, all %d, pinning %d, product %d", os.Count, len(os.All), pin.OperatingCount, product)
		}

		// Brute force over every bitting of the spec's range.
		var want []Bitting
		cur := make(Bitting, spec.Positions)
		var walk func(i int)
		walk = func(i int) {
			if i == len(cur) {
				if Operates(cyl, cur) {
					want = append(want, slices.Clone(cur))
				}
				return
			}
			for d := spec.MinDepth; d <= spec.MaxDepth; d++ {
				cur[i] = int8(d)
				walk(i + 1)
			}
		}
		walk(0)
		if !reflect.DeepEqual(os.All, want) {
			t.Fatalf("spec %+v keys %v: operating set %v, brute force %v", spec, strs(keys), strs(os.All), strs(want))
		}
		var valid, inc, incValid []Bitting
		for _, k := range want {
			v := spec.PassesMACS(k)
			if v {
				valid = append(valid, k)
			}
			if !holds(keys, k) {
				inc = append(inc, k)
				if v {
					incValid = append(incValid, k)
				}
			}
		}
		if !sameList(os.MACSValid, valid) || !sameList(os.Incidental, inc) || !sameList(os.IncidentalMACSValid, incValid) {
			t.Fatalf("spec %+v keys %v: filtered lists differ", spec, strs(keys))
		}
	}
}

func sameList(a, b []Bitting) bool {
	return len(a) == len(b) && (len(a) == 0 || reflect.DeepEqual(a, b))
}

func TestPropertyTPP(t *testing.T) {
	r := rand.New(rand.NewSource(2))
	for iter := 0; iter < 300; iter++ {
		spec := randSpec(r, 1, 6)
		tmk := randTMK(r, spec)
		seq := r.Perm(spec.Positions)[:1+r.Intn(spec.Positions)]
		for i := range seq {
			seq[i]++
		}
		res, err := TPP(spec, TPPRequest{TMK: tmk, Sequence: seq})
		if err != nil {
			if e := err.(*Error); e.Rule == RuleEmptyColumn {
				continue
			}
			t.Fatalf("%+v %s %v: %v", spec, tmk, seq, err)
		}
		if int64(len(res.ChangeKeys)+len(res.MACSRejected)) != res.TheoreticalCount {
			t.Fatalf("counts do not add up")
		}
		seen := map[string]bool{}
		progressed := map[int]bool{}
		for _, p := range seq {
			progressed[p-1] = true
		}
		for i, list := range [][]Bitting{res.ChangeKeys, res.MACSRejected} {
			for _, k := range list {
				if spec.PassesMACS(k) != (i == 0) {
					t.Fatalf("%s is in the wrong list", k)
				}
				if seen[k.String()] {
					t.Fatalf("%s generated twice", k)
				}
				seen[k.String()] = true
				for p := range k {
					if progressed[p] == (k[p] == tmk[p]) {
						t.Fatalf("%s vs TMK %s at position %d", k, tmk, p+1)
					}
				}
			}
		}
	}
}

// In a system whose levels progress disjoint positions, with every cylinder
// pinned for its change key, its masters and the TMK, no issued key opens a
// cylinder it was not meant to.
func TestPropertySystemNoCrossKeying(t *testing.T) {
	r := rand.New(rand.NewSource(3))
	built := 0
	for iter := 0; built < 60 && iter < 1000; iter++ {
		spec := randSpec(r, 3, 6)
		tmk := randTMK(r, spec)
		nlevels := 1 + r.Intn(3)
		perm := r.Perm(spec.Positions)
		levels := make([]Level, nlevels)
		names := shapes[nlevels-1]
		for i := range levels {
			levels[i] = Level{Name: names[i], Sequence: []int{perm[i] + 1}, Columns: map[int][]int{}}
			if i == nlevels-1 && spec.Positions > nlevels && r.Intn(2) == 0 {
				levels[i].Sequence = append(levels[i].Sequence, perm[nlevels]+1)
			}
			// Keep systems small: at most 3 depths per column.
			for _, p := range levels[i].Sequence {
				col, e := spec.column(p, tmk[p-1], nil, false)
				if e != nil {
					break
				}
				r.Shuffle(len(col), func(a, b int) { col[a], col[b] = col[b], col[a] })
				for _, d := range col[:min(3, len(col))] {
					levels[i].Columns[p] = append(levels[i].Columns[p], int(d))
				}
			}
		}
		sys, err := System(spec, SystemRequest{TMK: tmk, Levels: levels})
		if err != nil {
			continue // an empty column: draw again
		}
		built++
		var cyls []Cylinder
		issued := []Key{{"TMK", tmk}}
		addMaster := func(m Master, above ...Bitting) {
			issued = append(issued, m.Key)
			for _, ck := range m.ChangeKeys {
				issued = append(issued, ck)
				keys := append([]Bitting{ck.Bitting, m.Bitting}, above...)
				cyls = append(cyls, Cylinder{ID: ck.Symbol, Keys: keys})
			}
		}
		switch sys.Levels {
		case 2:
			addMaster(Master{Key: sys.Top, ChangeKeys: sys.ChangeKeys})
		case 3:
			for _, m := range sys.Masters {
				addMaster(m, tmk)
			}
		case 4:
			for _, g := range sys.Grands {
				issued = append(issued, g.Key)
				for _, m := range g.Masters {
					addMaster(m, g.Bitting, tmk)
				}
			}
		}
		audit, err := Audit(cyls, issued)
		if err != nil {
			t.Fatal(err)
		}
		for _, a := range audit {
			if len(a.Unintended) != 0 {
				t.Fatalf("spec %+v tmk %s levels %+v: %s opened by %v", spec, tmk, levels, a.ID, a.Unintended)
			}
		}
	}
	if built < 60 {
		t.Fatalf("only %d systems built", built)
	}
}
