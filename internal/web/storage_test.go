package web_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/keyward/keyward/internal/keyward"
	"github.com/keyward/keyward/internal/store/storetest"
	"github.com/keyward/keyward/internal/web"
)

func (a *testApp) count(q string) int64 {
	a.t.Helper()
	n, err := a.env.SQL().Count(q)
	if err != nil {
		a.t.Fatal(err)
	}
	return n
}

func hasField(p problem, field string) bool {
	for _, f := range p.Errors {
		if f.Field == field && f.Rule != "" {
			return true
		}
	}
	return false
}

func TestStorageAPI(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		app := newTestApp(t, b)
		_, holderID, keyID := app.stock()
		owner := keyward.RoleOwner
		var cab, box, env map[string]any
		var p problem

		// Validation names the field and the rule.
		if st := app.call(owner, "POST", "/api/v1/storage", map[string]any{"kind": "cabinet", "name": "Cabinet A"}, &p); st != 400 || !hasField(p, "hooks") {
			t.Fatalf("cabinet without hooks: %d %+v", st, p)
		}
		if st := app.call(owner, "POST", "/api/v1/storage", map[string]any{"kind": "cabinet", "name": "A", "hooks": 2, "colour": "red"}, &p); st != 400 || !hasField(p, "colour") {
			t.Fatalf("unknown field: %d %+v", st, p)
		}
		if st := app.call(keyward.RoleAdvisor, "POST", "/api/v1/storage", map[string]any{"kind": "cabinet", "name": "A", "hooks": 2}, &p); st != 403 {
			t.Fatalf("advisor creates storage: %d", st)
		}
		if st := app.call(owner, "POST", "/api/v1/storage", map[string]any{"kind": "cabinet", "name": "Cabinet A", "hooks": 12}, &cab); st != 201 {
			t.Fatalf("create cabinet: %d %v", st, cab)
		}
		cabID := cab["id"].(string)
		var home map[string]any
		if st := app.call(owner, "POST", "/api/v1/storage/"+cabID+"/keys", map[string]any{"key_id": keyID, "hook": 4}, &home); st != 200 || home["hook"] != float64(4) {
			t.Fatalf("assign: %d %v", st, home)
		}
		var k2 map[string]any
		app.call(owner, "POST", "/api/v1/keys", map[string]any{"keyway_id": cab["id"], "symbol": "AA2"}, &p) // bad keyway: 400
		var kws struct{ Items []keyward.Keyway }
		app.call(owner, "GET", "/api/v1/keyways", nil, &kws)
		if st := app.call(owner, "POST", "/api/v1/keys", map[string]any{"keyway_id": kws.Items[0].ID, "symbol": "AA2"}, &k2); st != 201 {
			t.Fatalf("second key: %d", st)
		}
		// An occupied hook is a 409 naming the hook and the key on it; nothing is written.
		before := app.auditCount()
		if st := app.call(owner, "POST", "/api/v1/storage/"+cabID+"/keys", map[string]any{"key_id": k2["id"], "hook": 4}, &p); st != 409 ||
			!strings.Contains(p.Detail, "hook 4") || !strings.Contains(p.Detail, "AA1-1") {
			t.Fatalf("occupied hook: %d %+v", st, p)
		}
		if app.auditCount() != before {
			t.Fatal("a refused assignment wrote to the audit log")
		}
		if st := app.call(owner, "GET", "/api/v1/keys/"+k2["id"].(string)+"/home", nil, &p); st != 404 {
			t.Fatalf("home of the refused key: %d", st)
		}
		if st := app.call(owner, "POST", "/api/v1/storage/"+cabID+"/keys", map[string]any{"key_id": k2["id"], "hook": 13}, &p); st != 400 || !hasField(p, "hook") {
			t.Fatalf("hook out of range: %d %+v", st, p)
		}
		if st := app.call(owner, "GET", "/api/v1/keys/"+keyID+"/home", nil, &home); st != 200 || home["storage_name"] != "Cabinet A" {
			t.Fatalf("home: %d %v", st, home)
		}
		var place keyward.StoragePlace
		if st := app.call(keyward.RoleAuditor, "GET", "/api/v1/storage/"+cabID, nil, &place); st != 200 || len(place.Keys) != 1 || place.Keys[0].Hook != 4 {
			t.Fatalf("place: %d %+v", st, place)
		}

		// Lockbox: the code is sealed, revealed only on an audited POST.
		if st := app.call(owner, "POST", "/api/v1/storage", map[string]any{"kind": "lockbox", "name": "Gate box", "code": "73915"}, &box); st != 201 {
			t.Fatalf("create lockbox: %d %v", st, box)
		}
		boxID := box["id"].(string)
		if _, ok := box["code"]; ok {
			t.Fatalf("the create answer shows the code: %v", box)
		}
		if n := app.count(`SELECT COUNT(*) FROM storage_places WHERE code_sealed LIKE '%73915%' OR name LIKE '%73915%'`); n != 0 {
			t.Fatal("the lockbox code is plaintext in the database")
		}
		if n := app.count(`SELECT COUNT(*) FROM audit_log WHERE details LIKE '%73915%'`); n != 0 {
			t.Fatal("the lockbox code is in the audit log")
		}
		var got place2
		app.call(owner, "GET", "/api/v1/storage/"+boxID, nil, &got)
		if got.Code != "" || !got.HasCode {
			t.Fatalf("GET shows the code or hides that there is one: %+v", got)
		}
		denied := app.count(`SELECT COUNT(*) FROM audit_log WHERE action LIKE 'denied.%' AND actor = 'advisor@acme.test'`)
		if st := app.call(keyward.RoleAdvisor, "POST", "/api/v1/storage/"+boxID+"/reveal", map[string]any{}, &p); st != 403 || strings.Contains(p.Detail, "73915") {
			t.Fatalf("advisor reveal: %d %+v", st, p)
		}
		if n := app.count(`SELECT COUNT(*) FROM audit_log WHERE action LIKE 'denied.%' AND actor = 'advisor@acme.test'`); n != denied+1 {
			t.Fatal("the advisor's refused reveal was not recorded")
		}
		var rev map[string]string
		if st := app.call(keyward.RoleTechnician, "POST", "/api/v1/storage/"+boxID+"/reveal", map[string]any{"reason": "let the plumber in"}, &rev); st != 200 || rev["code"] != "73915" {
			t.Fatalf("technician reveal: %d %v", st, rev)
		}
		if n := app.count(`SELECT COUNT(*) FROM audit_log WHERE action = 'storage.code.reveal' AND actor = 'technician@acme.test' AND subject_id = '` + boxID + `' AND details LIKE '%plumber%'`); n != 1 {
			t.Fatal("the reveal is not audited")
		}
		// A reveal is never replayed from the idempotency table.
		req, _ := http.NewRequest("POST", app.http.URL+"/api/v1/storage/"+boxID+"/reveal", strings.NewReader("{}"))
		req.Header.Set("Authorization", "Bearer "+app.tokens[owner])
		req.Header.Set("Idempotency-Key", "r1")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body := readAll(resp)
		resp.Body.Close()
		if resp.StatusCode != 400 || strings.Contains(body, "73915") {
			t.Fatalf("reveal with Idempotency-Key: %d %s", resp.StatusCode, body)
		}
		if n := app.count(`SELECT COUNT(*) FROM idempotency WHERE body LIKE '%73915%'`); n != 0 {
			t.Fatal("the code reached the idempotency table")
		}
		if st := app.call(owner, "GET", "/api/v1/storage/"+boxID+"/events?cursor=nope", nil, &p); st != 400 || !hasField(p, "cursor") {
			t.Fatalf("storage events with a bad cursor: %d %+v", st, p)
		}
		var onePage struct {
			Items []keyward.StorageEvent `json:"items"`
			Next  string                 `json:"next"`
		}
		if st := app.call(owner, "GET", "/api/v1/storage/"+boxID+"/events?limit=1", nil, &onePage); st != 200 || len(onePage.Items) != 1 || onePage.Next == "" {
			t.Fatalf("storage events, one a page: %d %+v", st, onePage)
		}
		if st := app.call(owner, "POST", "/api/v1/storage/"+boxID+"/reveal", map[string]any{}, &p); st != 400 || !hasField(p, "reason") {
			t.Fatalf("reveal without a reason: %d %+v", st, p)
		}
		if st := app.call(owner, "POST", "/api/v1/storage/"+cabID+"/reveal", map[string]any{"reason": "check"}, &p); st != 409 {
			t.Fatalf("reveal a cabinet: %d", st)
		}

		// Envelope: breaking the seal needs a reason and a new seal number.
		if st := app.call(owner, "POST", "/api/v1/storage", map[string]any{"kind": "envelope", "name": "Spare master", "seal_number": "S-100"}, &env); st != 201 {
			t.Fatalf("create envelope: %d %v", st, env)
		}
		envID := env["id"].(string)
		if st := app.call(owner, "POST", "/api/v1/storage/"+envID+"/break-seal", map[string]any{}, &p); st != 400 || !hasField(p, "reason") || !hasField(p, "new_seal_number") {
			t.Fatalf("break seal without reason: %d %+v", st, p)
		}
		if st := app.call(keyward.RoleTechnician, "POST", "/api/v1/storage/"+envID+"/break-seal", map[string]any{"reason": "lockout", "new_seal_number": "S-101"}, &env); st != 200 || env["seal_number"] != "S-101" {
			t.Fatalf("break seal: %d %v", st, env)
		}
		var evs struct{ Items []keyward.StorageEvent }
		if st := app.call(owner, "GET", "/api/v1/storage/"+envID+"/events", nil, &evs); st != 200 || len(evs.Items) != 2 || evs.Items[1].Action != "seal.break" {
			t.Fatalf("envelope events: %d %+v", st, evs)
		}

		// Designated holder with the owner's acknowledgement date.
		var hp map[string]any
		if st := app.call(owner, "POST", "/api/v1/storage", map[string]any{"kind": "holder", "name": "Neighbour", "holder_id": "hld_nope"}, &p); st != 400 || !hasField(p, "holder_id") {
			t.Fatalf("unknown designated holder: %d %+v", st, p)
		}
		if st := app.call(owner, "POST", "/api/v1/storage", map[string]any{"kind": "holder", "name": "Neighbour", "holder_id": holderID, "acknowledged_at": "yesterday"}, &p); st != 400 || !hasField(p, "acknowledged_at") {
			t.Fatalf("bad acknowledgement date: %d %+v", st, p)
		}
		if st := app.call(owner, "POST", "/api/v1/storage", map[string]any{"kind": "holder", "name": "Neighbour", "holder_id": holderID, "acknowledged_at": "2026-02-01T00:00:00Z"}, &hp); st != 201 || hp["acknowledged_at"] != "2026-02-01T00:00:00Z" {
			t.Fatalf("designated holder: %d %v", st, hp)
		}
	})
}

