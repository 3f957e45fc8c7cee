package keying

import (
	"reflect"
	"testing"
)

// The worked examples of keying.md §6.

func TestExampleMixedShearLines(t *testing.T) {
	r, err := OperatingSet(oneStep, bs("333333", "555555"), 0)
	if err != nil {
		t.Fatal(err)
	}
	if r.Count != 64 || len(r.All) != 64 || len(r.Incidental) != 62 {
		t.Fatalf("count %d, all %d, incidental %d; want 64, 64, 62", r.Count, len(r.All), len(r.Incidental))
	}
	for _, k := range r.All {
		for _, d := range k {
			if d != 3 && d != 5 {
				t.Fatalf("%s has a cut other than 3 or 5", k)
			}
		}
	}
	got, err := CheckOperates(Cylinder{Keys: bs("333333", "555555")}, b("353553"))
	if err != nil || !got.Operates || len(got.FailingPositions) != 0 {
		t.Fatalf("operates = %+v, %v; want true, []", got, err)
	}
}

func TestExampleTwoChambers(t *testing.T) {
	spec := Spec{Positions: 2, MinDepth: 0, MaxDepth: 9, MACS: 7, Step: 1}
	r, err := OperatingSet(spec, bs("11", "44"), 0)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"11", "14", "41", "44"}
	if !reflect.DeepEqual(strs(r.All), want) || !reflect.DeepEqual(strs(r.MACSValid), want) {
		t.Fatalf("all %v, macs_valid %v; want %v", strs(r.All), strs(r.MACSValid), want)
	}
	inc := []string{"14", "41"}
	if !reflect.DeepEqual(strs(r.Incidental), inc) || !reflect.DeepEqual(strs(r.IncidentalMACSValid), inc) || r.Count != 4 {
		t.Fatalf("incidental %v, incidental_macs_valid %v, count %d", strs(r.Incidental), strs(r.IncidentalMACSValid), r.Count)
	}
}

func TestExampleCoworkersKey(t *testing.T) {
	office := Cylinder{ID: "office", Keys: bs("222222", "444444")}
	if !Operates(office, b("422442")) {
		t.Fatal("422442 should open the office pinned for 222222 and 444444")
	}
	if Operates(office, b("422443")) {
		t.Fatal("422443 has a 3 and must not open it")
	}
	r, err := LostKey([]Cylinder{office, {ID: "own", Keys: bs("422442", "444444")}}, b("422442"))
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(r.Incidental, []string{"office"}) || !reflect.DeepEqual(r.Intended, []string{"own"}) {
		t.Fatalf("lost key = %+v", r)
	}
}

func TestExampleSFICChamber(t *testing.T) {
	one := Spec{Positions: 1, MinDepth: 0, MaxDepth: 9, MACS: 9, Step: 2}
	r, err := Pinning(one, PinningRequest{Keys: bs("5", "7"), Control: b("9")})
	if err != nil {
		t.Fatal(err)
	}
	want := Chamber{Position: 1, ShearDepths: []int{5, 7}, BottomPin: 5, MasterPins: []int{2}, BuildUpPin: 12, TopPin: 4}
	if !r.SFIC || !reflect.DeepEqual(r.Chambers[0], want) {
		t.Fatalf("chamber = %+v, want %+v", r.Chambers[0], want)
	}
	// The same on a full Best A2 core.
	r, err = Pinning(bestA2, PinningRequest{Keys: bs("5555555", "7777777"), Control: b("9999999"), SFIC: SFIC{ControlOffset: 10, StackHeight: 23}})
	if err != nil {
		t.Fatal(err)
	}
	for _, ch := range r.Chambers {
		if ch.BuildUpPin != 12 || ch.TopPin != 4 || ch.BottomPin != 5 {
			t.Fatalf("chamber = %+v", ch)
		}
	}
	if r.OperatingCount != 128 || r.TotalMasterPins != 7 {
		t.Fatalf("operating count %d, master pins %d", r.OperatingCount, r.TotalMasterPins)
	}
}

func TestExamplePublishedCounts(t *testing.T) {
	r, err := TPP(schlage, TPPRequest{TMK: b("246824"), Sequence: []int{1, 2, 3, 4, 5, 6}})
	if err != nil {
		t.Fatal(err)
	}
	if r.TheoreticalCount != 4096 || len(r.ChangeKeys)+len(r.MACSRejected) != 4096 {
		t.Fatalf("Schlage TPP: %d theoretical, %d + %d", r.TheoreticalCount, len(r.ChangeKeys), len(r.MACSRejected))
	}
	for p, col := range r.Columns {
		if len(col) != 4 {
			t.Fatalf("column %d = %v, want 4 depths", p, col)
		}
	}

	r, err = TPP(kwikset, TPPRequest{TMK: b("33333"), Sequence: []int{1, 2, 3, 4, 5}})
	if err != nil {
		t.Fatal(err)
	}
	if r.TheoreticalCount != 3125 {
		t.Fatalf("Kwikset TPP: %d, want 3125", r.TheoreticalCount)
	}

	rc, err := RCM(schlage, RCMRequest{TMK: b("246824"), Positions: []int{1, 2, 3, 4, 5, 6}, Constants: 4})
	if err != nil {
		t.Fatal(err)
	}
	if rc.TheoreticalCount != 240 || len(rc.Pages) != 15 || rc.ChangeKeysCount+rc.MACSRejectedCount != 240 {
		t.Fatalf("RCM: %d theoretical, %d pages", rc.TheoreticalCount, len(rc.Pages))
	}
}

// Master Key Plus lists a MACS-failing bitting without a number between two
// numbered keys: AA3, (*) MACS, AA4.
func TestExampleMACSFailingKeyTakesNoNumber(t *testing.T) {
	spec := Spec{Positions: 5, MinDepth: 0, MaxDepth: 9, MACS: 4, Step: 1}
	r, err := System(spec, SystemRequest{
		TMK: b("44444"),
		Levels: []Level{
			{Name: LevelMaster, Sequence: []int{5}, Columns: map[int][]int{5: {2}}},
			{Name: LevelChange, Sequence: []int{1}, Columns: map[int][]int{1: {0, 2, 3, 9, 6}}},
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	m := r.Masters[0]
	got := []Key{}
	for _, k := range m.ChangeKeys {
		got = append(got, Key{k.Symbol, k.Bitting})
	}
	want := []Key{{"AA1", b("04442")}, {"AA2", b("24442")}, {"AA3", b("34442")}, {"AA4", b("64442")}}
	if !reflect.DeepEqual(got, want) || !reflect.DeepEqual(strs(m.MACSRejected), []string{"94442"}) {
		t.Fatalf("change keys %v, rejected %v", got, strs(m.MACSRejected))
	}
}
