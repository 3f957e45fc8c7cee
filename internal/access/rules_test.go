package access

import (
	"errors"
	"reflect"
	"strings"
	"testing"
)

// setup is a small world every rule case starts from:
//
//	group M: master M, backup B, deleted backup B2, sub S (granted L1)
//	group N: master N, backup NB, soft key T (granted L3); N granted L3 to M
//	L1 serialized by M, L2 by backup B, L3 by N; LU has no owner
const setup = `
{"op":"master","key":"M"},{"op":"master","key":"N"},
{"op":"lock","lock":"L1"},{"op":"lock","lock":"L2"},{"op":"lock","lock":"L3"},{"op":"lock","lock":"LU"},
{"op":"serialize","lock":"L1","by":"M"},
{"op":"backup","key":"B","by":"M"},{"op":"backup","key":"B2","by":"M"},{"op":"delete","key":"B2","by":"M"},
{"op":"serialize","lock":"L2","by":"B"},
{"op":"serialize","lock":"L3","by":"N"},{"op":"backup","key":"NB","by":"N"},
{"op":"sub","key":"S","by":"M","locks":["L1"]},
{"op":"sub","key":"T","by":"N","locks":["L3"],"soft":true},
{"op":"grant","to":"M","locks":["L3"],"by":"N"}`

// run evaluates setup, then ops, and returns the results of ops only.
func run(t *testing.T, ops string) []map[string]any {
	t.Helper()
	n := len(results(t, `{"ops":[`+setup+`]}`))
	all := results(t, `{"ops":[`+setup+`,`+ops+`]}`)
	for i, r := range all[:n] {
		if r["ok"] != true {
			t.Fatalf("setup op %d refused: %v", i+1, r)
		}
	}
	return all[n:]
}

