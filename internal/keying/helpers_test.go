package keying

import (
	"errors"
	"reflect"
	"testing"
)

var (
	schlage = Spec{Name: "schlage_sc4", Positions: 6, MinDepth: 0, MaxDepth: 9, MACS: 7, Step: 2, MinMasterPin: 2}
	kwikset = Spec{Positions: 5, MinDepth: 1, MaxDepth: 6, MACS: 4, Step: 1, MinMasterPin: 1}
	bestA2  = Spec{Positions: 7, MinDepth: 0, MaxDepth: 9, MACS: 9, Step: 2, MinMasterPin: 2}
	sargent = Spec{Positions: 6, MinDepth: 1, MaxDepth: 10, MACS: 7, Step: 2}
	oneStep = Spec{Positions: 6, MinDepth: 0, MaxDepth: 9, MACS: 7, Step: 1}
)

// b parses digits; a 0 is depth 10 only for Sargent-style tests (use bs).
func b(s string) Bitting {
	x, ok := ParseDigits(s, 9)
	if !ok {
		panic("bad test bitting " + s)
	}
	return x
}

func bs(ss ...string) []Bitting {
	out := make([]Bitting, len(ss))
	for i, s := range ss {
		out[i] = b(s)
	}
	return out
}

func strs(bs []Bitting) []string {
	out := make([]string, len(bs))
	for i, b := range bs {
		out[i] = b.String()
	}
	return out
}

func wantErr(t *testing.T, err error, want Error) {
	t.Helper()
	var e *Error
	if !errors.As(err, &e) {
		t.Fatalf("error = %v, want %+v", err, want)
	}
	if !reflect.DeepEqual(*e, want) {
		t.Fatalf("error = %+v, want %+v", *e, want)
	}
}

func ptr(n int) *int { return &n }
