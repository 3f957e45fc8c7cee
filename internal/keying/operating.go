package keying

import (
	"fmt"
	"math/bits"
)

// Cylinder is a lock cylinder and its key list: every bitting meant to
// operate it (change keys, the masters above them, the TMK, cross keys).
type Cylinder struct {
	ID   string
	Keys []Bitting
}

// Shear holds each position's shear depths as a bitmask: bit d is set when
// depth d is a cut of some key of the cylinder. Depths are 0…10, so a
// uint16 holds a chamber and "does this key operate" is one test per position.
type Shear []uint16

// NewShear computes the shear depths of a key list, as long as its first key.
func NewShear(keys []Bitting) Shear {
	if len(keys) == 0 {
		return nil
	}
	s := make(Shear, len(keys[0]))
	for _, k := range keys {
		for i := range s {
			if i < len(k) {
				s[i] |= bit(k[i])
			}
		}
	}
	return s
}

func bit(d int8) uint16 {
	return 1 << uint8(d) // shifts of 16 or more give 0: no such depth
}

// Operates reports whether key has one of the shear depths at every position.
func (s Shear) Operates(key Bitting) bool {
	if len(key) != len(s) || len(s) == 0 {
		return false
	}
	for i, d := range key {
		if s[i]&bit(d) == 0 {
			return false
		}
	}
	return true
}

// Depths returns the shear depths of position i (0-based), ascending.
func (s Shear) Depths(i int) []int8 {
	var ds []int8
	for m := s[i]; m != 0; m &= m - 1 {
		ds = append(ds, int8(bits.TrailingZeros16(m)))
	}
	return ds
}

// Count is the size of the operating set, the product of the shear-set
// sizes, saturating at math.MaxInt64.
func (s Shear) Count() int64 {
	if len(s) == 0 {
		return 0
	}
	n := int64(1)
	for _, m := range s {
		n = mulSat(n, int64(bits.OnesCount16(m)))
	}
	return n
}

// Operates reports whether key operates the cylinder: at every position its
// cut is a cut of some key of the key list. It does not allocate.
func Operates(c Cylinder, key Bitting) bool {
	if len(c.Keys) == 0 || len(key) != len(c.Keys[0]) {
		return false
	}
	for i, d := range key {
		if !hasCut(c.Keys, i, d) {
			return false
		}
	}
	return true
}

// FailingPositions lists, ascending, the 1-based positions where key's cut
// is not a shear depth of the cylinder.
func FailingPositions(c Cylinder, key Bitting) []int {
	out := []int{}
	for i, d := range key {
		if !hasCut(c.Keys, i, d) {
			out = append(out, i+1)
		}
	}
	return out
}

func hasCut(keys []Bitting, i int, d int8) bool {
	for _, k := range keys {
		if i < len(k) && k[i] == d {
			return true
		}
	}
	return false
}

// OperatingSetResult lists every bitting that operates a cylinder, ascending.
type OperatingSetResult struct {
	All                 []Bitting
	MACSValid           []Bitting // members of All that pass MACS: only those can be cut
	Incidental          []Bitting // All minus the key list: nobody intended them
	IncidentalMACSValid []Bitting
	Count               int64
}

// OperatingSet computes S₁ × … × S_N for the cylinder pinned for keys,
// refusing with too_many_keys (beyond maxKeys; 0 for DefaultMaxKeys) before
// allocating the list.
func OperatingSet(spec Spec, keys []Bitting, maxKeys int) (*OperatingSetResult, error) {
	r, e := operatingSet(spec, keys, maxKeys)
	if e != nil {
		return nil, e
	}
	return r, nil
}