func TestRefusalsInOrder(t *testing.T) {
	refused := func(rule Rule) string { return `{"ok":false,"rule":"` + string(rule) + `"}` }
	ok := `{"ok":true}`
	for _, tc := range []struct {
		name, op, want string
	}{
		// 1. unknown_key: by first, then the other keys; before everything else
		{"by unknown before unknown lock", `{"op":"serialize","lock":"nolock","by":"nobody"}`, refused(RuleUnknownKey)},
		{"by deleted", `{"op":"serialize","lock":"LU","by":"B2"}`, refused(RuleUnknownKey)},
		{"backup by unknown before duplicate", `{"op":"backup","key":"M","by":"nobody"}`, refused(RuleUnknownKey)},
		{"to unknown before unknown lock and sub", `{"op":"grant","to":"nobody","locks":["nolock"],"by":"S"}`, refused(RuleUnknownKey)},
		{"to deleted", `{"op":"grant","to":"B2","locks":["L1"],"by":"M"}`, refused(RuleUnknownKey)},
		{"from deleted", `{"op":"revoke","from":"B2","locks":["L1"],"by":"M"}`, refused(RuleUnknownKey)},
		{"delete unknown before sub", `{"op":"delete","key":"nobody","by":"S"}`, refused(RuleUnknownKey)},
		{"delete deleted", `{"op":"delete","key":"B2","by":"M"}`, refused(RuleUnknownKey)},
		{"can unknown key before lock", `{"op":"can","key":"nobody","lock":"nolock"}`, refused(RuleUnknownKey)},
		{"reaches unknown", `{"op":"reaches","key":"nobody"}`, refused(RuleUnknownKey)},
		{"lock id is not a key id", `{"op":"reaches","key":"L1"}`, refused(RuleUnknownKey)},
		// queries accept deleted keys
		{"can deleted", `{"op":"can","key":"B2","lock":"L1"}`, `{"ok":true,"allow":false,"via":null,"accepts":false}`},
		{"reaches deleted", `{"op":"reaches","key":"B2"}`, `{"ok":true,"locks":[]}`},
		// 2. unknown_lock, in list order, before sub_cannot_manage, duplicate_id and not_owner
		{"sub: unknown lock before sub and duplicate", `{"op":"sub","key":"M","by":"S","locks":["L1","nolock"]}`, refused(RuleUnknownLock)},
		{"grant: unknown lock before sub", `{"op":"grant","to":"S","locks":["nolock"],"by":"S"}`, refused(RuleUnknownLock)},
		{"revoke: unknown lock after a not-owned one", `{"op":"revoke","from":"S","locks":["L3","nolock"],"by":"M"}`, refused(RuleUnknownLock)},
		{"serialize unknown lock by sub", `{"op":"serialize","lock":"nolock","by":"T"}`, refused(RuleUnknownLock)},
		{"unserialize unknown lock", `{"op":"unserialize","lock":"nolock","by":"M"}`, refused(RuleUnknownLock)},
		{"key id is not a lock id", `{"op":"acceptors","lock":"M"}`, refused(RuleUnknownLock)},
		{"can unknown lock", `{"op":"can","key":"M","lock":"nolock"}`, refused(RuleUnknownLock)},
		{"offline unknown", `{"op":"offline","lock":"nolock"}`, refused(RuleUnknownLock)},
		{"online unknown", `{"op":"online","lock":"nolock"}`, refused(RuleUnknownLock)},
		// 3. sub_cannot_manage, before duplicate_id, ownership and the rest
		{"sub makes a backup with a taken id", `{"op":"backup","key":"M","by":"S"}`, refused(RuleSubCannotManage)},
		{"soft serializes an owned lock", `{"op":"serialize","lock":"L3","by":"T"}`, refused(RuleSubCannotManage)},
		{"sub serializes a free lock", `{"op":"serialize","lock":"LU","by":"S"}`, refused(RuleSubCannotManage)},
		{"sub unserializes", `{"op":"unserialize","lock":"L1","by":"S"}`, refused(RuleSubCannotManage)},
		{"sub makes a sub", `{"op":"sub","key":"S3","by":"S","locks":["L1"]}`, refused(RuleSubCannotManage)},
		{"soft makes a soft", `{"op":"sub","key":"T3","by":"T","locks":[],"soft":true}`, refused(RuleSubCannotManage)},
		{"sub grants", `{"op":"grant","to":"S","locks":["L1"],"by":"S"}`, refused(RuleSubCannotManage)},
		{"sub revokes", `{"op":"revoke","from":"S","locks":["L1"],"by":"S"}`, refused(RuleSubCannotManage)},
		{"sub deletes its master", `{"op":"delete","key":"M","by":"S"}`, refused(RuleSubCannotManage)},
		{"soft deletes itself", `{"op":"delete","key":"T","by":"T"}`, refused(RuleSubCannotManage)},
		// 4. duplicate_id: ids stay taken, name spaces apart, before ownership
		{"master twice", `{"op":"master","key":"M"}`, refused(RuleDuplicateID)},
		{"deleted id stays taken", `{"op":"master","key":"B2"}`, refused(RuleDuplicateID)},
		{"lock twice", `{"op":"lock","lock":"L1"}`, refused(RuleDuplicateID)},
		{"backup with a sub's id", `{"op":"backup","key":"S","by":"B"}`, refused(RuleDuplicateID)},
		{"sub taken id before not owner", `{"op":"sub","key":"B","by":"M","locks":["L3"]}`, refused(RuleDuplicateID)},
		{"a master may take a lock's id", `{"op":"master","key":"L1"}`, ok},
		{"a lock may take a key's id", `{"op":"lock","lock":"M"}`, ok},
		// 5. lock_owned / not_owner, in list order, before grant_target and not_granted
		{"serialize own lock", `{"op":"serialize","lock":"L1","by":"M"}`, refused(RuleLockOwned)},
		{"serialize another group's lock", `{"op":"serialize","lock":"L3","by":"B"}`, refused(RuleLockOwned)},
		{"unserialize unowned", `{"op":"unserialize","lock":"LU","by":"M"}`, refused(RuleNotOwner)},
		{"unserialize other group's", `{"op":"unserialize","lock":"L3","by":"M"}`, refused(RuleNotOwner)},
		{"sub with an unowned lock", `{"op":"sub","key":"S2","by":"M","locks":["L1","LU"]}`, refused(RuleNotOwner)},
		{"master cannot pass on a granted lock", `{"op":"grant","to":"S","locks":["L3"],"by":"M"}`, refused(RuleNotOwner)},
		{"not owner before grant target", `{"op":"grant","to":"T","locks":["L1","L3"],"by":"M"}`, refused(RuleNotOwner)},
		{"revoke not owner before not granted", `{"op":"revoke","from":"M","locks":["L3"],"by":"B"}`, refused(RuleNotOwner)},
		{"delete other group's key", `{"op":"delete","key":"N","by":"M"}`, refused(RuleNotOwner)},
		{"backup deletes other group's soft", `{"op":"delete","key":"T","by":"B"}`, refused(RuleNotOwner)},
		// 6. grant_target
		{"grant to own backup", `{"op":"grant","to":"B","locks":["L1"],"by":"M"}`, refused(RuleGrantTarget)},
		{"grant to own master", `{"op":"grant","to":"M","locks":["L2"],"by":"B"}`, refused(RuleGrantTarget)},
		{"grant to own master by itself", `{"op":"grant","to":"M","locks":["L1"],"by":"M"}`, refused(RuleGrantTarget)},
		{"grant to other group's backup", `{"op":"grant","to":"NB","locks":["L1"],"by":"M"}`, refused(RuleGrantTarget)},
		{"grant to other group's soft", `{"op":"grant","to":"T","locks":["L1"],"by":"M"}`, refused(RuleGrantTarget)},
		{"grant to other master", `{"op":"grant","to":"N","locks":["L1","L2"],"by":"B"}`, ok},
		{"grant to own sub", `{"op":"grant","to":"S","locks":["L2"],"by":"B"}`, ok},
		{"grant again", `{"op":"grant","to":"S","locks":["L1"],"by":"M"}`, ok},
		{"grant nothing", `{"op":"grant","to":"S","locks":[],"by":"M"}`, ok},
		// 7. not_granted
		{"revoke what was not granted", `{"op":"revoke","from":"S","locks":["L1","L2"],"by":"M"}`, refused(RuleNotGranted)},
		{"revoke from a backup", `{"op":"revoke","from":"B","locks":["L1"],"by":"M"}`, refused(RuleNotGranted)},
		{"revoke a grant to a master", `{"op":"revoke","from":"M","locks":["L3"],"by":"NB"}`, ok},
		// 8. self
		{"master deletes itself", `{"op":"delete","key":"M","by":"M"}`, refused(RuleSelf)},
		{"backup deletes itself", `{"op":"delete","key":"B","by":"B"}`, refused(RuleSelf)},
		{"backup deletes its lost master", `{"op":"delete","key":"M","by":"B"}`, ok},
		{"master deletes its sub", `{"op":"delete","key":"S","by":"M"}`, ok},
		// unknown_op
		{"unknown op", `{"op":"explode","key":"M"}`, refused(RuleUnknownOp)},
		{"op names are exact", `{"op":"Master","key":"Q"}`, refused(RuleUnknownOp)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := run(t, tc.op)
			if w := want(t, tc.want); !reflect.DeepEqual(got[0], w) {
				t.Errorf("got %v, want %v", got[0], w)
			}
		})
	}
}

