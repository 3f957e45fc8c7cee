package web_test

import (
	"net/url"
	"strings"
	"testing"

	"github.com/keyward/keyward/internal/keyward"
	"github.com/keyward/keyward/internal/store/storetest"
)

// selected returns the value of the selected option of the select named name in n.
func selected(n *uiNode, name string) string {
	sel := n.find(uiAttr("name", name))
	if sel == nil {
		return "<no field>"
	}
	if o := sel.find(func(o *uiNode) bool { _, ok := o.attr["selected"]; return o.tag == "option" && ok }); o != nil {
		return o.attr["value"]
	}
	return ""
}

func TestSettingsPage(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		app := newTestApp(t, b)
		ps := app.pageSession(keyward.RoleOwner)
		st, body := ps.do("GET", "/settings", nil)
		if st != 200 {
			t.Fatalf("settings: %d", st)
		}
		doc := uiParse(t, body)
		form := uiWantForm(t, doc, "/settings", ps.CSRF, "name", "time_zone")
		if got := selected(form, "time_zone"); got != "UTC" {
			t.Errorf("selected zone %q, want UTC", got)
		}
		groups := form.all(uiTag("optgroup"))
		if len(groups) != len(keyward.TimeZones()) || groups[0].attr["label"] != "Common time zones" {
			t.Errorf("%d zone groups, want %d by region", len(groups), len(keyward.TimeZones()))
		}
		if form.find(uiAttr("value", "Europe/Berlin")) == nil {
			t.Error("Europe/Berlin is not offered")
		}
		if v := form.find(uiAttr("name", "name")).attr["value"]; v != "Acme Property" {
			t.Errorf("name field %q", v)
		}

		// Saving changes name and zone, audited, and shows the zone chosen.
		before := app.auditCount()
		st, _ = ps.do("POST", "/settings", url.Values{"csrf": {ps.CSRF}, "name": {"Acme Lettings"}, "time_zone": {"Europe/Berlin"}})
		if st != 303 {
			t.Fatalf("save: %d", st)
		}
		if app.auditCount() != before+1 {
			t.Error("the settings change is not audited once")
		}
		_, body = ps.do("GET", "/settings", nil)
		form = uiParse(t, body).find(uiForm("/settings"))
		if got := selected(form, "time_zone"); got != "Europe/Berlin" {
			t.Errorf("after saving, selected zone %q", got)
		}
		if v := form.find(uiAttr("name", "name")).attr["value"]; v != "Acme Lettings" {
			t.Errorf("after saving, name %q", v)
		}
		// Pages read and show times in the new zone at once.
		_, _, keyID := app.stock()
		_, body = ps.do("GET", "/keys/"+keyID, nil)
		uiWantText(t, uiParse(t, body).find(uiTag("main")), "checkout form", "Due back (Europe/Berlin)")

		// A zone not on the list is shown next to the field; nothing changes.
		before = app.auditCount()
		st, body = ps.do("POST", "/settings", url.Values{"csrf": {ps.CSRF}, "name": {"Other"}, "time_zone": {"Mars/Olympus"}})
		if st != 400 {
			t.Fatalf("bad zone: %d", st)
		}
		uiWantText(t, uiParse(t, body).find(uiForm("/settings")).find(uiClass("span", "field-error")), "zone error", "a time zone from the list")
		var o keyward.Org
		app.call(keyward.RoleOwner, "GET", "/api/v1/org", nil, &o)
		if o.Name != "Acme Lettings" || o.TimeZone != "Europe/Berlin" || app.auditCount() != before {
			t.Fatalf("a refused form changed the org: %+v", o)
		}

		// Only an owner has the page.
		admin := app.pageSession(keyward.RoleAdmin)
		if st, _ := admin.do("GET", "/settings", nil); st != 403 {
			t.Errorf("admin GET /settings: %d", st)
		}
		if st, _ := admin.do("POST", "/settings", url.Values{"csrf": {admin.CSRF}, "name": {"Admin Corp"}, "time_zone": {"UTC"}}); st != 403 {
			t.Errorf("admin POST /settings: %d", st)
		}
	})
}

