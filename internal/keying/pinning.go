package keying

import "math/bits"

// Default SFIC geometry (Best A2 7-pin): the control shear line sits 10
// depth units above the operating one, in a stack of 23.
const (
	DefaultControlOffset = 10
	DefaultStackHeight   = 23
)

// SFIC is the geometry of a small-format interchangeable core; zero members take the defaults.
type SFIC struct {
	ControlOffset int
	StackHeight   int
}

// PinningRequest asks for the pins of one cylinder (keying.md §5.7).
type PinningRequest struct {
	Keys    []Bitting // the cylinder's key list
	Control Bitting   // the SFIC control key; nil for a conventional cylinder
	SFIC    SFIC
}

// Chamber is the pin stack of one position. Sizes are in depth units.
type Chamber struct {
	Position    int
	ShearDepths []int // distinct cuts, ascending
	BottomPin   int
	MasterPins  []int // bottom-up
	BuildUpPin  int   // SFIC only
	TopPin      int   // SFIC only
}

// PinWarning flags a master pin thinner than the spec's minimum.
type PinWarning struct {
	Position int
	Rule     Rule // RuleMasterPinBelowMinimum
	Size     int
	Minimum  int
}

// PinError is a broken master-pin limit. Position is 0 for the per-cylinder total.
type PinError struct {
	Position int
	Rule     Rule // RuleTooManyMasterPins or RuleTooManyMasterPinsTotal
	Count    int
	Maximum  int
}

// PinningResult is a cylinder's pinning. Warnings and Errors are part of
// the answer: the pinning stands, but a locksmith should look.
type PinningResult struct {
	Chambers        []Chamber
	SFIC            bool // BuildUpPin and TopPin are set
	TotalMasterPins int
	OperatingCount  int64 // saturates at math.MaxInt64
	Warnings        []PinWarning
	Errors          []PinError
}

// Pinning computes bottom and master pins, bottom-up, and with a control
// key the SFIC build-up and top pins.
func Pinning(spec Spec, req PinningRequest) (*PinningResult, error) {
	r, e := pinning(spec, req)
	if e != nil {
		return nil, e
	}
	return r, nil
}

func pinning(spec Spec, req PinningRequest) (*PinningResult, *Error) {
	if e := spec.validate(); e != nil {
		return nil, e
	}
	offset, stack := req.SFIC.ControlOffset, req.SFIC.StackHeight
	switch {
	case offset < 0:
		return nil, badInput("sfic.control_offset")
	case stack < 0:
		return nil, badInput("sfic.stack_height")
	}
	if offset == 0 {
		offset = DefaultControlOffset
	}
	if stack == 0 {
		stack = DefaultStackHeight
	}
	if e := spec.checkBittings("keys", req.Keys); e != nil {
		return nil, e
	}
	sfic := req.Control != nil
	if sfic {
		if e := spec.checkBitting("control", req.Control); e != nil {
			return nil, e
		}
	}
	if len(req.Keys) == 0 {
		return nil, &Error{Rule: RuleNoKeys, Field: "keys"}
	}
	sh := NewShear(req.Keys)
	r := &PinningResult{
		Chambers:       make([]Chamber, len(sh)),
		SFIC:           sfic,
		OperatingCount: sh.Count(),
		Warnings:       []PinWarning{},
		Errors:         []PinError{},
	}
	for i, m := range sh {
		ch := Chamber{Position: i + 1, ShearDepths: make([]int, 0, bits.OnesCount16(m)), MasterPins: []int{}}
		for ; m != 0; m &= m - 1 {
			ch.ShearDepths = append(ch.ShearDepths, bits.TrailingZeros16(m))
		}
		S := ch.ShearDepths
		ch.BottomPin = S[0]
		for j := 1; j < len(S); j++ {
			size := S[j] - S[j-1]
			ch.MasterPins = append(ch.MasterPins, size)
			if size < spec.MinMaster() {
				r.Warnings = append(r.Warnings, PinWarning{Position: i + 1, Rule: RuleMasterPinBelowMinimum, Size: size, Minimum: spec.MinMaster()})
			}
		}
		if sfic {
			top := S[len(S)-1]
			ch.BuildUpPin = int(req.Control[i]) + offset - top
			ch.TopPin = stack - (top + ch.BuildUpPin)
		}
		r.TotalMasterPins += len(ch.MasterPins)
		r.Chambers[i] = ch
	}
	if sfic {
		for _, ch := range r.Chambers {
			if ch.BuildUpPin < 1 || ch.TopPin < 1 {
				return nil, &Error{Rule: RuleSFICStack, Position: ch.Position}
			}
		}
	}
	if max := spec.MaxMasterPinsPerChamber; max != nil {
		for _, ch := range r.Chambers {
			if len(ch.MasterPins) > *max {
				r.Errors = append(r.Errors, PinError{Position: ch.Position, Rule: RuleTooManyMasterPins, Count: len(ch.MasterPins), Maximum: *max})
			}
		}
	}
	if max := spec.MaxMasterPinsTotal; max != nil && r.TotalMasterPins > *max {
		r.Errors = append(r.Errors, PinError{Rule: RuleTooManyMasterPinsTotal, Count: r.TotalMasterPins, Maximum: *max})
	}
	return r, nil
}
