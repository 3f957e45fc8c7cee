package web_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/keyward/keyward/internal/keyward"
	"github.com/keyward/keyward/internal/store"
	"github.com/keyward/keyward/internal/store/storetest"
)

// netAPI builds, through the API, the contract's worked example with names:
// master "Main office" with backup "Office backup", sub "Cleaner" held by a
// key holder who can sign in, and soft key "Cleaner's phone"; master
// "Warehouse", whose "Yard gate" is granted to "Main office".
type netAPI struct {
	app         *testApp
	ids         map[string]string // name → id
	holderToken string
	holderRole  keyward.Role
}

func (n *netAPI) op(t *testing.T, body map[string]any) map[string]any {
	t.Helper()
	var out map[string]any
	if st := n.app.call(keyward.RoleOwner, "POST", "/api/v1/access/ops", body, &out); st != 200 {
		t.Fatalf("op %v: %d %v", body, st, out)
	}
	for _, member := range []string{"key", "lock"} {
		if m, ok := out[member].(map[string]any); ok && body["name"] != nil {
			n.ids[body["name"].(string)] = m["id"].(string)
		}
	}
	return out
}

func newNetAPI(t *testing.T, b storetest.Backend) *netAPI {
	t.Helper()
	n := &netAPI{app: newTestApp(t, b), ids: map[string]string{}}
	var h map[string]any
	if st := n.app.call(keyward.RoleOwner, "POST", "/api/v1/holders", map[string]any{"name": "Cleo Cleaner", "email": "cleo@acme.test"}, &h); st != 201 {
		t.Fatalf("holder: %d", st)
	}
	cleo := h["id"].(string)
	n.op(t, map[string]any{"op": "master", "name": "Main office"})
	n.op(t, map[string]any{"op": "lock", "name": "Front door"})
	n.op(t, map[string]any{"op": "lock", "name": "Server room"})
	n.op(t, map[string]any{"op": "serialize", "lock": n.ids["Front door"], "by": n.ids["Main office"]})
	n.op(t, map[string]any{"op": "backup", "name": "Office backup", "by": n.ids["Main office"]})
	n.op(t, map[string]any{"op": "serialize", "lock": n.ids["Server room"], "by": n.ids["Office backup"]})
	n.op(t, map[string]any{"op": "master", "name": "Warehouse"})
	n.op(t, map[string]any{"op": "lock", "name": "Yard gate"})
	n.op(t, map[string]any{"op": "serialize", "lock": n.ids["Yard gate"], "by": n.ids["Warehouse"]})
	n.op(t, map[string]any{"op": "grant", "to": n.ids["Main office"], "locks": []string{n.ids["Yard gate"]}, "by": n.ids["Warehouse"]})
	n.op(t, map[string]any{"op": "sub", "name": "Cleaner", "by": n.ids["Office backup"], "locks": []string{n.ids["Front door"]}, "holder_id": cleo})
	n.op(t, map[string]any{"op": "sub", "name": "Cleaner's phone", "soft": true, "by": n.ids["Main office"], "locks": []string{n.ids["Front door"]}, "holder_id": cleo})
	// Cleo signs in as a key holder
	ctx, sys := context.Background(), keyward.SystemActor("test")
	acc := n.app.db.Accounts(n.app.env.Vault)
	u, _, err := acc.CreateUser(ctx, sys, store.UserInput{Email: "cleo@acme.test", Role: keyward.RoleHolder, HolderID: cleo, Password: "cleo's own passphrase"})
	if err != nil {
		t.Fatal(err)
	}
	if n.holderToken, err = acc.CreateToken(ctx, sys, u.Email, "cleo"); err != nil {
		t.Fatal(err)
	}
	n.holderRole = "cleo"
	n.app.tokens[n.holderRole] = n.holderToken
	return n
}

