package keying

import "fmt"

// Spec is a key section's keying specification (keying.md §2).
type Spec struct {
	Name      string
	Positions int // chambers, ≥ 1
	MinDepth  int
	MaxDepth  int // ≤ 9, or 10 (Sargent: the digit 0 is depth 10) with MinDepth ≥ 1
	MACS      int // maximum adjacent cut specification, ≥ 1
	Step      int // progression step, ≥ 1

	// MinMasterPin is the smallest allowed master pin; 0 means Step.
	MinMasterPin int
	// Site or manufacturer limits; nil means no limit.
	MaxMasterPinsPerChamber *int
	MaxMasterPinsTotal      *int
}

// MinMaster is the effective smallest master pin.
func (s Spec) MinMaster() int {
	if s.MinMasterPin == 0 {
		return s.Step
	}
	return s.MinMasterPin
}

// Validate reports the first spec member outside what the contract allows,
// checking members in the contract's table order.
func (s Spec) Validate() error {
	if e := s.validate(); e != nil {
		return e
	}
	return nil
}

func (s Spec) validate() *Error {
	switch {
	case s.Positions < 1:
		return badInput("spec.positions")
	case s.MinDepth < 0 || s.MinDepth > 10:
		return badInput("spec.min_depth")
	case !DepthRangeOK(s.MinDepth, s.MaxDepth):
		// The pair is judged at max_depth, the member read second.
		return badInput("spec.max_depth")
	case s.MACS < 1:
		return badInput("spec.macs")
	case s.Step < 1:
		return badInput("spec.step")
	case s.MinMasterPin < 0:
		return badInput("spec.min_master_pin")
	case s.MaxMasterPinsPerChamber != nil && *s.MaxMasterPinsPerChamber < 0:
		return badInput("spec.max_master_pins_per_chamber")
	case s.MaxMasterPinsTotal != nil && *s.MaxMasterPinsTotal < 0:
		return badInput("spec.max_master_pins_total")
	}
	return nil
}

// DepthRangeOK reports whether min…max is an allowed depth range:
// 0 ≤ min ≤ max ≤ 9, or max 10 with min ≥ 1.
func DepthRangeOK(min, max int) bool {
	if min < 0 || min > max {
		return false
	}
	return max <= 9 || (max == 10 && min >= 1)
}

// Bitting holds one depth per position, position 1 first.
type Bitting []int8

// String writes one digit per depth; depth 10 is written 0, as Sargent stamps it.
func (b Bitting) String() string {
	buf := make([]byte, len(b))
	for i, d := range b {
		buf[i] = digit(d)
	}
	return string(buf)
}

func digit(d int8) byte {
	switch {
	case d == 10:
		return '0'
	case d >= 0 && d <= 9:
		return '0' + byte(d)
	}
	return '?'
}

// Equal reports whether two bittings have the same depths.
func (b Bitting) Equal(o Bitting) bool {
	if len(b) != len(o) {
		return false
	}
	for i := range b {
		if b[i] != o[i] {
			return false
		}
	}
	return true
}

// Less orders bittings ascending: position 1 first, then 2, and so on.
func (b Bitting) Less(o Bitting) bool {
	for i := 0; i < len(b) && i < len(o); i++ {
		if b[i] != o[i] {
			return b[i] < o[i]
		}
	}
	return len(b) < len(o)
}

// ParseDigits reads a non-empty string of decimal digits. When maxDepth is
// 10 the digit 0 is depth 10. It reports false for anything else.
func ParseDigits(s string, maxDepth int) (Bitting, bool) {
	if s == "" {
		return nil, false
	}
	b := make(Bitting, len(s))
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < '0' || c > '9' {
			return nil, false
		}
		b[i] = int8(c - '0')
		if b[i] == 0 && maxDepth == 10 {
			b[i] = 10
		}
	}
	return b, true
}

// ParseBitting reads a bitting of this spec: bad_bitting when it is not
// digits or not Positions long, bitting_depth_out_of_range for the lowest
// position whose cut is outside MinDepth…MaxDepth. field names it in the error.
func (s Spec) ParseBitting(field, str string) (Bitting, error) {
	b, ok := ParseDigits(str, s.MaxDepth)
	if !ok || len(b) != s.Positions {
		return nil, &Error{Rule: RuleBadBitting, Field: field}
	}
	if e := s.checkRange(field, b); e != nil {
		return nil, e
	}
	return b, nil
}

// checkBitting is stage 2 for a bitting that is already typed.
func (s Spec) checkBitting(field string, b Bitting) *Error {
	if len(b) != s.Positions || len(b) == 0 {
		return &Error{Rule: RuleBadBitting, Field: field}
	}
	for _, d := range b {
		if d < 0 || d > 10 {
			return &Error{Rule: RuleBadBitting, Field: field}
		}
	}
	return s.checkRange(field, b)
}

func (s Spec) checkRange(field string, b Bitting) *Error {
	for i, d := range b {
		if int(d) < s.MinDepth || int(d) > s.MaxDepth {
			return &Error{Rule: RuleBittingDepthOutOfRange, Field: field, Position: i + 1, Depth: int(d)}
		}
	}
	return nil
}

// checkBittings runs stage 2 over a list, item by item.
func (s Spec) checkBittings(field string, bs []Bitting) *Error {
	for i, b := range bs {
		if e := s.checkBitting("", b); e != nil {
			e.Field = fmt.Sprintf("%s[%d]", field, i) // named only on failure: audits check thousands
			return e
		}
	}
	return nil
}

// PassesMACS reports whether every adjacent pair differs by at most MACS.
func (s Spec) PassesMACS(b Bitting) bool {
	_, bad := s.firstMACSFailure(b)
	return !bad
}

// firstMACSFailure returns the 0-based index i of the first pair (i, i+1) over MACS.
func (s Spec) firstMACSFailure(b Bitting) (int, bool) {
	for i := 0; i+1 < len(b); i++ {
		d := int(b[i]) - int(b[i+1])
		if d > s.MACS || -d > s.MACS {
			return i, true
		}
	}
	return 0, false
}

// Valid reports whether b has the spec's length, every cut in range and passes MACS.
func (s Spec) Valid(b Bitting) bool {
	return s.Check(b).Valid
}

// MACSReport is the validity of one bitting (the macs verb).
type MACSReport struct {
	LengthOK       bool
	OutOfRange     []int    // positions, ascending
	MACSViolations [][2]int // adjacent pairs [i, i+1], ascending
	Valid          bool
}

// Check reports a bitting's length, range and MACS problems instead of
// rejecting it. MACS compares the depths as given, even out-of-range ones.
func (s Spec) Check(b Bitting) MACSReport {
	r := MACSReport{LengthOK: len(b) == s.Positions, OutOfRange: []int{}, MACSViolations: [][2]int{}}
	for i, d := range b {
		if int(d) < s.MinDepth || int(d) > s.MaxDepth {
			r.OutOfRange = append(r.OutOfRange, i+1)
		}
	}
	for i := 0; i+1 < len(b); i++ {
		d := int(b[i]) - int(b[i+1])
		if d > s.MACS || -d > s.MACS {
			r.MACSViolations = append(r.MACSViolations, [2]int{i + 1, i + 2})
		}
	}
	r.Valid = r.LengthOK && len(r.OutOfRange) == 0 && len(r.MACSViolations) == 0
	return r
}
