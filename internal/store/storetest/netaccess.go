package storetest

import (
	"reflect"
	"strings"
	"testing"

	"github.com/keyward/keyward/internal/keyward"
	"github.com/keyward/keyward/internal/store"
)

// netFixture is a hierarchy built through the store: the worked example of
// the contract, with names people read.
//
//	master "Main office" (M) with backup "Office backup" (B) and sub "Cleaner" (S);
//	locks "Front door" (serialized by M), "Server room" (serialized by B);
//	master "Warehouse" (N) owns "Yard gate" and granted it to M.
type netFixture struct {
	*fixture
	na                      *store.NetAccess
	m, b, s, n              string // key ids
	front, server, yard     string // lock ids
	openingID, holderID     string
	holderActor, subHolder2 keyward.Actor
}

func (f *netFixture) do(t *testing.T, in keyward.NetOp) *keyward.NetOpResult {
	t.Helper()
	r, err := f.na.Apply(ctx, f.owner, in)
	if err != nil {
		t.Fatalf("%+v: %v", in, err)
	}
	return r
}

func netSetup(t *testing.T, b Backend) *netFixture {
	t.Helper()
	f := &netFixture{fixture: setup(t, b)}
	f.na = f.db.NetAccess()
	dir := f.db.Directory()
	site := must[*keyward.Site](t)(dir.CreateSite(ctx, f.owner, keyward.SiteInput{Name: "Harbour Point"}))
	f.openingID = must[*keyward.Opening](t)(dir.CreateOpening(ctx, f.owner, keyward.OpeningInput{SiteID: site.ID, Name: "Main entrance", Kind: "door"})).ID
	f.holderID = must[*keyward.Holder](t)(dir.CreateHolder(ctx, f.owner, keyward.HolderInput{Name: "Cleo Cleaner", Email: "cleo@acme.test"})).ID
	f.m = f.do(t, keyward.NetOp{Op: "master", Name: "Main office"}).Key.ID
	f.front = f.do(t, keyward.NetOp{Op: "lock", Name: "Front door", OpeningID: f.openingID}).Lock.ID
	f.server = f.do(t, keyward.NetOp{Op: "lock", Name: "Server room"}).Lock.ID
	f.do(t, keyward.NetOp{Op: "serialize", Lock: f.front, By: f.m})
	f.b = f.do(t, keyward.NetOp{Op: "backup", Name: "Office backup", By: f.m}).Key.ID
	f.do(t, keyward.NetOp{Op: "serialize", Lock: f.server, By: f.b})
	f.n = f.do(t, keyward.NetOp{Op: "master", Name: "Warehouse"}).Key.ID
	f.yard = f.do(t, keyward.NetOp{Op: "lock", Name: "Yard gate"}).Lock.ID
	f.do(t, keyward.NetOp{Op: "serialize", Lock: f.yard, By: f.n})
	f.do(t, keyward.NetOp{Op: "grant", To: f.m, Locks: []string{f.yard}, By: f.n})
	f.s = f.do(t, keyward.NetOp{Op: "sub", Name: "Cleaner", By: f.b, Locks: []string{f.front}, HolderID: f.holderID}).Key.ID
	return f
}

