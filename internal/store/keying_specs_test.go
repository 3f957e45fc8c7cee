package store_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/keyward/keyward/internal/keyward"
	"github.com/keyward/keyward/internal/store/storetest"
)

func TestKeyingSpecs(t *testing.T) {
	storetest.Each(t, testKeyingSpecs)
}

func intp(n int) *int { return &n }

// houseSpec is Schlage 6-pin under a house rule of one master pin per chamber.
func houseSpec(name string) keyward.KeyingSpecInput {
	return keyward.KeyingSpecInput{Name: name, Note: "one master pin per chamber",
		Spec: keyward.KeySpec{Positions: 6, MinDepth: 0, MaxDepth: 9, MACS: 7, Step: 2, MinMasterPin: 2, MaxMasterPinsPerChamber: intp(1), MaxMasterPinsTotal: intp(4)}}
}

func fieldErr(err error) (keyward.Code, keyward.FieldError) {
	var e *keyward.Error
	if !errors.As(err, &e) || len(e.Fields) == 0 {
		return keyward.ErrorCode(err), keyward.FieldError{}
	}
	return e.Code, e.Fields[0]
}

func testKeyingSpecs(t *testing.T, b storetest.Backend) {
	ctx := context.Background()
	f := newKSFixture(t, b)

	// The manufacturer table, each row with its confidence and note.
	specs, err := f.ks.KeyingSpecs(ctx, f.manager)
	if err != nil {
		t.Fatal(err)
	}
	byName := map[string]keyward.KeyingSpec{}
	for _, s := range specs {
		byName[s.Name] = s
	}
	if s := byName["schlage_sc4"]; s.Source != keyward.SpecSourceManufacturer || s.Confidence != "high" || !s.Modeled || s.Note == "" || s.Spec.MACS != 7 {
		t.Fatalf("schlage_sc4 row: %+v", s)
	}
	if s := byName["corbin_russwin_s70"]; s.Confidence != "conflict" || !strings.Contains(s.Note, "MACS 4") {
		t.Fatalf("corbin row: %+v", s)
	}
	if s := byName["medeco"]; s.Modeled {
		t.Fatalf("medeco is modeled: %+v", s)
	}

	// Create; a taken name (its own or a manufacturer's) is a conflict; a bad spec names its member.
	created, err := f.ks.CreateKeyingSpec(ctx, f.manager, houseSpec("sc4_house"))
	if err != nil {
		t.Fatal(err)
	}
	if created.Source != keyward.SpecSourceOrganization || created.Spec.Name != "sc4_house" || *created.Spec.MaxMasterPinsPerChamber != 1 || created.ID == "" {
		t.Fatalf("created %+v", created)
	}
	if _, err := f.ks.CreateKeyingSpec(ctx, f.owner, houseSpec("sc4_house")); keyward.ErrorCode(err) != keyward.ECONFLICT {
		t.Fatalf("duplicate: %v", err)
	}
	if _, err := f.ks.CreateKeyingSpec(ctx, f.owner, houseSpec("schlage_sc4")); keyward.ErrorCode(err) != keyward.ECONFLICT {
		t.Fatalf("manufacturer name: %v", err)
	}
	bad := houseSpec("bad")
	bad.Spec.MACS = 0
	if code, fe := fieldErr(func() error { _, err := f.ks.CreateKeyingSpec(ctx, f.owner, bad); return err }()); code != keyward.EINVALID || fe.Field != "spec.macs" || fe.Rule != "must be at least 1" {
		t.Fatalf("macs 0: %s %+v", code, fe)
	}
	bad = houseSpec("bad")
	bad.Spec.MaxDepth = 10 // with min_depth 0
	if code, fe := fieldErr(func() error { _, err := f.ks.CreateKeyingSpec(ctx, f.owner, bad); return err }()); code != keyward.EINVALID || fe.Field != "spec.max_depth" {
		t.Fatalf("max depth 10 from 0: %s %+v", code, fe)
	}
	bad = houseSpec("bad")
	bad.Spec.MaxMasterPinsPerChamber = intp(-1)
	if code, fe := fieldErr(func() error { _, err := f.ks.CreateKeyingSpec(ctx, f.owner, bad); return err }()); code != keyward.EINVALID || fe.Field != "spec.max_master_pins_per_chamber" {
		t.Fatalf("negative limit: %s %+v", code, fe)
	}
	if _, err := f.ks.CreateKeyingSpec(ctx, keyward.Actor{UserID: "u", Email: "aud@acme.test", Role: keyward.RoleAuditor}, houseSpec("aud")); keyward.ErrorCode(err) != keyward.EFORBIDDEN {
		t.Fatalf("auditor create: %v", err)
	}
	if n := f.env.SQL().MustCount(t, `SELECT COUNT(*) FROM keying_specs`); n != 1 {
		t.Fatalf("%d keying specs, want 1", n)
	}
	if recs := f.auditActions(t, "keyingspec.create"); len(recs) != 1 || recs[0].SubjectID != created.ID {
		t.Fatalf("audit records %+v", recs)
	}
	specs, _ = f.ks.KeyingSpecs(ctx, f.owner)
	if last := specs[len(specs)-1]; last.Name != "sc4_house" || last.Source != keyward.SpecSourceOrganization || last.Note != "one master pin per chamber" {
		t.Fatalf("org spec in list: %+v", last)
	}

	// A system from the org spec: its house limits flow into the pinning.
	in := threeLevel("House system")
	in.Manufacturer = "sc4_house"
	sys, err := f.ks.CreateKeySystem(ctx, f.owner, in)
	if err != nil {
		t.Fatal(err)
	}
	if sys.Spec.Name != "sc4_house" || sys.Spec.MaxMasterPinsPerChamber == nil || *sys.Spec.MaxMasterPinsPerChamber != 1 {
		t.Fatalf("system spec %+v", sys.Spec)
	}
	if c := f.assign(t, sys.ID, "Office 1", "AA1"); len(c.PinProblems) != 0 {
		t.Fatalf("one master pin per chamber is within the rule: %v", c.PinProblems)
	}
	// Cross-keyed AB2: chamber 1 has AA 1, AB 3 and the TMK 5, two master pins.
	c := f.assign(t, sys.ID, "Lobby", "AA3", "AB2")
	if !slices.ContainsFunc(c.PinProblems, func(p string) bool { return strings.HasPrefix(p, "too_many_master_pins at chamber 1 (2 > 1)") }) {
		t.Fatalf("pin problems %v", c.PinProblems)
	}
	in.Manufacturer, in.Name = "no_such_spec", "Nothing"
	if code, fe := fieldErr(func() error { _, err := f.ks.CreateKeySystem(ctx, f.owner, in); return err }()); code != keyward.EINVALID || fe.Field != "manufacturer" {
		t.Fatalf("unknown spec: %s %+v", code, fe)
	}

	// Requested size beyond what the progression gives: refused, nothing written.
	// Masters AA…AD; change keys: AA and AD give 11 each, AB and AC 14.
	before := f.env.SQL().MustCount(t, `SELECT COUNT(*) FROM key_symbols`)
	systems := f.env.SQL().MustCount(t, `SELECT COUNT(*) FROM key_systems`)
	for _, tc := range []struct {
		masters, changes int
		field, rule      string
	}{
		{5, 0, "masters_needed", "exceeds the 4 masters this progression can give"},
		{0, 12, "change_keys_needed", "exceeds the 11 change keys per master this progression can give to 4 masters"},
		{2, 15, "change_keys_needed", "exceeds the 14 change keys per master this progression can give to 2 masters"},
	} {
		big := threeLevel("Too big")
		big.TopSymbol, big.MastersNeeded, big.ChangeKeysNeeded = "B", tc.masters, tc.changes
		if code, fe := fieldErr(func() error { _, err := f.ks.CreateKeySystem(ctx, f.owner, big); return err }()); code != keyward.EINVALID || fe.Field != tc.field || fe.Rule != tc.rule {
			t.Fatalf("%d masters, %d change keys: %s %+v", tc.masters, tc.changes, code, fe)
		}
	}
	if n := f.env.SQL().MustCount(t, `SELECT COUNT(*) FROM key_symbols`); n != before {
		t.Fatalf("key symbols %d → %d after refusals", before, n)
	}
	if n := f.env.SQL().MustCount(t, `SELECT COUNT(*) FROM key_systems`); n != systems {
		t.Fatalf("key systems %d → %d after refusals", systems, n)
	}
	fits := threeLevel("Fits")
	fits.TopSymbol, fits.MastersNeeded, fits.ChangeKeysNeeded = "B", 2, 14
	if _, err := f.ks.CreateKeySystem(ctx, f.owner, fits); err != nil {
		t.Fatalf("2 masters of 14 change keys: %v", err)
	}
	two := keyward.KeySystemInput{Name: "Two", Manufacturer: "schlage_sc4", TMK: "555555", TopSymbol: "C", MastersNeeded: 1,
		Levels: []keyward.KeySystemLevel{{Level: "change", Sequence: []int{1}}}}
	if code, fe := fieldErr(func() error { _, err := f.ks.CreateKeySystem(ctx, f.owner, two); return err }()); code != keyward.EINVALID || fe.Field != "masters_needed" {
		t.Fatalf("2 levels with masters_needed: %s %+v", code, fe)
	}
	two.MastersNeeded, two.ChangeKeysNeeded = 0, 5
	if code, fe := fieldErr(func() error { _, err := f.ks.CreateKeySystem(ctx, f.owner, two); return err }()); code != keyward.EINVALID || fe.Rule != "exceeds the 4 change keys per master this progression can give to 1 master" {
		t.Fatalf("2 levels, 5 change keys of 4: %s %+v", code, fe)
	}
}