// place2 reads a storage place including a code member, should one ever leak.
type place2 struct {
	keyward.StoragePlace
	Code string `json:"code"`
}

func TestScheduleCredentialsOffboardingAPI(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		app := newTestApp(t, b)
		_, holderID, keyID := app.stock()
		owner := keyward.RoleOwner
		var site, door map[string]any
		var p problem
		app.call(owner, "POST", "/api/v1/sites", map[string]any{"name": "Harbour"}, &site)
		app.call(owner, "POST", "/api/v1/openings", map[string]any{"site_id": site["id"], "name": "Front door", "kind": "door"}, &door)
		doorID := door["id"].(string)

		// The keying schedule, by hand.
		if st := app.call(owner, "POST", "/api/v1/openings/"+doorID+"/symbols", map[string]any{"symbol": "A A"}, &p); st != 400 || !hasField(p, "symbol") {
			t.Fatalf("bad symbol: %d %+v", st, p)
		}
		var syms map[string]any
		for _, s := range []string{"AA1", "GM"} {
			if st := app.call(owner, "POST", "/api/v1/openings/"+doorID+"/symbols", map[string]any{"symbol": s}, &syms); st != 201 {
				t.Fatalf("add %s: %d", s, st)
			}
		}
		if st := app.call(owner, "POST", "/api/v1/openings/"+doorID+"/symbols", map[string]any{"symbol": "GM"}, &p); st != 409 {
			t.Fatalf("duplicate symbol: %d", st)
		}
		if st := app.call(owner, "DELETE", "/api/v1/openings/"+doorID+"/symbols/GM", nil, nil); st != 204 {
			t.Fatalf("delete symbol: %d", st)
		}
		if st := app.call(owner, "DELETE", "/api/v1/openings/"+doorID+"/symbols/GM", nil, &p); st != 404 {
			t.Fatalf("delete again: %d", st)
		}
		due := app.env.Clock.Now().Add(2 * time.Hour).Format(time.RFC3339)
		if st := app.call(owner, "POST", "/api/v1/keys/"+keyID+"/checkout", map[string]any{"holder_id": holderID, "due_at": due}, nil); st != 200 {
			t.Fatalf("checkout: %d", st)
		}
		var acc keyward.OpeningAccess
		if st := app.call(keyward.RoleAuditor, "GET", "/api/v1/openings/"+doorID+"/access", nil, &acc); st != 200 || len(acc.Keys) != 1 ||
			acc.Keys[0].Where != "checked out to Dana Ruiz" || strings.Join(acc.Symbols, ",") != "AA1" {
			t.Fatalf("access: %d %+v", st, acc)
		}

		// Credentials.
		if st := app.call(owner, "POST", "/api/v1/credentials", map[string]any{"kind": "pin", "pin": "12ab", "holder_id": holderID, "opening_ids": []string{doorID}, "valid_until": "soon"}, &p); st != 400 || !hasField(p, "valid_until") {
			t.Fatalf("bad valid_until: %d %+v", st, p)
		}
		if st := app.call(owner, "POST", "/api/v1/credentials", map[string]any{"kind": "pin", "pin": "12ab", "holder_id": holderID, "opening_ids": []string{doorID}}, &p); st != 400 || !hasField(p, "pin") {
			t.Fatalf("bad pin: %d %+v", st, p)
		}
		var pin, fob keyward.Credential
		if st := app.call(owner, "POST", "/api/v1/credentials", map[string]any{"kind": "pin", "pin": "864213", "holder_id": holderID, "opening_ids": []string{doorID}}, &pin); st != 201 || !pin.HasPIN {
			t.Fatalf("pin: %d %+v", st, pin)
		}
		if n := app.count(`SELECT COUNT(*) FROM credentials WHERE pin_sealed LIKE '%864213%'`); n != 0 {
			t.Fatal("the PIN is plaintext in the database")
		}
		if st := app.call(keyward.RoleAdvisor, "POST", "/api/v1/credentials/"+pin.ID+"/reveal", map[string]any{}, &p); st != 403 {
			t.Fatalf("advisor reveals a PIN: %d", st)
		}
		var rev map[string]string
		if st := app.call(keyward.RoleTechnician, "POST", "/api/v1/credentials/"+pin.ID+"/reveal", map[string]any{"reason": "holder forgot it"}, &rev); st != 200 || rev["pin"] != "864213" {
			t.Fatalf("technician reveals a PIN: %d %v", st, rev)
		}
		if st := app.call(owner, "POST", "/api/v1/credentials", map[string]any{"kind": "fob", "number": "FOB-9", "holder_id": holderID, "opening_ids": []string{doorID}}, &fob); st != 201 {
			t.Fatalf("fob: %d", st)
		}
		var list struct{ Items []keyward.Credential }
		if st := app.call(owner, "GET", "/api/v1/credentials?holder_id="+holderID+"&active=true", nil, &list); st != 200 || len(list.Items) != 2 {
			t.Fatalf("list: %d %+v", st, list)
		}
		// Pages of one: the cursor leads to the second credential, then ends.
		var first, second struct {
			Items []keyward.Credential
			Next  string
		}
		if st := app.call(owner, "GET", "/api/v1/credentials?holder_id="+holderID+"&active=true&limit=1", nil, &first); st != 200 || len(first.Items) != 1 || first.Next == "" {
			t.Fatalf("first page: %d %+v", st, first)
		}
		if st := app.call(owner, "GET", "/api/v1/credentials?holder_id="+holderID+"&active=true&limit=1&cursor="+url.QueryEscape(first.Next), nil, &second); st != 200 ||
			len(second.Items) != 1 || second.Items[0].ID == first.Items[0].ID || second.Next != "" {
			t.Fatalf("second page: %d %+v", st, second)
		}

		// Offboarding: everything the holder has, one action per item, then clear.
		if st := app.call(keyward.RoleAdvisor, "POST", "/api/v1/holders/"+holderID+"/offboarding", map[string]any{}, &p); st != 403 {
			t.Fatalf("advisor starts offboarding: %d", st)
		}
		var o keyward.Offboarding
		if st := app.call(owner, "POST", "/api/v1/holders/"+holderID+"/offboarding", map[string]any{"note": "leaves Friday"}, &o); st != 201 || o.Outstanding != 3 {
			t.Fatalf("start: %d %+v", st, o)
		}
		if st := app.call(owner, "POST", "/api/v1/holders/"+holderID+"/offboarding", map[string]any{}, &p); st != 409 {
			t.Fatalf("start twice: %d", st)
		}
		var open struct{ Items []keyward.Offboarding }
		if app.call(owner, "GET", "/api/v1/offboardings", nil, &open); len(open.Items) != 1 {
			t.Fatalf("open offboardings: %+v", open)
		}
		if st := app.call(owner, "POST", "/api/v1/holders/"+holderID+"/offboarding/clear", map[string]any{}, &p); st != 409 || !strings.Contains(p.Detail, "AA1-1") {
			t.Fatalf("clear with items: %d %+v", st, p)
		}
		var k keyward.Key
		if st := app.call(keyward.RoleTechnician, "POST", "/api/v1/holders/"+holderID+"/offboarding/keys/"+keyID+"/collect", map[string]any{}, &k); st != 200 || k.Status != "in_storage" {
			t.Fatalf("collect: %d %+v", st, k)
		}
		if st := app.call(owner, "POST", "/api/v1/holders/"+holderID+"/offboarding/keys/"+keyID+"/collect", map[string]any{}, &p); st != 409 {
			t.Fatalf("collect twice: %d", st)
		}
		for _, c := range []string{pin.ID, fob.ID} {
			if st := app.call(owner, "POST", "/api/v1/holders/"+holderID+"/offboarding/credentials/"+c+"/revoke", map[string]any{}, nil); st != 200 {
				t.Fatalf("revoke %s: %d", c, st)
			}
		}
		if app.call(owner, "GET", "/api/v1/holders/"+holderID+"/offboarding", nil, &o); o.Outstanding != 0 {
			t.Fatalf("still outstanding: %+v", o)
		}
		if st := app.call(owner, "POST", "/api/v1/holders/"+holderID+"/offboarding/clear", map[string]any{}, &o); st != 200 || o.ClearedAt == nil {
			t.Fatalf("clear: %d %+v", st, o)
		}
		if st := app.call(owner, "GET", "/api/v1/holders/"+holderID+"/offboarding", nil, &p); st != 404 {
			t.Fatalf("after clear: %d", st)
		}

		// The keys-out series for the chart.
		var series struct{ Items []keyward.DayCount }
		if st := app.call(owner, "GET", "/api/v1/stats/keys-out?days=7", nil, &series); st != 200 || len(series.Items) != 7 {
			t.Fatalf("series: %d %+v", st, series)
		}
		if st := app.call(owner, "GET", "/api/v1/stats/keys-out?days=0", nil, &p); st != 400 || !hasField(p, "days") {
			t.Fatalf("days=0: %d", st)
		}
		if _, _, err := app.db.VerifyAudit(context.Background(), nil); err != nil {
			t.Fatal(err)
		}
	})
}

