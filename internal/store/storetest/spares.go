package storetest

import (
	"fmt"
	"strings"
	"testing"

	"github.com/keyward/keyward/internal/keyward"
	"github.com/keyward/keyward/internal/store"
)

// spareVIN has a matching North-American check digit; spareVINBadDigit does not.
const (
	spareVIN         = "1M8GDM9AXKP042788"
	spareVINBadDigit = "1M8GDM9A1KP042788"
)

type spareFixture struct {
	*fixture
	sp            *store.Spares
	advisor, tech keyward.Actor
	auditor       keyward.Actor
	van, door     *keyward.Opening
	keyway        *keyward.Keyway
	holder        *keyward.Holder
}

// spareSetup makes a van (keyed V1) without a VIN, a door, a transponder
// key type and a driver.
func spareSetup(t *testing.T, b Backend) *spareFixture {
	t.Helper()
	f := &spareFixture{fixture: setup(t, b)}
	f.sp = f.db.Spares()
	f.advisor = f.actor(t, "desk@acme.test", keyward.RoleAdvisor, "")
	f.tech = f.actor(t, "cutter@acme.test", keyward.RoleTechnician, "")
	f.auditor = f.actor(t, "audit@acme.test", keyward.RoleAuditor, "")
	d := f.db.Directory()
	site := must[*keyward.Site](t)(d.CreateSite(ctx, f.owner, keyward.SiteInput{Name: "Fleet Yard"}))
	f.van = must[*keyward.Opening](t)(d.CreateOpening(ctx, f.owner, keyward.OpeningInput{SiteID: site.ID, Name: "Van 1", Kind: "vehicle"}))
	f.door = must[*keyward.Opening](t)(d.CreateOpening(ctx, f.owner, keyward.OpeningInput{SiteID: site.ID, Name: "Yard gate", Kind: "gate"}))
	must[[]string](t)(f.db.Schedule().AddSymbol(ctx, f.owner, f.van.ID, keyward.SymbolInput{Symbol: "V1"}))
	f.keyway = must[*keyward.Keyway](t)(d.CreateKeyway(ctx, f.owner, keyward.KeywayInput{Name: "Ford HU101 transponder", DuplicationPolicy: "dnd"}))
	f.holder = must[*keyward.Holder](t)(d.CreateHolder(ctx, f.owner, keyward.HolderInput{Name: "Tom Becker", Email: "tom@acme.test"}))
	return f
}

// snapshot counts what a refused step must leave alone.
func (f *spareFixture) snapshot(t *testing.T) string {
	t.Helper()
	s := f.env.SQL()
	var b strings.Builder
	for _, q := range []string{`SELECT COUNT(*) FROM keys`, `SELECT COUNT(*) FROM keys WHERE status = 'issued'`,
		`SELECT COUNT(*) FROM audit_log WHERE action NOT LIKE 'denied.%'`, `SELECT COUNT(*) FROM vehicle_spares WHERE state = 'handed_over'`,
		`SELECT COUNT(*) FROM vehicle_spares WHERE handed_at IS NOT NULL`, `SELECT COUNT(*) FROM vehicle_spares`} {
		fmt.Fprintf(&b, " %d", s.MustCount(t, q))
	}
	return b.String()
}

func wantConflict(t *testing.T, err error, missing string) {
	t.Helper()
	e, ok := err.(*keyward.Error)
	if !ok || e.Code != keyward.ECONFLICT {
		t.Fatalf("error = %v, want a conflict", err)
	}
	if got, _ := e.Extra["missing_step"].(string); got != missing {
		t.Fatalf("missing step %q, want %q (%v)", got, missing, err)
	}
}