func operatingSet(spec Spec, keys []Bitting, maxKeys int) (*OperatingSetResult, *Error) {
	if e := spec.validate(); e != nil {
		return nil, e
	}
	if e := spec.checkBittings("keys", keys); e != nil {
		return nil, e
	}
	if len(keys) == 0 {
		return nil, &Error{Rule: RuleNoKeys, Field: "keys"}
	}
	sh := NewShear(keys)
	count := sh.Count()
	if e := checkLimit(count, maxKeys, spec.Positions); e != nil {
		return nil, e
	}
	n := len(sh)

	// Ranks of the given keys in the product, position N fastest.
	given := make([]bool, count)
	for _, k := range keys {
		rank := int64(0)
		for i, d := range k {
			below := bits.OnesCount16(sh[i] & (bit(d) - 1))
			rank = rank*int64(bits.OnesCount16(sh[i])) + int64(below)
		}
		given[rank] = true
	}

	seq := make([]int, n)
	cols := make([][]int8, n)
	for i := range seq {
		seq[i] = n - i // the last position changes fastest
		cols[i] = sh.Depths(n - 1 - i)
	}
	// One pass generates and classifies, a second fills lists of exact size:
	// growing four lists of 15,625 bittings by append costs more than the math.
	const valid, incidental = 1, 2
	store := newKeyStore(count, n)
	all := make([]Bitting, 0, count)
	flags := make([]uint8, count)
	var nValid, nInc, nIncValid int
	o := newOdometer(keys[0], seq, cols)
	for rank, ok := 0, true; ok; rank, ok = rank+1, o.next() {
		k := store.add(o.key)
		all = append(all, k)
		if spec.PassesMACS(k) {
			flags[rank] |= valid
			nValid++
		}
		if !given[rank] {
			flags[rank] |= incidental
			nInc++
			if flags[rank]&valid != 0 {
				nIncValid++
			}
		}
	}
	r := &OperatingSetResult{
		All:                 all,
		MACSValid:           make([]Bitting, 0, nValid),
		Incidental:          make([]Bitting, 0, nInc),
		IncidentalMACSValid: make([]Bitting, 0, nIncValid),
		Count:               count,
	}
	for i, f := range flags {
		if f&valid != 0 {
			r.MACSValid = append(r.MACSValid, all[i])
		}
		if f&incidental != 0 {
			r.Incidental = append(r.Incidental, all[i])
		}
		if f == valid|incidental {
			r.IncidentalMACSValid = append(r.IncidentalMACSValid, all[i])
		}
	}
	return r, nil
}

// sameLength is stage 2 for verbs without a spec: every bitting is digits
// and as long as the first one, whose length it records in n.
func sameLength(b Bitting, n *int) bool {
	if len(b) == 0 || (*n > 0 && len(b) != *n) {
		return false
	}
	for _, d := range b {
		if d < 0 || d > 10 {
			return false
		}
	}
	*n = len(b)
	return true
}

func badBitting(field string) *Error { return &Error{Rule: RuleBadBitting, Field: field} }

// checkCylinders runs stage 2 over the cylinders' keys, then, cylinder by
// cylinder, no_keys and duplicate_id.
func checkCylinders(cyls []Cylinder, n *int, more func() *Error) *Error {
	for i, c := range cyls {
		for j, k := range c.Keys {
			if !sameLength(k, n) {
				return badBitting(fmt.Sprintf("cylinders[%d].keys[%d]", i, j))
			}
		}
	}
	if e := more(); e != nil {
		return e
	}
	seen := make(map[string]bool, len(cyls))
	for i, c := range cyls {
		if len(c.Keys) == 0 {
			return &Error{Rule: RuleNoKeys, Field: fmt.Sprintf("cylinders[%d].keys", i)}
		}
		if seen[c.ID] {
			return &Error{Rule: RuleDuplicateID, ID: c.ID}
		}
		seen[c.ID] = true
	}
	return nil
}

// OperatesResult answers the operates verb.
type OperatesResult struct {
	Operates         bool
	FailingPositions []int // ascending; empty when it operates
}

// CheckOperates is the operates verb with its checks: every bitting digits
// and as long as the first one, then no_keys.
func CheckOperates(c Cylinder, key Bitting) (*OperatesResult, error) {
	n := 0
	for j, k := range c.Keys {
		if !sameLength(k, &n) {
			return nil, badBitting(fmt.Sprintf("cylinder.keys[%d]", j))
		}
	}
	if !sameLength(key, &n) {
		return nil, badBitting("key")
	}
	if len(c.Keys) == 0 {
		return nil, &Error{Rule: RuleNoKeys, Field: "cylinder.keys"}
	}
	failing := FailingPositions(c, key)
	return &OperatesResult{Operates: len(failing) == 0, FailingPositions: failing}, nil
}
