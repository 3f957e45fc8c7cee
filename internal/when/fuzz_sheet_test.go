package when

import (
	"testing"
	"time"
)

// FuzzParseSheet: a spreadsheet date either reads as a time on a sane
// calendar or is refused with words; never a panic, and reading it twice
// gives the same answer.
func FuzzParseSheet(f *testing.F) {
	for _, s := range []string{"2026-12-20", "2026-12-20 17:00", "12/20/2026", "20/12/2026", "20.12.2026", "20 Dec 2026", "December 20, 2026 5pm",
		"2026-12-20T17:00:00+01:00", "13/13/2026", "31.02.2026", "12-20-26", "  ", "5:30 PM"} {
		f.Add(s, byte(0))
	}
	zone, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, s string, order byte) {
		o := DateOrder(int(order) % 3)
		got, reading, err := ParseSheet(s, zone, o)
		if err != nil {
			if err.Error() == "" {
				t.Fatalf("%q refused without words", s)
			}
			return
		}
		if got.IsZero() || reading == "" {
			t.Fatalf("%q read as %v (%q)", s, got, reading)
		}
		again, reading2, err2 := ParseSheet(s, zone, o)
		if err2 != nil || !again.Equal(got) || reading2 != reading {
			t.Fatalf("%q read twice differently: %v %v", s, got, again)
		}
	})
}