// testVehicleSpare walks a spare through proof, production, enrollment, a
// failed and a passed test, to hand-over; every step is audited.
func testVehicleSpare(t *testing.T, b Backend) {
	f := spareSetup(t, b)
	yes, no := true, false
	// The VIN comes with the request, upper-cased; a bad check digit is a warning.
	sp := must[*keyward.VehicleSpare](t)(f.sp.CreateSpare(ctx, f.advisor, keyward.SpareRequestInput{OpeningID: f.van.ID, HolderID: f.holder.ID, VIN: strings.ToLower(spareVINBadDigit)}))
	if sp.VIN != spareVINBadDigit || len(sp.Warnings) != 1 || sp.Warnings[0].Field != "vin" || sp.State != keyward.SpareRequested || sp.NextStep != keyward.SpareStepProof {
		t.Fatalf("created %+v", sp)
	}
	if d := lastAudit(t, f.fixture, "vehicle.vin", f.van.ID); d["vin"] != spareVINBadDigit || d["vin_check_digit"] == nil {
		t.Fatalf("vin audit %v", d)
	}
	v := must[*keyward.Vehicle](t)(f.sp.SetVehicleVIN(ctx, f.owner, f.van.ID, keyward.VehicleVINInput{VIN: " " + spareVIN + " "}))
	if v.VIN != spareVIN || len(v.Warnings) != 0 {
		t.Fatalf("vehicle %+v", v)
	}
	sp = must[*keyward.VehicleSpare](t)(f.sp.RecordSpareProof(ctx, f.advisor, sp.ID, keyward.SpareProofInput{Relationship: "owner", IDType: "passport", IDLast4: "4821", RegistrationRef: "V5C 1234"}))
	if sp.Proof == nil || sp.Proof.CheckedByName == "" || sp.Proof.CheckedBy != f.advisor.UserID || sp.State != keyward.SpareProven {
		t.Fatalf("after proof %+v", sp)
	}
	sp = must[*keyward.VehicleSpare](t)(f.sp.ProduceSpare(ctx, f.tech, sp.ID, keyward.SpareProduceInput{KeywayID: f.keyway.ID}))
	if sp.KeyID == "" || sp.KeyStamp != "V1-1" || sp.State != keyward.SpareProduced {
		t.Fatalf("after production %+v", sp)
	}
	k := must[*keyward.Key](t)(f.db.Custody().Key(ctx, f.owner, sp.KeyID))
	if k.Status != keyward.StatusInStorage {
		t.Fatalf("the new key is %s", k.Status)
	}
	sp = must[*keyward.VehicleSpare](t)(f.sp.EnrollSpare(ctx, f.tech, sp.ID, keyward.SpareEnrollInput{Tool: "Autel IM608"}))
	if sp.Enrollment == nil || sp.Enrollment.Tool != "Autel IM608" || sp.Enrollment.Date != "2026-03-02" || sp.Enrollment.By != f.tech.UserID {
		t.Fatalf("after enrollment %+v", sp.Enrollment)
	}
	sp = must[*keyward.VehicleSpare](t)(f.sp.TestSpare(ctx, f.tech, sp.ID, keyward.SpareTestInput{StartsVehicle: &yes, OpensDoor: &no, Note: "door stiff"}))
	if sp.State != keyward.SpareTestFailed || sp.Test.Passed {
		t.Fatalf("after a failed test %+v", sp)
	}
	_, err := f.sp.HandOverSpare(ctx, f.advisor, sp.ID, keyward.SpareNoteInput{})
	wantConflict(t, err, keyward.SpareStepTest)
	sp = must[*keyward.VehicleSpare](t)(f.sp.TestSpare(ctx, f.tech, sp.ID, keyward.SpareTestInput{StartsVehicle: &yes, OpensDoor: &yes}))
	if sp.State != keyward.SpareTested || !sp.Test.Passed || sp.NextStep != keyward.SpareStepHandOver {
		t.Fatalf("after a passed test %+v", sp)
	}
	sp = must[*keyward.VehicleSpare](t)(f.sp.HandOverSpare(ctx, f.advisor, sp.ID, keyward.SpareNoteInput{Note: "signed for"}))
	if sp.State != keyward.SpareHandedOver || sp.HandedOverAt == nil || sp.NextStep != "" {
		t.Fatalf("after hand-over %+v", sp)
	}
	k = must[*keyward.Key](t)(f.db.Custody().Key(ctx, f.owner, sp.KeyID))
	if k.Status != keyward.StatusIssued || k.HolderID != f.holder.ID {
		t.Fatalf("the spare is %s with %q", k.Status, k.HolderID)
	}
	for _, action := range []string{"spare.request", "spare.proof", "spare.produce", "spare.enroll", "spare.test", "spare.hand_over"} {
		d := lastAudit(t, f.fixture, action, sp.ID)
		if d["opening_id"] != f.van.ID {
			t.Errorf("%s: %v", action, d)
		}
	}
	if d := lastAudit(t, f.fixture, "spare.proof", sp.ID); d["id_last4"] != "4821" || d["registration_ref"] != "V5C 1234" {
		t.Errorf("proof audit %v", d)
	}
	if d := lastAudit(t, f.fixture, "spare.enroll", sp.ID); d["tool"] != "Autel IM608" || d["key_id"] != sp.KeyID {
		t.Errorf("enroll audit %v", d)
	}
	if list := must[[]keyward.VehicleSpare](t)(f.sp.Spares(ctx, f.auditor, true)); len(list) != 0 {
		t.Errorf("open spares after hand-over: %d", len(list))
	}
	if list := must[[]keyward.VehicleSpare](t)(f.sp.Spares(ctx, f.auditor, false)); len(list) != 1 {
		t.Errorf("spares: %d", len(list))
	}
	// Nothing more can be recorded on a handed-over spare.
	_, err = f.sp.TestSpare(ctx, f.tech, sp.ID, keyward.SpareTestInput{StartsVehicle: &yes, OpensDoor: &yes})
	wantConflict(t, err, "")
}

