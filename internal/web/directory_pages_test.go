package web_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/keyward/keyward/internal/keyward"
	"github.com/keyward/keyward/internal/store/storetest"
)

// TestDirectoryEditRetirePages: a door and a holder are edited, retired after
// a confirmation step, hidden from their lists, shown again with "show
// retired", and restored, through the pages alone; a duplicate holder is
// merged by searching and picking.
func TestDirectoryEditRetirePages(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		app := newTestApp(t, b)
		const owner = keyward.RoleOwner
		var site, door, holder, dup map[string]any
		app.call(owner, "POST", "/api/v1/sites", map[string]any{"name": "Harbour Office"}, &site)
		app.call(owner, "POST", "/api/v1/openings", map[string]any{"site_id": site["id"], "name": "Room 101", "kind": "door"}, &door)
		app.call(owner, "POST", "/api/v1/holders", map[string]any{"name": "Jane Tenant", "email": "jane@acme.test"}, &holder)
		app.call(owner, "POST", "/api/v1/holders", map[string]any{"name": "Jane Tennant", "email": "jt@acme.test"}, &dup)
		ps := app.pageSession(owner)
		get := func(path string) *uiNode {
			t.Helper()
			st, body := ps.do("GET", path, nil)
			if st != 200 {
				t.Fatalf("GET %s: %d\n%s", path, st, body)
			}
			return uiParse(t, body)
		}
		post := func(path string, form url.Values, want int) string {
			t.Helper()
			if form == nil {
				form = url.Values{}
			}
			form.Set("csrf", ps.CSRF)
			st, body := ps.do("POST", path, form)
			if st != want {
				t.Fatalf("POST %s: %d, want %d\n%s", path, st, want, body)
			}
			return body
		}
		doorPath := "/openings/" + door["id"].(string)
		holderPath := "/holders/" + holder["id"].(string)

		// Every record page has its edit form and a way to retire.
		for _, p := range []string{doorPath, holderPath, "/sites/" + site["id"].(string)} {
			doc := get(p)
			f := uiWantForm(t, doc, p+"/edit", ps.CSRF, "name")
			if f.find(uiAttr("value", "Room 101")) == nil && f.find(uiAttr("value", "Jane Tenant")) == nil && f.find(uiAttr("value", "Harbour Office")) == nil {
				t.Errorf("%s: the edit form does not show the record's name", p)
			}
			if doc.find(uiAttr("href", p+"/retire")) == nil {
				t.Errorf("%s: no link to retire", p)
			}
		}
		if get(holderPath).find(uiAttr("href", holderPath+"/merge")) == nil {
			t.Error("holder page: no link to merge into another holder")
		}

		// Edit: a bad value is shown with its rule and changes nothing; a good one saves.
		body := post(doorPath+"/edit", url.Values{"name": {" "}, "kind": {"door"}, "site_id": {site["id"].(string)}}, http.StatusBadRequest)
		if doc := uiParse(t, body); doc.find(uiClass("span", "field-error")) == nil {
			t.Errorf("refused edit shows no field error:\n%s", body)
		}
		var now map[string]any
		app.call(owner, "GET", "/api/v1"+doorPath, nil, &now)
		if now["name"] != "Room 101" {
			t.Fatalf("refused edit changed the door: %v", now)
		}
		post(doorPath+"/edit", url.Values{"name": {"Room 101A"}, "kind": {"gate"}, "site_id": {site["id"].(string)}}, http.StatusSeeOther)
		app.call(owner, "GET", "/api/v1"+doorPath, nil, &now)
		if now["name"] != "Room 101A" || now["kind"] != "gate" {
			t.Fatalf("edit did not save: %v", now)
		}
		post(holderPath+"/edit", url.Values{"name": {"Jane Tenant"}, "email": {"jane@acme.test"}, "phone": {"555-0199"}, "kind": {"tenant"}, "signatory": {"1"}}, http.StatusSeeOther)
		var h keyward.Holder
		app.call(owner, "GET", "/api/v1"+holderPath, nil, &h)
		if h.Phone != "555-0199" || h.Kind != "tenant" || !h.Signatory || h.EmergencyContact {
			t.Fatalf("holder edit did not save: %+v", h)
		}

		// Retire asks first, then hides the door from its site's list.
		confirm := get(doorPath + "/retire")
		uiWantForm(t, confirm, doorPath+"/retire", ps.CSRF)
		uiWantText(t, confirm.find(uiTag("h1")), "confirmation", "Retire Room 101A?")
		post(doorPath+"/retire", nil, http.StatusSeeOther)
		doc := get(doorPath)
		uiWantText(t, doc.byID("retired"), "retired door", "Retired on")
		uiWantForm(t, doc, doorPath+"/restore", ps.CSRF)
		if doc.find(uiForm(doorPath+"/edit")) != nil {
			t.Error("a retired door still offers its edit form")
		}
		sitePath := "/sites/" + site["id"].(string)
		if strings.Contains(get(sitePath).Text(), "Room 101A") {
			t.Error("retired door still listed on its site")
		}
		shown := get(sitePath + "?include_retired=true")
		uiWantText(t, shown.find(uiClass("table", "openings")), "openings with retired", "Room 101A", "retired")
		if get(sitePath).find(uiAttr("href", sitePath+"?include_retired=true")) == nil {
			t.Error("site page: no show-retired link")
		}
		post(doorPath+"/restore", nil, http.StatusSeeOther)
		if !strings.Contains(get(sitePath).Text(), "Room 101A") {
			t.Error("restored door not listed on its site")
		}

		// A holder with a key out cannot be retired: the page says which key.
		_, _, keyID := app.stock()
		app.call(owner, "POST", "/api/v1/keys/"+keyID+"/checkout", map[string]any{"holder_id": h.ID, "due_at": app.env.Clock.Now().Add(3600e9)}, nil)
		body = post(holderPath+"/retire", nil, http.StatusConflict)
		uiWantText(t, uiParse(t, body).find(uiClass("p", "error")), "retire refused", "AA1-1")

		// Merge: search, pick, and the duplicate's page says where it went.
		dupPath := "/holders/" + dup["id"].(string)
		pick := get(dupPath + "/merge?q=jane")
		f := uiWantForm(t, pick, dupPath+"/merge", ps.CSRF, "into")
		if f.find(uiAttr("value", h.ID)) == nil || f.find(uiAttr("value", dup["id"].(string))) != nil {
			t.Fatal("merge picker does not offer exactly the other Jane")
		}
		uiWantText(t, f, "merge picker", "jane@acme.test")
		post(dupPath+"/merge", url.Values{"into": {h.ID}}, http.StatusSeeOther)
		uiWantText(t, get(dupPath).byID("retired"), "merged holder", "Retired on", "Merged into")
		if strings.Contains(get("/holders").Text(), "Jane Tennant") {
			t.Error("merged holder still in the holders list")
		}
		if !strings.Contains(get("/holders?include_retired=true").Text(), "Jane Tennant") {
			t.Error("merged holder not shown with retired ones")
		}
	})
}