func testNetAccessHierarchy(t *testing.T, b Backend) {
	f := netSetup(t, b)
	for _, tc := range []struct {
		key, lock, via, reason string
		allow                  bool
	}{
		{f.m, f.server, "owner", "master Main office, which owns lock Server room", true},
		{f.b, f.front, "backup", "backup of master Main office, which owns lock Front door", true},
		{f.m, f.yard, "grant", "granted lock Yard gate by master Warehouse, which owns it", true},
		{f.b, f.yard, "", "master Warehouse granted lock Yard gate to master Main office only: a grant to a master is not copied to its backups", false},
		{f.s, f.server, "", "lock Server room belongs to master Main office, who has not granted it to Cleaner", false},
	} {
		d := must[*keyward.NetDecision](t)(f.na.Check(ctx, f.owner, tc.key, tc.lock))
		if d.Allow != tc.allow || d.Via != tc.via || d.Reason != tc.reason || d.Accepts != tc.allow {
			t.Errorf("check %s/%s = %+v, want %v %q %q", tc.key, tc.lock, d, tc.allow, tc.via, tc.reason)
		}
	}
	_, err := f.na.Check(ctx, f.owner, "nk_nothing", f.front)
	wantCode(t, err, keyward.ENOTFOUND)

	tree := must[*keyward.NetTree](t)(f.na.Tree(ctx, f.owner, f.m))
	if tree.Master.Key.Name != "Main office" || len(tree.Backups) != 1 || len(tree.Subs) != 1 || tree.SingleKey {
		t.Fatalf("tree: %+v", tree)
	}
	if len(tree.Master.Reaches) != 3 || len(tree.Backups[0].Reaches) != 2 || len(tree.Subs[0].Reaches) != 1 || len(tree.Granted) != 1 || tree.Granted[0].Name != "Yard gate" {
		t.Errorf("tree reaches: master %d, backup %d, sub %d, granted %v", len(tree.Master.Reaches), len(tree.Backups[0].Reaches), len(tree.Subs[0].Reaches), tree.Granted)
	}
	// a group with a single master and no backup is flagged
	if wt := must[*keyward.NetTree](t)(f.na.Tree(ctx, f.owner, f.n)); !wt.SingleKey {
		t.Error("Warehouse has no backup but is not flagged")
	}
	h := must[*keyward.NetHierarchy](t)(f.na.Hierarchy(ctx, f.owner))
	if len(h.Keys) != 4 || len(h.Locks) != 3 || len(h.Grants) != 2 || len(h.Exposed) != 0 || len(h.Pending) != 0 {
		t.Errorf("hierarchy: %d keys, %d locks, %d grants, exposures %v / %v", len(h.Keys), len(h.Locks), len(h.Grants), h.Exposed, h.Pending)
	}
	if !reflect.DeepEqual(h.SingleKey, []string{f.n}) {
		t.Errorf("single-key groups %v, want only Warehouse", h.SingleKey)
	}
	if h.Locks[0].Name != "Front door" || h.Locks[0].OpeningID != f.openingID || h.Keys[0].Name != "Cleaner" || h.Keys[0].HolderID != f.holderID {
		t.Errorf("records: %+v / %+v", h.Locks[0], h.Keys[0])
	}
	d := lastAudit(t, f.fixture, "netkey.grant", f.m)
	if d["key_name"] != "Main office" || d["lock_names"] != "Yard gate" || d["by_name"] != "Warehouse" {
		t.Errorf("grant audit details: %v", d)
	}
}

// Every refusal of the contract through the store: its rule, the field, its
// words, nothing changed, and the attempt in the audit log.
func testNetAccessRefusals(t *testing.T, b Backend) {
	f := netSetup(t, b)
	deleted := f.do(t, keyward.NetOp{Op: "backup", Name: "Old backup", By: f.m}).Key.ID
	f.do(t, keyward.NetOp{Op: "delete", Key: deleted, By: f.m})
	before := must[*keyward.NetHierarchy](t)(f.na.Hierarchy(ctx, f.owner))
	for _, tc := range []struct {
		name        string
		in          keyward.NetOp
		rule, field string
		words       string
	}{
		{"unknown by", keyward.NetOp{Op: "serialize", Lock: f.front, By: "nk_nobody"}, "unknown_key", "by", "There is no key, or it has been deleted."},
		{"deleted by", keyward.NetOp{Op: "backup", Name: "X", By: deleted}, "unknown_key", "by", "“Old backup”"},
		{"unknown to", keyward.NetOp{Op: "grant", To: "nk_nobody", Locks: []string{f.front}, By: f.m}, "unknown_key", "to", "There is no key"},
		{"unknown lock", keyward.NetOp{Op: "sub", Name: "X", By: f.m, Locks: []string{f.front, "nl_nothing"}}, "unknown_lock", "locks", "There is no lock."},
		{"sub manages", keyward.NetOp{Op: "backup", Name: "Office backup", By: f.s}, "sub_cannot_manage", "by", "“Cleaner” is a sub key"},
		{"duplicate key name", keyward.NetOp{Op: "sub", Name: "Office backup", By: f.m, Locks: []string{f.yard}}, "duplicate_id", "name", "A key “Office backup” already exists"},
		{"deleted key keeps its name", keyward.NetOp{Op: "master", Name: "Old backup"}, "duplicate_id", "name", "already exists"},
		{"duplicate lock name", keyward.NetOp{Op: "lock", Name: "Front door"}, "duplicate_id", "name", "A lock “Front door” already exists"},
		{"lock owned", keyward.NetOp{Op: "serialize", Lock: f.yard, By: f.m}, "lock_owned", "lock", "“Yard gate” is already serialized"},
		{"pass on a granted lock", keyward.NetOp{Op: "sub", Name: "Guest", By: f.m, Locks: []string{f.yard}}, "not_owner", "locks", "“Yard gate” does not belong to this master's group"},
		{"delete another group's key", keyward.NetOp{Op: "delete", Key: f.n, By: f.b}, "not_owner", "key", "“Warehouse” belongs to another master's group"},
		{"grant to a backup", keyward.NetOp{Op: "grant", To: f.b, Locks: []string{f.front}, By: f.m}, "grant_target", "to", "not to key “Office backup”"},
		{"revoke what was not given", keyward.NetOp{Op: "revoke", From: f.s, Locks: []string{f.server}, By: f.m}, "not_granted", "locks", "“Cleaner” was not given lock “Server room”"},
		{"delete itself", keyward.NetOp{Op: "delete", Key: f.m, By: f.m}, "self", "key", "cannot delete itself"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			n := auditCount(t, f.fixture)
			_, err := f.na.Apply(ctx, f.owner, tc.in)
			wantCode(t, err, keyward.EUNPROCESSABLE)
			e := err.(*keyward.Error)
			if e.Extra["rule"] != tc.rule || len(e.Fields) != 1 || e.Fields[0].Field != tc.field || e.Fields[0].Rule != tc.rule {
				t.Errorf("refusal %v %+v, want %s on %s", e.Extra, e.Fields, tc.rule, tc.field)
			}
			if !strings.Contains(e.Message, tc.words) || strings.Contains(e.Message, "nk_") || strings.Contains(e.Message, "nl_") {
				t.Errorf("words %q, want %q and no id", e.Message, tc.words)
			}
			if after := must[*keyward.NetHierarchy](t)(f.na.Hierarchy(ctx, f.owner)); !reflect.DeepEqual(after, before) {
				t.Error("a refused op changed the hierarchy")
			}
			if got := auditCount(t, f.fixture); got != n+1 {
				t.Errorf("%d audit records for one refusal, want 1", got-n)
			}
		})
	}
	for _, in := range []keyward.NetOp{{Op: "fly"}, {Op: "master"}, {Op: "lock", Name: "  "}, {Op: "grant", To: f.s, By: f.m},
		{Op: "serialize", Lock: f.front}, {Op: "lock", Name: "Side door", OpeningID: "opn_nothing"}, {Op: "sub", Name: "Z", By: f.m, HolderID: "hld_nothing"}} {
		_, err := f.na.Apply(ctx, f.owner, in)
		wantCode(t, err, keyward.EINVALID)
	}
	if after := must[*keyward.NetHierarchy](t)(f.na.Hierarchy(ctx, f.owner)); !reflect.DeepEqual(after, before) {
		t.Error("bad input changed the hierarchy")
	}
}

