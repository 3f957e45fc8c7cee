package keyward

import (
	"fmt"
	"testing"
)

func TestStampReadings(t *testing.T) {
	for _, c := range []struct {
		q    string
		want string
	}{
		{"AA2-1", "[{AA21 0} {AA2 1} {AA 21}]"},
		{"aa2-1", "[{AA21 0} {AA2 1} {AA 21}]"},
		{"AA21", "[{AA21 0} {AA2 1} {AA 21}]"},
		{"AA-2", "[{AA2 0} {AA 2}]"},
		{" aa 2 ", "[{AA2 0} {AA 2}]"},
		{"GGM", "[{GGM 0}]"},
		{"A", "[{A 0}]"},
		{"7", "[{7 0}]"},               // a symbol may be digits; no empty symbol
		{"AA10", "[{AA10 0} {AA 10}]"}, // "0" alone is no copy number
		{"X01", "[{X01 0} {X0 1}]"},    // "01" is no copy number
		{"AA1234567", "[{AA1234567 0} {AA123456 7} {AA12345 67} {AA1234 567} {AA123 4567} {AA12 34567} {AA1 234567}]"},
		{"XAA1.2", "[{XAA1.2 0} {XAA1. 2}]"},
		{"", "[]"},
		{"--", "[]"},
		{"Dana Ruiz", "[{DANARUIZ 0}]"}, // a name is read as a symbol too; it simply matches no key
		{"AA2/1", "[]"},
		{"robert'); DROP", "[]"},
		{"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", "[]"}, // 33 characters
	} {
		got := StampReadings(c.q)
		if got == nil {
			got = []StampReading{}
		}
		if s := fmt.Sprint(got); s != c.want {
			t.Errorf("StampReadings(%q) = %s, want %s", c.q, s, c.want)
		}
	}
}

func TestCompareStamps(t *testing.T) {
	type st struct {
		sym  string
		copy int
	}
	for _, c := range []struct {
		a, b st
		want int
	}{
		{st{"AA2", 1}, st{"AA10", 1}, -1},                                     // digits as numbers, not text
		{st{"AA10", 1}, st{"AA2", 1}, 1},                                      //
		{st{"AA2", 2}, st{"AA2", 10}, -1},                                     // then the copy number
		{st{"AA2", 3}, st{"AA2", 3}, 0},                                       //
		{st{"aa2", 1}, st{"AA3", 1}, -1},                                      // case ignored
		{st{"AA", 5}, st{"AA1", 1}, -1},                                       // a prefix first
		{st{"A9", 1}, st{"AB", 1}, -1},                                        // digits before letters
		{st{"B", 1}, st{"AA100", 1}, 1},                                       // letters decide before numbers
		{st{"AA02", 1}, st{"AA2", 1}, -1},                                     // same reading: a total order by text
		{st{"AA2", 1}, st{"aa2", 1}, -1},                                      // same reading, different case: by text
		{st{"GM1.10", 1}, st{"GM1.9", 1}, 1},                                  //
		{st{"X99999999999999999999", 1}, st{"X100000000000000000000", 1}, -1}, // longer than an int
	} {
		if got := CompareStamps(c.a.sym, c.a.copy, c.b.sym, c.b.copy); got != c.want {
			t.Errorf("CompareStamps(%v, %v) = %d, want %d", c.a, c.b, got, c.want)
		}
		if got := CompareStamps(c.b.sym, c.b.copy, c.a.sym, c.a.copy); got != -c.want {
			t.Errorf("CompareStamps(%v, %v) = %d, want %d (antisymmetric)", c.b, c.a, got, -c.want)
		}
	}
}
