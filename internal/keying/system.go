package keying

import (
	"fmt"
	"strconv"
)

// Letters are the standard key-symbol letters (LIST Council, BHMA A156.28):
// I, O and Q are never used, X is kept for cross-keyed cylinders.
const Letters = "ABCDEFGHJKLMNPRSTUVWYZ"

// MaxLettered is the most lettered keys one parent can have.
const MaxLettered = len(Letters)

// Level names, top to bottom.
const (
	LevelGrand  = "grand"
	LevelMaster = "master"
	LevelChange = "change"
)

// Level is one level of a key system: the positions it progresses.
type Level struct {
	Name     string // LevelGrand, LevelMaster or LevelChange
	Sequence []int
	Columns  map[int][]int // explicit columns, relative to the TMK cut
}

// SystemRequest asks for a 2-, 3- or 4-level key system (keying.md §5.5).
// Levels must be [change], [master change] or [grand master change].
type SystemRequest struct {
	TMK       Bitting
	Levels    []Level
	TopSymbol string // "" gives AA, A or GGM
	MaxKeys   int    // 0: DefaultMaxKeys
}

// Key is a symbol and its bitting.
type Key struct {
	Symbol  string
	Bitting Bitting
}

// Master is a master key with its change keys.
type Master struct {
	Key
	ChangeKeys   []Key
	MACSRejected []Bitting
}

// Grand is a grand master key with its masters (4-level systems).
type Grand struct {
	Key
	Masters        []Master
	SkippedMasters []Bitting
}

// SystemResult is a key system. Which lists are set depends on Levels:
// 2 levels use ChangeKeys and MACSRejected, 3 levels Masters and
// SkippedMasters, 4 levels Grands and SkippedGrands. Lists are in generation
// order; MACS-failing keys take no symbol.
type SystemResult struct {
	Levels int
	Top    Key // the TMK: master AA, grand master A or GGM

	ChangeKeys   []Key
	MACSRejected []Bitting

	Masters        []Master
	SkippedMasters []Bitting

	Grands        []Grand
	SkippedGrands []Bitting

	Columns []map[int][]int // per level, top to bottom
}

var shapes = [][]string{
	{LevelChange},
	{LevelMaster, LevelChange},
	{LevelGrand, LevelMaster, LevelChange},
}

// ShapeOK reports whether names, top to bottom, are one of the three system shapes.
func ShapeOK(names []string) bool {
	for _, s := range shapes {
		if len(s) != len(names) {
			continue
		}
		ok := true
		for i := range s {
			ok = ok && s[i] == names[i]
		}
		if ok {
			return true
		}
	}
	return false
}

// System builds a key system from the TMK, one level after another.
func System(spec Spec, req SystemRequest) (*SystemResult, error) {
	r, e := system(spec, req)
	if e != nil {
		return nil, e
	}
	return r, nil
}