func TestKeyEditForm(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		app := newTestApp(t, b)
		kwID, _, keyID := app.stock()
		var kw2 map[string]any
		app.call(keyward.RoleOwner, "POST", "/api/v1/keyways", map[string]any{"name": "Medeco M3", "manufacturer": "Medeco", "duplication_policy": "restricted"}, &kw2)
		kw2ID := kw2["id"].(string)
		keyPath := "/keys/" + keyID
		ps := app.pageSession(keyward.RoleOwner)

		_, body := ps.do("GET", keyPath, nil)
		doc := uiParse(t, body)
		form := uiWantForm(t, doc, keyPath, ps.CSRF, "keyway_id")
		if got := selected(form, "keyway_id"); got != kwID {
			t.Errorf("selected keyway %q, want the key's %q", got, kwID)
		}
		if form.find(uiAttr("name", "symbol")) != nil || form.find(uiAttr("name", "copy_number")) != nil {
			t.Error("the edit form offers the stamp")
		}
		uiWantText(t, form, "edit form", "AA1-1", "cannot be changed")

		before := app.auditCount()
		st, _ := ps.do("POST", keyPath, url.Values{"csrf": {ps.CSRF}, "keyway_id": {kw2ID}})
		if st != 303 {
			t.Fatalf("save: %d", st)
		}
		var k keyward.Key
		app.call(keyward.RoleOwner, "GET", "/api/v1/keys/"+keyID, nil, &k)
		if k.KeywayID != kw2ID || app.auditCount() != before+1 {
			t.Fatalf("after the form: %+v, %d audit records", k, app.auditCount()-before)
		}

		// A keyway that does not exist is shown on the edit form; nothing changes.
		before = app.auditCount()
		st, body = ps.do("POST", keyPath, url.Values{"csrf": {ps.CSRF}, "keyway_id": {"kwy_nope"}})
		if st != 400 {
			t.Fatalf("unknown keyway: %d", st)
		}
		doc = uiParse(t, body)
		form = doc.find(uiForm(keyPath))
		if _, open := doc.byID("edit-key").attr["open"]; !open {
			t.Error("the refused edit form is folded away")
		}
		uiWantText(t, form.find(uiClass("span", "field-error")), "keyway error", "existing keyway")
		app.call(keyward.RoleOwner, "GET", "/api/v1/keys/"+keyID, nil, &k)
		if k.KeywayID != kw2ID || app.auditCount() != before {
			t.Fatal("a refused form changed the key")
		}

		// Who may not edit keys sees no form and is refused.
		aud := app.pageSession(keyward.RoleAuditor)
		_, body = aud.do("GET", keyPath, nil)
		if uiParse(t, body).find(uiForm(keyPath)) != nil {
			t.Error("the auditor is offered the edit form")
		}
		if st, _ := aud.do("POST", keyPath, url.Values{"csrf": {aud.CSRF}, "keyway_id": {kwID}}); st != 403 {
			t.Errorf("auditor posts the edit form: %d", st)
		}
	})
}

