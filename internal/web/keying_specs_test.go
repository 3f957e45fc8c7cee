package web_test

import (
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/keyward/keyward/internal/keyward"
	"github.com/keyward/keyward/internal/store/storetest"
)

// houseSpecInput is Schlage 6-pin under a house rule of one master pin per chamber.
var houseSpecInput = map[string]any{"name": "sc4_house", "note": "one master pin per chamber",
	"spec": map[string]any{"positions": 6, "min_depth": 0, "max_depth": 9, "macs": 7, "step": 2, "min_master_pin": 2, "max_master_pins_per_chamber": 1}}

func TestAPIKeyingSpecs(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		app := newTestApp(t, b)
		doors := ksDoors(t, app, "Office 1", "Lobby")

		// The manufacturer table with its confidence notes; an auditor may read it.
		var list struct{ Items []keyward.KeyingSpec }
		if st := app.call(keyward.RoleAuditor, "GET", "/api/v1/keying-specs", nil, &list); st != 200 {
			t.Fatalf("list: %d", st)
		}
		i := slices.IndexFunc(list.Items, func(k keyward.KeyingSpec) bool { return k.Name == "schlage_sc4" })
		if i < 0 || list.Items[i].Source != "manufacturer" || list.Items[i].Confidence != "high" || list.Items[i].Note == "" || !list.Items[i].Modeled {
			t.Fatalf("schlage row: %+v", list.Items)
		}
		if j := slices.IndexFunc(list.Items, func(k keyward.KeyingSpec) bool { return k.Name == "corbin_russwin_s70" }); j < 0 || list.Items[j].Confidence != "conflict" {
			t.Fatalf("corbin row missing or not in conflict")
		}

		// Create, duplicate, invalid, denied.
		var created keyward.KeyingSpec
		if st := app.call(keyward.RoleTechnician, "POST", "/api/v1/keying-specs", houseSpecInput, &created); st != 201 ||
			created.Source != "organization" || created.Spec.MaxMasterPinsPerChamber == nil || *created.Spec.MaxMasterPinsPerChamber != 1 {
			t.Fatalf("create: %d %+v", st, created)
		}
		var pr problem
		if st := app.call(keyward.RoleOwner, "POST", "/api/v1/keying-specs", houseSpecInput, &pr); st != 409 || pr.Errors[0].Field != "name" {
			t.Fatalf("duplicate: %d %+v", st, pr)
		}
		bad := map[string]any{"name": "bad", "spec": map[string]any{"positions": 6, "min_depth": 0, "max_depth": 9, "macs": 0, "step": 2}}
		if st := app.call(keyward.RoleOwner, "POST", "/api/v1/keying-specs", bad, &pr); st != 400 ||
			!slices.Contains(pr.Errors, keyward.FieldError{Field: "spec.macs", Rule: "must be at least 1"}) {
			t.Fatalf("macs 0: %d %+v", st, pr)
		}
		before := app.auditCount()
		if st := app.call(keyward.RoleAuditor, "POST", "/api/v1/keying-specs", map[string]any{"name": "aud", "spec": houseSpecInput["spec"]}, &pr); st != 403 {
			t.Fatalf("auditor create: %d", st)
		}
		if n := app.auditCount(); n != before+1 {
			t.Fatalf("the denial is not recorded: %d → %d", before, n)
		}
		if n := app.env.SQL().MustCount(t, `SELECT COUNT(*) FROM keying_specs`); n != 1 {
			t.Fatalf("%d keying specs, want 1", n)
		}
		if n := auditActionCount(t, app, "keyingspec.create"); n != 1 {
			t.Fatalf("%d create records", n)
		}
		app.call(keyward.RoleAuditor, "GET", "/api/v1/keying-specs", nil, &list)
		if last := list.Items[len(list.Items)-1]; last.Name != "sc4_house" || last.Source != "organization" {
			t.Fatalf("org spec not listed last: %+v", last)
		}

		// Requested size beyond what the progression gives: 400, nothing written.
		big := map[string]any{}
		for k, v := range ksInput {
			big[k] = v
		}
		big["masters_needed"] = 5
		if st := app.call(keyward.RoleOwner, "POST", "/api/v1/keysystems", big, &pr); st != 400 ||
			!slices.Contains(pr.Errors, keyward.FieldError{Field: "masters_needed", Rule: "exceeds the 4 masters this progression can give"}) {
			t.Fatalf("5 masters of 4: %d %+v", st, pr)
		}
		big["masters_needed"], big["change_keys_needed"] = 1, 15
		if st := app.call(keyward.RoleOwner, "POST", "/api/v1/keysystems", big, &pr); st != 400 ||
			!slices.Contains(pr.Errors, keyward.FieldError{Field: "change_keys_needed", Rule: "exceeds the 14 change keys per master this progression can give to 1 master"}) {
			t.Fatalf("15 change keys of 14: %d %+v", st, pr)
		}
		for _, table := range []string{"key_systems", "key_symbols"} {
			if n := app.env.SQL().MustCount(t, `SELECT COUNT(*) FROM `+table); n != 0 {
				t.Fatalf("%d rows in %s after refusals", n, table)
			}
		}

		// A system from the org spec: the house limit shows in the pinning.
		in := map[string]any{}
		for k, v := range ksInput {
			in[k] = v
		}
		in["manufacturer"], in["masters_needed"], in["change_keys_needed"] = "sc4_house", 4, 11
		var sys keyward.KeySystem
		if st := app.call(keyward.RoleManager, "POST", "/api/v1/keysystems", in, &sys); st != 201 || sys.Spec.Name != "sc4_house" {
			t.Fatalf("create from org spec: %d %+v", st, sys.Spec)
		}
		var cyl keyward.Cylinder
		if st := app.call(keyward.RoleOwner, "POST", "/api/v1/keysystems/"+sys.ID+"/assignments",
			map[string]any{"opening_id": doors["Lobby"], "symbol": "AA3", "cross_keys": []string{"AB2"}}, &cyl); st != 200 ||
			!slices.ContainsFunc(cyl.PinProblems, func(p string) bool { return strings.HasPrefix(p, "too_many_master_pins at chamber 1") }) {
			t.Fatalf("cross-keyed lobby: %d %+v", st, cyl.PinProblems)
		}
		if st := app.call(keyward.RoleOwner, "POST", "/api/v1/keysystems/"+sys.ID+"/assignments",
			map[string]any{"opening_id": doors["Office 1"], "symbol": "AA1"}, &cyl); st != 200 || len(cyl.PinProblems) != 0 {
			t.Fatalf("office 1: %d %+v", st, cyl.PinProblems)
		}
	})
}