// The access rule and its via, from the setup.
func TestAccessRule(t *testing.T) {
	for _, tc := range []struct{ key, lock, want string }{
		{"M", "L1", `{"ok":true,"allow":true,"via":"owner","accepts":true}`},
		{"M", "L2", `{"ok":true,"allow":true,"via":"owner","accepts":true}`},  // serialized by its backup
		{"B", "L1", `{"ok":true,"allow":true,"via":"backup","accepts":true}`}, // serialized by its master
		{"M", "L3", `{"ok":true,"allow":true,"via":"grant","accepts":true}`},
		{"B", "L3", `{"ok":true,"allow":false,"via":null,"accepts":false}`}, // not copied to the backup
		{"S", "L1", `{"ok":true,"allow":true,"via":"grant","accepts":true}`},
		{"S", "L2", `{"ok":true,"allow":false,"via":null,"accepts":false}`},
		{"T", "L3", `{"ok":true,"allow":true,"via":"grant","accepts":true}`},
		{"NB", "L3", `{"ok":true,"allow":true,"via":"backup","accepts":true}`},
		{"N", "L1", `{"ok":true,"allow":false,"via":null,"accepts":false}`},
		{"M", "LU", `{"ok":true,"allow":false,"via":null,"accepts":false}`}, // nobody opens an unowned lock
	} {
		got := run(t, `{"op":"can","key":"`+tc.key+`","lock":"`+tc.lock+`"}`)
		if w := want(t, tc.want); !reflect.DeepEqual(got[0], w) {
			t.Errorf("can(%s, %s) = %v, want %v", tc.key, tc.lock, got[0], w)
		}
	}
	got := run(t, `{"op":"reaches","key":"M"},{"op":"reaches","key":"B"},{"op":"reaches","key":"S"},{"op":"acceptors","lock":"L3"},{"op":"acceptors","lock":"L1"},{"op":"acceptors","lock":"LU"}`)
	for i, w := range []string{`{"ok":true,"locks":["L1","L2","L3"]}`, `{"ok":true,"locks":["L1","L2"]}`, `{"ok":true,"locks":["L1"]}`,
		`{"ok":true,"keys":["M","N","NB","T"]}`, `{"ok":true,"keys":["B","M","S"]}`, `{"ok":true,"keys":[]}`} {
		if !reflect.DeepEqual(got[i], want(t, w)) {
			t.Errorf("query %d = %v, want %s", i+1, got[i], w)
		}
	}
}