// A sub or soft key's holder, signed in as a key holder, tries every
// management op: with their own sub key the hierarchy refuses it; with a key
// they do not hold, or an op that needs staff, the policy does.
func testNetAccessHolderAbuse(t *testing.T, b Backend) {
	f := netSetup(t, b)
	cleo := f.actor(t, "cleo@acme.test", keyward.RoleHolder, f.holderID)
	soft := f.do(t, keyward.NetOp{Op: "sub", Name: "Cleo's phone", Soft: true, By: f.m, Locks: []string{f.front}, HolderID: f.holderID}).Key.ID
	before := must[*keyward.NetHierarchy](t)(f.na.Hierarchy(ctx, f.owner))
	for _, by := range []string{f.s, soft} {
		for _, in := range []keyward.NetOp{
			{Op: "serialize", Lock: f.server, By: by}, {Op: "unserialize", Lock: f.front, By: by},
			{Op: "backup", Name: "Mine", By: by}, {Op: "sub", Name: "Mine", By: by, Locks: []string{f.front}},
			{Op: "grant", To: by, Locks: []string{f.server}, By: by}, {Op: "revoke", From: f.s, Locks: []string{f.front}, By: by},
			{Op: "delete", Key: f.m, By: by},
		} {
			_, err := f.na.Apply(ctx, cleo, in)
			wantCode(t, err, keyward.EUNPROCESSABLE)
			if r := err.(*keyward.Error).Extra["rule"]; r != "sub_cannot_manage" {
				t.Errorf("%s with a sub key: %v", in.Op, r)
			}
		}
		_, err := f.na.Rename(ctx, cleo, by, keyward.NetRename{Name: "Boss", By: by})
		wantCode(t, err, keyward.EUNPROCESSABLE)
	}
	// with someone else's master key, or ops that need staff: forbidden
	for _, in := range []keyward.NetOp{{Op: "backup", Name: "Mine", By: f.m}, {Op: "delete", Key: f.s, By: f.b},
		{Op: "master", Name: "My own"}, {Op: "lock", Name: "My lock"}, {Op: "offline", Lock: f.front}, {Op: "online", Lock: f.front}} {
		_, err := f.na.Apply(ctx, cleo, in)
		wantCode(t, err, keyward.EFORBIDDEN)
	}
	_, err := f.na.Rename(ctx, cleo, f.m, keyward.NetRename{Name: "Boss", By: f.m})
	wantCode(t, err, keyward.EFORBIDDEN)
	// an advisor may not change the hierarchy at all
	adv := f.actor(t, "adv@acme.test", keyward.RoleAdvisor, "")
	_, err = f.na.Apply(ctx, adv, keyward.NetOp{Op: "master", Name: "Advisor's"})
	wantCode(t, err, keyward.EFORBIDDEN)
	if after := must[*keyward.NetHierarchy](t)(f.na.Hierarchy(ctx, f.owner)); !reflect.DeepEqual(after, before) {
		t.Error("a refused op changed the hierarchy")
	}
	// a holder who holds a master key may manage with it
	f.do(t, keyward.NetOp{Op: "master", Name: "Cleo's company", HolderID: f.holderID})
	h := must[*keyward.NetHierarchy](t)(f.na.Hierarchy(ctx, f.owner))
	var own string
	for _, k := range h.Keys {
		if k.Name == "Cleo's company" {
			own = k.ID
		}
	}
	if _, err := f.na.Apply(ctx, cleo, keyward.NetOp{Op: "backup", Name: "Cleo's spare", By: own}); err != nil {
		t.Fatalf("a holder with their own master: %v", err)
	}
}

