package web_test

import (
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/keyward/keyward/internal/keyward"
	"github.com/keyward/keyward/internal/store/storetest"
)

// ruleOf returns the rule a problem gives field.
func ruleOf(p problem, field string) string {
	for _, f := range p.Errors {
		if f.Field == field {
			return f.Rule
		}
	}
	return ""
}

// TestStorageRulesAPI: the storage refusals over the API name the field and
// say why; the contract's check-out and check-in keep their bodies, and a key
// kept in a sealed envelope needs the new seal as an added, optional member.
func TestStorageRulesAPI(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		app := newTestApp(t, b)
		_, holderID, keyID := app.stock()
		owner := keyward.RoleOwner
		var cab, env, k map[string]any
		var p problem
		if st := app.call(owner, "POST", "/api/v1/storage", map[string]any{"kind": "cabinet", "name": "Cabinet A", "hooks": 12}, &cab); st != 201 {
			t.Fatalf("cabinet: %d", st)
		}
		if st := app.call(owner, "POST", "/api/v1/storage", map[string]any{"kind": "envelope", "name": "Spare keys", "seal_number": "4471"}, &env); st != 201 {
			t.Fatalf("envelope: %d", st)
		}
		cabID, envID := cab["id"].(string), env["id"].(string)
		due := app.env.Clock.Now().Add(4 * time.Hour)

		// A checked-out key goes on no hook: 409 naming key_id, saying what to do first.
		if st := app.call(owner, "POST", "/api/v1/keys/"+keyID+"/checkout", map[string]any{"holder_id": holderID, "due_at": due}, nil); st != 200 {
			t.Fatalf("checkout: %d", st)
		}
		before := app.auditCount()
		if st := app.call(owner, "POST", "/api/v1/storage/"+cabID+"/keys", map[string]any{"key_id": keyID, "hook": 4}, &p); st != 409 ||
			p.Detail != "Key AA1-1 is checked out to Dana Ruiz: check it in before you hang it on a hook." || !strings.Contains(ruleOf(p, "key_id"), "check it in first") {
			t.Fatalf("checked-out key on a hook: %d %+v", st, p)
		}
		if st := app.call(owner, "GET", "/api/v1/keys/"+keyID+"/home", nil, &p); st != 404 || app.auditCount() != before {
			t.Fatalf("the refusal left a home (%d) or an audit record", st)
		}
		if st := app.call(owner, "POST", "/api/v1/keys/"+keyID+"/checkin", map[string]any{}, nil); st != 200 {
			t.Fatalf("checkin: %d", st)
		}

		// Into the sealed envelope: the new seal and a reason, never the broken seal.
		if st := app.call(owner, "POST", "/api/v1/storage/"+envID+"/keys", map[string]any{"key_id": keyID}, &p); st != 400 ||
			!strings.Contains(ruleOf(p, "new_seal_number"), "breaks its seal 4471") || ruleOf(p, "reason") == "" {
			t.Fatalf("into the envelope without a seal: %d %+v", st, p)
		}
		if st := app.call(owner, "POST", "/api/v1/storage/"+envID+"/keys", map[string]any{"key_id": keyID, "new_seal_number": "4471", "reason": "spare"}, &p); st != 400 ||
			ruleOf(p, "new_seal_number") != "must differ from the broken seal 4471" {
			t.Fatalf("the same seal again: %d %+v", st, p)
		}
		if app.auditCount() != before+1 { // the check-in only
			t.Fatalf("refusals wrote %d audit records", app.auditCount()-before-1)
		}
		var home map[string]any
		if st := app.call(owner, "POST", "/api/v1/storage/"+envID+"/keys", map[string]any{"key_id": keyID, "new_seal_number": "4472", "reason": "spare for unit 4"}, &home); st != 200 || home["seal_number"] != "4472" {
			t.Fatalf("into the envelope: %d %v", st, home)
		}
		var evs keyward.Page[keyward.StorageEvent]
		if st := app.call(owner, "GET", "/api/v1/storage/"+envID+"/events", nil, &evs); st != 200 || len(evs.Items) != 3 ||
			evs.Items[1].Action != "seal.break" || evs.Items[1].Note != "spare for unit 4" || evs.Items[2].Action != "assign" {
			t.Fatalf("the envelope's logbook: %d %+v", st, evs)
		}

		// The contract's check-out body, for a key in a sealed envelope: 400 naming the seal; nothing moves.
		if st := app.call(owner, "POST", "/api/v1/keys/"+keyID+"/checkout", map[string]any{"holder_id": holderID, "due_at": due}, &p); st != 400 ||
			!strings.Contains(ruleOf(p, "new_seal_number"), "taking key AA1-1 out of envelope Spare keys breaks its seal 4472") {
			t.Fatalf("check-out from a sealed envelope without a seal: %d %+v", st, p)
		}
		if app.call(owner, "GET", "/api/v1/keys/"+keyID, nil, &k); k["status"] != keyward.StatusInStorage {
			t.Fatalf("the refused check-out moved the key: %v", k)
		}
		if st := app.call(owner, "POST", "/api/v1/keys/"+keyID+"/checkout", map[string]any{"holder_id": holderID, "due_at": due, "new_seal_number": "4473"}, &k); st != 200 || k["status"] != keyward.StatusCheckedOut {
			t.Fatalf("check-out with the new seal: %d %v", st, k)
		}
		if st := app.call(owner, "POST", "/api/v1/keys/"+keyID+"/checkin", map[string]any{}, &p); st != 400 || !strings.Contains(ruleOf(p, "new_seal_number"), "putting key AA1-1 back in") {
			t.Fatalf("check-in into a sealed envelope without a seal: %d %+v", st, p)
		}
		if st := app.call(owner, "POST", "/api/v1/keys/"+keyID+"/checkin", map[string]any{"new_seal_number": "4474"}, &k); st != 200 || k["status"] != keyward.StatusInStorage {
			t.Fatalf("check-in with the new seal: %d %v", st, k)
		}
		var place keyward.StoragePlace
		if app.call(owner, "GET", "/api/v1/storage/"+envID, nil, &place); place.SealNumber != "4474" {
			t.Fatalf("the envelope's seal: %q", place.SealNumber)
		}

		// Taken out of its home: an empty DELETE is refused by name; with the seal it is done.
		if st := app.call(owner, "DELETE", "/api/v1/keys/"+keyID+"/home", nil, &p); st != 400 || ruleOf(p, "new_seal_number") == "" || ruleOf(p, "reason") == "" {
			t.Fatalf("out of the envelope without a seal: %d %+v", st, p)
		}
		if st := app.call(owner, "DELETE", "/api/v1/keys/"+keyID+"/home", map[string]any{"new_seal_number": "4475", "reason": "kept in the office", "colour": "red"}, &p); st != 400 || ruleOf(p, "colour") == "" {
			t.Fatalf("an unknown member: %d %+v", st, p)
		}
		if st := app.call(owner, "DELETE", "/api/v1/keys/"+keyID+"/home", map[string]any{"new_seal_number": "4475", "reason": "kept in the office"}, nil); st != 204 {
			t.Fatalf("out of the envelope: %d", st)
		}
		// A key not kept in an envelope opens no seal: a seal sent anyway is a 400.
		if st := app.call(owner, "POST", "/api/v1/keys/"+keyID+"/checkout", map[string]any{"holder_id": holderID, "due_at": due, "new_seal_number": "1"}, &p); st != 400 ||
			!strings.Contains(ruleOf(p, "new_seal_number"), "only when") {
			t.Fatalf("a seal for a key in no envelope: %d %+v", st, p)
		}
	})
}

