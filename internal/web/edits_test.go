package web_test

import (
	"encoding/json"
	"strings"
	"sync"
	"testing"

	"github.com/keyward/keyward/internal/keyward"
	"github.com/keyward/keyward/internal/store/storetest"
)

func TestKeyPatchAPI(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		app := newTestApp(t, b)
		kwID, _, keyID := app.stock()
		owner := keyward.RoleOwner
		var kw2 map[string]any
		if st := app.call(owner, "POST", "/api/v1/keyways", map[string]any{"name": "Medeco M3", "manufacturer": "Medeco", "duplication_policy": "restricted"}, &kw2); st != 201 {
			t.Fatalf("second keyway: %d", st)
		}
		kw2ID := kw2["id"].(string)
		var p problem
		unchanged := func(what string) {
			t.Helper()
			var k keyward.Key
			if st := app.call(owner, "GET", "/api/v1/keys/"+keyID, nil, &k); st != 200 || k.KeywayID != kwID || k.Stamp != "AA1-1" {
				t.Fatalf("%s changed the key: %d %+v", what, st, k)
			}
		}

		before := app.auditCount()
		if st := app.call(owner, "PATCH", "/api/v1/keys/"+keyID, map[string]any{"symbol": "BB1"}, &p); st != 400 ||
			!hasField(p, "symbol") || !strings.Contains(p.Detail, "is stamped on the key") {
			t.Fatalf("symbol: %d %+v", st, p)
		}
		if st := app.call(owner, "PATCH", "/api/v1/keys/"+keyID, map[string]any{"keyway_id": kw2ID, "copy_number": 2}, &p); st != 400 || !hasField(p, "copy_number") {
			t.Fatalf("copy_number: %d %+v", st, p)
		}
		if st := app.call(owner, "PATCH", "/api/v1/keys/"+keyID, map[string]any{"keyway_id": kw2ID, "colour": "red"}, &p); st != 400 || !hasField(p, "colour") {
			t.Fatalf("unknown member: %d %+v", st, p)
		}
		if st := app.call(owner, "PATCH", "/api/v1/keys/"+keyID, map[string]any{"keyway_id": keyID}, &p); st != 400 || !hasField(p, "keyway_id") {
			t.Fatalf("keyway that is no keyway: %d %+v", st, p)
		}
		if st := app.call(keyward.RoleAuditor, "PATCH", "/api/v1/keys/"+keyID, map[string]any{"keyway_id": kw2ID}, &p); st != 403 {
			t.Fatalf("auditor edits a key: %d", st)
		}
		unchanged("a refused patch")
		if n := app.count(`SELECT COUNT(*) FROM audit_log WHERE action = 'key.update'`); n != 0 {
			t.Fatalf("refused patches wrote %d key.update records", n)
		}
		before = app.auditCount() // the auditor's denial is recorded

		var k keyward.Key
		if st := app.call(owner, "PATCH", "/api/v1/keys/"+keyID, map[string]any{"keyway_id": kw2ID}, &k); st != 200 || k.KeywayID != kw2ID || k.Stamp != "AA1-1" {
			t.Fatalf("keyway: %d %+v", st, k)
		}
		if app.auditCount() != before+1 {
			t.Fatalf("the key edit wrote %d audit records", app.auditCount()-before)
		}
		if n := app.count(`SELECT COUNT(*) FROM audit_log WHERE action = 'key.update' AND subject_id = '` + keyID + `' AND details LIKE '%` + kw2ID + `%'`); n != 1 {
			t.Fatal("the key edit is not audited with the new keyway")
		}
		var got keyward.Key
		if app.call(owner, "GET", "/api/v1/keys/"+keyID, nil, &got); got.KeywayID != kw2ID {
			t.Fatalf("GET after PATCH: %+v", got)
		}
		if st := app.call(owner, "PATCH", "/api/v1/keys/nope", map[string]any{"keyway_id": kw2ID}, &p); st != 404 {
			t.Fatalf("unknown key: %d", st)
		}
	})
}

