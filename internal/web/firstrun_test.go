package web_test

import (
	"net/url"
	"strings"
	"testing"
	"time"

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

// Every list page, empty, says what it is for and offers the next step to
// those who may take it; to others it says who will.
func TestEmptyStates(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		app := newTestApp(t, b)
		var site map[string]any
		app.call(keyward.RoleOwner, "POST", "/api/v1/sites", map[string]any{"name": "Elm Street 12"}, &site)
		// The site exists so its (empty) door list can be seen; the sites list is checked on a second server.
		owner, auditor := app.pageSession(keyward.RoleOwner), app.pageSession(keyward.RoleAuditor)
		for _, c := range []struct {
			path, id, what, step, href string
		}{
			{"/keys", "empty-keys", "every physical key you hand out", "Add your first key", "#new-key"},
			{"/holders", "empty-holders", "people who get keys", "Add the first holder", "#new-holder"},
			{"/keyways", "empty-keyways", "profile of a key blank", "Add a key type", "#new-keyway"},
			{"/storage", "empty-storage", "where keys stay when nobody has them", "Add a storage place", "#new-storage"},
			{"/credentials", "empty-credentials", "electronic keys", "Issue a credential", "#new-credential"},
			{"/keysystems", "empty-keysystems", "master-keyed set of locks", "Start a key system", "#new-keysystem"},
			{"/offboardings", "empty-offboarding", "When someone leaves", "Offboard someone who is leaving", "#start-offboarding"},
			{"/sites/" + site["id"].(string), "empty-doors", "what keys open", "Add the first door", "#new-opening"},
			{"/audit?action=nothing.like.this", "empty-audit", "No records match", "Show every record", "/audit"},
		} {
			st, body := owner.do("GET", c.path, nil)
			if st != 200 {
				t.Errorf("%s: %d", c.path, st)
				continue
			}
			doc := uiParse(t, body)
			e := doc.byID(c.id)
			uiWantText(t, e, c.path+" empty state", c.what)
			if e == nil {
				continue
			}
			btn := e.find(func(n *uiNode) bool { return n.tag == "a" && n.hasClass("button") })
			if btn == nil || btn.attr["href"] != c.href || !strings.Contains(btn.Text(), c.step) {
				t.Errorf("%s: next step %v, want %q to %s", c.path, btn, c.step, c.href)
				continue
			}
			// The step leads somewhere that exists on the page (or another page).
			if strings.HasPrefix(c.href, "#") && doc.byID(c.href[1:]) == nil {
				t.Errorf("%s: the step points at #%s, which the page lacks", c.path, c.href[1:])
			}
		}
		// Keys: the import is the second way in, for those who may import.
		_, body := owner.do("GET", "/keys", nil)
		if uiParse(t, body).byID("empty-keys").find(uiAttr("href", "/imports")) == nil {
			t.Error("the empty key list does not offer an import")
		}
		// An auditor is told, not offered steps they may not take.
		_, body = auditor.do("GET", "/keys", nil)
		e := uiParse(t, body).byID("empty-keys")
		uiWantText(t, e, "auditor's empty keys", "A manager adds keys")
		if e.find(uiTag("a")) != nil {
			t.Error("the auditor is offered a step")
		}
		// Sites, empty, on a server of its own.
		other := newTestApp(t, b).pageSession(keyward.RoleManager)
		_, body = other.do("GET", "/sites", nil)
		doc := uiParse(t, body)
		if btn := doc.byID("empty-sites").find(uiAttr("href", "#new-site")); btn == nil || doc.byID("new-site") == nil {
			t.Error("the empty site list does not lead to the site form")
		}
		// A filter that matches nothing is not an empty list.
		_, body = owner.do("GET", "/keys?q=ZZZ", nil)
		if uiParse(t, body).byID("empty-keys") != nil || !strings.Contains(body, "No keys match") {
			t.Error("a filter with no match shows the empty state")
		}
	})
}