// TestKeyingSpecPage lists the specs on /keysystems and adds one through its form.
func TestKeyingSpecPage(t *testing.T) {
	app := newTestApp(t, storetest.SQLite)
	mgr := app.pageSession(keyward.RoleManager)
	st, body := mgr.do("GET", "/keysystems", nil)
	if st != 200 || !strings.Contains(body, `id="keying-spec-list"`) || !strings.Contains(body, "schlage_sc4") || !strings.Contains(body, `action="/keysystems/specs"`) {
		t.Fatalf("keysystems page: %d\n%s", st, body)
	}
	form := url.Values{"csrf": {mgr.CSRF}, "spec_name": {"house"}, "positions": {"6"}, "min_depth": {"0"}, "max_depth": {"9"}, "macs": {"0"}, "step": {"2"}}
	if st, body = mgr.do("POST", "/keysystems/specs", form); st != 400 || !strings.Contains(body, "must be at least 1") {
		t.Fatalf("macs 0 through the form: %d\n%s", st, body)
	}
	form.Set("macs", "7")
	form.Set("max_master_pins_per_chamber", "1")
	if st, body = mgr.do("POST", "/keysystems/specs", form); st != http.StatusSeeOther {
		t.Fatalf("add spec: %d\n%s", st, body)
	}
	st, body = mgr.do("GET", "/keysystems", nil)
	if st != 200 || !strings.Contains(body, `data-source="organization"`) || !strings.Contains(body, `<option value="house"`) {
		t.Fatalf("org spec not on the page: %d\n%s", st, body)
	}
}