// TestUIKeyPlacePages: every key page offers a place, or says why not; the
// link to a key's storage place never ends on a page where none can be given.
func TestUIKeyPlacePages(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		app := newTestApp(t, b)
		_, holderID, keyID := app.stock()
		owner := keyward.RoleOwner
		p := app.pageSession(owner)
		page := func(path string) *uiNode {
			t.Helper()
			st, body := p.do("GET", path, nil)
			if st != 200 {
				t.Fatalf("GET %s: %d", path, st)
			}
			return uiParse(t, body)
		}
		// No place yet, and none exists: the section says how to make one.
		st, body := p.do("GET", "/keys/"+keyID+"/storage", nil)
		if st != 303 || !strings.Contains(body, "/keys/"+keyID+"#key-place") {
			t.Fatalf("storage link of a key without a place: %d %s", st, body)
		}
		doc := page("/keys/" + keyID)
		if n := doc.byID("place-none"); n == nil || n.find(uiAttr("href", "/storage#new-storage")) == nil {
			t.Fatalf("no way to add a storage place from the key page")
		}
		// With places: chosen by name, grouped by site; a cabinet asks for a free hook.
		var site, cab, env map[string]any
		app.call(owner, "POST", "/api/v1/sites", map[string]any{"name": "Harbour Point"}, &site)
		app.call(owner, "POST", "/api/v1/storage", map[string]any{"kind": "cabinet", "name": "Cabinet A", "hooks": 3, "site_id": site["id"]}, &cab)
		app.call(owner, "POST", "/api/v1/storage", map[string]any{"kind": "envelope", "name": "Spare keys", "seal_number": "4471"}, &env)
		cabID, envID := cab["id"].(string), env["id"].(string)
		choose := page("/keys/" + keyID).byID("place-choose")
		if choose == nil {
			t.Fatal("no place form on the key page of a key in storage")
		}
		if g := choose.find(uiAttr("label", "Harbour Point")); g == nil || !strings.Contains(g.Text(), "Cabinet A (key cabinet, 3 hooks)") {
			t.Fatalf("places are not grouped by site: %q", choose.Text())
		}
		if g := choose.find(uiAttr("label", "No site")); g == nil || !strings.Contains(g.Text(), "Spare keys (sealed envelope, seal 4471)") {
			t.Fatalf("the envelope is not offered: %q", choose.Text())
		}
		var k2 map[string]any
		var kws struct{ Items []keyward.Keyway }
		app.call(owner, "GET", "/api/v1/keyways", nil, &kws)
		app.call(owner, "POST", "/api/v1/keys", map[string]any{"keyway_id": kws.Items[0].ID, "symbol": "AA2"}, &k2)
		if st := app.call(owner, "POST", "/api/v1/storage/"+cabID+"/keys", map[string]any{"key_id": k2["id"], "hook": 1}, nil); st != 200 {
			t.Fatalf("AA2 on hook 1: %d", st)
		}
		form := page("/keys/" + keyID + "?place=" + cabID).byID("place-form")
		if form == nil {
			t.Fatal("no second step for the cabinet")
		}
		var hooks []string
		for _, o := range form.all(uiTag("option")) {
			hooks = append(hooks, o.attr["value"])
		}
		if strings.Join(hooks, ",") != "2,3" {
			t.Fatalf("hooks offered %v, want the free ones 2,3", hooks)
		}
		// An envelope asks for its new seal and a reason; without them the page says which.
		if form := page("/keys/" + keyID + "?place=" + envID).byID("place-form"); form == nil || form.find(uiAttr("name", "new_seal_number")) == nil ||
			!strings.Contains(form.Text(), "Putting AA1-1 in Spare keys breaks its seal 4471") {
			t.Fatalf("the envelope's step does not ask for the new seal")
		}
		st, body = p.do("POST", "/keys/"+keyID+"/place", url.Values{"csrf": {p.CSRF}, "storage_id": {envID}, "reason": {"spare"}})
		if doc := uiParse(t, body); st != 400 || doc.byID("place-form") == nil || !strings.Contains(doc.byID("place-form").Text(), "give the number of the new seal") {
			t.Fatalf("refused without a seal: %d", st)
		}
		st, _ = p.do("POST", "/keys/"+keyID+"/place", url.Values{"csrf": {p.CSRF}, "storage_id": {cabID}, "hook": {"3"}})
		if st != 303 {
			t.Fatalf("on hook 3: %d", st)
		}
		if n := page("/keys/" + keyID).byID("place-home"); !strings.HasPrefix(n.Text(), "Kept in") || n.find(uiAttr("href", "/storage/"+cabID)).Text() != "Cabinet A, hook 3" {
			t.Fatalf("the key's place: %q", n.Text())
		}
		// Checked out: the form gives way to a sentence saying what to do first,
		// and a form posted anyway is refused with the same words.
		due := app.env.Clock.Now().Add(4 * time.Hour)
		if st := app.call(owner, "POST", "/api/v1/keys/"+keyID+"/checkout", map[string]any{"holder_id": holderID, "due_at": due}, nil); st != 200 {
			t.Fatalf("checkout: %d", st)
		}
		doc = page("/keys/" + keyID)
		if n := doc.byID("place-blocked"); n == nil || n.Text() != "Key AA1-1 is checked out to Dana Ruiz: check it in before you give it a storage place." {
			t.Fatalf("blocked: %v", n)
		}
		if doc.byID("place-choose") != nil || doc.byID("place-form") != nil {
			t.Fatal("a checked-out key is offered a place")
		}
		if n := doc.byID("place-home"); !strings.HasPrefix(n.Text(), "Its place is") || !strings.Contains(n.Text(), "kept for it while it is out") ||
			n.find(uiAttr("href", "/storage/"+cabID)).Text() != "Cabinet A, hook 3" {
			t.Fatalf("the kept place: %q", n.Text())
		}
		st, body = p.do("POST", "/keys/"+keyID+"/place", url.Values{"csrf": {p.CSRF}, "storage_id": {cabID}, "hook": {"2"}})
		if n := uiParse(t, body).find(uiClass("p", "error")); st != 409 || n == nil || !strings.Contains(n.Text(), "check it in before you hang it on a hook") {
			t.Fatalf("a place for a checked-out key: %d %v", st, n)
		}
		// A key kept in a sealed envelope: its check-out form asks for the new seal.
		if st := app.call(owner, "POST", "/api/v1/keys/"+keyID+"/checkin", map[string]any{}, nil); st != 200 {
			t.Fatalf("checkin: %d", st)
		}
		if st := app.call(owner, "DELETE", "/api/v1/keys/"+keyID+"/home", nil, nil); st != 204 {
			t.Fatalf("off the hook: %d", st)
		}
		if st := app.call(owner, "POST", "/api/v1/storage/"+envID+"/keys", map[string]any{"key_id": keyID, "new_seal_number": "4472", "reason": "spare"}, nil); st != 200 {
			t.Fatalf("into the envelope: %d", st)
		}
		co := page("/keys/" + keyID).byID("checkout")
		if co == nil || co.find(uiAttr("name", "new_seal_number")) == nil || !strings.Contains(co.Text(), "taking it out breaks the seal 4472") {
			t.Fatal("the check-out form of a key in a sealed envelope does not ask for the new seal")
		}
		st, _ = p.do("POST", "/keys/"+keyID+"/checkout", url.Values{"csrf": {p.CSRF}, "holder_id": {holderID},
			"due_at": {due.Format("2006-01-02T15:04")}, "new_seal_number": {"4473"}})
		if st != 303 {
			t.Fatalf("check-out with the new seal: %d", st)
		}
		if ci := page("/keys/" + keyID).byID("checkin"); ci == nil || ci.find(uiAttr("name", "new_seal_number")) == nil || !strings.Contains(ci.Text(), "Putting AA1-1 in Spare keys breaks its seal 4473") {
			t.Fatalf("the check-in form does not ask for the new seal: %v", ci)
		}
		// Collected from a leaving holder, it goes back into its envelope: the form asks for the seal.
		if st := app.call(owner, "POST", "/api/v1/holders/"+holderID+"/offboarding", map[string]any{}, nil); st != 201 && st != 200 {
			t.Fatalf("offboarding: %d", st)
		}
		var pr problem
		if st := app.call(owner, "POST", "/api/v1/holders/"+holderID+"/offboarding/keys/"+keyID+"/collect", map[string]any{}, &pr); st != 400 || !strings.Contains(ruleOf(pr, "new_seal_number"), "back in envelope Spare keys") {
			t.Fatalf("collect without a seal: %d %+v", st, pr)
		}
		item := page("/holders/" + holderID + "/offboarding").byID("item-" + keyID)
		if item == nil || item.find(uiAttr("name", "new_seal_number")) == nil || !strings.Contains(item.Text(), "breaks its seal 4473") {
			t.Fatal("the offboarding page does not ask for the envelope's new seal")
		}
		st, _ = p.do("POST", "/holders/"+holderID+"/offboarding/keys/"+keyID+"/collect", url.Values{"csrf": {p.CSRF}, "new_seal_number": {"4474"}})
		if st != 303 {
			t.Fatalf("collect with the new seal: %d", st)
		}
	})
}