// Import is in the navigation for the roles that may import, and only them.
func TestNavImport(t *testing.T) {
	app := newTestApp(t, storetest.SQLite)
	for _, role := range keyward.Roles {
		if role == keyward.RoleHolder {
			continue
		}
		_, body := app.pageSession(role).do("GET", "/", nil)
		link := uiParse(t, body).byID("nav-import")
		if want := keyward.Allowed(role, keyward.ActImport); (link != nil) != want {
			t.Errorf("%s: Import in the navigation %v, want %v", role, link != nil, want)
		}
		if link != nil && link.attr["href"] != "/imports" {
			t.Errorf("%s: Import links to %q", role, link.attr["href"])
		}
	}
}

// The dashboard's getting-started checklist ticks each step from real
// records and goes away when all are done, or when an owner puts it away.
func TestGettingStartedChecklist(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		app := newTestApp(t, b)
		mgr := app.pageSession(keyward.RoleManager)
		steps := func() (map[string]bool, string) {
			t.Helper()
			st, body := mgr.do("GET", "/", nil)
			if st != 200 {
				t.Fatalf("dashboard: %d", st)
			}
			sec := uiParse(t, body).byID("getting-started")
			if sec == nil {
				return nil, ""
			}
			out := map[string]bool{}
			for _, li := range sec.all(uiTag("li")) {
				out[li.attr["id"]] = li.hasClass("done")
			}
			return out, sec.find(uiTag("h2")).Text()
		}
		got, head := steps()
		if len(got) != 5 || !strings.Contains(head, "0 of 5") {
			t.Fatalf("a new organization's checklist: %v %q", got, head)
		}
		var site, door, holder map[string]any
		app.call(keyward.RoleOwner, "POST", "/api/v1/sites", map[string]any{"name": "Elm Street 12"}, &site)
		if got, _ = steps(); !got["step-site"] || got["step-doors"] {
			t.Fatalf("after a site: %v", got)
		}
		app.call(keyward.RoleOwner, "POST", "/api/v1/openings", map[string]any{"site_id": site["id"], "name": "Unit 1", "kind": "door"}, &door)
		_, _, keyID := app.stock() // a keyway, a holder and a key
		app.call(keyward.RoleOwner, "POST", "/api/v1/holders", map[string]any{"name": "Ann Lee", "email": "ann@acme.test"}, &holder)
		got, head = steps()
		if !got["step-doors"] || !got["step-keys"] || !got["step-holders"] || got["step-checkout"] || !strings.Contains(head, "4 of 5") {
			t.Fatalf("before the first check-out: %v %q", got, head)
		}
		// The manager may not put the list away.
		if st, _ := mgr.do("POST", "/checklist/dismiss", url.Values{"csrf": {mgr.CSRF}}); st != 403 {
			t.Fatalf("manager dismisses: %d, want 403", st)
		}
		if st := app.call(keyward.RoleOwner, "POST", "/api/v1/keys/"+keyID+"/checkout", map[string]any{"holder_id": holder["id"], "due_at": time.Now().Add(4 * time.Hour).UTC().Format(time.RFC3339)}, nil); st != 200 {
			t.Fatalf("check-out: %d", st)
		}
		if got, _ = steps(); got != nil {
			t.Fatalf("every step done, the list still shows: %v", got)
		}

		// On a fresh server, the owner puts it away for everyone.
		app2 := newTestApp(t, b)
		owner := app2.pageSession(keyward.RoleOwner)
		_, body := owner.do("GET", "/", nil)
		if uiParse(t, body).byID("dismiss-checklist") == nil {
			t.Fatal("the owner is not offered to put the list away")
		}
		if st, _ := owner.do("POST", "/checklist/dismiss", url.Values{"csrf": {owner.CSRF}}); st != 303 {
			t.Fatalf("dismiss: %d", st)
		}
		_, body = app2.pageSession(keyward.RoleManager).do("GET", "/", nil)
		if uiParse(t, body).byID("getting-started") != nil {
			t.Fatal("the dismissed list still shows")
		}
		if n := app2.count(`SELECT COUNT(*) FROM audit_log WHERE action = 'org.checklist_dismiss'`); n != 1 {
			t.Fatalf("%d dismiss records", n)
		}
	})
}
