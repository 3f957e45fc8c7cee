package keying

import (
	"math"
	"math/bits"
	"slices"
)

// RCMRequest asks for rotating constant method pages (keying.md §5.6).
type RCMRequest struct {
	TMK       Bitting
	Positions []int         // the planned positions P; order does not matter
	Constants int           // held positions per page, 1 ≤ c ≤ |P| − 1
	Columns   map[int][]int // explicit columns by position
	MaxKeys   int           // 0: DefaultMaxKeys
}

// Page is one c-element subset of held positions and its keys.
type Page struct {
	ConstantPositions []int // ascending
	ChangeKeys        []Bitting
	MACSRejected      []Bitting
}

// RCMResult lists every page in lexicographic order of its held positions.
type RCMResult struct {
	Columns           map[int][]int
	TheoreticalCount  int64
	Pages             []Page
	ChangeKeysCount   int
	MACSRejectedCount int
}

// RCM holds c positions of P at the TMK cut on each page and progresses the
// rest of P, the lowest position fastest.
func RCM(spec Spec, req RCMRequest) (*RCMResult, error) {
	r, e := rcm(spec, req)
	if e != nil {
		return nil, e
	}
	return r, nil
}

func rcm(spec Spec, req RCMRequest) (*RCMResult, *Error) {
	if e := spec.validate(); e != nil {
		return nil, e
	}
	if req.Constants < 1 {
		return nil, badInput("constants")
	}
	if e := spec.checkColumnNames("columns", req.Columns); e != nil {
		return nil, e
	}
	if e := spec.checkBitting("tmk", req.TMK); e != nil {
		return nil, e
	}
	if e := spec.checkTMKMACS(req.TMK); e != nil {
		return nil, e
	}
	if e := checkSequence("positions", req.Positions, spec.Positions, map[int]bool{}); e != nil {
		return nil, e
	}
	m, c := len(req.Positions), req.Constants
	if c > m-1 {
		return nil, &Error{Rule: RuleTooManyConstants, Constants: c, Maximum: int64(m - 1)}
	}
	if e := columnNotInSequence(req.Columns, req.Positions); e != nil {
		return nil, e
	}
	P := slices.Sorted(slices.Values(req.Positions))
	cols, e := spec.columns(req.TMK, P, req.Columns)
	if e != nil {
		return nil, e
	}
	lens := make([]int64, m)
	for i, col := range cols {
		lens[i] = int64(len(col))
	}
	count := rcmCount(lens, c)
	if e := checkLimit(count, req.MaxKeys, spec.Positions); e != nil {
		return nil, e
	}

	r := &RCMResult{Columns: columnsMap(P, cols), TheoreticalCount: count}
	held := make([]int, c) // indexes into P, ascending
	for i := range held {
		held[i] = i
	}
	for {
		page := Page{ConstantPositions: make([]int, c)}
		var seq []int
		var pcols [][]int8
		h := 0
		for i, p := range P {
			if h < c && held[h] == i {
				page.ConstantPositions[h] = p
				h++
				continue
			}
			seq = append(seq, p)
			pcols = append(pcols, cols[i])
		}
		page.ChangeKeys, page.MACSRejected = spec.generate(req.TMK, seq, pcols, product(pcols))
		r.ChangeKeysCount += len(page.ChangeKeys)
		r.MACSRejectedCount += len(page.MACSRejected)
		r.Pages = append(r.Pages, page)
		if !nextCombination(held, m) {
			break
		}
	}
	return r, nil
}

// nextCombination advances idx, an ascending c-subset of 0…m−1, to the next
// one in lexicographic order.
func nextCombination(idx []int, m int) bool {
	c := len(idx)
	i := c - 1
	for i >= 0 && idx[i] == m-c+i {
		i--
	}
	if i < 0 {
		return false
	}
	idx[i]++
	for j := i + 1; j < c; j++ {
		idx[j] = idx[j-1] + 1
	}
	return true
}

// rcmCount is the sum over c-subsets H of the product of the column lengths
// outside H (an elementary symmetric polynomial), saturating. The dynamic
// programme costs m·min(c, m−c); when that could be large the page count
// alone already saturates.
func rcmCount(lens []int64, c int) int64 {
	m := len(lens)
	r := m - c
	if binomial(m, min(c, r)) == math.MaxInt64 {
		return math.MaxInt64 // every page has at least one key
	}
	if c <= r {
		// f[j]: j positions held so far.
		f := make([]int64, c+1)
		f[0] = 1
		for _, k := range lens {
			for j := c; j >= 0; j-- {
				v := mulSat(f[j], k)
				if j > 0 {
					v = addSat(v, f[j-1])
				}
				f[j] = v
			}
		}
		return f[c]
	}
	// g[j]: j positions progressed so far.
	g := make([]int64, r+1)
	g[0] = 1
	for _, k := range lens {
		for j := r; j >= 1; j-- {
			g[j] = addSat(g[j], mulSat(g[j-1], k))
		}
	}
	return g[r]
}

// binomial is C(m, j) for j ≤ m/2, saturating at math.MaxInt64.
func binomial(m, j int) int64 {
	res := uint64(1)
	for i := 0; i < j; i++ {
		hi, lo := bits.Mul64(res, uint64(m-i))
		if hi >= uint64(i+1) {
			return math.MaxInt64
		}
		res, _ = bits.Div64(hi, lo, uint64(i+1))
		if res > math.MaxInt64 {
			return math.MaxInt64
		}
	}
	return int64(res)
}
