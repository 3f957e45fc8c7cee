package web_test

import (
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/keyward/keyward/internal/keyward"
	"github.com/keyward/keyward/internal/store/storetest"
)

// lostFixture is a key system HQ (schlage 6 pins, TMK 555555; masters AA,
// AB, AC, AD) keyed so that losing the master AA needs every kind of step:
// Lobby is keyed to AA itself, Office 1 and 2 under it, and AB and AC are in
// use, so the plan cuts a new master for Lobby and replaces the cylinders of
// Office 1 and 2. Outside the system, key U4 opens Unit 4 and Unit 5 by the
// keying schedule.
type lostFixture struct {
	sysID         string
	doors         map[string]string
	master, unit4 string // key ids: AA-1 and U4-1
}

func newLostFixture(t *testing.T, app *testApp) lostFixture {
	t.Helper()
	f := lostFixture{doors: ksDoors(t, app, "Office 1", "Office 2", "Office 3", "Lobby", "Storage", "Unit 4", "Unit 5")}
	var sys ksSystem
	if st := app.call(keyward.RoleOwner, "POST", "/api/v1/keysystems", ksInput, &sys); st != 201 {
		t.Fatalf("create key system: %d", st)
	}
	f.sysID = sys.ID
	for door, sym := range map[string]string{"Office 1": "AA1", "Office 2": "AA2", "Office 3": "AB1", "Lobby": "AA", "Storage": "AC1"} {
		if st := app.call(keyward.RoleOwner, "POST", "/api/v1/keysystems/"+sys.ID+"/assignments", map[string]any{"opening_id": f.doors[door], "symbol": sym}, nil); st != 200 {
			t.Fatalf("key %s to %s: %d", door, sym, st)
		}
	}
	for _, door := range []string{"Unit 4", "Unit 5"} {
		if st := app.call(keyward.RoleOwner, "POST", "/api/v1/openings/"+f.doors[door]+"/symbols", map[string]any{"symbol": "U4"}, nil); st != 201 {
			t.Fatalf("schedule U4 on %s: %d", door, st)
		}
	}
	var kw, k map[string]any
	if st := app.call(keyward.RoleOwner, "POST", "/api/v1/keyways", map[string]any{"name": "Schlage SC4", "duplication_policy": "restricted"}, &kw); st != 201 {
		t.Fatalf("keyway: %d", st)
	}
	for sym, dst := range map[string]*string{"AA": &f.master, "U4": &f.unit4} {
		if st := app.call(keyward.RoleOwner, "POST", "/api/v1/keys", map[string]any{"keyway_id": kw["id"], "symbol": sym}, &k); st != 201 {
			t.Fatalf("key %s: %d", sym, st)
		}
		*dst = k["id"].(string)
	}
	return f
}

type lostReply struct {
	keyward.Key
	LostKey *keyward.LostKey `json:"lost_key"`
}

func doorNames(lk *keyward.LostKey) string {
	var out []string
	for _, d := range lk.Doors {
		out = append(out, d.OpeningName+" "+d.How)
	}
	return strings.Join(out, ", ")
}

