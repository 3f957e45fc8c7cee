package keying

import (
	"reflect"
	"testing"
)

func TestPinningBottomUp(t *testing.T) {
	spec := oneStep
	spec.MinMasterPin = 2
	spec.MaxMasterPinsPerChamber = ptr(1)
	spec.MaxMasterPinsTotal = ptr(3)
	r, err := Pinning(spec, PinningRequest{Keys: bs("246824", "256824", "296814", "246824")})
	if err != nil {
		t.Fatal(err)
	}
	c2 := r.Chambers[1]
	want := Chamber{Position: 2, ShearDepths: []int{4, 5, 9}, BottomPin: 4, MasterPins: []int{1, 4}}
	if !reflect.DeepEqual(c2, want) {
		t.Fatalf("chamber 2 = %+v, want %+v", c2, want)
	}
	if !reflect.DeepEqual(r.Chambers[4], Chamber{Position: 5, ShearDepths: []int{1, 2}, BottomPin: 1, MasterPins: []int{1}}) {
		t.Fatalf("chamber 5 = %+v", r.Chambers[4])
	}
	if r.TotalMasterPins != 3 || r.OperatingCount != 6 {
		t.Fatalf("total %d, operating %d", r.TotalMasterPins, r.OperatingCount)
	}
	wantWarn := []PinWarning{
		{Position: 2, Rule: RuleMasterPinBelowMinimum, Size: 1, Minimum: 2},
		{Position: 5, Rule: RuleMasterPinBelowMinimum, Size: 1, Minimum: 2},
	}
	if !reflect.DeepEqual(r.Warnings, wantWarn) {
		t.Fatalf("warnings %+v", r.Warnings)
	}
	wantErr := []PinError{{Position: 2, Rule: RuleTooManyMasterPins, Count: 2, Maximum: 1}}
	if !reflect.DeepEqual(r.Errors, wantErr) {
		t.Fatalf("errors %+v", r.Errors)
	}
	spec.MaxMasterPinsTotal = ptr(2)
	r, _ = Pinning(spec, PinningRequest{Keys: bs("246824", "256824", "296814")})
	if len(r.Errors) != 2 || r.Errors[1] != (PinError{Rule: RuleTooManyMasterPinsTotal, Count: 3, Maximum: 2}) {
		t.Fatalf("errors %+v", r.Errors)
	}
	if r.SFIC || r.Chambers[0].BuildUpPin != 0 {
		t.Fatal("no control key, no SFIC pins")
	}
}

// An intermediate master whose cuts are all cuts of other keys adds no pins.
func TestPinningIntermediateMasterOperatesAutomatically(t *testing.T) {
	keys := bs("246824", "046824", "046820")
	r1, _ := Pinning(schlage, PinningRequest{Keys: keys})
	r2, _ := Pinning(schlage, PinningRequest{Keys: bs("246824", "046820")})
	if r1.TotalMasterPins != r2.TotalMasterPins || !reflect.DeepEqual(r1.Chambers, r2.Chambers) {
		t.Fatalf("the master 046824 changed the pinning: %+v vs %+v", r1.Chambers, r2.Chambers)
	}
}

func TestMACSCheck(t *testing.T) {
	for _, tt := range []struct {
		spec Spec
		in   string
		want MACSReport
	}{
		{schlage, "290000", MACSReport{true, []int{}, [][2]int{{2, 3}}, false}},
		{schlage, "292000", MACSReport{true, []int{}, [][2]int{}, true}},
		{schlage, "2909", MACSReport{false, []int{}, [][2]int{{2, 3}, {3, 4}}, false}},
		{kwikset, "190000", MACSReport{false, []int{2, 3, 4, 5, 6}, [][2]int{{1, 2}, {2, 3}}, false}},
		{kwikset, "11111", MACSReport{true, []int{}, [][2]int{}, true}},
		{bestA2, "0909090", MACSReport{true, []int{}, [][2]int{}, true}},
	} {
		bt, _ := ParseDigits(tt.in, tt.spec.MaxDepth)
		if got := tt.spec.Check(bt); !reflect.DeepEqual(got, tt.want) {
			t.Errorf("%s: %+v, want %+v", tt.in, got, tt.want)
		}
	}
	// Sargent: 0 is depth 10; 10 next to 2 fails MACS 7, next to 3 it does not.
	bt, _ := ParseDigits("203333", 10)
	if got := sargent.Check(bt); !reflect.DeepEqual(got.MACSViolations, [][2]int{{1, 2}}) || len(got.OutOfRange) != 0 {
		t.Fatalf("sargent %+v", got)
	}
}

