package keying

import (
	"errors"
	"slices"
	"testing"
)

// bytesIn turns fuzz bytes into small integers, some of them out of range
// on purpose so that the checks are fuzzed too.
type bytesIn struct{ b []byte }

func (in *bytesIn) next() int {
	if len(in.b) == 0 {
		return 0
	}
	v := in.b[0]
	in.b = in.b[1:]
	return int(v)
}

// small returns a value in lo…hi.
func (in *bytesIn) small(lo, hi int) int { return lo + in.next()%(hi-lo+1) }

func (in *bytesIn) spec() Spec {
	s := Spec{
		Positions: in.small(0, 7),
		MinDepth:  in.small(-1, 10),
		MaxDepth:  in.small(0, 11),
		MACS:      in.small(0, 10),
		Step:      in.small(0, 3),
	}
	s.MinMasterPin = in.small(0, 3)
	if in.next()%4 == 0 {
		s.MaxMasterPinsPerChamber = ptr(in.small(-1, 3))
	}
	return s
}

func (in *bytesIn) bitting(n int) Bitting {
	b := make(Bitting, n)
	for i := range b {
		b[i] = int8(in.small(-1, 11))
	}
	return b
}

func (in *bytesIn) ints(max int) []int {
	out := make([]int, in.small(0, max))
	for i := range out {
		out[i] = in.small(-1, 8)
	}
	return out
}

func (in *bytesIn) columns() map[int][]int {
	m := map[int][]int{}
	for range in.small(0, 3) {
		m[in.small(0, 8)] = in.ints(5)
	}
	return m
}

const fuzzMaxKeys = 20000

func FuzzOperatingSet(f *testing.F) {
	f.Add([]byte{6, 0, 9, 7, 1, 0, 0, 3, 3, 3, 3, 3, 3, 5, 5, 5, 5, 5, 5})
	f.Add([]byte{2, 0, 9, 7, 1, 0, 0, 1, 1, 4, 4})
	f.Fuzz(func(t *testing.T, data []byte) {
		in := &bytesIn{data}
		spec := in.spec()
		keys := make([]Bitting, in.small(0, 6))
		for i := range keys {
			n := spec.Positions
			if in.next()%16 == 0 {
				n = in.small(0, 8)
			}
			keys[i] = in.bitting(n)
		}
		r, err := OperatingSet(spec, keys, fuzzMaxKeys)
		if err != nil {
			return
		}
		if r.Count != int64(len(r.All)) || r.Count > fuzzMaxKeys {
			t.Fatalf("count %d, %d listed", r.Count, len(r.All))
		}
		cyl := Cylinder{Keys: keys}
		for i, k := range r.All {
			if i > 0 && !r.All[i-1].Less(k) {
				t.Fatalf("not ascending at %d", i)
			}
			if !Operates(cyl, k) {
				t.Fatalf("%s does not operate", k)
			}
		}
		for _, k := range keys {
			if !slices.ContainsFunc(r.All, k.Equal) {
				t.Fatalf("key %s is not in its own operating set", k)
			}
		}
		if len(r.Incidental) > len(r.All) || len(r.IncidentalMACSValid) > len(r.MACSValid) {
			t.Fatal("a sublist is longer than its list")
		}
	})
}

func FuzzTPP(f *testing.F) {
	f.Add([]byte{6, 0, 9, 7, 2, 2, 0, 2, 4, 6, 8, 2, 4, 2, 1, 2, 1, 3, 2, 5, 6})
	f.Fuzz(func(t *testing.T, data []byte) {
		in := &bytesIn{data}
		spec := in.spec()
		tmk := in.bitting(spec.Positions)
		seq := in.ints(7)
		cols := in.columns()
		r, err := TPP(spec, TPPRequest{TMK: tmk, Sequence: seq, Columns: cols, MaxKeys: fuzzMaxKeys})
		if err != nil {
			return
		}
		if int64(len(r.ChangeKeys)+len(r.MACSRejected)) != r.TheoreticalCount || r.TheoreticalCount > fuzzMaxKeys {
			t.Fatalf("theoretical %d, %d + %d", r.TheoreticalCount, len(r.ChangeKeys), len(r.MACSRejected))
		}
		for _, k := range r.ChangeKeys {
			if !spec.Valid(k) {
				t.Fatalf("change key %s is not valid", k)
			}
		}
	})
}

