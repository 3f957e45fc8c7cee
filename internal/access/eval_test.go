package access

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
)

// workedExample is access.md §5.
const workedExample = `{"ops": [
  {"op": "master", "key": "M"}, {"op": "lock", "lock": "L1"}, {"op": "lock", "lock": "L2"},
  {"op": "serialize", "lock": "L1", "by": "M"},
  {"op": "backup", "key": "B", "by": "M"},
  {"op": "serialize", "lock": "L2", "by": "B"},
  {"op": "master", "key": "N"}, {"op": "lock", "lock": "L3"},
  {"op": "serialize", "lock": "L3", "by": "N"},
  {"op": "grant", "to": "M", "locks": ["L3"], "by": "N"},
  {"op": "can", "key": "M", "lock": "L2"},
  {"op": "can", "key": "B", "lock": "L3"},
  {"op": "sub", "key": "S", "by": "M", "locks": ["L3"]},
  {"op": "sub", "key": "S", "by": "B", "locks": ["L1"]},
  {"op": "backup", "key": "X", "by": "S"}
]}`

// results runs a request and returns its results as generic JSON, each
// without the extra "reason" member.
func results(t *testing.T, req string) []map[string]any {
	t.Helper()
	out, err := Eval([]byte(req))
	if err != nil {
		t.Fatalf("Eval: %v", err)
	}
	var doc struct {
		Results []map[string]any `json:"results"`
	}
	if err := json.Unmarshal(out, &doc); err != nil {
		t.Fatalf("output %s: %v", out, err)
	}
	for _, r := range doc.Results {
		delete(r, "reason")
	}
	return doc.Results
}

func want(t *testing.T, s string) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal([]byte(s), &m); err != nil {
		t.Fatalf("bad expectation %s: %v", s, err)
	}
	return m
}

func TestWorkedExample(t *testing.T) {
	got := results(t, workedExample)
	if len(got) != 15 {
		t.Fatalf("%d results, want 15", len(got))
	}
	for i := 0; i < 10; i++ {
		if !reflect.DeepEqual(got[i], want(t, `{"ok":true}`)) {
			t.Errorf("result %d = %v, want ok", i+1, got[i])
		}
	}
	for i, w := range []string{
		`{"ok": true, "allow": true, "via": "owner", "accepts": true}`,
		`{"ok": true, "allow": false, "via": null, "accepts": false}`,
		`{"ok": false, "rule": "not_owner"}`,
		`{"ok": true}`,
		`{"ok": false, "rule": "sub_cannot_manage"}`,
	} {
		if !reflect.DeepEqual(got[10+i], want(t, w)) {
			t.Errorf("result %d = %v, want %s", 11+i, got[10+i], w)
		}
	}
}

// The reason of the worked example's two questions, in words.
func TestWorkedExampleReasons(t *testing.T) {
	out, err := Eval([]byte(workedExample))
	if err != nil {
		t.Fatal(err)
	}
	for _, w := range []string{
		`"reason":"master M, which owns lock L2"`,
		`"reason":"master N granted lock L3 to master M only: a grant to a master is not copied to its backups"`,
	} {
		if !strings.Contains(string(out), w) {
			t.Errorf("output lacks %s:\n%s", w, out)
		}
	}
}

// A denied can writes "via": null, an allowed one a string; lists are [] not null.
func TestEvalTypes(t *testing.T) {
	out, err := Eval([]byte(`{"ops":[{"op":"master","key":"M"},{"op":"lock","lock":"L"},
		{"op":"can","key":"M","lock":"L"},{"op":"reaches","key":"M"},{"op":"acceptors","lock":"L"},{"op":"exposures"}]}`))
	if err != nil {
		t.Fatal(err)
	}
	s := string(out)
	for _, w := range []string{`"allow":false,"via":null,"accepts":false`, `{"ok":true,"locks":[]}`,
		`{"ok":true,"keys":[]}`, `{"ok":true,"exposed":[],"pending":[]}`} {
		if !strings.Contains(s, w) {
			t.Errorf("output lacks %s:\n%s", w, s)
		}
	}
	if !strings.HasSuffix(s, "}\n") || strings.Count(s, "\n") != 1 {
		t.Errorf("output is not one line: %q", s)
	}
}

