package web_test

import (
	"net/url"
	"strings"
	"testing"

	"github.com/keyward/keyward/internal/keyward"
	"github.com/keyward/keyward/internal/store/storetest"
)

// "Add a key" with no key type yet makes one on the spot, and lists the key
// on the doors chosen, all in one transaction.
func TestKeyCreateWithDoors(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		app := newTestApp(t, b)
		owner := app.pageSession(keyward.RoleOwner)
		_, body := owner.do("GET", "/keys", nil)
		doc := uiParse(t, body)
		form := doc.find(uiForm("/keys"))
		if form == nil || form.find(uiAttr("name", "new_keyway_name")) == nil {
			t.Fatalf("with no key type, Add a key does not offer to make one:\n%s", body)
		}
		uiWantText(t, doc.byID("new-key"), "add a key", "Key type (keyway)", "How freely may it be copied?", "Anyone may copy it", "Add a site and its doors")
		if strings.Contains(body, "keyway</a> first") {
			t.Error("Add a key still stops at a keyway first")
		}

		var site, door1, door2 map[string]any
		app.call(keyward.RoleOwner, "POST", "/api/v1/sites", map[string]any{"name": "Elm Street 12"}, &site)
		app.call(keyward.RoleOwner, "POST", "/api/v1/openings", map[string]any{"site_id": site["id"], "name": "Unit 4 front door", "kind": "door"}, &door1)
		app.call(keyward.RoleOwner, "POST", "/api/v1/openings", map[string]any{"site_id": site["id"], "name": "Basement", "kind": "door"}, &door2)
		d1, d2 := door1["id"].(string), door2["id"].(string)
		_, body = owner.do("GET", "/keys", nil)
		uiWantText(t, uiParse(t, body).byID("key-doors"), "door choices", "Unit 4 front door", "Basement", "Elm Street 12")

		counts := func() [3]int64 {
			return [3]int64{app.count(`SELECT COUNT(*) FROM keys`), app.count(`SELECT COUNT(*) FROM keyways`), app.count(`SELECT COUNT(*) FROM opening_symbols`)}
		}
		before := counts()
		// Bad input: nothing at all is made, not even the new key type.
		for _, c := range []struct {
			form  url.Values
			st    int
			field string
		}{
			{url.Values{"keyway_id": {"new"}, "new_keyway_name": {""}, "new_keyway_policy": {"open"}, "symbol": {"U4"}}, 400, "is required"},
			{url.Values{"keyway_id": {"new"}, "new_keyway_name": {"House key"}, "new_keyway_policy": {"sometimes"}, "symbol": {"U4"}}, 400, "must be one of"},
			{url.Values{"keyway_id": {"new"}, "new_keyway_name": {"House key"}, "new_keyway_policy": {"open"}, "symbol": {"U4"}, "opening_id": {d1, "opn_nope"}}, 400, "must name doors that exist"},
			{url.Values{"keyway_id": {"new"}, "new_keyway_name": {"House key"}, "new_keyway_policy": {"open"}, "symbol": {""}, "opening_id": {d1}}, 400, "symbol"},
		} {
			c.form.Set("csrf", owner.CSRF)
			st, body := owner.do("POST", "/keys", c.form)
			if st != c.st || !strings.Contains(body, c.field) {
				t.Errorf("%v: %d, want %d naming %q", c.form, st, c.st, c.field)
			}
			if got := counts(); got != before {
				t.Fatalf("a refused create left state: %v, was %v", got, before)
			}
		}

		st, _ := owner.do("POST", "/keys", url.Values{"csrf": {owner.CSRF}, "keyway_id": {"new"}, "new_keyway_name": {"House key"}, "new_keyway_policy": {"open"},
			"symbol": {"U4"}, "opening_id": {d1, d2}})
		if st != 303 {
			t.Fatalf("create with a new key type and two doors: %d", st)
		}
		if got := counts(); got != [3]int64{before[0] + 1, before[1] + 1, before[2] + 2} {
			t.Fatalf("after the create: %v, was %v", got, before)
		}
		var access keyward.OpeningAccess
		if st := app.call(keyward.RoleOwner, "GET", "/api/v1/openings/"+d1+"/access", nil, &access); st != 200 {
			t.Fatalf("access: %d", st)
		}
		if len(access.Keys) != 1 || access.Keys[0].Stamp != "U4-1" {
			t.Fatalf("the door's keys: %+v", access.Keys)
		}
		if n := app.count(`SELECT COUNT(*) FROM audit_log WHERE action = 'opening.symbol.add'`); n != 2 {
			t.Errorf("%d opening.symbol.add records, want 2", n)
		}
		// A second copy on the same door: the schedule already has the symbol.
		var kw keyward.Page[keyward.Keyway]
		app.call(keyward.RoleOwner, "GET", "/api/v1/keyways", nil, &kw)
		st, _ = owner.do("POST", "/keys", url.Values{"csrf": {owner.CSRF}, "keyway_id": {kw.Items[0].ID}, "symbol": {"U4"}, "opening_id": {d1}})
		if st != 303 {
			t.Fatalf("second copy: %d", st)
		}
		if n := app.count(`SELECT COUNT(*) FROM opening_symbols WHERE symbol = 'U4'`); n != 2 {
			t.Errorf("%d schedule rows for U4, want 2", n)
		}
		// Over the API too.
		var k keyward.Key
		if st := app.call(keyward.RoleManager, "POST", "/api/v1/keys", map[string]any{"new_keyway": map[string]any{"name": "Mailbox", "duplication_policy": "open"}, "symbol": "MB1", "opening_ids": []string{d2}}, &k); st != 201 {
			t.Fatalf("API create with new_keyway and opening_ids: %d", st)
		}
		// A manager may not register a restricted key type's copy directly;
		// the new key type is not made either.
		kwBefore := app.count(`SELECT COUNT(*) FROM keyways`)
		mgr := app.pageSession(keyward.RoleManager)
		st, body = mgr.do("POST", "/keys", url.Values{"csrf": {mgr.CSRF}, "keyway_id": {"new"}, "new_keyway_name": {"Medeco"}, "new_keyway_policy": {"restricted"}, "symbol": {"M1"}})
		if st != 403 || !strings.Contains(body, "copy request") {
			t.Fatalf("manager, new restricted key type: %d", st)
		}
		if app.count(`SELECT COUNT(*) FROM keyways`) != kwBefore {
			t.Fatal("the refused create left its key type")
		}
	})
}