// Effects of the ops beyond their result: delete, unserialize, a lost master.
func TestOpEffects(t *testing.T) {
	for _, tc := range []struct {
		name  string
		ops   string
		wants []string
	}{
		{"a deleted key opens nothing and its grants are gone",
			`{"op":"delete","key":"S","by":"B"},{"op":"can","key":"S","lock":"L1"},{"op":"acceptors","lock":"L1"},{"op":"revoke","from":"S","locks":["L1"],"by":"M"}`,
			[]string{`{"ok":true}`, `{"ok":true,"allow":false,"via":null,"accepts":false}`, `{"ok":true,"keys":["B","M"]}`, `{"ok":false,"rule":"unknown_key"}`}},
		{"unserialize drops the owner and every grant",
			`{"op":"unserialize","lock":"L3","by":"NB"},{"op":"acceptors","lock":"L3"},{"op":"reaches","key":"M"},{"op":"serialize","lock":"L3","by":"B"},{"op":"acceptors","lock":"L3"},{"op":"reaches","key":"T"}`,
			[]string{`{"ok":true}`, `{"ok":true,"keys":[]}`, `{"ok":true,"locks":["L1","L2"]}`, `{"ok":true}`, `{"ok":true,"keys":["B","M"]}`, `{"ok":true,"locks":[]}`}},
		{"a lost master is deleted by its backup, who still manages the group",
			`{"op":"delete","key":"M","by":"B"},{"op":"reaches","key":"M"},{"op":"reaches","key":"B"},{"op":"acceptors","lock":"L3"},{"op":"backup","key":"B3","by":"B"},{"op":"delete","key":"B","by":"B3"},{"op":"reaches","key":"B3"},{"op":"can","key":"B","lock":"L1"}`,
			[]string{`{"ok":true}`, `{"ok":true,"locks":[]}`, `{"ok":true,"locks":["L1","L2"]}`, `{"ok":true,"keys":["N","NB","T"]}`, `{"ok":true}`, `{"ok":true}`, `{"ok":true,"locks":["L1","L2"]}`, `{"ok":true,"allow":false,"via":null,"accepts":false}`}},
		{"a new backup reaches every lock of the group, not the master's grants",
			`{"op":"backup","key":"B4","by":"S2"},{"op":"backup","key":"B4","by":"M"},{"op":"reaches","key":"B4"}`,
			[]string{`{"ok":false,"rule":"unknown_key"}`, `{"ok":true}`, `{"ok":true,"locks":["L1","L2"]}`}},
		{"a soft key behaves as a sub",
			`{"op":"sub","key":"SK","by":"B","locks":["L2"],"soft":true},{"op":"reaches","key":"SK"},{"op":"grant","to":"SK","locks":["L1"],"by":"M"},{"op":"revoke","from":"SK","locks":["L2"],"by":"M"},{"op":"reaches","key":"SK"}`,
			[]string{`{"ok":true}`, `{"ok":true,"locks":["L2"]}`, `{"ok":true}`, `{"ok":true}`, `{"ok":true,"locks":["L1"]}`}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := run(t, tc.ops)
			for i, w := range tc.wants {
				if !reflect.DeepEqual(got[i], want(t, w)) {
					t.Errorf("op %d = %v, want %s", i+1, got[i], w)
				}
			}
		})
	}
}

