package keyward

import (
	"errors"
	"strings"
	"testing"
	"time"
)

func ptr[T any](v T) *T { return &v }

func TestPatchApply(t *testing.T) {
	h := Holder{ID: "hld_1", Name: "Jane", Email: "jane@example.org", Kind: "tenant"}
	for _, tc := range []struct {
		name    string
		patch   HolderPatch
		changed []string
		check   func(HolderInput) bool
	}{
		{"nothing sent", HolderPatch{}, nil, func(in HolderInput) bool { return in.Name == "Jane" && in.Kind == "tenant" }},
		{"same value", HolderPatch{Name: ptr(" Jane ")}, nil, func(in HolderInput) bool { return in.Name == "Jane" }},
		{"email case only", HolderPatch{Email: ptr("JANE@example.org")}, nil, func(in HolderInput) bool { return in.Email == "jane@example.org" }},
		{"name and flag", HolderPatch{Name: ptr("Jane Roe"), Signatory: ptr(true)}, []string{"name", "signatory"},
			func(in HolderInput) bool {
				return in.Name == "Jane Roe" && in.Signatory && in.Email == "jane@example.org"
			}},
	} {
		in, cs := tc.patch.Apply(h)
		var got []string
		for _, c := range cs {
			got = append(got, c.Field)
		}
		if strings.Join(got, ",") != strings.Join(tc.changed, ",") || !tc.check(in) {
			t.Errorf("%s: changed %v, input %+v", tc.name, got, in)
		}
	}
	// A patch is validated like a create: an empty name is refused.
	in, _ := SitePatch{Name: ptr("  ")}.Apply(Site{Name: "Main"})
	var ke *Error
	if err := in.Validate(); !errors.As(err, &ke) || ke.Code != EINVALID || ke.Fields[0].Field != "name" {
		t.Errorf("empty name: %v", err)
	}
	d := ChangeDetails([]Change{{"name", "a", "b"}})
	if m := d["name"].(map[string]any); m["old"] != "a" || m["new"] != "b" {
		t.Errorf("details %v", d)
	}
}

func TestMayRetireAndMerge(t *testing.T) {
	now := time.Now()
	for _, tc := range []struct {
		name string
		err  error
		code Code
		has  string
	}{
		{"holder with no keys", MayRetireHolder("Jane", nil), "", ""},
		{"holder with keys", MayRetireHolder("Jane", []string{"AA1-1", "AA2-1"}), ECONFLICT, "AA1-1, AA2-1"},
		{"keyway unused", MayRetireKeyway("SC1", nil), "", ""},
		{"keyway in circulation", MayRetireKeyway("SC1", []string{"A-1"}), ECONFLICT, "1 key in circulation"},
		{"site empty", MayRetireSite("Main", nil), "", ""},
		{"site with openings", MayRetireSite("Main", []string{"Front door"}), ECONFLICT, "Front door"},
		{"merge into self", MayMergeHolders(Holder{ID: "a"}, Holder{ID: "a"}), EINVALID, "another"},
		{"merge into retired", MayMergeHolders(Holder{ID: "a"}, Holder{ID: "b", RetiredAt: &now}), EINVALID, "not retired"},
		{"merge", MayMergeHolders(Holder{ID: "a"}, Holder{ID: "b"}), "", ""},
	} {
		if tc.code == "" {
			if tc.err != nil {
				t.Errorf("%s: %v", tc.name, tc.err)
			}
			continue
		}
		var ke *Error
		if !errors.As(tc.err, &ke) || ke.Code != tc.code || !strings.Contains(ke.Error()+fieldRules(ke), tc.has) {
			t.Errorf("%s: %v", tc.name, tc.err)
		}
	}
}

func fieldRules(e *Error) string {
	var s string
	for _, f := range e.Fields {
		s += " " + f.Rule
	}
	return s
}