// A lost key: deleted by the backup, it shows every lock it reached, and an
// offline lock still accepts it until it comes back online.
func testNetAccessLostKey(t *testing.T, b Backend) {
	f := netSetup(t, b)
	f.do(t, keyward.NetOp{Op: "offline", Lock: f.server})
	res := f.do(t, keyward.NetOp{Op: "delete", Key: f.m, By: f.b})
	if !reflect.DeepEqual(res.Reached, sortedIDs(f.front, f.server, f.yard)) {
		t.Errorf("reached %v", res.Reached)
	}
	v := must[*keyward.NetKeyView](t)(f.na.KeyView(ctx, f.owner, f.m))
	if !v.Key.Deleted || len(v.Reaches) != 0 || len(v.Reached) != 3 || len(v.StillAccepted) != 1 || v.StillAccepted[0].Name != "Server room" {
		t.Fatalf("lost key view: %+v", v)
	}
	d := lastAudit(t, f.fixture, "netkey.delete", f.m)
	if d["key_name"] != "Main office" || d["by_name"] != "Office backup" || !strings.Contains(d["lock_names"].(string), "Yard gate") {
		t.Errorf("delete audit: %v", d)
	}
	h := must[*keyward.NetHierarchy](t)(f.na.Hierarchy(ctx, f.owner))
	if len(h.Exposed) != 1 || h.Exposed[0].KeyID != f.m || h.Exposed[0].LockID != f.server {
		t.Errorf("exposed %v", h.Exposed)
	}
	// the backup still manages the group; the backup alone is flagged
	if tr := must[*keyward.NetTree](t)(f.na.Tree(ctx, f.owner, f.m)); !tr.SingleKey {
		t.Error("a group left with one backup is not flagged")
	}
	f.do(t, keyward.NetOp{Op: "online", Lock: f.server})
	if v := must[*keyward.NetKeyView](t)(f.na.KeyView(ctx, f.owner, f.m)); len(v.StillAccepted) != 0 || len(v.Reached) != 3 {
		t.Errorf("after the lock came online: %+v", v)
	}
	// renaming: by a master or backup of the group, audited
	k := must[*keyward.NetKey](t)(f.na.Rename(ctx, f.owner, f.s, keyward.NetRename{Name: "Night cleaner", By: f.b}))
	if k.Name != "Night cleaner" {
		t.Errorf("renamed to %q", k.Name)
	}
	if d := lastAudit(t, f.fixture, "netkey.rename", f.s); d["old_name"] != "Cleaner" || d["name"] != "Night cleaner" {
		t.Errorf("rename audit %v", d)
	}
	_, err := f.na.Rename(ctx, f.owner, f.s, keyward.NetRename{Name: "Office backup", By: f.b})
	wantCode(t, err, keyward.EUNPROCESSABLE)
	_, err = f.na.Rename(ctx, f.owner, f.s, keyward.NetRename{Name: "X", By: f.n})
	wantCode(t, err, keyward.EUNPROCESSABLE)
	_, err = f.na.Rename(ctx, f.owner, f.s, keyward.NetRename{Name: " ", By: f.b})
	wantCode(t, err, keyward.EINVALID)
}

func sortedIDs(ids ...string) []string {
	out := append([]string{}, ids...)
	for i := range out {
		for j := i + 1; j < len(out); j++ {
			if out[j] < out[i] {
				out[i], out[j] = out[j], out[i]
			}
		}
	}
	return out
}
