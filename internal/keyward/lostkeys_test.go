package keyward

import (
	"errors"
	"slices"
	"strings"
	"testing"
)

func TestNextLostStep(t *testing.T) {
	for _, c := range []struct {
		name     string
		inSystem bool
		plan, wl string
		doors    int
		want     string
	}{
		{"system key, no plan yet", true, "", "", 3, NextStartPlan},
		{"system key opening nothing pinned still gets a plan (the symbol is marked lost)", true, "", "", 0, NextStartPlan},
		{"system key, plan open", true, WorkOpen, "", 3, NextContinuePlan},
		{"system key, plan done", true, WorkDone, "", 0, NextPlanDone},
		{"system key, plan done though doors remain: no second plan for a lost symbol", true, WorkDone, "", 2, NextPlanDone},
		{"system key ignores work lists", true, "", WorkOpen, 1, NextStartPlan},
		{"outside, doors listed", false, "", "", 2, NextStartWorkList},
		{"outside, no door on record", false, "", "", 0, NextNothing},
		{"outside, list open", false, "", WorkOpen, 2, NextContinueWorkList},
		{"outside, list open even if its doors were changed by hand", false, "", WorkOpen, 0, NextContinueWorkList},
		{"outside, list done and no door lists it", false, "", WorkDone, 0, NextWorkListDone},
		{"outside, list done but a door lists it again", false, "", WorkDone, 1, NextStartWorkList},
	} {
		if got := NextLostStep(c.inSystem, c.plan, c.wl, c.doors); got != c.want {
			t.Errorf("%s: %s, want %s", c.name, got, c.want)
		}
	}
}

func TestDoneRecords(t *testing.T) {
	for _, c := range []struct {
		kind string
		want DoneRecord
	}{
		{PlanCut, DoneRecord{}},
		{PlanRekey, DoneRecord{}},
		{PlanReplaceCylinder, DoneRecord{NewKeys: true}},
		{PlanReissue, DoneRecord{}},
		{WorkDoor, DoneRecord{NewKeys: true, Method: true}},
		{"unknown", DoneRecord{}},
	} {
		if got := DoneRecords(c.kind); got != c.want {
			t.Errorf("DoneRecords(%s) = %+v, want %+v", c.kind, got, c.want)
		}
	}
}

