package keying

import (
	"reflect"
	"strings"
	"testing"
)

func TestLettersSkipIOQX(t *testing.T) {
	if len(Letters) != 22 || strings.ContainsAny(Letters, "IOQX") {
		t.Fatalf("Letters = %q", Letters)
	}
}

func TestSystemSymbols22(t *testing.T) {
	r, err := System(symbols, SystemRequest{TMK: b("040"), Levels: []Level{
		{Name: LevelMaster, Sequence: []int{1, 2}}, {Name: LevelChange, Sequence: []int{3}}}})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, m := range r.Masters {
		got = append(got, m.Symbol)
	}
	want := strings.Fields("AA AB AC AD AE AF AG AH AJ AK AL AM AN AP AR AS AT AU AV AW AY AZ")
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("masters %v", got)
	}
	if len(r.SkippedMasters) != 81-22 {
		t.Fatalf("%d skipped masters, want %d", len(r.SkippedMasters), 81-22)
	}
	// Masters and skipped masters together are the odometer, position 1 fastest.
	// Position 1 skips the TMK cut 0; 500 fails MACS 4 next to the 0.
	if r.Masters[0].Bitting.String() != "100" || r.SkippedMasters[0].String() != "500" {
		t.Fatalf("first master %s, first skipped %s", r.Masters[0].Bitting, r.SkippedMasters[0])
	}
}

func TestSystemTwoLevels(t *testing.T) {
	r, err := System(schlage, SystemRequest{TMK: b("246824"), Levels: []Level{{Name: LevelChange, Sequence: []int{6, 5}}}})
	if err != nil {
		t.Fatal(err)
	}
	if r.Levels != 2 || r.Top.Symbol != "AA" || r.Top.Bitting.String() != "246824" {
		t.Fatalf("top %+v", r.Top)
	}
	// Position 6 changes fastest (0 2 6 8 under TMK cut 4), then
	// position 5 (0 4 6 8): a 0 after the 8 of position 4 fails MACS 7.
	if got := strs(r.MACSRejected); !reflect.DeepEqual(got, []string{"246800", "246802", "246806", "246808", "246880"}) {
		t.Fatalf("rejected %v", got)
	}
	if len(r.ChangeKeys) != 11 || r.ChangeKeys[0].Symbol != "1AA" || r.ChangeKeys[9].Symbol != "10AA" || r.ChangeKeys[10].Symbol != "11AA" {
		t.Fatalf("change keys %+v", r.ChangeKeys)
	}
	if got := r.ChangeKeys[1].Bitting.String(); got != "246842" {
		t.Fatalf("second key %s", got)
	}
	if r.Masters != nil || r.Grands != nil {
		t.Fatal("a 2-level system has no masters or grands")
	}
	r, err = System(schlage, SystemRequest{TMK: b("246824"), TopSymbol: "XY", Levels: []Level{{Name: LevelChange, Sequence: []int{6}}}})
	if err != nil || r.Top.Symbol != "XY" || r.ChangeKeys[0].Symbol != "1XY" {
		t.Fatalf("top symbol: %+v %v", r, err)
	}
}

func TestSystemThreeLevelsAA10(t *testing.T) {
	r, err := System(schlage, SystemRequest{TMK: b("246824"), Levels: []Level{
		{Name: LevelMaster, Sequence: []int{1}}, {Name: LevelChange, Sequence: []int{5, 6}}}})
	if err != nil {
		t.Fatal(err)
	}
	if r.Top.Symbol != "A" || len(r.Masters) != 4 || r.Masters[0].Symbol != "AA" || r.Masters[3].Symbol != "AD" {
		t.Fatalf("gm %+v, masters %d", r.Top, len(r.Masters))
	}
	m := r.Masters[0]
	if m.Bitting.String() != "046824" {
		t.Fatalf("AA = %s", m.Bitting)
	}
	var syms []string
	for _, k := range m.ChangeKeys {
		syms = append(syms, k.Symbol)
		if k.Bitting[0] != 0 {
			t.Fatalf("%s does not keep its master's cut", k.Bitting)
		}
	}
	// A 0 after an 8 fails MACS 7 (they differ by 8).
	if len(m.MACSRejected) != 5 || len(syms) != 11 || syms[9] != "AA10" || syms[10] != "AA11" {
		t.Fatalf("symbols %v, rejected %v", syms, strs(m.MACSRejected))
	}
}