// Offline locks keep what they accepted until they come online: a deleted
// key is exposed, a new one pending.
func TestSyncAndExposures(t *testing.T) {
	got := run(t, `{"op":"offline","lock":"L1"},{"op":"delete","key":"S","by":"M"},{"op":"backup","key":"B5","by":"M"},
		{"op":"can","key":"S","lock":"L1"},{"op":"can","key":"B5","lock":"L1"},{"op":"can","key":"B5","lock":"L2"},
		{"op":"exposures"},{"op":"offline","lock":"L1"},{"op":"exposures"},
		{"op":"online","lock":"L1"},{"op":"can","key":"S","lock":"L1"},{"op":"exposures"}`)
	for i, w := range []string{`{"ok":true}`, `{"ok":true}`, `{"ok":true}`,
		`{"ok":true,"allow":false,"via":null,"accepts":true}`,
		`{"ok":true,"allow":true,"via":"backup","accepts":false}`,
		`{"ok":true,"allow":true,"via":"backup","accepts":true}`,
		`{"ok":true,"exposed":[{"lock":"L1","key":"S"}],"pending":[{"lock":"L1","key":"B5"}]}`,
		`{"ok":true}`, // offline again keeps the old accepted set
		`{"ok":true,"exposed":[{"lock":"L1","key":"S"}],"pending":[{"lock":"L1","key":"B5"}]}`,
		`{"ok":true}`,
		`{"ok":true,"allow":false,"via":null,"accepts":false}`,
		`{"ok":true,"exposed":[],"pending":[]}`} {
		if !reflect.DeepEqual(got[i], want(t, w)) {
			t.Errorf("op %d = %v, want %s", i+1, got[i], w)
		}
	}
}

func TestExposuresFunction(t *testing.T) {
	for _, tc := range []struct {
		name             string
		intended, acked  map[string]Set
		exposed, pending []Pair
	}{
		{"both empty", nil, nil, []Pair{}, []Pair{}},
		{"in sync", map[string]Set{"L": SetOf("a", "b")}, map[string]Set{"L": SetOf("b", "a")}, []Pair{}, []Pair{}},
		{"lock missing from acks is all pending", map[string]Set{"L": SetOf("b", "a")}, nil, []Pair{}, []Pair{{"L", "a"}, {"L", "b"}}},
		{"lock missing from intended is all exposed", nil, map[string]Set{"L": SetOf("a")}, []Pair{{"L", "a"}}, []Pair{}},
		{"sorted by lock then key, code points", map[string]Set{"b": SetOf("Z", "a"), "B": SetOf("é")},
			map[string]Set{"b": SetOf("x"), "B": SetOf("e")},
			[]Pair{{"B", "e"}, {"b", "x"}}, []Pair{{"B", "é"}, {"b", "Z"}, {"b", "a"}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ex, pe := Exposures(tc.intended, tc.acked)
			if !reflect.DeepEqual(ex, tc.exposed) || !reflect.DeepEqual(pe, tc.pending) {
				t.Errorf("got %v / %v, want %v / %v", ex, pe, tc.exposed, tc.pending)
			}
		})
	}
}

