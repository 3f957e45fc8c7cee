package keyward

import (
	"fmt"
	"strings"
	"testing"
)

func TestPickKey(t *testing.T) {
	key := func(sym string, n int) Key {
		return Key{ID: fmt.Sprintf("key_%s%d", sym, n), Symbol: sym, CopyNumber: n, Stamp: fmt.Sprintf("%s-%d", sym, n)}
	}
	aa31, aa_31, aa311, aa32 := key("AA3", 1), key("AA", 31), key("AA31", 1), key("AA3", 2)
	lower := key("u4", 1)
	for _, c := range []struct {
		typed string
		found []Key
		want  string // the stamp picked, or "" for a refusal
		code  Code
		says  string
	}{
		{"AA3-1", []Key{aa31, aa32}, "AA3-1", "", ""},
		{"aa3-1", []Key{aa31}, "AA3-1", "", ""},
		{"AA31", []Key{aa31, aa311}, "AA3-1", "", ""},
		{" aa 3-1 ", []Key{aa31}, "AA3-1", "", ""},
		{"U4-1", []Key{lower}, "u4-1", "", ""},
		// The dashes tell AA3-1 from AA-31; without them it could be either.
		{"AA3-1", []Key{aa31, aa_31}, "AA3-1", "", ""},
		{"AA-31", []Key{aa31, aa_31}, "AA-31", "", ""},
		{"AA31", []Key{aa31, aa_31, aa311}, "", EINVALID, `"AA31" reads as AA3-1 and AA-31: write the stamp with its dash`},
		// A symbol alone names every copy.
		{"AA3", []Key{aa31, aa32}, "", EINVALID, `"AA3" is stamped on 2 keys: AA3-1 and AA3-2; say which copy, e.g. AA3-1`},
		{"aa31", []Key{aa311}, "AA31-1", "", ""},
		{"ZZ9-1", nil, "", ENOTFOUND, `No key is stamped "ZZ9-1".`},
		{"AA3-9", []Key{aa31}, "", ENOTFOUND, `No key is stamped "AA3-9".`},
	} {
		got, err := PickKey(c.typed, c.found)
		if c.want != "" {
			if err != nil || got.Stamp != c.want {
				t.Errorf("%q: %v, %v; want %s", c.typed, got.Stamp, err, c.want)
			}
			continue
		}
		if ErrorCode(err) != c.code || !strings.Contains(ErrorMessage(err), c.says) {
			t.Errorf("%q: %v (%s); want %s saying %q", c.typed, err, ErrorCode(err), c.code, c.says)
		}
	}
}

func TestPickHolder(t *testing.T) {
	jane := Holder{ID: "hld_1", Name: "Jane Doe", Email: "jane@example.com"}
	jane2 := Holder{ID: "hld_2", Name: "Jane  doe", Email: "jdoe@example.org"}
	janet := Holder{ID: "hld_3", Name: "Janet Smith", Email: "janet@example.com"}
	joanne := Holder{ID: "hld_4", Name: "Joanne Jane", Email: "jo@example.com"}
	for _, c := range []struct {
		typed string
		found []Holder
		want  string // the id picked, or "" for a refusal
		code  Code
		says  string
	}{
		{"jane@example.com", []Holder{jane, jane2, janet}, "hld_1", "", ""},
		{" JANE@Example.COM ", []Holder{jane}, "hld_1", "", ""},
		{"jdoe@example.org", []Holder{jane, jane2}, "hld_2", "", ""},
		{"Janet Smith", []Holder{janet}, "hld_3", "", ""},
		{"janet  smith", []Holder{janet}, "hld_3", "", ""},
		// A name written in full beats the names that only contain it.
		{"Jane Doe", []Holder{jane, janet}, "hld_1", "", ""},
		// Part of a name is enough when only one name has it.
		{"Smith", []Holder{jane, janet}, "hld_3", "", ""},
		// Namesakes are listed with their emails.
		{"Jane Doe", []Holder{jane, jane2}, "", EINVALID, `2 holders match "Jane Doe": Jane Doe <jane@example.com> and Jane  doe <jdoe@example.org>; give the email instead`},
		{"jane", []Holder{jane, janet, joanne}, "", EINVALID, `3 holders match "jane": Jane Doe <jane@example.com>, Janet Smith <janet@example.com> and Joanne Jane <jo@example.com>`},
		// An email is matched whole, never in part.
		{"jane@example", []Holder{jane}, "", ENOTFOUND, `No holder has the email "jane@example".`},
		{"Bob", []Holder{jane}, "", ENOTFOUND, `No holder is named "Bob".`},
		{"  ", []Holder{jane}, "", EINVALID, "Say which holder"},
	} {
		got, err := PickHolder(c.typed, c.found)
		if c.want != "" {
			if err != nil || got.ID != c.want {
				t.Errorf("%q: %v, %v; want %s", c.typed, got.ID, err, c.want)
			}
			continue
		}
		if ErrorCode(err) != c.code || !strings.Contains(ErrorMessage(err), c.says) {
			t.Errorf("%q: %v (%s); want %s saying %q", c.typed, err, ErrorCode(err), c.code, c.says)
		}
	}
}

func TestPickNamedListsAtMostTen(t *testing.T) {
	var sites []Site
	for i := range 14 {
		sites = append(sites, Site{Name: fmt.Sprintf("Block %d", i)})
	}
	_, err := PickNamed("site", "block", sites, func(s Site) string { return s.Name }, func(s Site) string { return s.Name })
	msg := ErrorMessage(err)
	if ErrorCode(err) != EINVALID || !strings.HasPrefix(msg, `14 sites match "block": Block 0, Block 1,`) || !strings.HasSuffix(msg, "Block 9 and 4 more") {
		t.Fatalf("%v: %q", ErrorCode(err), msg)
	}
	got, err := PickNamed("site", "BLOCK 12", sites, func(s Site) string { return s.Name }, func(s Site) string { return s.Name })
	if err != nil || got.Name != "Block 12" {
		t.Fatalf("%v %v", got, err)
	}
}