func TestSystemFourLevels(t *testing.T) {
	r, err := System(schlage, SystemRequest{TMK: b("246824"), Levels: []Level{
		{Name: LevelGrand, Sequence: []int{1}}, {Name: LevelMaster, Sequence: []int{2}}, {Name: LevelChange, Sequence: []int{6}}}})
	if err != nil {
		t.Fatal(err)
	}
	if r.Top.Symbol != "GGM" || len(r.Grands) != 4 || r.Grands[1].Symbol != "B" {
		t.Fatalf("ggm %+v grands %d", r.Top, len(r.Grands))
	}
	g := r.Grands[1]
	if g.Bitting.String() != "446824" || g.Masters[0].Symbol != "BA" || g.Masters[0].Bitting.String() != "406824" {
		t.Fatalf("grand B %+v", g.Key)
	}
	if ck := g.Masters[0].ChangeKeys[0]; ck.Symbol != "BA1" || ck.Bitting.String() != "406820" {
		t.Fatalf("BA1 = %+v", ck)
	}
}

func TestSystemSkippedGrand(t *testing.T) {
	// Grand masters at position 2 next to a 0 and a 9: MACS 4 leaves few.
	spec := Spec{Positions: 4, MinDepth: 0, MaxDepth: 9, MACS: 4, Step: 1}
	r, err := System(spec, SystemRequest{TMK: b("2222"), Levels: []Level{
		{Name: LevelGrand, Sequence: []int{2}, Columns: map[int][]int{2: {9, 5, 8, 4}}},
		{Name: LevelMaster, Sequence: []int{3}, Columns: map[int][]int{3: {9, 1}}},
		{Name: LevelChange, Sequence: []int{4}, Columns: map[int][]int{4: {0}}}}})
	if err != nil {
		t.Fatal(err)
	}
	if got := strs(r.SkippedGrands); !reflect.DeepEqual(got, []string{"2922", "2822"}) {
		t.Fatalf("skipped grands %v", got)
	}
	if r.Grands[0].Symbol != "A" || r.Grands[0].Bitting.String() != "2522" || r.Grands[1].Symbol != "B" {
		t.Fatalf("grands %+v", r.Grands)
	}
	// Under 2522, master 2592 fails next to the last 2; AA is 2512.
	ga := r.Grands[0]
	if !reflect.DeepEqual(strs(ga.SkippedMasters), []string{"2592"}) || len(ga.Masters) != 1 || ga.Masters[0].Symbol != "AA" ||
		ga.Masters[0].ChangeKeys[0].Symbol != "AA1" || ga.Masters[0].ChangeKeys[0].Bitting.String() != "2510" {
		t.Fatalf("masters of A: %+v", ga)
	}
	// Under 2422, 2492 fails MACS (|4-9| = 5): BA is 2412.
	gb := r.Grands[1]
	if !reflect.DeepEqual(strs(gb.SkippedMasters), []string{"2492"}) || gb.Masters[0].Symbol != "BA" || gb.Masters[0].Bitting.String() != "2412" {
		t.Fatalf("grand B %+v", gb)
	}
}

func TestSargentDepth10IsWrittenZero(t *testing.T) {
	tmk, err := sargent.ParseBitting("tmk", "135790")
	if err != nil {
		t.Fatal(err)
	}
	if tmk[5] != 10 {
		t.Fatalf("digit 0 of a Sargent bitting = depth %d", tmk[5])
	}
	r, err := TPP(sargent, TPPRequest{TMK: tmk, Sequence: []int{5}})
	if err != nil {
		t.Fatal(err)
	}
	// Position 5 has TMK cut 9; two-step keeps it odd: 1 3 5 7. A 1 next
	// to the depth 10 of position 6 fails MACS 7.
	if got := strs(r.ChangeKeys); !reflect.DeepEqual(got, []string{"135730", "135750", "135770"}) {
		t.Fatalf("change keys %v", got)
	}
	if got := strs(r.MACSRejected); !reflect.DeepEqual(got, []string{"135710"}) {
		t.Fatalf("rejected %v", got)
	}
	r, err = TPP(sargent, TPPRequest{TMK: b("135792"), Sequence: []int{6}})
	if err != nil {
		t.Fatal(err)
	}
	if got := strs(r.ChangeKeys); !reflect.DeepEqual(got, []string{"135794", "135796", "135798", "135790"}) {
		t.Fatalf("change keys %v", got)
	}
	if !reflect.DeepEqual(r.Columns[6], []int{4, 6, 8, 10}) {
		t.Fatalf("column %v", r.Columns[6])
	}
	// Depth 10 sorts last in an operating set, though written 0.
	os, err := OperatingSet(sargent, []Bitting{b("111111"), tmk}, 0)
	if err != nil {
		t.Fatal(err)
	}
	if got := os.All[1].String(); got != "111110" {
		t.Fatalf("second operating bitting %s, want 111110", got)
	}
	if _, err := sargent.ParseBitting("tmk", "135798"); err != nil {
		t.Fatal(err)
	}
	// Digit 0 is out of range for a 0-9 spec only when min_depth > 0.
	if _, err := kwikset.ParseBitting("k", "10111"); err == nil {
		t.Fatal("Kwikset has no depth 0")
	}
}

