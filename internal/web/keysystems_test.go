package web_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/keyward/keyward/internal/keyward"
	"github.com/keyward/keyward/internal/store/storetest"
)

// ksDoors creates a site and its openings through the API.
func ksDoors(t *testing.T, app *testApp, names ...string) map[string]string {
	t.Helper()
	var site map[string]any
	if st := app.call(keyward.RoleOwner, "POST", "/api/v1/sites", map[string]any{"name": "HQ"}, &site); st != 201 {
		t.Fatalf("create site: %d", st)
	}
	doors := map[string]string{}
	for _, n := range names {
		var o map[string]any
		if st := app.call(keyward.RoleOwner, "POST", "/api/v1/openings", map[string]any{"site_id": site["id"], "name": n, "kind": "door"}, &o); st != 201 {
			t.Fatalf("create opening %s: %d", n, st)
		}
		doors[n] = o["id"].(string)
	}
	return doors
}

// raw GETs path as role and returns status, content type and body.
func (a *testApp) raw(role keyward.Role, path string) (int, string, []byte) {
	a.t.Helper()
	req, _ := http.NewRequest("GET", a.http.URL+path, nil)
	req.Header.Set("Authorization", "Bearer "+a.tokens[role])
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		a.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header.Get("Content-Type"), b
}

