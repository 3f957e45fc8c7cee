package keyward

import (
	"slices"
	"testing"
	"time"
)

func TestCheckoutEndings(t *testing.T) {
	if got, want := CheckoutEndings(), []string{CustodyCheckin, CustodyLost, CustodyDestroy}; !slices.Equal(got, want) {
		t.Errorf("CheckoutEndings() = %v, want %v (a transfer passes a check-out on)", got, want)
	}
}

func TestLateness(t *testing.T) {
	due := time.Date(2026, 12, 6, 17, 0, 0, 0, time.UTC)
	at := func(h float64) *time.Time { x := due.Add(time.Duration(h * float64(time.Hour))); return &x }
	now := due.Add(48 * time.Hour)
	cases := []struct {
		name     string
		ended    *time.Time
		now      time.Time
		late     time.Duration
		stillOut bool
	}{
		{"back early", at(-2), now, 0, false},
		{"back on the minute", at(0), now, 0, false},
		{"back 3 hours late", at(3), now, 3 * time.Hour, false},
		{"still out, overdue", nil, now, 48 * time.Hour, true},
		{"still out, not yet due", nil, due.Add(-time.Hour), 0, true},
	}
	for _, c := range cases {
		late, out := Lateness(due, c.ended, c.now)
		if late != c.late || out != c.stillOut {
			t.Errorf("%s: Lateness = %v, %v; want %v, %v", c.name, late, out, c.late, c.stillOut)
		}
	}
}