func TestOdometerOrder(t *testing.T) {
	// Sequence [3, 1] with columns 3: [a, b] and 1: [x, y].
	r, err := TPP(oneStep, TPPRequest{TMK: b("555555"), Sequence: []int{3, 1}, Columns: map[int][]int{3: {1, 2}, 1: {8, 9}}})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"851555", "852555", "951555", "952555"}
	if got := strs(r.ChangeKeys); !reflect.DeepEqual(got, want) {
		t.Fatalf("odometer %v, want %v", got, want)
	}
}

func TestDerivedColumns(t *testing.T) {
	r, err := TPP(Spec{Positions: 3, MinDepth: 0, MaxDepth: 9, MACS: 9, Step: 1, MinMasterPin: 3}, TPPRequest{TMK: b("555"), Sequence: []int{2}})
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(r.Columns[2], []int{0, 1, 2, 8, 9}) {
		t.Fatalf("column with min master pin 3: %v", r.Columns[2])
	}
	r, err = TPP(schlage, TPPRequest{TMK: b("355555"), Sequence: []int{1}})
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(r.Columns[1], []int{1, 5, 7, 9}) {
		t.Fatalf("two-step column of an odd cut: %v", r.Columns[1])
	}
}

func TestRCMPages(t *testing.T) {
	r, err := RCM(schlage, RCMRequest{TMK: b("246824"), Positions: []int{6, 2, 4}, Constants: 1, Columns: map[int][]int{2: {6, 2}}})
	if err != nil {
		t.Fatal(err)
	}
	var held [][]int
	for _, p := range r.Pages {
		held = append(held, p.ConstantPositions)
	}
	if !reflect.DeepEqual(held, [][]int{{2}, {4}, {6}}) {
		t.Fatalf("pages %v", held)
	}
	// Page holding 2: positions 4 and 6 progress, 4 fastest.
	p := r.Pages[0]
	all := append(append([]string{}, strs(p.ChangeKeys)...), strs(p.MACSRejected)...)
	if len(all) != 16 || strs(p.ChangeKeys)[0] != "246020" || strs(p.ChangeKeys)[1] != "246220" {
		t.Fatalf("page 1 %v", all)
	}
	// Page holding 4: column 2 is explicit, in its order 6, 2.
	if got := strs(r.Pages[1].ChangeKeys)[:2]; !reflect.DeepEqual(got, []string{"266820", "226820"}) {
		t.Fatalf("page 2 starts %v", got)
	}
	if r.TheoreticalCount != 16+8+8 {
		t.Fatalf("theoretical %d", r.TheoreticalCount)
	}
	// Keys of different pages never operate each other's cylinders.
	for i, a := range r.Pages {
		for j, b := range r.Pages {
			if i == j {
				continue
			}
			for _, ka := range a.ChangeKeys {
				cyl := Cylinder{Keys: []Bitting{ka, b246824}}
				for _, kb := range b.ChangeKeys {
					if Operates(cyl, kb) {
						t.Fatalf("%s of page %d opens %s of page %d", kb, j, ka, i)
					}
				}
			}
		}
	}
}

var b246824 = Bitting{2, 4, 6, 8, 2, 4}

func TestRCMCount(t *testing.T) {
	for _, tt := range []struct {
		lens []int64
		c    int
		want int64
	}{
		{[]int64{4, 4, 4, 4, 4, 4}, 4, 240},
		{[]int64{2, 3, 5}, 1, 6 + 10 + 15},
		{[]int64{2, 3, 5}, 2, 2 + 3 + 5},
		{[]int64{1, 1, 1, 1, 1}, 1, 5},
	} {
		if got := rcmCount(tt.lens, tt.c); got != tt.want {
			t.Errorf("rcmCount(%v, %d) = %d, want %d", tt.lens, tt.c, got, tt.want)
		}
	}
	big := make([]int64, 100)
	for i := range big {
		big[i] = 5
	}
	if got := rcmCount(big, 50); got != 1<<63-1 {
		t.Errorf("saturated count = %d", got)
	}
}