func auditActionCount(t *testing.T, app *testApp, action string) int64 {
	t.Helper()
	n, err := app.env.SQL().Count(`SELECT COUNT(*) FROM audit_log WHERE action = '` + action + `'`)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

type ksSystem struct {
	ID      string `json:"id"`
	Symbols []struct {
		Symbol string   `json:"symbol"`
		Tier   string   `json:"tier"`
		Copies int      `json:"copies"`
		Open   []string `json:"openings"`
	} `json:"symbols"`
	Cylinders []keyward.Cylinder `json:"cylinders"`
	Audit     *keyward.KeyAudit  `json:"audit"`
}

var ksInput = map[string]any{"name": "HQ system", "manufacturer": "schlage_sc4", "tmk": "555555",
	"levels": []any{map[string]any{"level": "master", "sequence": []int{1}}, map[string]any{"level": "change", "sequence": []int{2, 3}}}}

func TestAPIKeySystems(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		app := newTestApp(t, b)
		ctx := context.Background()
		doors := ksDoors(t, app, "Office 1", "Office 2", "Office 3", "Lobby", "Storage")

		// Bad input names the keying rule and leaves nothing behind.
		bad := map[string]any{}
		for k, v := range ksInput {
			bad[k] = v
		}
		bad["tmk"] = "191919"
		var pr problem
		if st := app.call(keyward.RoleOwner, "POST", "/api/v1/keysystems", bad, &pr); st != 400 ||
			!slices.Contains(pr.Errors, keyward.FieldError{Field: "tmk", Rule: "tmk_macs"}) {
			t.Fatalf("MACS-failing TMK: %d %+v", st, pr)
		}
		bad["tmk"], bad["levels"] = "555555", []any{map[string]any{"level": "change", "sequence": []int{7}}}
		if st := app.call(keyward.RoleOwner, "POST", "/api/v1/keysystems", bad, &pr); st != 400 ||
			!slices.Contains(pr.Errors, keyward.FieldError{Field: "levels[0].sequence", Rule: "sequence_position_out_of_range"}) {
			t.Fatalf("position 7 of 6: %d %+v", st, pr)
		}
		if n := app.env.SQL().MustCount(t, `SELECT COUNT(*) FROM key_systems`); n != 0 {
			t.Fatalf("%d key systems after refusals", n)
		}
		if st := app.call(keyward.RoleAdvisor, "POST", "/api/v1/keysystems", ksInput, nil); st != 403 {
			t.Fatalf("advisor create: %d", st)
		}

		// Create a 3-level system: 201, and no bitting in the answer or the table.
		var sys ksSystem
		var rawSys json.RawMessage
		if st := app.call(keyward.RoleManager, "POST", "/api/v1/keysystems", ksInput, &rawSys); st != 201 {
			t.Fatalf("create: %d %s", st, rawSys)
		}
		_ = json.Unmarshal(rawSys, &sys)
		if strings.Contains(string(rawSys), "555555") || strings.Contains(string(rawSys), "155555") || len(sys.Symbols) < 20 {
			t.Fatalf("create answer leaks a bitting or is short: %s", rawSys)
		}
		if n := app.env.SQL().MustCount(t, `SELECT COUNT(*) FROM key_symbols WHERE bitting_sealed LIKE '%555555%' OR bitting_sealed LIKE '%155555%' OR bitting_sealed NOT LIKE 'v2:%'`); n != 0 {
			t.Fatalf("%d plaintext bittings at rest", n)
		}
		base := "/api/v1/keysystems/" + sys.ID

		// The keying schedule; the lobby is a common entrance keyed AA3 and cross-keyed AB2.
		for door, sym := range map[string]string{"Office 1": "AA1", "Office 2": "AA2", "Office 3": "AB1", "Storage": "AC1"} {
			if st := app.call(keyward.RoleTechnician, "POST", base+"/assignments", map[string]any{"opening_id": doors[door], "symbol": sym}, nil); st != 200 {
				t.Fatalf("assign %s: %d", door, st)
			}
		}
		var cyl keyward.Cylinder
		if st := app.call(keyward.RoleOwner, "POST", base+"/assignments", map[string]any{"opening_id": doors["Lobby"], "symbol": "AA3", "cross_keys": []string{"AB2"}}, &cyl); st != 200 ||
			!slices.Equal(cyl.KeyList, []string{"AA3", "AA", "A", "AB2", "AB"}) {
			t.Fatalf("assign lobby: %d %+v", st, cyl)
		}
		if st := app.call(keyward.RoleOwner, "POST", base+"/assignments", map[string]any{"opening_id": doors["Lobby"], "symbol": "QQ1"}, &pr); st != 400 || pr.Errors[0].Field != "symbol" {
			t.Fatalf("unknown symbol: %d %+v", st, pr)
		}

		// A stamped copy of AA2 links to its symbol.
		kwRes := map[string]any{}
		app.call(keyward.RoleOwner, "POST", "/api/v1/keyways", map[string]any{"name": "Schlage SC4", "duplication_policy": "restricted"}, &kwRes)
		var copyAA2 keyward.Key
		if st := app.call(keyward.RoleOwner, "POST", "/api/v1/keys", map[string]any{"keyway_id": kwRes["id"], "symbol": "AA2"}, &copyAA2); st != 201 {
			t.Fatalf("stamp AA2: %d", st)
		}
		app.call(keyward.RoleAuditor, "GET", base, nil, &sys)
		for _, s := range sys.Symbols {
			if s.Symbol == "AA2" && (s.Copies != 1 || len(s.Open) != 1) {
				t.Fatalf("AA2 = %+v", s)
			}
		}

		// The cross-key audit ran after the last pinning: AA2 opens the lobby.
		var au keyward.KeyAudit
		if st := app.call(keyward.RoleManager, "GET", base+"/audit", nil, &au); st != 200 || len(au.Findings) != 1 ||
			au.Findings[0].Symbol != "AA2" || au.Findings[0].OpeningID != doors["Lobby"] || len(au.Findings[0].Chambers) != 1 {
			t.Fatalf("audit: %d %+v", st, au)
		}

		// Reveal: technician yes (recorded before the answer), manager and advisor no (403, recorded).
		var rev struct{ Items []keyward.RevealedBitting }
		if st := app.call(keyward.RoleTechnician, "POST", base+"/reveal", map[string]any{"symbols": []string{"A", "AA1"}, "reason": "cut keys"}, &rev); st != 200 ||
			!slices.Equal(rev.Items, []keyward.RevealedBitting{{Symbol: "A", Bitting: "555555"}, {Symbol: "AA1", Bitting: "111555"}}) {
			t.Fatalf("technician reveal: %d %+v", st, rev)
		}
		if n := auditActionCount(t, app, "bitting.reveal"); n != 1 {
			t.Fatalf("%d reveal records", n)
		}
		for _, role := range []keyward.Role{keyward.RoleManager, keyward.RoleAdvisor} {
			var out map[string]any
			if st := app.call(role, "POST", base+"/reveal", map[string]any{}, &out); st != 403 || out["items"] != nil {
				t.Fatalf("%s reveal: %d %v", role, st, out)
			}
		}
		if n := auditActionCount(t, app, "denied.bitting.reveal"); n != 2 {
			t.Fatalf("%d denial records, want 2", n)
		}
		if st := app.call(keyward.RoleManager, "GET", base+"/cylinders/"+doors["Office 1"]+"/pinning.pdf", nil, nil); st != 403 {
			t.Fatalf("manager pinning chart: %d", st)
		}

		// The custody flow: the AA2 copy is reported lost; the key system shows it
		// until a rekey plan answers it. AA2 also opens the lobby (incidental).
		if st := app.call(keyward.RoleAdvisor, "POST", "/api/v1/keys/"+copyAA2.ID+"/lost", map[string]any{"note": "dropped"}, nil); st != 200 {
			t.Fatalf("report copy lost: %d", st)
		}
		var withReports keyward.KeySystem
		app.call(keyward.RoleOwner, "GET", base, nil, &withReports)
		if len(withReports.LostReports) != 1 || withReports.LostReports[0].Stamp != "AA2-1" || withReports.LostReports[0].PlanID != "" {
			t.Fatalf("lost reports = %+v", withReports.LostReports)
		}
		var plan keyward.RekeyPlan
		if st := app.call(keyward.RoleTechnician, "POST", base+"/lost", map[string]any{"symbol": "AA2", "key_id": copyAA2.ID}, &plan); st != 201 ||
			!slices.Equal(plan.Intended, []string{doors["Office 2"]}) || !slices.Equal(plan.Incidental, []string{doors["Lobby"]}) {
			t.Fatalf("lost AA2: %d %+v", st, plan)
		}
		for _, it := range plan.Items {
			if st := app.call(keyward.RoleTechnician, "POST", base+"/plans/"+plan.ID+"/items/"+it.ID+"/done", apiDone(it), &plan); st != 200 {
				t.Fatalf("item %d: %d", it.Seq, st)
			}
		}
		app.call(keyward.RoleOwner, "GET", base, nil, &withReports)
		if withReports.LostReports[0].PlanID != plan.ID || plan.Status != "done" || len(plan.LostOperates) != 0 {
			t.Fatalf("AA2 plan %+v, reports %+v", plan, withReports.LostReports)
		}

		// Lose master AA: the plan covers every door under it.
		var under []string
		app.call(keyward.RoleOwner, "GET", base, nil, &sys)
		for _, c := range sys.Cylinders {
			if slices.Contains(c.KeyList, "AA") {
				under = append(under, c.OpeningID)
			}
		}
		if st := app.call(keyward.RoleTechnician, "POST", base+"/lost", map[string]any{"symbol": "AA"}, &plan); st != 201 {
			t.Fatalf("lost AA: %d %+v", st, plan)
		}
		opens := append(slices.Clone(plan.Intended), plan.Incidental...)
		slices.Sort(opens)
		slices.Sort(under)
		if !slices.Equal(opens, under) || len(under) < 2 {
			t.Fatalf("lost AA opens %v, doors under AA %v", opens, under)
		}
		if st := app.call(keyward.RoleTechnician, "POST", base+"/lost", map[string]any{"symbol": "AA"}, nil); st != 409 {
			t.Fatalf("second report: %d", st)
		}
		for _, it := range plan.Items {
			if st := app.call(keyward.RoleTechnician, "POST", base+"/plans/"+plan.ID+"/items/"+it.ID+"/done", apiDone(it), &plan); st != 200 {
				t.Fatalf("item %d: %d", it.Seq, st)
			}
		}
		if plan.Status != "done" || len(plan.LostOperates) != 0 {
			t.Fatalf("plan after the work: %+v", plan)
		}
		if app.call(keyward.RoleOwner, "GET", base+"/plans/"+plan.ID, nil, &plan); plan.Status != "done" || plan.ClosedAt == nil {
			t.Fatalf("plan = %+v", plan)
		}
		closed, err := app.db.Audit(ctx, keyward.SystemActor("test"), keyward.AuditFilter{Action: "keysystem.plan_closed"})
		if err != nil || len(closed.Items) != 2 || !strings.Contains(closed.Items[0].Details, `"lost_operates_nothing":true`) ||
			!strings.Contains(closed.Items[0].Details, `"lost_symbol":"AA"`) {
			t.Fatalf("plan_closed record: %v %+v", err, closed)
		}
		app.call(keyward.RoleOwner, "GET", base, nil, &sys)
		for _, c := range sys.Cylinders {
			if slices.Contains(c.KeyList, "AA") {
				t.Fatalf("%s still keyed with AA: %v", c.OpeningName, c.KeyList)
			}
		}
		if n := app.env.SQL().MustCount(t, `SELECT COUNT(*) FROM audit_log WHERE details LIKE '%155555%' OR details LIKE '%555555%'`); n != 0 {
			t.Fatalf("a bitting is in %d audit records", n)
		}
	})
}

