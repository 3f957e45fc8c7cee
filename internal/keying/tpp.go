package keying

// TPPRequest asks for a total position progression (keying.md §5.4).
type TPPRequest struct {
	TMK      Bitting
	Sequence []int         // progressed positions, the fastest-changing first
	Columns  map[int][]int // explicit columns by position; the others are derived
	MaxKeys  int           // 0: DefaultMaxKeys
}

// TPPResult lists the change keys under one master, in odometer order.
type TPPResult struct {
	Columns          map[int][]int
	TheoreticalCount int64
	ChangeKeys       []Bitting // pass MACS
	MACSRejected     []Bitting // fail MACS; never issued
}

// TPP progresses the positions of the sequence from the TMK; the other
// positions are held at the TMK cut.
func TPP(spec Spec, req TPPRequest) (*TPPResult, error) {
	r, e := tpp(spec, req)
	if e != nil {
		return nil, e
	}
	return r, nil
}

func tpp(spec Spec, req TPPRequest) (*TPPResult, *Error) {
	if e := spec.validate(); e != nil {
		return nil, e
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
	if e := checkSequence("sequence", req.Sequence, spec.Positions, map[int]bool{}); e != nil {
		return nil, e
	}
	if e := columnNotInSequence(req.Columns, req.Sequence); e != nil {
		return nil, e
	}
	cols, e := spec.columns(req.TMK, req.Sequence, req.Columns)
	if e != nil {
		return nil, e
	}
	count := product(cols)
	if e := checkLimit(count, req.MaxKeys, spec.Positions); e != nil {
		return nil, e
	}
	r := &TPPResult{Columns: columnsMap(req.Sequence, cols), TheoreticalCount: count}
	r.ChangeKeys, r.MACSRejected = spec.generate(req.TMK, req.Sequence, cols, count)
	return r, nil
}

func (s Spec) checkTMKMACS(tmk Bitting) *Error {
	if i, bad := s.firstMACSFailure(tmk); bad {
		return &Error{Rule: RuleTMKMACS, Positions: [2]int{i + 1, i + 2}}
	}
	return nil
}

// generate runs the odometer and splits its keys by MACS, keeping order.
func (s Spec) generate(base Bitting, seq []int, cols [][]int8, count int64) (pass, fail []Bitting) {
	store := newKeyStore(count, len(base))
	pass, fail = []Bitting{}, []Bitting{}
	o := newOdometer(base, seq, cols)
	for ok := true; ok; ok = o.next() {
		k := store.add(o.key)
		if s.PassesMACS(k) {
			pass = append(pass, k)
		} else {
			fail = append(fail, k)
		}
	}
	return pass, fail
}