// TestAPILostKey: the lost move answers what the key opens and the next step;
// a master key's plan and an outside key's work list are worked through the
// API, refusing bad input by field and a second done with 409.
func TestAPILostKey(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		app := newTestApp(t, b)
		f := newLostFixture(t, app)
		base := "/api/v1/keysystems/" + f.sysID

		var got lostReply
		if st := app.call(keyward.RoleAdvisor, "POST", "/api/v1/keys/"+f.master+"/lost", map[string]any{"note": "dropped in the lift"}, &got); st != 200 {
			t.Fatalf("report lost: %d", st)
		}
		if got.Status != keyward.StatusLost || got.Stamp != "AA-1" || got.LostKey == nil {
			t.Fatalf("lost answer: %+v", got)
		}
		if lk := got.LostKey; lk.SystemID != f.sysID || lk.Next != keyward.NextStartPlan ||
			doorNames(lk) != "Lobby intended, Office 1 intended, Office 2 intended" {
			t.Fatalf("lost master: %+v", lk)
		}
		var again keyward.LostKey
		if st := app.call(keyward.RoleAuditor, "GET", "/api/v1/keys/"+f.master+"/lost", nil, &again); st != 200 || doorNames(&again) != doorNames(got.LostKey) {
			t.Fatalf("GET lost: %d %+v", st, again)
		}
		var pr problem
		if st := app.call(keyward.RoleOwner, "GET", "/api/v1/keys/"+f.unit4+"/lost", nil, &pr); st != 409 {
			t.Fatalf("GET lost of a key in storage: %d", st)
		}
		if st := app.call(keyward.RoleOwner, "POST", "/api/v1/worklists", map[string]any{"key_id": f.master}, &pr); st != 409 ||
			!slices.Contains(pr.Errors, keyward.FieldError{Field: "key_id", Rule: "must name a key outside any key system"}) {
			t.Fatalf("work list for a key system's key: %d %+v", st, pr)
		}

		var plan keyward.RekeyPlan
		if st := app.call(keyward.RoleTechnician, "POST", base+"/lost", map[string]any{"symbol": "AA", "key_id": f.master}, &plan); st != 201 {
			t.Fatalf("start the plan: %d", st)
		}
		var replace keyward.PlanItem
		for _, it := range plan.Items {
			if it.Kind == keyward.PlanReplaceCylinder {
				replace = it
				break
			}
		}
		done := base + "/plans/" + plan.ID + "/items/"
		for _, c := range []struct {
			body  any
			field string
		}{
			{map[string]any{}, "confirm"},
			{map[string]any{"confirm": true}, "new_keys"},
			{map[string]any{"confirm": true, "new_keys": []string{"AA"}}, "new_keys[0]"},
			{map[string]any{"confirm": true, "new_keys": []string{"AB2"}}, "new_keys[0]"},
			{map[string]any{"confirm": true, "new_keys": []string{"OF1"}, "method": "rekey"}, "method"},
		} {
			pr = problem{}
			if st := app.call(keyward.RoleTechnician, "POST", done+replace.ID+"/done", c.body, &pr); st != 400 ||
				!slices.ContainsFunc(pr.Errors, func(e keyward.FieldError) bool { return e.Field == c.field }) {
				t.Fatalf("replace with %v: %d %+v, want 400 naming %s", c.body, st, pr, c.field)
			}
		}
		if st := app.call(keyward.RoleTechnician, "POST", done+"pli_nope/done", map[string]any{"confirm": true}, nil); st != 404 {
			t.Fatalf("unknown item: %d", st)
		}
		if st := app.call(keyward.RoleAdvisor, "POST", done+replace.ID+"/done", map[string]any{"confirm": true, "new_keys": []string{"OF1"}}, nil); st != 403 {
			t.Fatalf("advisor marks done: %d", st)
		}
		for _, it := range plan.Items {
			if st := app.call(keyward.RoleTechnician, "POST", done+it.ID+"/done", apiDone(it), &plan); st != 200 {
				t.Fatalf("item %d: %d", it.Seq, st)
			}
		}
		if st := app.call(keyward.RoleTechnician, "POST", done+replace.ID+"/done", apiDone(replace), nil); st != 409 {
			t.Fatalf("second done: %d", st)
		}
		if plan.Status != keyward.WorkDone || len(plan.LostOperates) != 0 {
			t.Fatalf("plan after the work: %+v", plan)
		}
		// Every door the master opened opens with keys on record.
		for _, door := range []string{"Office 1", "Office 2", "Lobby"} {
			var acc keyward.OpeningAccess
			app.call(keyward.RoleOwner, "GET", "/api/v1/openings/"+f.doors[door]+"/access", nil, &acc)
			if len(acc.Operating) == 0 || slices.ContainsFunc(acc.Operating, func(o keyward.OperatingSymbol) bool { return o.Symbol == "AA" }) {
				t.Errorf("%s after the plan: %+v", door, acc.Operating)
			}
		}
		if app.call(keyward.RoleOwner, "GET", "/api/v1/keys/"+f.master+"/lost", nil, &again); again.Next != keyward.NextPlanDone || len(again.Doors) != 0 {
			t.Fatalf("master after the plan: %+v", again)
		}

		// A key outside any key system: its work list.
		if st := app.call(keyward.RoleOwner, "POST", "/api/v1/keys/"+f.unit4+"/lost", nil, &got); st != 200 ||
			got.LostKey.Next != keyward.NextStartWorkList || doorNames(got.LostKey) != "Unit 4 schedule, Unit 5 schedule" {
			t.Fatalf("lost U4: %d %+v", st, got.LostKey)
		}
		for body, field := range map[string]string{`{}`: "key_id", `{"key_id":"key_nope"}`: "key_id", `{"key_id":"x","note":5}`: "note"} {
			pr = problem{}
			if st := app.call(keyward.RoleOwner, "POST", "/api/v1/worklists", body, &pr); st != 400 || len(pr.Errors) == 0 || pr.Errors[0].Field != field {
				t.Fatalf("work list %s: %d %+v, want 400 naming %s", body, st, pr, field)
			}
		}
		if st := app.call(keyward.RoleAdvisor, "POST", "/api/v1/worklists", map[string]any{"key_id": f.unit4}, nil); st != 403 {
			t.Fatalf("advisor makes a work list: %d", st)
		}
		var wl keyward.WorkList
		if st := app.call(keyward.RoleTechnician, "POST", "/api/v1/worklists", map[string]any{"key_id": f.unit4, "note": "Ace Locks, Tuesday"}, &wl); st != 201 ||
			len(wl.Items) != 2 || wl.Items[0].OpeningName != "Unit 4" || wl.Status != keyward.WorkOpen {
			t.Fatalf("work list: %d %+v", st, wl)
		}
		if st := app.call(keyward.RoleTechnician, "POST", "/api/v1/worklists", map[string]any{"key_id": f.unit4}, nil); st != 409 {
			t.Fatalf("second work list: %d", st)
		}
		var lists struct{ Items []keyward.WorkList }
		if st := app.call(keyward.RoleAuditor, "GET", "/api/v1/worklists?status=open", nil, &lists); st != 200 || len(lists.Items) != 1 {
			t.Fatalf("open work lists: %d %+v", st, lists)
		}
		if st := app.call(keyward.RoleAuditor, "GET", "/api/v1/worklists?status=closed", nil, &pr); st != 400 {
			t.Fatalf("bad status: %d", st)
		}
		var work struct{ Items []keyward.OpenWork }
		if st := app.call(keyward.RoleManager, "GET", "/api/v1/rekey-work", nil, &work); st != 200 || len(work.Items) != 1 || work.Items[0].ID != wl.ID {
			t.Fatalf("open work: %d %+v", st, work)
		}
		item := "/api/v1/worklists/" + wl.ID + "/items/"
		for _, c := range []struct {
			body  any
			field string
		}{
			{map[string]any{"method": "rekey", "new_keys": []string{"U4B"}}, "confirm"},
			{map[string]any{"confirm": true, "new_keys": []string{"U4B"}}, "method"},
			{map[string]any{"confirm": true, "method": "rekey"}, "new_keys"},
			{map[string]any{"confirm": true, "method": "rekey", "new_keys": []string{"U4"}}, "new_keys[0]"},
		} {
			pr = problem{}
			if st := app.call(keyward.RoleTechnician, "POST", item+wl.Items[0].ID+"/done", c.body, &pr); st != 400 ||
				!slices.ContainsFunc(pr.Errors, func(e keyward.FieldError) bool { return e.Field == c.field }) {
				t.Fatalf("door done with %v: %d %+v, want 400 naming %s", c.body, st, pr, c.field)
			}
		}
		if st := app.call(keyward.RoleTechnician, "POST", item+"wli_nope/done", map[string]any{"confirm": true}, nil); st != 404 {
			t.Fatalf("unknown door: %d", st)
		}
		if st := app.call(keyward.RoleOwner, "GET", "/api/v1/worklists/wl_nope", nil, nil); st != 404 {
			t.Fatalf("unknown work list: %d", st)
		}
		ok := map[string]any{"confirm": true, "method": "rekey", "new_keys": []string{"U4B"}}
		if st := app.call(keyward.RoleTechnician, "POST", item+wl.Items[0].ID+"/done", ok, &wl); st != 200 || !wl.Items[0].Done {
			t.Fatalf("first door: %d %+v", st, wl)
		}
		if st := app.call(keyward.RoleTechnician, "POST", item+wl.Items[0].ID+"/done", ok, nil); st != 409 {
			t.Fatalf("first door twice: %d", st)
		}
		ok["method"], ok["new_keys"] = "replace", []string{"U5"}
		if st := app.call(keyward.RoleTechnician, "POST", item+wl.Items[1].ID+"/done", ok, &wl); st != 200 || wl.Status != keyward.WorkDone {
			t.Fatalf("last door: %d %+v", st, wl)
		}
		var acc keyward.OpeningAccess
		if app.call(keyward.RoleOwner, "GET", "/api/v1/openings/"+f.doors["Unit 5"]+"/access", nil, &acc); !slices.Equal(acc.Symbols, []string{"U5"}) {
			t.Fatalf("Unit 5 schedule: %v", acc.Symbols)
		}

		// The work orders: door names and steps in words, no bitting, no rule names.
		for path, wants := range map[string][]string{
			base + "/plans/" + plan.ID + "/workorder.pdf":   {"Work order", "Acme Property", "Lobby", "Office 1", "Replace the cylinder at Office 1", "Cut 1 new master key AD", "Signature"},
			"/api/v1/worklists/" + wl.ID + "/workorder.pdf": {"Work order", "Acme Property", "Unit 4", "Unit 5", "U4B", "Signature"},
		} {
			st, ct, body := app.raw(keyward.RoleAuditor, path)
			if st != 200 || ct != "application/pdf" {
				t.Fatalf("%s: %d %s", path, st, ct)
			}
			text := strings.Join(strings.Fields(pdfText(t, body)), " ")
			for _, w := range wants {
				if !strings.Contains(text, w) {
					t.Errorf("%s lacks %q:\n%s", path, w, text)
				}
			}
			for _, bad := range []string{"555555", "155555", "replace_cylinder", "intended:"} {
				if strings.Contains(text, bad) {
					t.Errorf("%s shows %q", path, bad)
				}
			}
		}
	})
}