// apiDone is the body that marks a plan item done: confirmed, and for a
// replaced cylinder the key that operates the new one.
func apiDone(it keyward.PlanItem) map[string]any {
	body := map[string]any{"confirm": true}
	if keyward.DoneRecords(it.Kind).NewKeys {
		body["new_keys"] = []string{"NEW" + strconv.Itoa(it.Seq)}
	}
	return body
}

// pdfText renders a PDF with pdftoppm (it must be a valid, drawable page)
// and returns its text from pdftotext.
func pdfText(t *testing.T, pdf []byte) string {
	t.Helper()
	for _, tool := range []string{"pdftoppm", "pdftotext"} {
		if _, err := exec.LookPath(tool); err != nil {
			if os.Getenv("CI") != "" {
				t.Fatalf("%s is missing: CI installs poppler-utils", tool)
			}
			t.Skipf("%s is missing (apt-get install poppler-utils)", tool)
		}
	}
	dir := t.TempDir()
	in := filepath.Join(dir, "doc.pdf")
	if err := os.WriteFile(in, pdf, 0o600); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command("pdftoppm", "-png", "-r", "50", "-f", "1", "-l", "1", in, filepath.Join(dir, "page")).CombinedOutput(); err != nil {
		t.Fatalf("pdftoppm: %v %s", err, out)
	}
	if pngs, _ := filepath.Glob(filepath.Join(dir, "page*.png")); len(pngs) != 1 {
		t.Fatalf("pdftoppm rendered %d pages", len(pngs))
	}
	out, err := exec.Command("pdftotext", "-layout", in, "-").CombinedOutput()
	if err != nil {
		t.Fatalf("pdftotext: %v %s", err, out)
	}
	return string(out)
}