func TestReasons(t *testing.T) {
	m := New()
	for _, op := range []Op{{Op: "master", Key: "M"}, {Op: "master", Key: "N"}, {Op: "lock", Lock: "L1"}, {Op: "lock", Lock: "L3"},
		{Op: "lock", Lock: "LU"}, {Op: "serialize", Lock: "L1", By: "M"}, {Op: "serialize", Lock: "L3", By: "N"},
		{Op: "backup", Key: "B", By: "M"}, {Op: "sub", Key: "S", By: "M"}, {Op: "grant", To: "M", Locks: []string{"L3"}, By: "N"},
		{Op: "backup", Key: "X", By: "M"}, {Op: "delete", Key: "X", By: "M"}} {
		if _, err := m.Apply(op); err != nil {
			t.Fatalf("%v: %v", op, err)
		}
	}
	for _, tc := range []struct{ key, lock, want string }{
		{"M", "L1", "master M, which owns lock L1"},
		{"B", "L1", "backup of master M, which owns lock L1"},
		{"M", "L3", "granted lock L3 by master N, which owns it"},
		{"B", "L3", "master N granted lock L3 to master M only: a grant to a master is not copied to its backups"},
		{"S", "L1", "lock L1 belongs to master M, who has not granted it to S"},
		{"M", "LU", "lock LU is not serialized to any master"},
		{"X", "L1", "key X is deleted"},
	} {
		d, err := m.Can(tc.key, tc.lock)
		if err != nil {
			t.Fatal(err)
		}
		if got := d.Reason(); got != tc.want {
			t.Errorf("can(%s, %s): %q, want %q", tc.key, tc.lock, got, tc.want)
		}
	}
	d, _ := m.Can("B", "L1")
	if got := d.Explain(strings.ToLower, strings.ToLower); got != "backup of master m, which owns lock l1" {
		t.Errorf("Explain with names: %q", got)
	}
}

// Every rule has its own words, naming what broke it and never an id the
// name function does not know.
func TestRefusalWords(t *testing.T) {
	name := func(id string) string {
		return map[string]string{"k": "Front desk", "l": "Back gate"}[id]
	}
	seen := map[string]Rule{}
	for _, rule := range Rules {
		r := &Refusal{Rule: rule, Key: "k", Lock: "l"}
		if rule == RuleNotOwner || rule == RuleDuplicateID {
			seen[(&Refusal{Rule: rule, Key: "k"}).Words(name, name)] = rule
		}
		w := r.Words(name, name)
		if prev, dup := seen[w]; dup && prev != rule {
			t.Errorf("%s and %s share words %q", rule, prev, w)
		}
		seen[w] = rule
		if w == string(rule) || strings.Contains(w, "_") {
			t.Errorf("%s: %q is not words", rule, w)
		}
	}
	if w := (&Refusal{Rule: RuleUnknownKey, Key: "zz9"}).Words(name, name); strings.Contains(w, "zz9") {
		t.Errorf("an unknown id shows: %q", w)
	}
	if w := (&Refusal{Rule: RuleNotGranted, Key: "k", Lock: "l"}).Words(name, name); !strings.Contains(w, "“Front desk”") || !strings.Contains(w, "“Back gate”") {
		t.Errorf("not_granted words lack the names: %q", w)
	}
}

func TestMayRename(t *testing.T) {
	m := New()
	for _, op := range []Op{{Op: "master", Key: "M"}, {Op: "master", Key: "N"}, {Op: "backup", Key: "B", By: "M"},
		{Op: "sub", Key: "S", By: "M"}, {Op: "backup", Key: "X", By: "M"}, {Op: "delete", Key: "X", By: "M"}} {
		if _, err := m.Apply(op); err != nil {
			t.Fatal(err)
		}
	}
	for _, tc := range []struct {
		key, by string
		rule    Rule
	}{
		{"S", "M", ""}, {"M", "B", ""}, {"B", "B", ""}, {"S", "B", ""},
		{"S", "nobody", RuleUnknownKey}, {"S", "X", RuleUnknownKey}, {"X", "M", RuleUnknownKey},
		{"S", "S", RuleSubCannotManage}, {"M", "S", RuleSubCannotManage},
		{"N", "M", RuleNotOwner}, {"S", "N", RuleNotOwner},
	} {
		err := m.MayRename(tc.key, tc.by)
		var r *Refusal
		got := Rule("")
		if errors.As(err, &r) {
			got = r.Rule
		}
		if got != tc.rule {
			t.Errorf("rename %s by %s: %v, want %q", tc.key, tc.by, err, tc.rule)
		}
	}
}