// TestUILostKeyPages: without JavaScript, a lost key's page shows its doors
// and one next step; the confirm step refuses a replaced cylinder without its
// new keys by naming the field, and the plan reads in plain words.
func TestUILostKeyPages(t *testing.T) {
	app := newTestApp(t, storetest.SQLite)
	f := newLostFixture(t, app)
	mgr := app.pageSession(keyward.RoleManager)
	keyPage := "/keys/" + f.master

	if st, _ := mgr.do("POST", keyPage+"/lost", url.Values{"csrf": {mgr.CSRF}, "note": {"lost at the bins"}}); st != http.StatusSeeOther {
		t.Fatalf("report lost: %d", st)
	}
	st, body := mgr.do("GET", keyPage, nil)
	doc := uiParse(t, body)
	card := doc.byID("lost-key")
	if st != 200 || card == nil {
		t.Fatalf("key page after the report: %d\n%s", st, body)
	}
	uiWantText(t, card, "lost key card", "Whoever finds this key can open 3 doors", "Made to open", "Lobby", "Office 1", "Office 2", "HQ system", "Start the rekey plan")
	if doc.byID("key-opens") != nil {
		t.Error("a lost key's page lists its doors twice")
	}
	form := doc.byID("start-plan")
	if form == nil || form.attr["action"] != "/keysystems/"+f.sysID+"/lost" {
		t.Fatalf("start-plan form: %+v", form)
	}
	// An auditor sees the doors, not the button.
	aud := app.pageSession(keyward.RoleAuditor)
	if _, body := aud.do("GET", keyPage, nil); !strings.Contains(body, `id="lost-key"`) || strings.Contains(body, `id="start-plan"`) {
		t.Fatalf("auditor's key page:\n%s", body)
	}

	st, _ = mgr.do("POST", "/keysystems/"+f.sysID+"/lost", url.Values{"csrf": {mgr.CSRF}, "symbol": {"AA"}, "key_id": {f.master}})
	if st != http.StatusSeeOther {
		t.Fatalf("start the plan: %d", st)
	}
	var sys keyward.KeySystem
	app.call(keyward.RoleOwner, "GET", "/api/v1/keysystems/"+f.sysID, nil, &sys)
	plan := sys.Plans[0]
	planPath := "/keysystems/" + f.sysID + "/plans/" + plan.ID
	if _, body = mgr.do("GET", keyPage, nil); !strings.Contains(body, planPath) || !strings.Contains(body, "Continue the rekey plan") {
		t.Fatalf("key page with the plan open:\n%s", body)
	}
	_, body = mgr.do("GET", planPath, nil)
	steps := uiParse(t, body).byID("plan-steps")
	uiWantText(t, steps, "plan steps", "Cut 1 new master key AD", "Rekey the cylinder at Lobby so that AD opens it", "Replace the cylinder at Office 1", "Hand out the new AD keys")
	for _, rule := range []string{"replace_cylinder", "intended:", "key list holds"} {
		if strings.Contains(steps.Text(), rule) {
			t.Errorf("the plan speaks in rule names (%s): %s", rule, steps.Text())
		}
	}
	if _, body = mgr.do("GET", "/", nil); !strings.Contains(body, `id="rekey-work"`) || !strings.Contains(body, planPath) {
		t.Fatalf("dashboard without the open plan:\n%s", body)
	}

	var replace keyward.PlanItem
	for _, it := range plan.Items {
		if it.Kind == keyward.PlanReplaceCylinder {
			replace = it
			break
		}
	}
	confirm := planPath + "/items/" + replace.ID + "/done"
	st, body = mgr.do("GET", confirm, nil)
	if st != 200 || !strings.Contains(body, `name="new_keys"`) || !strings.Contains(body, `name="confirm"`) {
		t.Fatalf("confirm page: %d\n%s", st, body)
	}
	// No new keys: refused, the field named, nothing done.
	st, body = mgr.do("POST", confirm, url.Values{"csrf": {mgr.CSRF}, "confirm": {"1"}, "new_keys": {" "}})
	if st != http.StatusBadRequest || !strings.Contains(body, `id="new_keys-error"`) || !strings.Contains(body, "so it is not left without keys") {
		t.Fatalf("done without new keys: %d\n%s", st, body)
	}
	// The lost key named as a new key: the error names that key.
	st, body = mgr.do("POST", confirm, url.Values{"csrf": {mgr.CSRF}, "confirm": {"1"}, "new_keys": {"OF1, AA"}})
	if st != http.StatusBadRequest || !strings.Contains(body, "AA: must not be the lost key AA") || !strings.Contains(body, `value="OF1, AA"`) {
		t.Fatalf("done with the lost key: %d\n%s", st, body)
	}
	// Not confirmed.
	if st, body = mgr.do("POST", confirm, url.Values{"csrf": {mgr.CSRF}, "new_keys": {"OF1"}}); st != http.StatusBadRequest || !strings.Contains(body, "confirm that the work is done") {
		t.Fatalf("done unconfirmed: %d\n%s", st, body)
	}
	app.call(keyward.RoleOwner, "GET", "/api/v1/keysystems/"+f.sysID+"/plans/"+plan.ID, nil, &plan)
	if slices.ContainsFunc(plan.Items, func(it keyward.PlanItem) bool { return it.Done }) {
		t.Fatalf("a refused form marked an item done: %+v", plan.Items)
	}
	if st, _ = mgr.do("POST", confirm, url.Values{"csrf": {mgr.CSRF}, "confirm": {"1"}, "new_keys": {"OF1 OF1M"}}); st != http.StatusSeeOther {
		t.Fatalf("done: %d", st)
	}
	if st, _ = mgr.do("GET", confirm, nil); st != http.StatusSeeOther {
		t.Fatalf("confirm page of a done item: %d, want a redirect to the plan", st)
	}
	_, body = mgr.do("GET", planPath, nil)
	if done := uiParse(t, body).byID("step-" + strconv.Itoa(replace.Seq)); done == nil || !strings.Contains(done.Text(), "opens now with OF1, OF1M") {
		t.Fatalf("done step:\n%s", body)
	}
	if st, _ = mgr.do("GET", "/keysystems/"+f.sysID+"/plans/"+plan.ID+"/items/pli_nope/done", nil); st != 404 {
		t.Fatalf("unknown item: %d", st)
	}

	// Outside a key system: the work list, one click from the key page.
	keyPage = "/keys/" + f.unit4
	mgr.do("POST", keyPage+"/lost", url.Values{"csrf": {mgr.CSRF}})
	_, body = mgr.do("GET", keyPage, nil)
	card = uiParse(t, body).byID("lost-key")
	uiWantText(t, card, "lost key card", "Whoever finds this key can open 2 doors", "Unit 4", "Unit 5", "Make a work list: rekey or replace these doors")
	st, body = mgr.do("POST", keyPage+"/worklist", url.Values{"csrf": {mgr.CSRF}})
	if st != http.StatusSeeOther {
		t.Fatalf("make the work list: %d\n%s", st, body)
	}
	var lists struct{ Items []keyward.WorkList }
	app.call(keyward.RoleOwner, "GET", "/api/v1/worklists", nil, &lists)
	wl := lists.Items[0]
	if st, body = mgr.do("POST", keyPage+"/worklist", url.Values{"csrf": {mgr.CSRF}}); st != http.StatusConflict || !strings.Contains(body, "already open") {
		t.Fatalf("a second work list: %d\n%s", st, body)
	}
	_, body = mgr.do("GET", "/worklists/"+wl.ID, nil)
	uiWantText(t, uiParse(t, body).byID("work-items"), "work list", "Rekey or replace the lock of Unit 4", "Unit 5", "Mark done")
	door := "/worklists/" + wl.ID + "/items/" + wl.Items[0].ID + "/done"
	if st, body = mgr.do("POST", door, url.Values{"csrf": {mgr.CSRF}, "confirm": {"1"}, "new_keys": {"U4B"}}); st != http.StatusBadRequest || !strings.Contains(body, "must be rekey or replace") {
		t.Fatalf("door done without how: %d\n%s", st, body)
	}
	if st, _ = mgr.do("POST", door, url.Values{"csrf": {mgr.CSRF}, "confirm": {"1"}, "method": {"rekey"}, "new_keys": {"U4B"}}); st != http.StatusSeeOther {
		t.Fatalf("door done: %d", st)
	}
	if st, _ = mgr.do("GET", "/worklists/wl_nope", nil); st != 404 {
		t.Fatalf("unknown work list page: %d", st)
	}
	if st, _ = mgr.do("GET", "/worklists/"+wl.ID+"/items/wli_nope/done", nil); st != 404 {
		t.Fatalf("unknown door: %d", st)
	}
	// An advisor reads the list but cannot mark a door done.
	adv := app.pageSession(keyward.RoleAdvisor)
	if st, body = adv.do("GET", "/worklists/"+wl.ID, nil); st != 200 || strings.Contains(body, "Mark done") {
		t.Fatalf("advisor's work list: %d", st)
	}
	if st, _ = adv.do("POST", door, url.Values{"csrf": {adv.CSRF}, "confirm": {"1"}, "method": {"rekey"}, "new_keys": {"U4C"}}); st != 403 {
		t.Fatalf("advisor marks done: %d", st)
	}
}