func TestKeySystemPDFs(t *testing.T) {
	app := newTestApp(t, storetest.SQLite)
	doors := ksDoors(t, app, "Office 1", "Boiler room")
	var sys ksSystem
	if st := app.call(keyward.RoleOwner, "POST", "/api/v1/keysystems", ksInput, &sys); st != 201 {
		t.Fatalf("create: %d", st)
	}
	base := "/api/v1/keysystems/" + sys.ID
	app.call(keyward.RoleOwner, "POST", base+"/assignments", map[string]any{"opening_id": doors["Office 1"], "symbol": "AA1"}, nil)
	app.call(keyward.RoleOwner, "POST", base+"/assignments", map[string]any{"opening_id": doors["Boiler room"], "symbol": "AB1"}, nil)

	st, ct, b := app.raw(keyward.RoleAuditor, base+"/schedule.pdf")
	if st != 200 || ct != "application/pdf" {
		t.Fatalf("schedule.pdf: %d %s %s", st, ct, b)
	}
	text := pdfText(t, b)
	for _, want := range []string{"Keying schedule: HQ system", "Office 1", "Boiler room", "AA1", "AB1 AB A"} {
		if !strings.Contains(text, want) {
			t.Errorf("schedule text lacks %q:\n%s", want, text)
		}
	}
	if strings.Contains(text, "555555") || strings.Contains(text, "111555") {
		t.Errorf("the schedule shows a bitting:\n%s", text)
	}

	before := auditActionCount(t, app, "bitting.reveal")
	if st, _, _ := app.raw(keyward.RoleTechnician, base+"/cylinders/"+doors["Office 1"]+"/pinning.pdf"); st != 400 {
		t.Fatalf("pinning.pdf without a reason: %d, want 400", st)
	}
	if n := auditActionCount(t, app, "bitting.reveal"); n != before {
		t.Fatalf("a refused pinning chart was recorded: %d → %d", before, n)
	}
	st, ct, b = app.raw(keyward.RoleTechnician, base+"/cylinders/"+doors["Office 1"]+"/pinning.pdf?reason=rekey")
	if st != 200 || ct != "application/pdf" {
		t.Fatalf("pinning.pdf: %d %s %s", st, ct, b)
	}
	if n := auditActionCount(t, app, "bitting.reveal"); n != before+1 {
		t.Fatalf("pinning chart print not recorded: %d → %d", before, n)
	}
	if n := app.count(`SELECT COUNT(*) FROM audit_log WHERE action = 'bitting.reveal' AND details LIKE '%"printed":true%' AND details LIKE '%"reason":"rekey"%'`); n != 1 {
		t.Fatalf("the print's record does not say it was printed, for what reason: %d", n)
	}
	text = pdfText(t, b)
	// AA1 111555, AA 155555, A 555555: chambers 1-3 shear 1 and 5, bottom pin 1, master pin 4.
	for _, want := range []string{"Pinning chart: Office 1", "111555", "155555", "555555", "Chamber", "1, 5", "CONFIDENTIAL"} {
		if !strings.Contains(text, want) {
			t.Errorf("pinning chart text lacks %q:\n%s", want, text)
		}
	}
}