func TestEvalBadRequests(t *testing.T) {
	for _, tc := range []struct{ name, in, msg string }{
		{"empty", ``, "empty"},
		{"not json", `{"ops": [`, "not valid JSON"},
		{"not an object", `[1]`, "must be a JSON object"},
		{"null", `null`, "must be a JSON object"},
		{"no ops", `{}`, `no "ops"`},
		{"ops not a list", `{"ops": {}}`, "list"},
		{"ops null", `{"ops": null}`, "list"},
		{"op not an object", `{"ops": [1]}`, "op 1"},
		{"op without op", `{"ops": [{"key":"M"}]}`, `"op" is missing`},
		{"op not a string", `{"ops": [{"op": 3}]}`, `"op" must be a string`},
		{"master without key", `{"ops": [{"op":"master"}]}`, `"key" is missing`},
		{"key a number", `{"ops": [{"op":"master","key":1}]}`, `"key" must be a string`},
		{"key null", `{"ops": [{"op":"master","key":null}]}`, `"key" must be a string`},
		{"second op bad", `{"ops": [{"op":"lock","lock":"L"},{"op":"serialize","lock":"L"}]}`, `op 2: serialize: member "by" is missing`},
		{"sub without locks", `{"ops": [{"op":"sub","key":"S","by":"M"}]}`, `"locks" is missing`},
		{"locks null", `{"ops": [{"op":"grant","to":"S","by":"M","locks":null}]}`, `"locks" must be a list`},
		{"locks of numbers", `{"ops": [{"op":"revoke","from":"S","by":"M","locks":[1]}]}`, `"locks" must be a list`},
		{"soft not bool", `{"ops": [{"op":"sub","key":"S","by":"M","locks":[],"soft":"yes"}]}`, `"soft" must be true or false`},
		{"can without lock", `{"ops": [{"op":"can","key":"M"}]}`, `"lock" is missing`},
		{"acceptors without lock", `{"ops": [{"op":"acceptors"}]}`, `"lock" is missing`},
		{"trailing", `{"ops": []} {}`, "more after"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out, err := Eval([]byte(tc.in))
			if err == nil {
				t.Fatalf("no error; output %s", out)
			}
			if !strings.Contains(err.Error(), tc.msg) {
				t.Errorf("error %q does not say %q", err, tc.msg)
			}
		})
	}
}

// Extra members are allowed; an unknown op is answered, not an error.
func TestEvalExtrasAndUnknownOp(t *testing.T) {
	got := results(t, `{"ops":[{"op":"master","key":"M","note":1},{"op":"fly","key":"M"},{"op":"sub","key":"S","by":"M","locks":[],"soft":null}],"x":2}`)
	for i, w := range []string{`{"ok":true}`, `{"ok":false,"rule":"unknown_op"}`, `{"ok":true}`} {
		if !reflect.DeepEqual(got[i], want(t, w)) {
			t.Errorf("result %d = %v, want %s", i+1, got[i], w)
		}
	}
}

func FuzzAccessEval(f *testing.F) {
	f.Add([]byte(workedExample))
	f.Add([]byte(`{"ops":[]}`))
	f.Add([]byte(`{"ops":[{"op":"master","key":"M"},{"op":"lock","lock":"L"},{"op":"serialize","lock":"L","by":"M"},{"op":"sub","key":"S","by":"M","locks":["L"],"soft":true},{"op":"offline","lock":"L"},{"op":"delete","key":"S","by":"M"},{"op":"exposures"},{"op":"online","lock":"L"},{"op":"exposures"}]}`))
	f.Add([]byte(`{"ops":[{"op":"grant","to":"\u00e9","locks":["L","L"],"by":"M"},{"op":"revoke","from":"x","locks":[],"by":"x"}]}`))
	f.Add([]byte(`{"ops":[{"op":"can"}]}`))
	f.Fuzz(func(t *testing.T, in []byte) {
		out, err := Eval(in)
		if err != nil {
			if out != nil {
				t.Fatalf("an error with output %s", out)
			}
			return
		}
		ops, _ := DecodeOps(in)
		var doc struct {
			Results []map[string]any `json:"results"`
		}
		if err := json.Unmarshal(out, &doc); err != nil {
			t.Fatalf("output is not JSON: %v\n%s", err, out)
		}
		if len(doc.Results) != len(ops) {
			t.Fatalf("%d results for %d ops", len(doc.Results), len(ops))
		}
		for i, r := range doc.Results {
			ok, isBool := r["ok"].(bool)
			if !isBool {
				t.Fatalf("result %d has no ok: %v", i+1, r)
			}
			if rule, _ := r["rule"].(string); !ok && rule == "" {
				t.Fatalf("refusal %d without a rule: %v", i+1, r)
			}
		}
	})
}