func TestStorageEditAPI(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		app := newTestApp(t, b)
		_, _, keyID := app.stock()
		owner := keyward.RoleOwner
		var cab, shelf, box map[string]any
		var p problem
		app.call(owner, "POST", "/api/v1/storage", map[string]any{"kind": "cabinet", "name": "Cabinet A", "hooks": 12}, &cab)
		app.call(owner, "POST", "/api/v1/storage", map[string]any{"kind": "cabinet", "name": "Spare cabinet", "hooks": 4}, &shelf)
		cabID, shelfID := cab["id"].(string), shelf["id"].(string)
		if st := app.call(owner, "POST", "/api/v1/storage/"+cabID+"/keys", map[string]any{"key_id": keyID, "hook": 8}, nil); st != 200 {
			t.Fatalf("assign: %d", st)
		}

		// PATCH: what it names changes, the rest stays; audited once.
		before := app.auditCount()
		var pl keyward.StoragePlace
		fresh := func() *keyward.StoragePlace { pl = keyward.StoragePlace{}; return &pl }
		if st := app.call(owner, "PATCH", "/api/v1/storage/"+cabID, map[string]any{"name": " Cabinet B ", "location": "Office"}, fresh()); st != 200 ||
			pl.Name != "Cabinet B" || pl.Location != "Office" || pl.Hooks != 12 || pl.Kind != "cabinet" {
			t.Fatalf("patch: %d %+v", st, pl)
		}
		if app.auditCount() != before+1 {
			t.Fatalf("the storage edit wrote %d audit records", app.auditCount()-before)
		}
		before = app.auditCount()
		if st := app.call(owner, "PATCH", "/api/v1/storage/"+cabID, map[string]any{"name": "C", "hooks": 7}, &p); st != 400 || !hasField(p, "hooks") {
			t.Fatalf("fewer hooks than the one in use: %d %+v", st, p)
		}
		if st := app.call(owner, "PATCH", "/api/v1/storage/"+cabID, map[string]any{"kind": "lockbox"}, &p); st != 400 || !hasField(p, "kind") {
			t.Fatalf("kind: %d %+v", st, p)
		}
		if app.auditCount() != before {
			t.Fatal("a refused storage edit wrote to the audit log")
		}
		app.call(owner, "GET", "/api/v1/storage/"+cabID, nil, fresh())
		if pl.Name != "Cabinet B" || pl.Hooks != 12 {
			t.Fatalf("a refused patch changed the place: %+v", pl)
		}

		// DELETE refuses a place a key calls home, naming the key.
		if st := app.call(owner, "DELETE", "/api/v1/storage/"+cabID, nil, &p); st != 409 || !strings.Contains(p.Detail, "AA1-1") {
			t.Fatalf("delete a place with a key: %d %+v", st, p)
		}
		if app.auditCount() != before {
			t.Fatal("a refused delete wrote to the audit log")
		}

		// DELETE of an empty place retires it: gone from the list, readable by id.
		if st := app.call(owner, "DELETE", "/api/v1/storage/"+shelfID, nil, fresh()); st != 200 || pl.RetiredAt == nil {
			t.Fatalf("delete an empty place: %d %+v", st, pl)
		}
		if app.auditCount() != before+1 {
			t.Fatalf("the retirement wrote %d audit records", app.auditCount()-before)
		}
		listed := func(id string) bool {
			var list struct{ Items []keyward.StoragePlace }
			if st := app.call(owner, "GET", "/api/v1/storage", nil, &list); st != 200 {
				t.Fatalf("list: %d", st)
			}
			for _, x := range list.Items {
				if x.ID == id {
					return true
				}
			}
			return false
		}
		if listed(shelfID) || !listed(cabID) {
			t.Fatal("the retired place is in the default list, or the other is not")
		}
		var all struct{ Items []keyward.StoragePlace }
		if st := app.call(owner, "GET", "/api/v1/storage?include_retired=true", nil, &all); st != 200 || len(all.Items) != 2 {
			t.Fatalf("list with include_retired=true: %d %+v", st, all)
		}
		if st := app.call(owner, "GET", "/api/v1/storage?include_retired=yes", nil, &p); st != 400 || !hasField(p, "include_retired") {
			t.Fatalf("retired=yes: %d %+v", st, p)
		}
		if st := app.call(keyward.RoleAuditor, "GET", "/api/v1/storage/"+shelfID, nil, fresh()); st != 200 || pl.RetiredAt == nil || pl.Name != "Spare cabinet" {
			t.Fatalf("a retired place by id: %d %+v", st, pl)
		}
		if st := app.call(owner, "DELETE", "/api/v1/storage/"+shelfID, nil, &p); st != 409 {
			t.Fatalf("delete twice: %d", st)
		}
		// A retired place is not edited until restored.
		if st := app.call(owner, "PATCH", "/api/v1/storage/"+shelfID, map[string]any{"name": "Renamed"}, &p); st != 409 || !strings.Contains(p.Detail, "restore it first") {
			t.Fatalf("edit a retired place: %d %+v", st, p)
		}

		// Restore brings it back.
		before = app.auditCount()
		if st := app.call(keyward.RoleAuditor, "POST", "/api/v1/storage/"+shelfID+"/restore", nil, &p); st != 403 {
			t.Fatalf("auditor restores: %d", st)
		}
		before = app.auditCount()
		if st := app.call(owner, "POST", "/api/v1/storage/"+shelfID+"/restore", nil, fresh()); st != 200 || pl.RetiredAt != nil {
			t.Fatalf("restore: %d %+v", st, pl)
		}
		if app.auditCount() != before+1 || !listed(shelfID) {
			t.Fatal("the restore is not audited or the place is not listed again")
		}
		if st := app.call(owner, "POST", "/api/v1/storage/"+shelfID+"/restore", nil, &p); st != 409 {
			t.Fatalf("restore a place in use: %d", st)
		}

		// A new lockbox code needs a reason; neither answer nor audit shows the code.
		if st := app.call(owner, "POST", "/api/v1/storage", map[string]any{"kind": "lockbox", "name": "Gate box", "code": "73915"}, &box); st != 201 {
			t.Fatalf("lockbox: %d", st)
		}
		boxID := box["id"].(string)
		before = app.auditCount()
		if st := app.call(owner, "POST", "/api/v1/storage/"+boxID+"/code", map[string]any{"code": "48261"}, &p); st != 400 || !hasField(p, "reason") || strings.Contains(p.Detail, "48261") {
			t.Fatalf("code without a reason: %d %+v", st, p)
		}
		if app.auditCount() != before {
			t.Fatal("a refused code change wrote to the audit log")
		}
		var raw map[string]any
		if st := app.call(owner, "POST", "/api/v1/storage/"+boxID+"/code", map[string]any{"code": "48261", "reason": "the tenant moved out"}, &raw); st != 200 {
			t.Fatalf("code with a reason: %d %v", st, raw)
		}
		if j, _ := json.Marshal(raw); strings.Contains(string(j), "48261") || raw["has_code"] != true {
			t.Fatalf("the answer shows the code: %v", raw)
		}
		if app.auditCount() != before+1 {
			t.Fatalf("the code change wrote %d audit records", app.auditCount()-before)
		}
		if n := app.count(`SELECT COUNT(*) FROM audit_log WHERE details LIKE '%48261%'`); n != 0 {
			t.Fatal("the new code is in the audit log")
		}
		if n := app.count(`SELECT COUNT(*) FROM audit_log WHERE subject_id = '` + boxID + `' AND details LIKE '%tenant moved out%'`); n != 1 {
			t.Fatal("the reason is not in the audit record")
		}
		// No code on a cabinet, nor on a retired lockbox; an unknown site is named.
		if st := app.call(owner, "POST", "/api/v1/storage/"+cabID+"/code", map[string]any{"code": "1", "reason": "r"}, &p); st != 409 {
			t.Fatalf("code on a cabinet: %d %+v", st, p)
		}
		if st := app.call(owner, "PATCH", "/api/v1/storage/"+boxID, map[string]any{"site_id": "sit_nope"}, &p); st != 400 || !hasField(p, "site_id") {
			t.Fatalf("unknown site: %d %+v", st, p)
		}
		if st := app.call(owner, "PATCH", "/api/v1/storage/"+boxID, map[string]any{"hooks": 3}, &p); st != 400 || !hasField(p, "hooks") {
			t.Fatalf("hooks on a lockbox: %d %+v", st, p)
		}
		var site map[string]any
		app.call(owner, "POST", "/api/v1/sites", map[string]any{"name": "Harbour Point"}, &site)
		if st := app.call(owner, "PATCH", "/api/v1/storage/"+boxID, map[string]any{"site_id": site["id"]}, fresh()); st != 200 || pl.SiteID != site["id"] || pl.Name != "Gate box" {
			t.Fatalf("site: %d %+v", st, pl)
		}
		if st := app.call(owner, "PATCH", "/api/v1/storage/"+boxID, map[string]any{"site_id": ""}, fresh()); st != 200 || pl.SiteID != "" {
			t.Fatalf("no site: %d %+v", st, pl)
		}
		var rev map[string]string
		if st := app.call(owner, "POST", "/api/v1/storage/"+boxID+"/reveal", map[string]any{"reason": "check"}, &rev); st != 200 || rev["code"] != "48261" {
			t.Fatalf("the new code was not sealed: %d %v", st, rev)
		}
		if st := app.call(owner, "DELETE", "/api/v1/storage/"+boxID, nil, nil); st != 200 {
			t.Fatalf("retire the lockbox: %d", st)
		}
		if st := app.call(owner, "POST", "/api/v1/storage/"+boxID+"/code", map[string]any{"code": "99999", "reason": "r"}, &p); st != 409 {
			t.Fatalf("code on a retired lockbox: %d %+v", st, p)
		}
	})
}

