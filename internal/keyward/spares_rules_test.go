package keyward

import (
	"strings"
	"testing"
)

func TestCheckSpareStep(t *testing.T) {
	cases := []struct {
		state, step string
		ok          bool
		missing     string
	}{
		{SpareRequested, SpareStepProof, true, ""},
		{SpareProven, SpareStepProof, true, ""}, // proof may be corrected before the cut
		{SpareRequested, SpareStepProduce, false, SpareStepProof},
		{SpareProven, SpareStepProduce, true, ""},
		{SpareProduced, SpareStepProduce, false, SpareStepEnroll},
		{SpareProven, SpareStepEnroll, false, SpareStepProduce},
		{SpareProduced, SpareStepEnroll, true, ""},
		{SpareTestFailed, SpareStepEnroll, true, ""},
		{SpareProduced, SpareStepTest, false, SpareStepEnroll},
		{SpareEnrolled, SpareStepTest, true, ""},
		{SpareTestFailed, SpareStepTest, true, ""},
		{SpareTested, SpareStepTest, false, SpareStepHandOver},
		// What blocks the hand-over: anything short of a passed test.
		{SpareRequested, SpareStepHandOver, false, SpareStepProof},
		{SpareProven, SpareStepHandOver, false, SpareStepProduce},
		{SpareProduced, SpareStepHandOver, false, SpareStepEnroll},
		{SpareEnrolled, SpareStepHandOver, false, SpareStepTest},
		{SpareTestFailed, SpareStepHandOver, false, SpareStepTest},
		{SpareTested, SpareStepHandOver, true, ""},
		{SpareHandedOver, SpareStepHandOver, false, ""},
		{SpareHandedOver, SpareStepTest, false, ""},
	}
	for _, c := range cases {
		err := CheckSpareStep(c.state, c.step)
		if c.ok {
			if err != nil {
				t.Errorf("%s from %s: %v, want allowed", c.step, c.state, err)
			}
			continue
		}
		var e *Error
		if err == nil || ErrorCode(err) != ECONFLICT {
			t.Errorf("%s from %s: %v, want a conflict", c.step, c.state, err)
			continue
		}
		e = err.(*Error)
		got, _ := e.Extra["missing_step"].(string)
		if got != c.missing {
			t.Errorf("%s from %s: missing %q, want %q", c.step, c.state, got, c.missing)
		}
		if c.missing != "" && !strings.Contains(e.Message, spareStepWords[c.missing]) && c.state != SpareTestFailed {
			t.Errorf("%s from %s: message %q does not name the missing step", c.step, c.state, e.Message)
		}
	}
	if ErrorCode(CheckSpareStep(SpareTested, "fly")) != EINVALID {
		t.Error("an unknown step is not refused as invalid")
	}
}

func TestSpareFlow(t *testing.T) {
	// Walking the steps in order reaches the hand-over only with a passed test.
	state := SpareRequested
	for _, st := range []string{SpareStepProof, SpareStepProduce, SpareStepEnroll} {
		if err := CheckSpareStep(state, st); err != nil {
			t.Fatalf("%s from %s: %v", st, state, err)
		}
		state = SpareAfter(st, false)
	}
	if state = SpareAfter(SpareStepTest, false); state != SpareTestFailed {
		t.Fatalf("a failed test leaves %s", state)
	}
	if CheckSpareStep(state, SpareStepHandOver) == nil {
		t.Fatal("a failed test allows the hand-over")
	}
	if state = SpareAfter(SpareStepTest, true); state != SpareTested {
		t.Fatalf("a passed test leaves %s", state)
	}
	if err := CheckSpareStep(state, SpareStepHandOver); err != nil {
		t.Fatal(err)
	}
	if SpareWaitsFor(SpareAfter(SpareStepHandOver, true)) != "" {
		t.Error("a handed-over spare still waits for something")
	}
	for _, s := range SpareStates {
		if SpareWaitWords(s) == "" {
			t.Errorf("state %s has no words", s)
		}
	}
}

