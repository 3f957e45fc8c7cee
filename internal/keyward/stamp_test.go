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