func TestUserPatchAPI(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		app := newTestApp(t, b)
		mgr, owner := app.users[keyward.RoleManager], app.users[keyward.RoleOwner]
		var u keyward.User
		var p problem

		before := app.auditCount()
		if st := app.call(keyward.RoleAdmin, "PATCH", "/api/v1/users/"+mgr.ID, map[string]any{"name": " Mo Manager "}, &u); st != 200 ||
			u.Name != "Mo Manager" || u.Role != keyward.RoleManager || u.Disabled {
			t.Fatalf("rename: %d %+v", st, u)
		}
		if app.auditCount() != before+1 {
			t.Fatal("the rename is not audited once")
		}
		if st := app.call(keyward.RoleAdmin, "PATCH", "/api/v1/users/"+mgr.ID, map[string]any{"name": ""}, &p); st != 400 || !hasField(p, "name") {
			t.Fatalf("empty name: %d %+v", st, p)
		}
		if st := app.call(keyward.RoleAdmin, "PATCH", "/api/v1/users/"+mgr.ID, map[string]any{"role": "boss"}, &p); st != 400 || !hasField(p, "role") {
			t.Fatalf("unknown role: %d %+v", st, p)
		}
		if st := app.call(keyward.RoleAdmin, "PATCH", "/api/v1/users/"+mgr.ID, map[string]any{"role": "owner"}, &p); st != 403 {
			t.Fatalf("admin promotes to owner: %d %+v", st, p)
		}
		if st := app.call(keyward.RoleAdmin, "PATCH", "/api/v1/users/"+owner.ID, map[string]any{"role": "admin"}, &p); st != 403 {
			t.Fatalf("admin demotes the owner: %d %+v", st, p)
		}
		if st := app.call(keyward.RoleAdmin, "PATCH", "/api/v1/users/"+app.users[keyward.RoleAdmin].ID, map[string]any{"disabled": true}, &p); st != 409 {
			t.Fatalf("admin disables self: %d %+v", st, p)
		}
		// The owner is the only one: they cannot step down (409, also as themselves).
		before = app.auditCount()
		if st := app.call(keyward.RoleOwner, "PATCH", "/api/v1/users/"+owner.ID, map[string]any{"role": "admin"}, &p); st != 409 {
			t.Fatalf("last owner demotes self: %d %+v", st, p)
		}
		if u := app.user(mgr.ID); u.Name != "Mo Manager" || u.Role != keyward.RoleManager {
			t.Fatalf("refused patches changed the user: %+v", u)
		}
		if n := app.count(`SELECT COUNT(*) FROM audit_log WHERE action = 'user.update'`); n != 1 {
			t.Fatalf("%d user.update records, want the one rename", n)
		}
		// A second owner: now the first may be demoted by them, but not the last one left.
		if st := app.call(keyward.RoleOwner, "PATCH", "/api/v1/users/"+mgr.ID, map[string]any{"role": "owner"}, &u); st != 200 || u.Role != keyward.RoleOwner {
			t.Fatalf("owner promotes: %d %+v", st, u)
		}
		if st := app.call(keyward.RoleOwner, "PATCH", "/api/v1/users/"+mgr.ID, map[string]any{"disabled": true}, &u); st != 200 || !u.Disabled {
			t.Fatalf("owner disables the second owner: %d %+v", st, u)
		}
		if st := app.call(keyward.RoleOwner, "PATCH", "/api/v1/users/"+mgr.ID, map[string]any{"role": "manager"}, &u); st != 200 || u.Role != keyward.RoleManager || !u.Disabled {
			t.Fatalf("owner demotes a disabled owner: %d %+v", st, u)
		}
		if n := app.count(`SELECT COUNT(*) FROM users WHERE role = 'owner' AND disabled = 0`); n != 1 {
			t.Fatalf("%d active owners", n)
		}
	})
}