func TestSpareInputs(t *testing.T) {
	yes, no := true, false
	fieldOf := func(err error) string {
		if e, ok := err.(*Error); ok && len(e.Fields) > 0 {
			return e.Fields[0].Field
		}
		return ""
	}
	proofs := []struct {
		in    SpareProofInput
		field string
	}{
		{SpareProofInput{Relationship: "owner", IDType: "passport", IDLast4: "1234", RegistrationRef: "V5C 123"}, ""},
		{SpareProofInput{Relationship: "Agent", IDType: "driving license", IDLast4: "ab12", AgentLetterRef: "letter 4 May"}, ""},
		{SpareProofInput{Relationship: "owner", IDType: "passport", IDLast4: "1234"}, "registration_ref"},
		{SpareProofInput{Relationship: "agent", IDType: "passport", IDLast4: "1234", RegistrationRef: "V5C"}, "agent_letter_ref"},
		{SpareProofInput{Relationship: "owner", RegistrationRef: "V5C"}, "id_type"},
		{SpareProofInput{Relationship: "owner", IDType: "passport", IDLast4: "12", RegistrationRef: "V5C"}, "id_last4"},
		{SpareProofInput{Relationship: "fleet", IDType: "passport", IDLast4: "1234", RegistrationRef: "V5C"}, "relationship"},
	}
	for _, c := range proofs {
		if got := fieldOf(c.in.Validate()); got != c.field {
			t.Errorf("proof %+v: field %q, want %q", c.in, got, c.field)
		}
	}
	tests := []struct {
		in    SpareTestInput
		field string
		pass  bool
	}{
		{SpareTestInput{StartsVehicle: &yes, OpensDoor: &yes}, "", true},
		{SpareTestInput{StartsVehicle: &yes, OpensDoor: &no}, "", false},
		{SpareTestInput{StartsVehicle: &no, OpensDoor: &yes}, "", false},
		{SpareTestInput{OpensDoor: &yes}, "starts_vehicle", false},
		{SpareTestInput{StartsVehicle: &yes}, "opens_door", false},
	}
	for _, c := range tests {
		if got := fieldOf(c.in.Validate()); got != c.field {
			t.Errorf("test %+v: field %q, want %q", c.in, got, c.field)
		}
		if c.in.Passed() != c.pass {
			t.Errorf("test %+v: passed %v", c.in, !c.pass)
		}
	}
	enrolls := []struct {
		in    SpareEnrollInput
		field string
	}{
		{SpareEnrollInput{Tool: "Autel IM608"}, ""},
		{SpareEnrollInput{Tool: "Autel IM608", Date: "2026-03-01"}, ""},
		{SpareEnrollInput{Date: "2026-03-01"}, "tool"},
		{SpareEnrollInput{Tool: "x", Date: "1 March"}, "date"},
		{SpareEnrollInput{Tool: "x", Date: "2026-03-03"}, "date"}, // after today
	}
	for _, c := range enrolls {
		if got := fieldOf(c.in.Validate("2026-03-02")); got != c.field {
			t.Errorf("enroll %+v: field %q, want %q", c.in, got, c.field)
		}
	}
	in := SpareEnrollInput{Tool: "x"}
	_ = in.Validate("2026-03-02")
	if in.Date != "2026-03-02" {
		t.Errorf("an enrollment without a date is dated %q, want today", in.Date)
	}
	vins := []struct {
		vin   string
		field string
		warn  bool
	}{
		{"1m8gdm9axkp042788", "", false},    // valid check digit, upper-cased
		{"1M8GDM9A1KP042788", "", true},     // bad check digit: a warning
		{"1M8GDM9AXKP04278", "vin", false},  // 16 characters
		{"1M8GDM9AXKP0427O8", "vin", false}, // an O
		{"", "vin", false},
	}
	for _, c := range vins {
		in := VehicleVINInput{VIN: c.vin}
		w, err := in.Validate()
		if got := fieldOf(err); got != c.field {
			t.Errorf("vin %q: field %q, want %q", c.vin, got, c.field)
		}
		if (len(w) > 0) != c.warn {
			t.Errorf("vin %q: warnings %v", c.vin, w)
		}
	}
	for _, c := range []struct {
		in    ReenrollInput
		field string
	}{{ReenrollInput{Answer: "Yes"}, ""}, {ReenrollInput{Answer: "no"}, ""}, {ReenrollInput{Answer: "maybe"}, "answer"}} {
		if got := fieldOf(c.in.Validate()); got != c.field {
			t.Errorf("answer %+v: field %q, want %q", c.in, got, c.field)
		}
	}
	if !ReenrollOpen("") || !ReenrollOpen(ReenrolledNo) || ReenrollOpen(ReenrolledYes) {
		t.Error("ReenrollOpen")
	}
}