func TestStorageEditForms(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		app := newTestApp(t, b)
		_, _, keyID := app.stock()
		var cab, box map[string]any
		app.call(keyward.RoleOwner, "POST", "/api/v1/storage", map[string]any{"kind": "cabinet", "name": "Cabinet A", "hooks": 12}, &cab)
		app.call(keyward.RoleOwner, "POST", "/api/v1/storage", map[string]any{"kind": "lockbox", "name": "Gate box", "code": "73915"}, &box)
		cabPath, boxPath := "/storage/"+cab["id"].(string), "/storage/"+box["id"].(string)
		app.call(keyward.RoleOwner, "POST", "/api/v1"+cabPath+"/keys", map[string]any{"key_id": keyID, "hook": 3}, nil)
		ps := app.pageSession(keyward.RoleOwner)

		// The code form wants a reason and never shows the code back.
		st, body := ps.do("POST", boxPath+"/code", url.Values{"csrf": {ps.CSRF}, "code": {"48261"}})
		if st != 400 || strings.Contains(body, "48261") {
			t.Fatalf("code without a reason: %d", st)
		}
		uiWantText(t, uiParse(t, body).find(uiForm(boxPath+"/code")), "code form", "is required")
		st, body = ps.do("POST", boxPath+"/code", url.Values{"csrf": {ps.CSRF}, "code": {"48261"}, "reason": {"new tenant"}})
		if st != 303 || strings.Contains(body, "48261") {
			t.Fatalf("code with a reason: %d", st)
		}

		if _, body = ps.do("GET", boxPath, nil); strings.Contains(body, "48261") {
			t.Fatal("the lockbox page shows the new code")
		}

		// Retiring a place a key calls home names the key; an empty one retires and restores.
		st, body = ps.do("POST", cabPath+"/retire", url.Values{"csrf": {ps.CSRF}})
		if st != 409 {
			t.Fatalf("retire a place with a key: %d", st)
		}
		uiWantText(t, uiParse(t, body).find(uiClass("p", "error")), "conflict message", "keys still belong here", "AA1-1")
		if st, _ := ps.do("POST", boxPath+"/retire", url.Values{"csrf": {ps.CSRF}}); st != 303 {
			t.Fatalf("retire: %d", st)
		}
		_, body = ps.do("GET", boxPath, nil)
		doc := uiParse(t, body)
		uiWantForm(t, doc, boxPath+"/restore", ps.CSRF)
		if doc.find(uiForm(boxPath+"/code")) != nil || doc.find(uiForm(boxPath+"/edit")) != nil {
			t.Error("a retired place offers the code or edit form")
		}
		_, body = ps.do("GET", "/storage", nil)
		if strings.Contains(body, "Gate box") {
			t.Error("the retired place is in the storage list")
		}
		_, body = ps.do("GET", "/storage?include_retired=true", nil)
		if !strings.Contains(body, "Gate box") {
			t.Error("the retired place is not listed with include_retired=true")
		}
		if st, _ := ps.do("POST", boxPath+"/restore", url.Values{"csrf": {ps.CSRF}}); st != 303 {
			t.Fatalf("restore: %d", st)
		}
		if _, body = ps.do("GET", "/storage", nil); !strings.Contains(body, "Gate box") {
			t.Error("the restored place is not listed")
		}

		// The edit form changes the name.
		st, _ = ps.do("POST", cabPath+"/edit", url.Values{"csrf": {ps.CSRF}, "name": {"Cabinet B"}, "site_id": {""}, "location": {"Office"}, "hooks": {"12"}})
		if st != 303 {
			t.Fatalf("edit: %d", st)
		}
		st, body = ps.do("POST", cabPath+"/edit", url.Values{"csrf": {ps.CSRF}, "name": {"Cabinet C"}, "site_id": {""}, "location": {""}, "hooks": {"2"}})
		if st != 400 {
			t.Fatalf("fewer hooks than in use: %d", st)
		}
		uiWantText(t, uiParse(t, body).find(uiForm(cabPath+"/edit")), "edit form", "a key hangs on that hook")
		var pl keyward.StoragePlace
		app.call(keyward.RoleOwner, "GET", "/api/v1"+cabPath, nil, &pl)
		if pl.Name != "Cabinet B" || pl.Location != "Office" || pl.Hooks != 12 {
			t.Fatalf("after the forms: %+v", pl)
		}
	})
}

func TestUsersPageName(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		app := newTestApp(t, b)
		mgr := app.users[keyward.RoleManager]
		path := "/users/" + mgr.ID
		ps := app.pageSession(keyward.RoleAdmin)
		_, body := ps.do("GET", "/users", nil)
		form := uiWantForm(t, uiParse(t, body), path, ps.CSRF, "name", "role", "disabled")
		if v := form.find(uiAttr("name", "name")).attr["value"]; v != mgr.Name {
			t.Errorf("name field %q, want %q", v, mgr.Name)
		}
		user := func() keyward.User { return app.user(mgr.ID) }
		if st, _ := ps.do("POST", path, url.Values{"csrf": {ps.CSRF}, "name": {" Mo Manager "}, "role": {"manager"}}); st != 303 {
			t.Fatalf("rename: %d", st)
		}
		if u := user(); u.Name != "Mo Manager" || u.Role != keyward.RoleManager || u.Disabled {
			t.Fatalf("after the rename: %+v", u)
		}
		// A form without the name field (an older page) leaves the name.
		if st, _ := ps.do("POST", path, url.Values{"csrf": {ps.CSRF}, "role": {"auditor"}}); st != 303 {
			t.Fatalf("role only: %d", st)
		}
		if u := user(); u.Name != "Mo Manager" || u.Role != keyward.RoleAuditor {
			t.Fatalf("after the role change: %+v", u)
		}
		// An admin cannot make an owner; the page says so and nothing changes.
		st, body := ps.do("POST", path, url.Values{"csrf": {ps.CSRF}, "name": {"Boss"}, "role": {"owner"}})
		if st != 403 {
			t.Fatalf("admin makes an owner: %d", st)
		}
		uiWantText(t, uiParse(t, body).find(uiClass("p", "error")), "refusal", "only an owner")
		if u := user(); u.Name != "Mo Manager" || u.Role != keyward.RoleAuditor {
			t.Fatalf("a refused form changed the user: %+v", u)
		}
	})
}