// TestKeySystemPages drives the HTML pages with a session: the tree is
// masked until the POST reveal, which is recorded; the cylinder page shows the
// chart only after its reveal form.
func TestKeySystemPages(t *testing.T) {
	app := newTestApp(t, storetest.SQLite)
	doors := ksDoors(t, app, "Office 1")
	var sys ksSystem
	app.call(keyward.RoleOwner, "POST", "/api/v1/keysystems", ksInput, &sys)
	app.call(keyward.RoleOwner, "POST", "/api/v1/keysystems/"+sys.ID+"/assignments", map[string]any{"opening_id": doors["Office 1"], "symbol": "AA1"}, nil)

	tech := app.pageSession(keyward.RoleTechnician)
	path := "/keysystems/" + sys.ID
	st, body := tech.do("GET", path, nil)
	if st != 200 || !strings.Contains(body, "<details") || !strings.Contains(body, "AA1") || !strings.Contains(body, "Office 1") || strings.Contains(body, "555555") {
		t.Fatalf("tree page: %d\n%s", st, body)
	}
	// A refused create names the form's fields, not the API's levels[i].
	owner := app.pageSession(keyward.RoleOwner)
	st, body = owner.do("POST", "/keysystems", url.Values{"csrf": {owner.CSRF}, "name": {"Annex"}, "manufacturer": {"schlage_sc4"}, "tmk": {"555555"},
		"shape": {"3"}, "master_seq": {"1"}, "change_seq": {"1, 2"}})
	if st != http.StatusBadRequest || !strings.Contains(body, "change_seq: ") || strings.Contains(body, "levels[") {
		t.Fatalf("refused key system form: %d\n%s", st, body)
	}
	st, body = tech.do("POST", path+"/reveal", url.Values{"csrf": {tech.CSRF}, "reason": {"cut keys"}})
	if st != 200 || !strings.Contains(body, "<code>555555</code>") || !strings.Contains(body, "<code>111555</code>") {
		t.Fatalf("revealed tree: %d\n%s", st, body)
	}
	st, body = tech.do("GET", path+"/cylinders/"+doors["Office 1"], nil)
	if st != 200 || strings.Contains(body, "111555") || !strings.Contains(body, "reveal-chart") {
		t.Fatalf("cylinder page: %d\n%s", st, body)
	}
	st, body = tech.do("POST", path+"/cylinders/"+doors["Office 1"]+"/reveal", url.Values{"csrf": {tech.CSRF}, "reason": {"repin the door"}})
	if st != 200 || !strings.Contains(body, `id="chambers"`) || !strings.Contains(body, "111555") {
		t.Fatalf("cylinder chart: %d\n%s", st, body)
	}
	if n := auditActionCount(t, app, "bitting.reveal"); n != 2 {
		t.Fatalf("%d reveal records, want 2", n)
	}
	// The printable chart is a POST with a reason too: a link follower or
	// prefetch cannot reveal bittings.
	if st, _ = tech.do("GET", path+"/cylinders/"+doors["Office 1"]+"/pinning.pdf", nil); st != http.StatusMethodNotAllowed {
		t.Fatalf("GET of the pinning chart page route: %d, want 405", st)
	}
	if st, body = tech.do("POST", path+"/cylinders/"+doors["Office 1"]+"/pinning.pdf", url.Values{"csrf": {tech.CSRF}, "reason": {"print for the locksmith"}}); st != 200 || !strings.HasPrefix(body, "%PDF-") {
		t.Fatalf("pinning chart PDF from the page: %d", st)
	}
	if n := auditActionCount(t, app, "bitting.reveal"); n != 3 {
		t.Fatalf("%d reveal records, want 3", n)
	}
	mgr := app.pageSession(keyward.RoleManager)
	if st, body = mgr.do("POST", path+"/reveal", url.Values{"csrf": {mgr.CSRF}}); st != 403 || strings.Contains(body, "555555") {
		t.Fatalf("manager reveal page: %d", st)
	}
	if st, body = mgr.do("GET", path, nil); st != 200 || strings.Contains(body, `id="reveal"`) {
		t.Fatalf("manager sees the reveal form: %d", st)
	}
	// A lost key through the page, then its plan page.
	st, _ = mgr.do("POST", path+"/lost", url.Values{"csrf": {mgr.CSRF}, "symbol": {"AA1"}})
	if st != http.StatusSeeOther {
		t.Fatalf("report lost: %d", st)
	}
	var ks ksSystem
	var full keyward.KeySystem
	app.call(keyward.RoleOwner, "GET", "/api/v1/keysystems/"+sys.ID, nil, &full)
	_ = ks
	if len(full.Plans) != 1 {
		t.Fatalf("plans = %+v", full.Plans)
	}
	st, body = mgr.do("GET", path+"/plans/"+full.Plans[0].ID, nil)
	if st != 200 || !strings.Contains(body, "Office 1") || !strings.Contains(body, "Mark done") {
		t.Fatalf("plan page: %d\n%s", st, body)
	}
}