func system(spec Spec, req SystemRequest) (*SystemResult, *Error) {
	if e := spec.validate(); e != nil {
		return nil, e
	}
	names := make([]string, len(req.Levels))
	for i, l := range req.Levels {
		names[i] = l.Name
	}
	if !ShapeOK(names) {
		return nil, badInput("levels")
	}
	for i, l := range req.Levels {
		if e := spec.checkColumnNames(fmt.Sprintf("levels[%d].columns", i), l.Columns); e != nil {
			return nil, e
		}
	}
	if e := spec.checkBitting("tmk", req.TMK); e != nil {
		return nil, e
	}
	if e := spec.checkTMKMACS(req.TMK); e != nil {
		return nil, e
	}
	used := map[int]bool{}
	for i, l := range req.Levels {
		if e := checkSequence(fmt.Sprintf("levels[%d].sequence", i), l.Sequence, spec.Positions, used); e != nil {
			return nil, e
		}
	}
	for _, l := range req.Levels {
		if e := columnNotInSequence(l.Columns, l.Sequence); e != nil {
			return nil, e
		}
	}
	cols := make([][][]int8, len(req.Levels))
	count := int64(1)
	for i, l := range req.Levels {
		c, e := spec.columns(req.TMK, l.Sequence, l.Columns)
		if e != nil {
			return nil, e
		}
		cols[i] = c
		count = mulSat(count, product(c))
	}
	if e := checkLimit(count, req.MaxKeys, spec.Positions); e != nil {
		return nil, e
	}

	b := systemBuilder{spec: spec, levels: req.Levels, cols: cols}
	r := &SystemResult{Levels: len(req.Levels) + 1}
	for i, l := range req.Levels {
		r.Columns = append(r.Columns, columnsMap(l.Sequence, cols[i]))
	}
	switch r.Levels {
	case 2:
		r.Top = Key{symbolOr(req.TopSymbol, "AA"), req.TMK}
		r.ChangeKeys, r.MACSRejected = b.changeKeys(req.TMK, 0, func(n int) string { return strconv.Itoa(n) + r.Top.Symbol })
	case 3:
		r.Top = Key{symbolOr(req.TopSymbol, "A"), req.TMK}
		masters, skipped, e := b.lettered(req.TMK, 0, r.Top.Symbol)
		if e != nil {
			return nil, e
		}
		r.Masters, r.SkippedMasters = b.withChangeKeys(masters, 1), skipped
	case 4:
		r.Top = Key{symbolOr(req.TopSymbol, "GGM"), req.TMK}
		grands, skipped, e := b.lettered(req.TMK, 0, "")
		if e != nil {
			return nil, e
		}
		r.Grands, r.SkippedGrands = make([]Grand, len(grands)), skipped
		masters := make([][]Key, len(grands))
		for i, g := range grands {
			ms, sk, e := b.lettered(g.Bitting, 1, g.Symbol)
			if e != nil {
				return nil, e
			}
			masters[i] = ms
			r.Grands[i] = Grand{Key: g, SkippedMasters: sk}
		}
		// Change keys only once every symbol limit has passed.
		for i := range grands {
			r.Grands[i].Masters = b.withChangeKeys(masters[i], 2)
		}
	}
	return r, nil
}

func symbolOr(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

type systemBuilder struct {
	spec   Spec
	levels []Level
	cols   [][][]int8
}

// lettered generates level i under parent and letters the keys that pass MACS.
func (b systemBuilder) lettered(parent Bitting, i int, prefix string) ([]Key, []Bitting, *Error) {
	pass, fail := b.spec.generate(parent, b.levels[i].Sequence, b.cols[i], product(b.cols[i]))
	if len(pass) > MaxLettered {
		return nil, nil, &Error{Rule: RuleTooManySymbols, Level: b.levels[i].Name, Count: int64(len(pass)), Maximum: int64(MaxLettered)}
	}
	keys := make([]Key, len(pass))
	for j, k := range pass {
		keys[j] = Key{prefix + Letters[j:j+1], k}
	}
	return keys, fail, nil
}

func (b systemBuilder) withChangeKeys(masters []Key, i int) []Master {
	out := make([]Master, len(masters))
	for j, m := range masters {
		sym := m.Symbol
		ck, rej := b.changeKeys(m.Bitting, i, func(n int) string { return sym + strconv.Itoa(n) })
		out[j] = Master{Key: m, ChangeKeys: ck, MACSRejected: rej}
	}
	return out
}

// changeKeys generates level i under parent and numbers the keys that pass MACS from 1.
func (b systemBuilder) changeKeys(parent Bitting, i int, symbol func(int) string) ([]Key, []Bitting) {
	pass, fail := b.spec.generate(parent, b.levels[i].Sequence, b.cols[i], product(b.cols[i]))
	keys := make([]Key, len(pass))
	for j, k := range pass {
		keys[j] = Key{symbol(j + 1), k}
	}
	return keys, fail
}
