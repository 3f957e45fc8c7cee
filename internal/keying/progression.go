package keying

import (
	"fmt"
	"math"
	"sort"
)

// DefaultMaxKeys is the key limit used when a request sets none. The
// contract requires at least one million.
const DefaultMaxKeys = 1_000_000

// cellsPerKey is the bitting length the key limit is sized for. Longer
// bittings lower the limit in proportion so that memory stays bounded; real
// key sections have at most 7 or 8 positions.
const cellsPerKey = 64

// KeyLimit is the effective limit on a generated list of bittings of the
// given length: maxKeys (DefaultMaxKeys when ≤ 0), lowered in proportion for
// bittings longer than 64 positions.
func KeyLimit(maxKeys, positions int) int64 {
	m := int64(maxKeys)
	if m <= 0 {
		m = DefaultMaxKeys
	}
	if positions > cellsPerKey {
		m = mulSat(m, cellsPerKey) / int64(positions)
		if m < 1 {
			m = 1
		}
	}
	return m
}

func checkLimit(count int64, maxKeys, positions int) *Error {
	if max := KeyLimit(maxKeys, positions); count > max {
		return &Error{Rule: RuleTooManyKeys, Count: count, Maximum: max}
	}
	return nil
}

// mulSat and addSat saturate at math.MaxInt64; the arguments are ≥ 0.
// Saturating arithmetic keeps counts monotone, so a saturated count is still
// correctly over any limit.
func mulSat(a, b int64) int64 {
	if a == 0 || b == 0 {
		return 0
	}
	if a > math.MaxInt64/b {
		return math.MaxInt64
	}
	return a * b
}

func addSat(a, b int64) int64 {
	if a > math.MaxInt64-b {
		return math.MaxInt64
	}
	return a + b
}

func product(cols [][]int8) int64 {
	n := int64(1)
	for _, c := range cols {
		n = mulSat(n, int64(len(c)))
	}
	return n
}

// checkColumnNames is the stage-1 check that every explicit column names a
// position 1…N. The CLI finds these while reading JSON; Go callers get the
// lowest bad position.
func (s Spec) checkColumnNames(field string, cols map[int][]int) *Error {
	bad := 0
	found := false
	for p := range cols {
		if (p < 1 || p > s.Positions) && (!found || p < bad) {
			bad, found = p, true
		}
	}
	if found {
		return badInput(fmt.Sprintf("%s.%d", field, bad))
	}
	return nil
}

// checkSequence runs the sequence rules in list order: empty_sequence, then
// for each position out of range and duplicate. used holds the positions
// already progressed (by higher levels) and is updated.
func checkSequence(field string, seq []int, n int, used map[int]bool) *Error {
	if len(seq) == 0 {
		return &Error{Rule: RuleEmptySequence, Field: field}
	}
	for _, p := range seq {
		if p < 1 || p > n {
			return &Error{Rule: RuleSequencePositionOutOfRange, Field: field, Position: p}
		}
		if used[p] {
			return &Error{Rule: RuleSequenceDuplicatePosition, Field: field, Position: p}
		}
		used[p] = true
	}
	return nil
}

// columnNotInSequence reports the lowest explicit column whose position is not progressed.
func columnNotInSequence(cols map[int][]int, seq []int) *Error {
	in := make(map[int]bool, len(seq))
	for _, p := range seq {
		in[p] = true
	}
	var stray []int
	for p := range cols {
		if !in[p] {
			stray = append(stray, p)
		}
	}
	if len(stray) == 0 {
		return nil
	}
	sort.Ints(stray)
	return &Error{Rule: RuleColumnNotInSequence, Position: stray[0]}
}

// column returns the depths position p (1-based) takes under TMK cut t:
// the explicit column after its checks, or the derived one (ascending).
func (s Spec) column(p int, t int8, explicit []int, isExplicit bool) ([]int8, *Error) {
	tc, step, min := int(t), s.Step, s.MinMaster()
	var col []int8
	if isExplicit {
		seen := make(map[int]bool, len(explicit))
		for _, d := range explicit {
			// Depth by depth, rule by rule in the contract's order.
			rule := Rule("")
			switch {
			case d == tc:
				rule = RuleProgressionContainsTMKDepth
			case d < s.MinDepth || d > s.MaxDepth:
				rule = RuleDepthOutOfRange
			case (d-tc)%step != 0:
				rule = RuleParity
			case abs(d-tc) < min:
				rule = RuleMasterPinBelowMinimum
			case seen[d]:
				rule = RuleDuplicateDepth
			}
			if rule != "" {
				return nil, &Error{Rule: rule, Position: p, Depth: d}
			}
			seen[d] = true
			col = append(col, int8(d))
		}
	} else {
		for d := s.MinDepth; d <= s.MaxDepth; d++ {
			if d != tc && (d-tc)%step == 0 && abs(d-tc) >= min {
				col = append(col, int8(d))
			}
		}
	}
	if len(col) == 0 {
		return nil, &Error{Rule: RuleEmptyColumn, Position: p}
	}
	return col, nil
}

// columns returns the column of each position of seq, in sequence order.
func (s Spec) columns(tmk Bitting, seq []int, explicit map[int][]int) ([][]int8, *Error) {
	cols := make([][]int8, len(seq))
	for i, p := range seq {
		ex, ok := explicit[p]
		c, e := s.column(p, tmk[p-1], ex, ok)
		if e != nil {
			return nil, e
		}
		cols[i] = c
	}
	return cols, nil
}

func columnsMap(seq []int, cols [][]int8) map[int][]int {
	m := make(map[int][]int, len(seq))
	for i, p := range seq {
		c := make([]int, len(cols[i]))
		for j, d := range cols[i] {
			c[j] = int(d)
		}
		m[p] = c
	}
	return m
}

func abs(x int) int {
	if x < 0 {
		return -x
	}
	return x
}

// odometer steps through every key of base with the positions of seq
// progressed through cols, the first position of seq fastest. Every column
// must be non-empty.
type odometer struct {
	key  Bitting // the current key; copy it to keep it
	seq  []int   // 0-based positions
	cols [][]int8
	idx  []int
}

func newOdometer(base Bitting, seq []int, cols [][]int8) *odometer {
	o := &odometer{key: append(Bitting(nil), base...), seq: make([]int, len(seq)), cols: cols, idx: make([]int, len(seq))}
	for i, p := range seq {
		o.seq[i] = p - 1
		o.key[p-1] = cols[i][0]
	}
	return o
}

// next moves to the following key and reports false after the last one.
func (o *odometer) next() bool {
	for i := range o.idx {
		o.idx[i]++
		if o.idx[i] < len(o.cols[i]) {
			o.key[o.seq[i]] = o.cols[i][o.idx[i]]
			return true
		}
		o.idx[i] = 0
		o.key[o.seq[i]] = o.cols[i][0]
	}
	return false
}

// keyStore hands out bittings carved from one allocation.
type keyStore struct {
	buf []int8
	n   int
}

func newKeyStore(count int64, n int) *keyStore {
	return &keyStore{buf: make([]int8, 0, int(count)*n), n: n}
}

func (k *keyStore) add(b Bitting) Bitting {
	start := len(k.buf)
	k.buf = append(k.buf, b...)
	return Bitting(k.buf[start:len(k.buf):len(k.buf)])
}