func TestOrgAPI(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		app := newTestApp(t, b)
		var o keyward.Org
		var p problem
		if st := app.call(keyward.RoleHolder, "GET", "/api/v1/org", nil, &o); st != 200 || o.Name != "Acme Property" {
			t.Fatalf("get org: %d %+v", st, o)
		}
		before := app.auditCount()
		if st := app.call(keyward.RoleOwner, "PATCH", "/api/v1/org", map[string]any{"name": "Acme Lettings", "time_zone": "Europe/Berlin"}, &o); st != 200 ||
			o.Name != "Acme Lettings" || o.TimeZone != "Europe/Berlin" {
			t.Fatalf("patch org: %d %+v", st, o)
		}
		if app.auditCount() != before+1 || app.count(`SELECT COUNT(*) FROM audit_log WHERE action = 'org.update' AND details LIKE '%Europe/Berlin%'`) != 1 {
			t.Fatal("the org change is not audited once")
		}
		before = app.auditCount()
		if st := app.call(keyward.RoleOwner, "PATCH", "/api/v1/org", map[string]any{"name": "X", "time_zone": "Mars/Olympus"}, &p); st != 400 || !hasField(p, "time_zone") {
			t.Fatalf("bad zone: %d %+v", st, p)
		}
		if app.auditCount() != before {
			t.Fatal("a refused org change wrote to the audit log")
		}
		if st := app.call(keyward.RoleAdmin, "PATCH", "/api/v1/org", map[string]any{"name": "Admin Corp"}, &p); st != 403 {
			t.Fatalf("admin changes the org: %d %+v", st, p)
		}
		app.call(keyward.RoleOwner, "GET", "/api/v1/org", nil, &o)
		if o.Name != "Acme Lettings" || o.TimeZone != "Europe/Berlin" {
			t.Fatalf("refused changes changed the org: %+v", o)
		}
		// A partial patch leaves the rest.
		if st := app.call(keyward.RoleOwner, "PATCH", "/api/v1/org", map[string]any{"time_zone": "UTC"}, &o); st != 200 || o.Name != "Acme Lettings" || o.TimeZone != "UTC" {
			t.Fatalf("zone only: %d %+v", st, o)
		}
	})
}