func TestItemDoneCheck(t *testing.T) {
	replace := DoneWork{Kind: PlanReplaceCylinder, LostSymbol: "AA", InKeySystem: map[string]bool{"AB1": true}}
	rekey := DoneWork{Kind: PlanRekey, LostSymbol: "AA"}
	door := DoneWork{Kind: WorkDoor, LostSymbol: "U4"}
	many := make([]string, MaxNewKeys+1)
	for i := range many {
		many[i] = "K" + itoa(i)
	}
	for _, c := range []struct {
		name string
		w    DoneWork
		in   ItemDoneInput
		want []FieldError // nil: accepted
	}{
		{"rekey confirmed", rekey, ItemDoneInput{Confirm: true}, nil},
		{"rekey unconfirmed", rekey, ItemDoneInput{}, []FieldError{{"confirm", "must be true: confirm that the work is done"}}},
		{"rekey with keys of its own", rekey, ItemDoneInput{Confirm: true, NewKeys: []string{"X1"}}, []FieldError{{"new_keys", "must be empty: the plan decides the keys of this step"}}},
		{"cut with a method", DoneWork{Kind: PlanCut}, ItemDoneInput{Confirm: true, Method: "rekey"}, []FieldError{{"method", "must be empty: only a work-list door is rekeyed or replaced by choice"}}},
		{"replace with its new key", replace, ItemDoneInput{Confirm: true, NewKeys: []string{" BR1 "}}, nil},
		{"replace with two keys and a note", replace, ItemDoneInput{Confirm: true, NewKeys: []string{"BR1", "BR2"}, Note: "Medeco cylinder"}, nil},
		{"replace without a key leaves the door keyless", replace, ItemDoneInput{Confirm: true},
			[]FieldError{{"new_keys", "is required: name the key that opens the door now, so it is not left without keys"}}},
		{"replace, unconfirmed and keyless: both named", replace, ItemDoneInput{},
			[]FieldError{{"confirm", "must be true: confirm that the work is done"}, {"new_keys", "is required: name the key that opens the door now, so it is not left without keys"}}},
		{"replace with the lost key", replace, ItemDoneInput{Confirm: true, NewKeys: []string{"AA"}}, []FieldError{{"new_keys[0]", "must not be the lost key AA: it would still open the door"}}},
		{"replace with a key of a key system", replace, ItemDoneInput{Confirm: true, NewKeys: []string{"BR1", "AB1"}}, []FieldError{{"new_keys[1]", "must be a key outside any key system: the new lock is keyed by hand"}}},
		{"replace with a repeated key", replace, ItemDoneInput{Confirm: true, NewKeys: []string{"BR1", "BR1"}}, []FieldError{{"new_keys[1]", "must not repeat a key"}}},
		{"replace with an empty key", replace, ItemDoneInput{Confirm: true, NewKeys: []string{"BR1", ""}}, []FieldError{{"new_keys[1]", "is required"}}},
		{"replace with a malformed key", replace, ItemDoneInput{Confirm: true, NewKeys: []string{"BR 1"}}, []FieldError{{"new_keys[0]", "must be 1-32 letters, digits, '.' or '_'"}}},
		{"replace with too many keys", replace, ItemDoneInput{Confirm: true, NewKeys: many}, []FieldError{{"new_keys", "must list at most 20 keys"}}},
		{"door rekeyed", door, ItemDoneInput{Confirm: true, Method: MethodRekey, NewKeys: []string{"U4B"}}, nil},
		{"door replaced", door, ItemDoneInput{Confirm: true, Method: MethodReplace, NewKeys: []string{"U4B"}}, nil},
		{"door without a method", door, ItemDoneInput{Confirm: true, NewKeys: []string{"U4B"}}, []FieldError{{"method", "must be rekey or replace"}}},
		{"door without a key", door, ItemDoneInput{Confirm: true, Method: MethodRekey},
			[]FieldError{{"new_keys", "is required: name the key that opens the door now, so it is not left without keys"}}},
		{"door with a long note", door, ItemDoneInput{Confirm: true, Method: MethodRekey, NewKeys: []string{"U4B"}, Note: strings.Repeat("n", MaxNote+1)},
			[]FieldError{{"note", "must be at most 2000 characters"}}},
	} {
		in := c.in
		in.NewKeys = slices.Clone(in.NewKeys)
		in.Normalize()
		err := in.Check(c.w)
		if c.want == nil {
			if err != nil {
				t.Errorf("%s: %v", c.name, err)
			}
			continue
		}
		var e *Error
		if !errors.As(err, &e) || e.Code != EINVALID || !slices.Equal(e.Fields, c.want) {
			t.Errorf("%s: %v, want %v", c.name, err, c.want)
		}
	}
}

