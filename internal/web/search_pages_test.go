package web_test

import (
	"fmt"
	"net/url"
	"strings"
	"testing"

	"github.com/keyward/keyward/internal/keyward"
	"github.com/keyward/keyward/internal/store/storetest"
)

// TestUISearchPage: the header's search box on every page, and /search
// grouping keys (by stamp as written on the key), holders (email shown to
// tell namesakes apart), doors, storage places and hooks; "nothing matches"
// in plain words; and only what matches.
func TestUISearchPage(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		app := newTestApp(t, b)
		owner := keyward.RoleOwner
		kwID, _, _ := app.stock() // AA1-1, Dana Ruiz
		keys := map[string]string{}
		for _, sym := range []string{"AA2", "AA2", "AA21", "BB7"} {
			var k map[string]any
			if st := app.call(owner, "POST", "/api/v1/keys", map[string]any{"keyway_id": kwID, "symbol": sym}, &k); st != 201 {
				t.Fatalf("key %s: %d", sym, st)
			}
			keys[k["stamp"].(string)] = k["id"].(string)
		}
		for _, h := range []map[string]any{{"name": "Jane Tenant", "email": "jane.a@acme.test", "phone": "555-0101"}, {"name": "Jane Tenant", "email": "jane.b@acme.test"}} {
			if st := app.call(owner, "POST", "/api/v1/holders", h, nil); st != 201 {
				t.Fatalf("holder: %d", st)
			}
		}
		doors := ksDoors(t, app, "Boiler room", "Office 2")
		var cab, env map[string]any
		app.call(owner, "POST", "/api/v1/storage", map[string]any{"kind": "cabinet", "name": "Cabinet A", "hooks": 20, "location": "Back office"}, &cab)
		app.call(owner, "POST", "/api/v1/storage", map[string]any{"kind": "envelope", "name": "Spare set", "seal_number": "4471"}, &env)
		if st := app.call(owner, "POST", "/api/v1/storage/"+cab["id"].(string)+"/keys", map[string]any{"key_id": keys["AA2-1"], "hook": 12}, nil); st != 200 {
			t.Fatalf("hook: %d", st)
		}
		p := app.pageSession(owner)

		// The box is in the header of every page.
		for _, path := range []string{"/", "/keys", "/holders", "/keys/" + keys["BB7-1"]} {
			st, body := p.do("GET", path, nil)
			if f := uiParse(t, body).byID("header-search"); st != 200 || f == nil || f.attr["action"] != "/search" || f.attr["method"] != "get" {
				t.Errorf("%s: %d, header search %v", path, st, f)
			}
		}
		search := func(q string) *uiNode {
			t.Helper()
			st, body := p.do("GET", "/search?q="+url.QueryEscape(q), nil)
			if st != 200 {
				t.Fatalf("search %q: %d %s", q, st, body)
			}
			return uiParse(t, body)
		}
		stamps := func(doc *uiNode) string {
			var out []string
			if sec := doc.byID("search-keys"); sec != nil {
				for _, a := range sec.all(uiClass("a", "stamp")) {
					out = append(out, a.Text())
				}
			}
			return strings.Join(out, " ")
		}
		for q, want := range map[string]string{"AA-2": "AA2-1 AA2-2", "aa2": "AA2-1 AA2-2", "AA2-1": "AA2-1 AA21-1", "bb 7": "BB7-1", "AA2-3": ""} {
			if got := stamps(search(q)); got != want {
				t.Errorf("search %q: keys %q, want %q", q, got, want)
			}
		}
		doc := search("AA-2")
		if sec := doc.byID("search-keys"); !strings.Contains(sec.Text(), "In Cabinet A, hook 12") {
			t.Errorf("AA-2 results do not say where AA2-1 is: %q", sec.Text())
		}
		for _, id := range []string{"search-holders", "search-openings", "search-places", "search-none"} {
			if doc.byID(id) != nil {
				t.Errorf("AA-2 shows #%s", id)
			}
		}
		if in := doc.byID("header-search").find(uiAttr("name", "q")); in == nil || in.attr["value"] != "AA-2" {
			t.Errorf("header box does not keep the query: %v", in)
		}
		// Namesakes, told apart by email; by phone too.
		doc = search("jane")
		if sec := doc.byID("search-holders"); sec == nil || len(sec.all(uiTag("li"))) != 2 || !strings.Contains(sec.Text(), "jane.a@acme.test") || !strings.Contains(sec.Text(), "jane.b@acme.test") {
			t.Errorf("namesakes: %v", sec)
		}
		if sec := search("555-0101").byID("search-holders"); sec == nil || !strings.Contains(sec.Text(), "jane.a@acme.test") || strings.Contains(sec.Text(), "jane.b") {
			t.Errorf("by phone: %v", sec)
		}
		// Doors with their site; storage places by name, location and seal; hooks.
		if sec := search("boiler").byID("search-openings"); sec == nil || sec.find(uiAttr("href", "/openings/"+doors["Boiler room"])) == nil || !strings.Contains(sec.Text(), "HQ") {
			t.Errorf("door: %v", sec)
		}
		if sec := search("back office").byID("search-places"); sec == nil || !strings.Contains(sec.Text(), "Cabinet A") {
			t.Errorf("place by location: %v", sec)
		}
		if sec := search("#4471").byID("search-places"); sec == nil || !strings.Contains(sec.Text(), "Spare set") {
			t.Errorf("envelope by seal: %v", sec)
		}
		for _, q := range []string{"Cabinet A 12", "cabinet a, hook 12"} {
			sec := search(q).byID("search-places")
			if sec == nil || sec.find(uiAttr("href", "/keys/"+keys["AA2-1"])) == nil || !strings.Contains(sec.Text(), "hook 12") {
				t.Errorf("hook %q: %v", q, sec)
			}
		}
		if sec := search("Cabinet A 13").byID("search-places"); sec != nil && strings.Contains(sec.Text(), "hook") {
			t.Errorf("an empty hook is shown: %q", sec.Text())
		}
		doc = search("zebra")
		if n := doc.byID("search-none"); n == nil || !strings.Contains(n.Text(), "Nothing matches") {
			t.Errorf("no matches: %v", n)
		}
		// The API answers the same groups.
		var res keyward.SearchResult
		if st := app.call(keyward.RoleManager, "GET", "/api/v1/search?q="+url.QueryEscape("Cabinet A 12"), nil, &res); st != 200 || len(res.Hooks) != 1 || res.Hooks[0].Stamp != "AA2-1" || len(res.Places) != 0 {
			t.Errorf("API hooks: %d %+v", st, res)
		}
	})
}