// testVehicleSpareRefusals: no hand-over without a passed test, no
// production without proof, a bad VIN, roles; none leaves partial state.
func testVehicleSpareRefusals(t *testing.T, b Backend) {
	f := spareSetup(t, b)
	yes := true
	// A bad VIN is a 400 naming vin, and nothing is recorded.
	before := f.snapshot(t)
	for _, vin := range []string{"1M8GDM9AXKP04278", "1M8GDM9AXKP0427I8", "1M8GDM9AXKP04278!"} {
		_, err := f.sp.CreateSpare(ctx, f.advisor, keyward.SpareRequestInput{OpeningID: f.van.ID, HolderID: f.holder.ID, VIN: vin})
		wantField(t, err, "vin")
		_, err = f.sp.SetVehicleVIN(ctx, f.owner, f.van.ID, keyward.VehicleVINInput{VIN: vin})
		wantField(t, err, "vin")
	}
	// A vehicle without a VIN needs one.
	_, err := f.sp.CreateSpare(ctx, f.advisor, keyward.SpareRequestInput{OpeningID: f.van.ID, HolderID: f.holder.ID})
	wantField(t, err, "vin")
	// A door is not a vehicle.
	_, err = f.sp.CreateSpare(ctx, f.advisor, keyward.SpareRequestInput{OpeningID: f.door.ID, HolderID: f.holder.ID, VIN: spareVIN})
	wantField(t, err, "opening_id")
	_, err = f.sp.SetVehicleVIN(ctx, f.owner, f.door.ID, keyward.VehicleVINInput{VIN: spareVIN})
	if keyward.ErrorCode(err) != keyward.ENOTFOUND {
		t.Fatalf("a door's VIN: %v", err)
	}
	if got := f.snapshot(t); got != before {
		t.Fatalf("refused requests changed state: %s -> %s", before, got)
	}
	if n := f.env.SQL().MustCount(t, `SELECT COUNT(*) FROM openings WHERE vin <> ''`); n != 0 {
		t.Fatalf("%d VINs recorded by refused requests", n)
	}

	sp := must[*keyward.VehicleSpare](t)(f.sp.CreateSpare(ctx, f.advisor, keyward.SpareRequestInput{OpeningID: f.van.ID, HolderID: f.holder.ID, VIN: spareVIN}))
	// Without proof: no production, no enrollment, no hand-over.
	before = f.snapshot(t)
	_, err = f.sp.ProduceSpare(ctx, f.tech, sp.ID, keyward.SpareProduceInput{KeywayID: f.keyway.ID})
	wantConflict(t, err, keyward.SpareStepProof)
	_, err = f.sp.HandOverSpare(ctx, f.advisor, sp.ID, keyward.SpareNoteInput{})
	wantConflict(t, err, keyward.SpareStepProof)
	// Incomplete proof is a 400 naming what is missing.
	_, err = f.sp.RecordSpareProof(ctx, f.advisor, sp.ID, keyward.SpareProofInput{Relationship: "agent", IDType: "passport", IDLast4: "4821"})
	wantField(t, err, "agent_letter_ref")
	// The technician does not check proof; the advisor does not cut keys.
	if _, err = f.sp.RecordSpareProof(ctx, f.tech, sp.ID, keyward.SpareProofInput{Relationship: "agent", IDType: "passport", IDLast4: "4821", AgentLetterRef: "letter"}); keyward.ErrorCode(err) != keyward.EFORBIDDEN {
		t.Fatalf("proof by a technician: %v", err)
	}
	if got := f.snapshot(t); got != before {
		t.Fatalf("refused steps changed state: %s -> %s", before, got)
	}
	if d := lastAudit(t, f.fixture, "denied.spare.hand_over", sp.ID); d["state"] != keyward.SpareRequested {
		t.Fatalf("refused hand-over audit %v", d)
	}

	must[*keyward.VehicleSpare](t)(f.sp.RecordSpareProof(ctx, f.advisor, sp.ID, keyward.SpareProofInput{Relationship: "agent", IDType: "driving licence", IDLast4: "77AB", AgentLetterRef: "owner's letter of 1 March"}))
	if _, err = f.sp.ProduceSpare(ctx, f.advisor, sp.ID, keyward.SpareProduceInput{KeywayID: f.keyway.ID}); keyward.ErrorCode(err) != keyward.EFORBIDDEN {
		t.Fatalf("production by an advisor: %v", err)
	}
	_, err = f.sp.ProduceSpare(ctx, f.tech, sp.ID, keyward.SpareProduceInput{})
	wantField(t, err, "keyway_id")
	sp = must[*keyward.VehicleSpare](t)(f.sp.ProduceSpare(ctx, f.tech, sp.ID, keyward.SpareProduceInput{KeywayID: f.keyway.ID}))
	// Cut but not enrolled, then enrolled but not tested: hand-over refused, key stays in storage.
	before = f.snapshot(t)
	_, err = f.sp.HandOverSpare(ctx, f.advisor, sp.ID, keyward.SpareNoteInput{})
	wantConflict(t, err, keyward.SpareStepEnroll)
	_, err = f.sp.TestSpare(ctx, f.tech, sp.ID, keyward.SpareTestInput{StartsVehicle: &yes, OpensDoor: &yes})
	wantConflict(t, err, keyward.SpareStepEnroll)
	_, err = f.sp.EnrollSpare(ctx, f.tech, sp.ID, keyward.SpareEnrollInput{Tool: "x", Date: "2026-03-03"})
	wantField(t, err, "date")
	if got := f.snapshot(t); got != before {
		t.Fatalf("refused steps changed state: %s -> %s", before, got)
	}
	must[*keyward.VehicleSpare](t)(f.sp.EnrollSpare(ctx, f.tech, sp.ID, keyward.SpareEnrollInput{Tool: "Autel IM608", Date: "2026-03-01"}))
	before = f.snapshot(t)
	_, err = f.sp.HandOverSpare(ctx, f.advisor, sp.ID, keyward.SpareNoteInput{})
	wantConflict(t, err, keyward.SpareStepTest)
	_, err = f.sp.TestSpare(ctx, f.tech, sp.ID, keyward.SpareTestInput{StartsVehicle: &yes})
	wantField(t, err, "opens_door")
	if got := f.snapshot(t); got != before {
		t.Fatalf("refused steps changed state: %s -> %s", before, got)
	}
	if k := must[*keyward.Key](t)(f.db.Custody().Key(ctx, f.owner, sp.KeyID)); k.Status != keyward.StatusInStorage {
		t.Fatalf("the untested spare is %s", k.Status)
	}
	// The auditor reads, never acts.
	must[*keyward.VehicleSpare](t)(f.sp.Spare(ctx, f.auditor, sp.ID))
	if _, err = f.sp.HandOverSpare(ctx, f.auditor, sp.ID, keyward.SpareNoteInput{}); keyward.ErrorCode(err) != keyward.EFORBIDDEN {
		t.Fatalf("hand-over by an auditor: %v", err)
	}
}