func TestKeyTagsPDF(t *testing.T) {
	if _, err := exec.LookPath("pdftotext"); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("pdftotext is required in CI (apt-get install poppler-utils)")
		}
		t.Skip("pdftotext not installed (apt-get install poppler-utils)")
	}
	app := newTestApp(t, storetest.SQLite)
	kwID, _, keyID := app.stock()
	var k2 keyward.Key
	app.call(keyward.RoleOwner, "POST", "/api/v1/keys", map[string]any{"keyway_id": kwID, "symbol": "AA1"}, &k2)
	req, _ := http.NewRequest("GET", app.http.URL+"/api/v1/key-tags?symbol=AA1", nil)
	req.Header.Set("Authorization", "Bearer "+app.tokens[keyward.RoleTechnician])
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body := readAll(resp)
	resp.Body.Close()
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "application/pdf" || !strings.HasPrefix(body, "%PDF-") {
		t.Fatalf("key tags: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	dir := t.TempDir()
	pdf := filepath.Join(dir, "tags.pdf")
	if err := os.WriteFile(pdf, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command("pdftotext", "-layout", pdf, "-").Output()
	if err != nil {
		t.Fatalf("pdftotext: %v", err)
	}
	text := string(out)
	for _, want := range []string{"AA1-1", "AA1-2", "Schlage SC1 (restricted)", "DO NOT DUPLICATE"} {
		if !strings.Contains(text, want) {
			t.Errorf("the tag sheet does not show %q:\n%s", want, text)
		}
	}
	if keyward.IDPattern.MatchString(text) {
		t.Errorf("the tag sheet shows an internal id:\n%s", text)
	}
	if strings.Contains(strings.ToLower(text), "bitting") {
		t.Errorf("the tag sheet mentions a bitting:\n%s", text)
	}
	// With a public URL configured, the tags link there, not to the address
	// the request used (which behind a proxy is an internal one).
	cfg := storeConfig(app.db, app.env.Vault, app.db.Accounts(app.env.Vault))
	cfg.Now, cfg.PublicURL = app.env.Clock.Now, "https://keys.example.org/harbour/"
	pub := web.NewServer(cfg)
	ps := httptest.NewServer(pub.Handler())
	defer ps.Close()
	req, _ = http.NewRequest("GET", ps.URL+"/api/v1/key-tags?ids="+keyID, nil)
	req.Header.Set("Authorization", "Bearer "+app.tokens[keyward.RoleTechnician])
	resp, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body = readAll(resp)
	resp.Body.Close()
	if want := "(https://keys.example.org/harbour/keys/" + keyID + ")"; resp.StatusCode != 200 || !strings.Contains(body, want) {
		t.Fatalf("key tags with a public URL: %d; the PDF does not link %s", resp.StatusCode, want)
	}
	if strings.Contains(body, ps.URL) || strings.Contains(body, strings.TrimPrefix(ps.URL, "http://")) {
		t.Fatal("the PDF links the request's address although a public URL is configured")
	}

	// Unknown ids are a 400 naming the field; an auditor may print, a holder may not.
	var p problem
	if st := app.call(keyward.RoleOwner, "GET", "/api/v1/key-tags?ids="+url.QueryEscape("key_nope"), nil, &p); st != 400 || !hasField(p, "ids") {
		t.Fatalf("unknown id: %d %+v", st, p)
	}
	if st := app.call(keyward.RoleHolder, "GET", "/api/v1/key-tags?symbol=AA1", nil, &p); st != 403 {
		t.Fatalf("holder prints tags: %d", st)
	}
}

func TestInventoryPages(t *testing.T) {
	s := uiStart(t)
	st := s.stock()
	c := s.signIn(uiOwnerEmail, uiOwnerPassword)
	ctx := context.Background()

	// A cabinet through the form; an occupied hook re-shows the form with the reason.
	depot, err := s.db.Directory().CreateSite(ctx, s.sys, keyward.SiteInput{Name: "Depot"})
	if err != nil {
		t.Fatal(err)
	}
	code, _, h := c.post("/storage", url.Values{"kind": {"cabinet"}, "name": {"Cabinet A"}, "hooks": {"6"}, "site_id": {depot.ID}})
	if code != http.StatusSeeOther || !strings.HasPrefix(h.Get("Location"), "/storage/sto_") {
		t.Fatalf("create cabinet: %d %s", code, h.Get("Location"))
	}
	cabPath, _, _ := strings.Cut(h.Get("Location"), "?")
	if code, _, _ := c.post(cabPath+"/keys", url.Values{"key_id": {st.key.ID}, "hook": {"2"}}); code != http.StatusSeeOther {
		t.Fatalf("place key: %d", code)
	}
	// The place and the storage list name its site.
	uiWantText(t, c.page(cabPath).byID("site"), "site of the cabinet", "Depot")
	if c.page("/storage").find(uiAttr("href", "/sites/"+depot.ID)) == nil {
		t.Error("the storage list does not link the cabinet's site")
	}
	k2, err := s.db.Custody().CreateKey(ctx, s.sys, keyward.KeyInput{KeywayID: st.keyway.ID, Symbol: "AA2"})
	if err != nil {
		t.Fatal(err)
	}
	code, body, _ := c.post(cabPath+"/keys", url.Values{"key_id": {k2.ID}, "hook": {"2"}})
	if code != http.StatusConflict || !strings.Contains(body, "hook 2 of Cabinet A is occupied by key AA1-1") {
		t.Fatalf("occupied hook page: %d\n%s", code, body)
	}
	doc := c.page(cabPath)
	if hooks := doc.find(uiClass("table", "hooks")); hooks == nil || !strings.Contains(hooks.Text(), "AA1-1") {
		t.Fatal("the cabinet page does not show the key on its hook")
	}
	// The place's logbook speaks in words and names the key and hook.
	if lb := c.page(cabPath).byID("storage-log"); lb == nil || !strings.Contains(lb.Text(), "Key placed") || !strings.Contains(lb.Text(), "key AA1-1 on hook 2") {
		t.Fatalf("storage logbook: %q", lb.Text())
	}
	// A destroyed key is not offered for a hook.
	k3, err := s.db.Custody().CreateKey(ctx, s.sys, keyward.KeyInput{KeywayID: st.keyway.ID, Symbol: "AA3"})
	if err != nil {
		t.Fatal(err)
	}
	if c.page(cabPath).find(uiAttr("value", k3.ID)) == nil {
		t.Fatal("the cabinet page does not offer a key in storage")
	}
	if _, err := s.db.Custody().Move(ctx, s.sys, k3.ID, keyward.CustodyDestroy, keyward.CustodyInput{}); err != nil {
		t.Fatal(err)
	}
	if c.page(cabPath).find(uiAttr("value", k3.ID)) != nil {
		t.Fatal("the cabinet page offers a destroyed key for a hook")
	}
	// The per-opening view.
	site, _ := s.db.Directory().CreateSite(ctx, s.sys, keyward.SiteInput{Name: "Harbour"})
	door, _ := s.db.Directory().CreateOpening(ctx, s.sys, keyward.OpeningInput{SiteID: site.ID, Name: "Front door", Kind: "door"})
	if code, _, _ := c.post("/openings/"+door.ID+"/symbols", url.Values{"symbol": {"aa1"}}); code != http.StatusSeeOther {
		t.Fatalf("add symbol: %d", code)
	}
	doc = c.page("/openings/" + door.ID)
	if who := doc.byID("who-can-open"); who == nil || !strings.Contains(who.Text(), "in storage: Cabinet A, hook 2") {
		t.Fatalf("opening view: %v", doc.byID("who-can-open"))
	}
	// Dashboard: the chart is an inline SVG, no script.
	_, dash, _ := c.get("/")
	if !strings.Contains(dash, "<svg") || !strings.Contains(dash, "Keys out, last 90 days") || strings.Contains(dash, "<script") {
		t.Fatalf("dashboard chart missing or scripted:\n%s", dash)
	}
	// Tags from the page route.
	code, pdf, h := c.get("/key-tags.pdf?symbol=AA1")
	if code != 200 || h.Get("Content-Type") != "application/pdf" || !strings.HasPrefix(pdf, "%PDF-") {
		t.Fatalf("tags page: %d %s", code, h.Get("Content-Type"))
	}
}

func TestOffboardingPages(t *testing.T) {
	s := uiStart(t)
	st := s.stock()
	c := s.signIn(uiOwnerEmail, uiOwnerPassword)
	ctx := context.Background()
	if _, err := s.db.Custody().Checkout(ctx, s.sys, st.key.ID, keyward.CheckoutInput{HolderID: st.holder.ID, DueAt: s.clock.Now().Add(time.Hour)}); err != nil {
		t.Fatal(err)
	}
	if code, _, h := c.post("/offboardings", url.Values{"holder_id": {st.holder.ID}}); code != http.StatusSeeOther ||
		!strings.HasPrefix(h.Get("Location"), "/holders/"+st.holder.ID+"/offboarding") {
		t.Fatalf("start: %d %s", code, h.Get("Location"))
	}
	_, dash, _ := c.get("/")
	if !strings.Contains(dash, "Outstanding offboardings") || !strings.Contains(dash, "Dana Ruiz") {
		t.Fatal("the dashboard does not list the open offboarding")
	}
	path := "/holders/" + st.holder.ID + "/offboarding"
	doc := c.page(path)
	if n := doc.byID("outstanding-count"); n == nil || n.Text() != "1" {
		t.Fatalf("outstanding count: %v", n)
	}
	if code, body, _ := c.post(path+"/clear", nil); code != http.StatusConflict || !strings.Contains(body, "AA1-1") {
		t.Fatalf("clear too early: %d", code)
	}
	if code, _, _ := c.post(path+"/keys/"+st.key.ID+"/collect", nil); code != http.StatusSeeOther {
		t.Fatalf("collect: %d", code)
	}
	if k := s.key(st.key.ID); k.Status != keyward.StatusInStorage {
		t.Fatalf("after collect: %+v", k)
	}
	if code, _, h := c.post(path+"/clear", nil); code != http.StatusSeeOther || !strings.HasPrefix(h.Get("Location"), "/offboardings") {
		t.Fatalf("clear: %d", code)
	}
	doc = c.page("/offboardings")
	if doc.byID("none-outstanding") == nil {
		t.Fatal("the outstanding list is not empty after clearing")
	}
}