// TestUIHolderPicker: check-out to holder #9,999 of 10,000, found by typing
// part of her name (no JavaScript: search, then pick, emails shown).
func TestUIHolderPicker(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		app := newTestApp(t, b)
		_, _, keyID := app.stock()
		tenThousandHolders(t, app.env.SQL(), "acme.test")
		p := app.pageSession(keyward.RoleManager)
		st, body := p.do("GET", "/keys/"+keyID, nil)
		doc := uiParse(t, body)
		if st != 200 || doc.byID("find-holder") == nil || doc.byID("holder-find-first") == nil {
			t.Fatalf("key page with 10,000 holders: %d, no find step", st)
		}
		if sel := doc.byID("checkout").find(uiTag("select")); sel != nil {
			t.Fatalf("a capped dropdown of %d options", len(sel.all(uiTag("option"))))
		}
		st, body = p.do("GET", "/keys/"+keyID+"?holder_q=natara", nil)
		doc = uiParse(t, body)
		picks := doc.byID("holder-picks")
		if st != 200 || picks == nil {
			t.Fatalf("search step: %d %s", st, body)
		}
		radios := picks.all(uiAttr("type", "radio"))
		if len(radios) != 1 || radios[0].attr["value"] != "hld_bulk09999" || !strings.Contains(picks.Text(), "tenant09999@acme.test") {
			t.Fatalf("matches for natara: %q", picks.Text())
		}
		form := url.Values{"csrf": {p.CSRF}, "holder_id": {radios[0].attr["value"]}, "due_at": {app.env.Clock.Now().Add(4 * 3600e9).Format("2006-01-02T15:04")}, "holder_q": {"natara"}}
		if st, body := p.do("POST", "/keys/"+keyID+"/checkout", form); st != 303 {
			t.Fatalf("checkout: %d %s", st, body)
		}
		var k keyward.Key
		if app.call(keyward.RoleOwner, "GET", "/api/v1/keys/"+keyID, nil, &k); k.Status != keyward.StatusCheckedOut || k.HolderID != "hld_bulk09999" {
			t.Fatalf("key after check-out: %+v", k)
		}
		// A checked-out key offers the same step for a transfer.
		if _, body := p.do("GET", "/keys/"+keyID+"?holder_q=tenant%2009998", nil); !strings.Contains(uiParse(t, body).byID("transfer").Text(), "tenant09998@acme.test") {
			t.Errorf("transfer does not offer the match: %s", body)
		}
	})
}

// tenThousandHolders inserts holders hld_bulk00001 … hld_bulk10000 named
// "Tenant NNNNN" with emails tenantNNNNN@domain, except #9,999, who is Priya
// Natarajan: enough to show that a holder choice never lists them all.
func tenThousandHolders(t *testing.T, db *storetest.SQL, domain string) {
	t.Helper()
	const n = 10000
	for start := 0; start < n; start += 1000 {
		var rows []string
		for i := start; i < start+1000; i++ {
			name := fmt.Sprintf("Tenant %05d", i+1)
			if i+1 == 9999 {
				name = "Priya Natarajan"
			}
			rows = append(rows, fmt.Sprintf("('hld_bulk%05d', '%s', 'tenant%05d@%s', '', 'tenant', '2026-03-01T00:00:00.000000000Z')", i+1, name, i+1, domain))
		}
		if err := db.Exec(`INSERT INTO holders (id, name, email, phone, kind, created_at) VALUES ` + strings.Join(rows, ", ")); err != nil {
			t.Fatal(err)
		}
	}
}