func FuzzSystem(f *testing.F) {
	f.Add([]byte{6, 0, 9, 7, 2, 2, 0, 2, 4, 6, 8, 2, 4, 1, 1, 1, 0, 1, 6, 0})
	f.Fuzz(func(t *testing.T, data []byte) {
		in := &bytesIn{data}
		spec := in.spec()
		tmk := in.bitting(spec.Positions)
		names := shapes[in.small(0, 3)%3]
		levels := make([]Level, len(names))
		for i := range levels {
			levels[i] = Level{Name: names[i], Sequence: in.ints(3), Columns: in.columns()}
		}
		if in.next()%8 == 0 {
			levels[0].Name = "bogus"
		}
		r, err := System(spec, SystemRequest{TMK: tmk, Levels: levels, MaxKeys: fuzzMaxKeys})
		if err != nil {
			return
		}
		if r.Levels != len(levels)+1 {
			t.Fatalf("%d levels", r.Levels)
		}
		var check func(ks []Key)
		check = func(ks []Key) {
			for _, k := range ks {
				if !spec.Valid(k.Bitting) || k.Symbol == "" {
					t.Fatalf("issued key %+v", k)
				}
			}
		}
		check(r.ChangeKeys)
		for _, m := range r.Masters {
			check([]Key{m.Key})
			check(m.ChangeKeys)
		}
		for _, g := range r.Grands {
			check([]Key{g.Key})
			for _, m := range g.Masters {
				check(m.ChangeKeys)
			}
		}
	})
}

func FuzzRCM(f *testing.F) {
	f.Add([]byte{6, 0, 9, 7, 2, 2, 0, 2, 4, 6, 8, 2, 4, 6, 1, 2, 3, 4, 5, 6, 4})
	f.Fuzz(func(t *testing.T, data []byte) {
		in := &bytesIn{data}
		spec := in.spec()
		tmk := in.bitting(spec.Positions)
		pos := in.ints(7)
		c := in.small(-1, 6)
		r, err := RCM(spec, RCMRequest{TMK: tmk, Positions: pos, Constants: c, Columns: in.columns(), MaxKeys: fuzzMaxKeys})
		if err != nil {
			return
		}
		if int64(r.ChangeKeysCount+r.MACSRejectedCount) != r.TheoreticalCount {
			t.Fatalf("theoretical %d, %d + %d", r.TheoreticalCount, r.ChangeKeysCount, r.MACSRejectedCount)
		}
	})
}

func FuzzPinning(f *testing.F) {
	f.Add([]byte{1, 0, 9, 9, 2, 2, 0, 2, 5, 7, 9, 10, 23})
	f.Fuzz(func(t *testing.T, data []byte) {
		in := &bytesIn{data}
		spec := in.spec()
		keys := make([]Bitting, in.small(0, 4))
		for i := range keys {
			keys[i] = in.bitting(spec.Positions)
		}
		var control Bitting
		if in.next()%2 == 0 {
			control = in.bitting(spec.Positions)
		}
		r, err := Pinning(spec, PinningRequest{Keys: keys, Control: control, SFIC: SFIC{in.small(-1, 12), in.small(-1, 30)}})
		if err != nil {
			return
		}
		os, err := OperatingSet(spec, keys, 1<<30)
		if err != nil || os.Count != r.OperatingCount {
			t.Fatalf("operating set %v, count %d vs %d", err, os.Count, r.OperatingCount)
		}
		for _, ch := range r.Chambers {
			stack := ch.BottomPin
			for _, m := range ch.MasterPins {
				if m < 1 {
					t.Fatalf("master pin %d", m)
				}
				stack += m
			}
			if stack != ch.ShearDepths[len(ch.ShearDepths)-1] {
				t.Fatalf("chamber %+v does not add up", ch)
			}
		}
	})
}

// FuzzParseBitting: a bitting typed as text is read back exactly, in range
// for its spec, or refused with the contract's rule; never a panic.
func FuzzParseBitting(f *testing.F) {
	for _, s := range []string{"35142", "0000000", "999999", "3514", "35a42", "", "٣٥١٤٢", "9999999999999999"} {
		f.Add(s, byte(6), byte(10))
	}
	f.Fuzz(func(t *testing.T, s string, positions, maxDepth byte) {
		spec := Spec{Positions: int(positions%8) + 1, MinDepth: 0, MaxDepth: int(maxDepth % 11), MACS: 7, Step: 1}
		if spec.MaxDepth == 10 {
			spec.MinDepth = 1
		}
		b, err := spec.ParseBitting("bitting", s)
		if err != nil {
			var e *Error
			if !errors.As(err, &e) || (e.Rule != RuleBadBitting && e.Rule != RuleBittingDepthOutOfRange) || e.Field != "bitting" {
				t.Fatalf("%q: unexpected error %v", s, err)
			}
			return
		}
		if len(b) != spec.Positions || len(s) != spec.Positions {
			t.Fatalf("%q read as %v for %d positions", s, b, spec.Positions)
		}
		for i, d := range b {
			if int(d) < spec.MinDepth || int(d) > spec.MaxDepth {
				t.Fatalf("%q: depth %d at %d outside %d…%d", s, d, i, spec.MinDepth, spec.MaxDepth)
			}
			want := int8(s[i] - '0')
			if want == 0 && spec.MaxDepth == 10 {
				want = 10
			}
			if d != want {
				t.Fatalf("%q read as %v", s, b)
			}
		}
	})
}