// TestNetAccessAPIWorkedExample: the decisions of the contract's example
// with their reasons, the tree, and the hierarchy's lists.
func TestNetAccessAPIWorkedExample(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		n := newNetAPI(t, b)
		for _, tc := range []struct {
			key, lock string
			allow     bool
			via       any
			reason    string
		}{
			{"Main office", "Server room", true, "owner", "master Main office, which owns lock Server room"},
			{"Office backup", "Yard gate", false, nil, "master Warehouse granted lock Yard gate to master Main office only: a grant to a master is not copied to its backups"},
			{"Cleaner's phone", "Front door", true, "grant", "granted lock Front door by master Main office, which owns it"},
		} {
			var d map[string]any
			if st := n.app.call(keyward.RoleAuditor, "GET", "/api/v1/access/check?key="+n.ids[tc.key]+"&lock="+n.ids[tc.lock], nil, &d); st != 200 {
				t.Fatalf("check: %d %v", st, d)
			}
			if d["allow"] != tc.allow || d["via"] != tc.via || d["reason"] != tc.reason {
				t.Errorf("%s / %s: %v", tc.key, tc.lock, d)
			}
		}
		var p problem
		if st := n.app.call(keyward.RoleOwner, "GET", "/api/v1/access/check?key="+n.ids["Main office"], nil, &p); st != 400 || p.Errors[0].Field != "lock" {
			t.Errorf("check without a lock: %d %+v", st, p)
		}
		var tree keyward.NetTree
		if st := n.app.call(keyward.RoleOwner, "GET", "/api/v1/access/keys/"+n.ids["Main office"]+"/tree", nil, &tree); st != 200 {
			t.Fatalf("tree: %d", st)
		}
		if len(tree.Backups) != 1 || len(tree.Subs) != 2 || tree.SingleKey || len(tree.Master.Reaches) != 3 {
			t.Errorf("tree %+v", tree)
		}
		var h keyward.NetHierarchy
		if st := n.app.call(keyward.RoleOwner, "GET", "/api/v1/access", nil, &h); st != 200 || len(h.Keys) != 5 || len(h.SingleKey) != 1 || h.SingleKey[0] != n.ids["Warehouse"] {
			t.Errorf("hierarchy: %d %+v", st, h)
		}
	})
}

// TestNetAccessAPIRefusals: every refusal of the contract through the API,
// as a 422 naming the rule and the field, in words, changing nothing.
func TestNetAccessAPIRefusals(t *testing.T) {
	n := newNetAPI(t, storetest.SQLite)
	id := n.ids
	var before, after keyward.NetHierarchy
	n.app.call(keyward.RoleOwner, "GET", "/api/v1/access", nil, &before)
	for _, tc := range []struct {
		body        map[string]any
		rule, field string
		words       string
	}{
		{map[string]any{"op": "serialize", "lock": id["Front door"], "by": "nk_nobody"}, "unknown_key", "by", "There is no key"},
		{map[string]any{"op": "grant", "to": "nk_nobody", "locks": []string{id["Front door"]}, "by": id["Main office"]}, "unknown_key", "to", "There is no key"},
		{map[string]any{"op": "unserialize", "lock": "nl_nothing", "by": id["Main office"]}, "unknown_lock", "lock", "There is no lock"},
		{map[string]any{"op": "backup", "name": "X", "by": id["Cleaner"]}, "sub_cannot_manage", "by", "“Cleaner” is a sub key"},
		{map[string]any{"op": "master", "name": "Warehouse"}, "duplicate_id", "name", "A key “Warehouse” already exists"},
		{map[string]any{"op": "lock", "name": "Yard gate"}, "duplicate_id", "name", "A lock “Yard gate” already exists"},
		{map[string]any{"op": "serialize", "lock": id["Yard gate"], "by": id["Office backup"]}, "lock_owned", "lock", "already serialized"},
		{map[string]any{"op": "grant", "to": id["Cleaner"], "locks": []string{id["Yard gate"]}, "by": id["Main office"]}, "not_owner", "locks", "“Yard gate” does not belong"},
		{map[string]any{"op": "delete", "key": id["Cleaner"], "by": id["Warehouse"]}, "not_owner", "key", "belongs to another master's group"},
		{map[string]any{"op": "grant", "to": id["Office backup"], "locks": []string{id["Front door"]}, "by": id["Main office"]}, "grant_target", "to", "not to key “Office backup”"},
		{map[string]any{"op": "revoke", "from": id["Cleaner"], "locks": []string{id["Server room"]}, "by": id["Main office"]}, "not_granted", "locks", "was not given lock “Server room”"},
		{map[string]any{"op": "delete", "key": id["Office backup"], "by": id["Office backup"]}, "self", "key", "cannot delete itself"},
	} {
		var p map[string]any
		if st := n.app.call(keyward.RoleOwner, "POST", "/api/v1/access/ops", tc.body, &p); st != 422 {
			t.Errorf("%v: %d %v, want 422", tc.body, st, p)
			continue
		}
		errs, _ := p["errors"].([]any)
		first, _ := errs[0].(map[string]any)
		if p["rule"] != tc.rule || first["field"] != tc.field || first["rule"] != tc.rule || !strings.Contains(p["detail"].(string), tc.words) {
			t.Errorf("%v: %v, want %s on %s saying %q", tc.body, p, tc.rule, tc.field, tc.words)
		}
		if strings.Contains(fmt.Sprint(p["detail"]), "nk_") {
			t.Errorf("an id in the words: %v", p["detail"])
		}
	}
	for _, body := range []string{`{"op":"master"}`, `{"op":"fly"}`, `{"op":"grant","to":"x","by":"y"}`, `{"op":"master","name":"A","extra":1}`, `[]`} {
		if st := n.app.call(keyward.RoleOwner, "POST", "/api/v1/access/ops", body, nil); st != 400 {
			t.Errorf("%s: %d, want 400", body, st)
		}
	}
	n.app.call(keyward.RoleOwner, "GET", "/api/v1/access", nil, &after)
	if fmt.Sprint(before) != fmt.Sprint(after) {
		t.Error("refused requests changed the hierarchy")
	}
}