func TestDescribePlanItem(t *testing.T) {
	// A 3-level system: top A, masters AA and AB, change keys under each.
	tiers := map[string]string{"A": TierTop, "AA": TierMaster, "AB": TierMaster, "AA1": TierChange, "AA2": TierChange, "AA3": TierChange, "AB1": TierChange, "AB2": TierChange, "AB3": TierChange}
	parents := map[string]string{"A": "", "AA": "A", "AB": "A", "AA1": "AA", "AA2": "AA", "AA3": "AA", "AB1": "AB", "AB2": "AB", "AB3": "AB"}
	lostMaster := PlanWords{LostSymbol: "AA", Intended: []string{"o_unit4", "o_boiler"}, Tiers: tiers, Parents: parents}
	lostChange := PlanWords{LostSymbol: "AA2", Intended: []string{"o_unit2"}, Tiers: tiers, Parents: parents}
	for _, c := range []struct {
		name string
		w    PlanWords
		it   PlanItem
		want StepText
	}{
		{"cut a new master", lostMaster, PlanItem{Kind: PlanCut, FromSymbol: "AA", ToSymbol: "AB", Copies: 3},
			StepText{"Cut 3 new master keys AB", "They replace the lost master key AA."}},
		{"cut one change key under a lost master", lostMaster, PlanItem{Kind: PlanCut, FromSymbol: "AA1", ToSymbol: "AB1", Copies: 1},
			StepText{"Cut 1 new key AB1", "They replace AA1, which is under the lost master key AA."}},
		{"cut a lost change key's replacement (no copies in use still cuts one)", lostChange, PlanItem{Kind: PlanCut, FromSymbol: "AA2", ToSymbol: "AA3"},
			StepText{"Cut 1 new key AA3", "They replace the lost key AA2."}},
		{"cut for a door the lost key opens by accident", lostChange, PlanItem{Kind: PlanCut, FromSymbol: "AB1", ToSymbol: "AB2", Copies: 2},
			StepText{"Cut 2 new keys AB2", "They replace AB1: the lost key AA2 also opens its door, which moves to AB2."}},
		{"rekey an intended door", lostMaster, PlanItem{Kind: PlanRekey, OpeningID: "o_unit4", OpeningName: "Unit 4", FromSymbol: "AA1", ToSymbol: "AB1"},
			StepText{"Rekey the cylinder at Unit 4 so that AB1 opens it (with the master keys AB and A)", "The lost master key AA opens this door."}},
		{"rekey with a cross key", lostMaster, PlanItem{Kind: PlanRekey, OpeningID: "o_lobby", OpeningName: "Lobby", FromSymbol: "AB2", ToSymbol: "AB2", CrossKeys: []string{"AB3"}},
			StepText{"Rekey the cylinder at Lobby so that AB2 and AB3 open it (with the master keys AB and A)", "The lost master key AA also opens this door by accident, through its master pins."}},
		{"re-pin for its own key", lostChange, PlanItem{Kind: PlanRekey, OpeningID: "o_lobby", OpeningName: "Lobby", FromSymbol: "AB1", ToSymbol: "AB1"},
			StepText{"Re-pin the cylinder at Lobby for its own key AB1, so the lost key no longer opens it", "The lost key AA2 also opens this door by accident, through its master pins."}},
		{"replace a cylinder", lostMaster, PlanItem{Kind: PlanReplaceCylinder, OpeningID: "o_boiler", OpeningName: "Boiler room", FromSymbol: "AA3"},
			StepText{"Replace the cylinder at Boiler room", "The lost master key AA opens this door. No unused key of the key system fits without the lost key opening it too, so the new cylinder leaves the key system: record the keys that open it."}},
		{"reissue in place of the lost key", lostChange, PlanItem{Kind: PlanReissue, FromSymbol: "AA2", ToSymbol: "AA3", Copies: 0},
			StepText{"Hand out the new AA3 keys in place of the lost AA2", "The lost AA2 opens nothing once its doors are rekeyed."}},
		{"reissue to the holders of a moved key", lostMaster, PlanItem{Kind: PlanReissue, FromSymbol: "AA1", ToSymbol: "AB1", Copies: 2},
			StepText{"Hand out the new AB1 keys to the holders of AA1 and collect their AA1 keys", "2 copies of AA1 are in use; AA1 no longer opens its doors once they are rekeyed."}},
		{"reissue of one copy", lostMaster, PlanItem{Kind: PlanReissue, FromSymbol: "AA1", ToSymbol: "AB1", Copies: 1},
			StepText{"Hand out the new AB1 keys to the holders of AA1 and collect their AA1 keys", "1 copy of AA1 is in use; AA1 no longer opens its doors once they are rekeyed."}},
	} {
		got := DescribePlanItem(c.it, c.w)
		if got != c.want {
			t.Errorf("%s:\n got %+v\nwant %+v", c.name, got, c.want)
		}
		// No rule name reaches a reader.
		for _, rule := range []string{"replace_cylinder", "intended:", "incidental:", "move_to_sibling", "key list"} {
			if strings.Contains(got.Do+got.Why, rule) {
				t.Errorf("%s: %q speaks in rule names (%s)", c.name, got, rule)
			}
		}
	}
}

func TestSortLostDoors(t *testing.T) {
	doors := []LostDoor{
		{OpeningID: "5", OpeningName: "Unit 10", SiteName: "Harbour", How: ReachSchedule},
		{OpeningID: "4", OpeningName: "Lobby", SiteName: "Harbour", How: ReachIncidental},
		{OpeningID: "3", OpeningName: "Unit 10", SiteName: "Harbour", How: ReachIntended},
		{OpeningID: "2", OpeningName: "Unit 2", SiteName: "Harbour", How: ReachIntended},
		{OpeningID: "1", OpeningName: "Gate", SiteName: "Annex", How: ReachIntended},
	}
	SortLostDoors(doors)
	var got []string
	for _, d := range doors {
		got = append(got, d.OpeningID)
	}
	if strings.Join(got, " ") != "1 2 3 4 5" {
		t.Fatalf("order %v", got)
	}
}
