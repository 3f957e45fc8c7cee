package keying

import (
	"math"
	"math/big"
	"strconv"
)

// Dimensions place the cuts of a key section: the root depth of one
// reference depth and the increment between depths, in inches.
type Dimensions struct {
	Name            string
	ReferenceDepth  int
	ReferenceRootIn float64 // > 0
	IncrementIn     float64 // > 0
	MaxDepth        int     // 10 makes the digit 0 depth 10
}

// RootDepths gives the root depth of every cut, measured from the bottom of
// the blade (deeper cuts give smaller numbers), rounded to 4 decimal places.
func RootDepths(d Dimensions, b Bitting) ([]float64, error) {
	switch {
	case !(d.ReferenceRootIn > 0) || math.IsInf(d.ReferenceRootIn, 0):
		return nil, badInput("dimensions.reference_root_in")
	case !(d.IncrementIn > 0) || math.IsInf(d.IncrementIn, 0):
		return nil, badInput("dimensions.increment_in")
	case len(b) == 0:
		return nil, &Error{Rule: RuleBadBitting, Field: "bitting"}
	}
	// Work in decimal so that .335 − 9 × .015 is exactly .2 and halves
	// round away from zero as a person would round them.
	root, inc := decimal(d.ReferenceRootIn), decimal(d.IncrementIn)
	out := make([]float64, len(b))
	for i, depth := range b {
		steps := new(big.Rat).SetInt64(int64(depth) - int64(d.ReferenceDepth))
		v := new(big.Rat).Sub(root, steps.Mul(steps, inc))
		f, err := strconv.ParseFloat(round4(v), 64)
		if err != nil {
			return nil, badInput("dimensions")
		}
		out[i] = f
	}
	return out, nil
}

// decimal is the exact value of the shortest decimal that reads back as f:
// the number the user typed.
func decimal(f float64) *big.Rat {
	r, _ := new(big.Rat).SetString(strconv.FormatFloat(f, 'g', -1, 64))
	return r
}

// round4 writes v rounded half away from zero to 4 decimal places.
func round4(v *big.Rat) string {
	neg := v.Sign() < 0
	a := new(big.Rat).Abs(v)
	a.Mul(a, big.NewRat(10000, 1))
	q, m := new(big.Int).QuoRem(a.Num(), a.Denom(), new(big.Int))
	if new(big.Int).Lsh(m, 1).Cmp(a.Denom()) >= 0 {
		q.Add(q, big.NewInt(1))
	}
	s := q.String()
	for len(s) < 5 {
		s = "0" + s
	}
	s = s[:len(s)-4] + "." + s[len(s)-4:]
	if neg && q.Sign() != 0 {
		s = "-" + s
	}
	return s
}