// user reads one account from the list of users.
func (a *testApp) user(id string) keyward.User {
	a.t.Helper()
	var list struct{ Items []keyward.User }
	if st := a.call(keyward.RoleOwner, "GET", "/api/v1/users", nil, &list); st != 200 {
		a.t.Fatalf("users: %d", st)
	}
	for _, u := range list.Items {
		if u.ID == id {
			return u
		}
	}
	a.t.Fatalf("no user %s", id)
	return keyward.User{}
}

// TestOwnersDemoteEachOther: two owners demoting each other at once leave
// one owner, never none.
func TestOwnersDemoteEachOther(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		app := newTestApp(t, b)
		owner, second := app.users[keyward.RoleOwner], app.users[keyward.RoleManager]
		for round := 0; round < 5; round++ {
			if st := app.call(keyward.RoleOwner, "PATCH", "/api/v1/users/"+second.ID, map[string]any{"role": "owner"}, nil); st != 200 {
				t.Fatalf("round %d: promote: %d", round, st)
			}
			// The token of the "manager" user now acts as an owner.
			var wg sync.WaitGroup
			codes := make([]int, 2)
			for i, c := range []struct {
				as     keyward.Role
				target string
			}{{keyward.RoleOwner, second.ID}, {keyward.RoleManager, owner.ID}} {
				wg.Add(1)
				go func() {
					defer wg.Done()
					codes[i] = app.call(c.as, "PATCH", "/api/v1/users/"+c.target, map[string]any{"role": "admin"}, nil)
				}()
			}
			wg.Wait()
			if n := app.count(`SELECT COUNT(*) FROM users WHERE role = 'owner' AND disabled = 0`); n != 1 {
				t.Fatalf("round %d: %d active owners after %v", round, n, codes)
			}
			for _, c := range codes {
				if c != 200 && c != 409 && c != 403 {
					t.Fatalf("round %d: answers %v", round, codes)
				}
			}
			// Put the first owner back if the second won.
			if app.user(owner.ID).Role != keyward.RoleOwner {
				if st := app.call(keyward.RoleManager, "PATCH", "/api/v1/users/"+owner.ID, map[string]any{"role": "owner"}, nil); st != 200 {
					t.Fatalf("round %d: restore the owner: %d", round, st)
				}
				app.call(keyward.RoleOwner, "PATCH", "/api/v1/users/"+second.ID, map[string]any{"role": "manager"}, nil)
			}
		}
	})
}