// TestNetAccessAPISubHolderAbuse: the holder of a sub key and of a soft key,
// signed in with their own token, tries every management op: with their own
// keys the hierarchy refuses (sub_cannot_manage); with the master's key, or
// an op only staff make, the policy does (403). Nothing changes.
func TestNetAccessAPISubHolderAbuse(t *testing.T) {
	n := newNetAPI(t, storetest.SQLite)
	id := n.ids
	var before, after keyward.NetHierarchy
	n.app.call(keyward.RoleOwner, "GET", "/api/v1/access", nil, &before)
	records := n.app.auditCount()
	tries := 0
	for _, by := range []string{id["Cleaner"], id["Cleaner's phone"]} {
		for _, body := range []map[string]any{
			{"op": "serialize", "lock": id["Server room"], "by": by},
			{"op": "unserialize", "lock": id["Front door"], "by": by},
			{"op": "backup", "name": "My spare", "by": by},
			{"op": "sub", "name": "For a friend", "by": by, "locks": []string{id["Front door"]}},
			{"op": "grant", "to": by, "locks": []string{id["Server room"]}, "by": by},
			{"op": "revoke", "from": id["Cleaner"], "locks": []string{id["Front door"]}, "by": by},
			{"op": "delete", "key": id["Main office"], "by": by},
		} {
			var p map[string]any
			if st := n.app.call(n.holderRole, "POST", "/api/v1/access/ops", body, &p); st != 422 || p["rule"] != "sub_cannot_manage" {
				t.Errorf("%v: %d %v", body, st, p)
			}
			tries++
		}
		var p map[string]any
		if st := n.app.call(n.holderRole, "PATCH", "/api/v1/access/keys/"+by, map[string]any{"name": "Boss", "by": by}, &p); st != 422 || p["rule"] != "sub_cannot_manage" {
			t.Errorf("rename with a sub key: %d %v", st, p)
		}
		tries++
	}
	for _, body := range []map[string]any{
		{"op": "backup", "name": "My spare", "by": id["Main office"]},
		{"op": "grant", "to": id["Cleaner"], "locks": []string{id["Server room"]}, "by": id["Office backup"]},
		{"op": "master", "name": "My own"}, {"op": "lock", "name": "My lock"},
		{"op": "offline", "lock": id["Front door"]}, {"op": "online", "lock": id["Front door"]},
	} {
		if st := n.app.call(n.holderRole, "POST", "/api/v1/access/ops", body, nil); st != 403 {
			t.Errorf("%v with someone else's key: %d, want 403", body, st)
		}
		tries++
	}
	if st := n.app.call(n.holderRole, "PATCH", "/api/v1/access/keys/"+id["Cleaner"], map[string]any{"name": "Boss", "by": id["Main office"]}, nil); st != 403 {
		t.Errorf("rename with the master's key: %d", st)
	}
	tries++
	// reading the hierarchy is for staff
	if st := n.app.call(n.holderRole, "GET", "/api/v1/access", nil, nil); st != 403 {
		t.Errorf("a holder read the hierarchy: %d", st)
	}
	n.app.call(keyward.RoleOwner, "GET", "/api/v1/access", nil, &after)
	if fmt.Sprint(before) != fmt.Sprint(after) {
		t.Error("the holder's attempts changed the hierarchy")
	}
	// every attempt to change something is in the audit log
	if got := n.app.auditCount() - records; got != int64(tries) {
		t.Errorf("%d audit records for %d attempts", got, tries)
	}
}