// testLostVehicleKey: a lost key of a vehicle asks whether the remaining
// keys were re-enrolled, and stays open until answered yes.
func testLostVehicleKey(t *testing.T, b Backend) {
	f := spareSetup(t, b)
	cu := f.db.Custody()
	k := must[*keyward.Key](t)(cu.CreateKey(ctx, f.owner, keyward.KeyInput{KeywayID: f.keyway.ID, Symbol: "V1"}))
	other := must[*keyward.Key](t)(cu.CreateKey(ctx, f.owner, keyward.KeyInput{KeywayID: f.keyway.ID, Symbol: "GATE"}))
	if list := must[[]keyward.LostVehicleKey](t)(f.sp.LostVehicleKeys(ctx, f.owner)); len(list) != 0 {
		t.Fatalf("open items before any loss: %+v", list)
	}
	if _, err := f.sp.AnswerReenrollment(ctx, f.tech, k.ID, keyward.ReenrollInput{Answer: "yes"}); keyward.ErrorCode(err) != keyward.ENOTFOUND {
		t.Fatalf("answer for a key not lost: %v", err)
	}
	must[*keyward.Key](t)(cu.Move(ctx, f.owner, k.ID, keyward.CustodyLost, keyward.CustodyInput{Note: "dropped at the depot"}))
	must[*keyward.Key](t)(cu.Move(ctx, f.owner, other.ID, keyward.CustodyLost, keyward.CustodyInput{Note: "not a vehicle's"}))
	list := must[[]keyward.LostVehicleKey](t)(f.sp.LostVehicleKeys(ctx, f.auditor))
	if len(list) != 1 || list[0].KeyID != k.ID || !list[0].Open || list[0].VehicleName != "Van 1" || list[0].Stamp != "V1-1" {
		t.Fatalf("open items %+v", list)
	}
	_, err := f.sp.AnswerReenrollment(ctx, f.tech, k.ID, keyward.ReenrollInput{Answer: "perhaps"})
	wantField(t, err, "answer")
	if _, err := f.sp.AnswerReenrollment(ctx, f.advisor, k.ID, keyward.ReenrollInput{Answer: "yes"}); keyward.ErrorCode(err) != keyward.EFORBIDDEN {
		t.Fatalf("answer by an advisor: %v", err)
	}
	l := must[*keyward.LostVehicleKey](t)(f.sp.AnswerReenrollment(ctx, f.tech, k.ID, keyward.ReenrollInput{Answer: "no", Note: "tool booked for Friday"}))
	if !l.Open || l.Answer != "no" || l.AnsweredBy != f.tech.UserID || l.AnsweredAt == nil {
		t.Fatalf("after no: %+v", l)
	}
	if list = must[[]keyward.LostVehicleKey](t)(f.sp.LostVehicleKeys(ctx, f.owner)); len(list) != 1 {
		t.Fatalf("answered no: %d open", len(list))
	}
	f.env.Clock.Advance(3600e9)
	l = must[*keyward.LostVehicleKey](t)(f.sp.AnswerReenrollment(ctx, f.tech, k.ID, keyward.ReenrollInput{Answer: "yes"}))
	if l.Open || l.Answer != "yes" {
		t.Fatalf("after yes: %+v", l)
	}
	if list = must[[]keyward.LostVehicleKey](t)(f.sp.LostVehicleKeys(ctx, f.owner)); len(list) != 0 {
		t.Fatalf("answered yes: %d open", len(list))
	}
	if d := lastAudit(t, f.fixture, "vehicle.reenroll", k.ID); d["answer"] != "yes" || d["opening_id"] != f.van.ID {
		t.Fatalf("audit %v", d)
	}
	if got := must[*keyward.LostVehicleKey](t)(f.sp.LostVehicleKey(ctx, f.auditor, k.ID)); got.Answer != "yes" {
		t.Fatalf("the question reads %+v", got)
	}
}