func TestRootDepths(t *testing.T) {
	for _, tt := range []struct {
		d    Dimensions
		in   string
		want []float64
	}{
		{Dimensions{ReferenceDepth: 0, ReferenceRootIn: .335, IncrementIn: .015}, "09", []float64{.335, .2}},
		{Dimensions{ReferenceDepth: 1, ReferenceRootIn: .329, IncrementIn: .023}, "167", []float64{.329, .214, .191}},
		{Dimensions{ReferenceDepth: 1, ReferenceRootIn: .330, IncrementIn: .020, MaxDepth: 10}, "10", []float64{.33, .15}},
		{Dimensions{ReferenceDepth: 0, ReferenceRootIn: .3, IncrementIn: .00005}, "1", []float64{.3}},       // .29995 rounds up
		{Dimensions{ReferenceDepth: 0, ReferenceRootIn: .3, IncrementIn: .00015}, "1", []float64{.2999}},    // .29985 rounds away from zero
		{Dimensions{ReferenceDepth: 0, ReferenceRootIn: .001, IncrementIn: .00015}, "9", []float64{-.0004}}, // −.00035
		{Dimensions{ReferenceDepth: 5, ReferenceRootIn: .1, IncrementIn: .0125}, "3", []float64{.125}},
	} {
		bt, _ := ParseDigits(tt.in, tt.d.MaxDepth)
		got, err := RootDepths(tt.d, bt)
		if err != nil || !reflect.DeepEqual(got, tt.want) {
			t.Errorf("%+v %s: %v %v, want %v", tt.d, tt.in, got, err, tt.want)
		}
	}
	_, err := RootDepths(Dimensions{ReferenceRootIn: 0, IncrementIn: 1}, b("1"))
	wantErr(t, err, Error{Rule: RuleBadInput, Field: "dimensions.reference_root_in"})
	_, err = RootDepths(Dimensions{ReferenceRootIn: 1, IncrementIn: -1}, b("1"))
	wantErr(t, err, Error{Rule: RuleBadInput, Field: "dimensions.increment_in"})
}

func TestManufacturers(t *testing.T) {
	ms := Manufacturers()
	names := map[string]Manufacturer{}
	for _, m := range ms {
		names[m.Name] = m
		if m.Modeled && m.Spec.MaxDepth > 0 {
			if err := m.Spec.Validate(); err != nil {
				t.Errorf("%s: %v", m.Name, err)
			}
		}
	}
	if len(ms) != 10 {
		t.Fatalf("%d rows, want 10", len(ms))
	}
	s := ms[0]
	if s.Spec != schlage || s.RootDepthsIn[0] != .335 || s.RootDepthsIn[9] != .2 || s.Confidence != High {
		t.Fatalf("Schlage %+v", s)
	}
	k := ms[1]
	if k.RootDepthsIn[1] != .329 || k.RootDepthsIn[6] != .214 || k.RootDepthsIn[7] != .191 || k.Spec.MACS != 4 {
		t.Fatalf("Kwikset %+v", k)
	}
	sg := ms[5]
	if sg.Spec.MaxDepth != 10 || sg.RootDepthsIn[1] != .33 || sg.RootDepthsIn[10] != .15 {
		t.Fatalf("Sargent %+v", sg)
	}
	if ms[9].Modeled || ms[7].Confidence != Conflict || ms[2].Spec.MACS != 9 {
		t.Fatal("Medeco, Corbin Russwin or Best A2 row is wrong")
	}
	ms[0].Spec.MACS = 1
	if Manufacturers()[0].Spec.MACS != 7 {
		t.Fatal("Manufacturers shares its rows between callers")
	}
}

func TestAudit(t *testing.T) {
	cyls := []Cylinder{
		{ID: "101", Keys: bs("222222", "444444")},
		{ID: "102", Keys: bs("422442", "444444")},
	}
	issued := []Key{{"AA2", b("422442")}, {"AA1", b("222222")}, {"AA", b("444444")}, {"X", b("222442")}}
	got, err := Audit(cyls, issued)
	if err != nil {
		t.Fatal(err)
	}
	want := []AuditEntry{{"101", []string{"AA2", "X"}}, {"102", []string{}}}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("audit %+v", got)
	}
}

func TestLostKeySorted(t *testing.T) {
	cyls := []Cylinder{
		{ID: "b", Keys: bs("22", "44")}, {ID: "a", Keys: bs("24")}, {ID: "c", Keys: bs("11")}, {ID: "B", Keys: bs("24", "11")},
	}
	r, err := LostKey(cyls, b("24"))
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(r.Opens, []string{"B", "a", "b"}) || !reflect.DeepEqual(r.Intended, []string{"B", "a"}) || !reflect.DeepEqual(r.Incidental, []string{"b"}) {
		t.Fatalf("%+v", r)
	}
}

func TestOperatesFailingPositions(t *testing.T) {
	r, err := CheckOperates(Cylinder{Keys: bs("222222", "444444")}, b("324245"))
	if err != nil || r.Operates || !reflect.DeepEqual(r.FailingPositions, []int{1, 6}) {
		t.Fatalf("%+v %v", r, err)
	}
}

func TestOperatesDoesNotAllocate(t *testing.T) {
	c := Cylinder{Keys: bs("222222", "444444", "246824")}
	sh := NewShear(c.Keys)
	key := b("422442")
	if n := testing.AllocsPerRun(100, func() {
		if !Operates(c, key) || !sh.Operates(key) {
			t.Fatal("should operate")
		}
	}); n != 0 {
		t.Fatalf("Operates allocates %v times", n)
	}
}
