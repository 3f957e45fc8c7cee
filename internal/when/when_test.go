package when

import (
	"strings"
	"testing"
	"time"
)

func zone(t testing.TB, name string) *time.Location {
	t.Helper()
	l, err := time.LoadLocation(name)
	if err != nil {
		t.Fatal(err)
	}
	return l
}

func TestParseDue(t *testing.T) {
	berlin := zone(t, "Europe/Berlin")
	ny := zone(t, "America/New_York")
	// Sunday 6 December 2026, 14:05 in Berlin (13:05 UTC).
	now := time.Date(2026, 12, 6, 14, 5, 0, 0, berlin)
	in := func(l *time.Location, y int, mo time.Month, d, h, mi int) time.Time {
		return time.Date(y, mo, d, h, mi, 0, 0, l)
	}
	for _, c := range []struct {
		in   string
		zone *time.Location
		now  time.Time
		want time.Time
	}{
		{"4h", berlin, now, now.Add(4 * time.Hour)},
		{"90m", berlin, now, now.Add(90 * time.Minute)},
		{"2d", berlin, now, now.Add(48 * time.Hour)},
		{"1w", berlin, now, now.Add(7 * 24 * time.Hour)},
		{"1d12h", berlin, now, now.Add(36 * time.Hour)},
		{"1h30m", berlin, now, now.Add(90 * time.Minute)},
		{"1.5h", berlin, now, now.Add(90 * time.Minute)},
		{"3 days", berlin, now, now.Add(72 * time.Hour)},
		{"in 2 hours", berlin, now, now.Add(2 * time.Hour)},
		{"+4H", berlin, now, now.Add(4 * time.Hour)},
		{" 4h ", berlin, now, now.Add(4 * time.Hour)},
		// A clock time: today while it is ahead, else tomorrow.
		{"17:00", berlin, now, in(berlin, 2026, 12, 6, 17, 0)},
		{"14:05", berlin, now, in(berlin, 2026, 12, 7, 14, 5)},
		{"9:30", berlin, now, in(berlin, 2026, 12, 7, 9, 30)},
		{"5pm", berlin, now, in(berlin, 2026, 12, 6, 17, 0)},
		{"5:30 PM", berlin, now, in(berlin, 2026, 12, 6, 17, 30)},
		{"12am", berlin, now, in(berlin, 2026, 12, 7, 0, 0)},
		{"12pm", berlin, now, in(berlin, 2026, 12, 7, 12, 0)},
		{"today 18:00", berlin, now, in(berlin, 2026, 12, 6, 18, 0)},
		{"Tomorrow 9:00", berlin, now, in(berlin, 2026, 12, 7, 9, 0)},
		// The same words on another organization's clock.
		{"17:00", ny, now, in(ny, 2026, 12, 6, 17, 0)},
		{"2026-12-20 17:00", ny, now, in(ny, 2026, 12, 20, 17, 0)},
		// A date and time on the organization's clock.
		{"2026-12-20 17:00", berlin, now, in(berlin, 2026, 12, 20, 17, 0)},
		{"2026-12-20T17:00", berlin, now, in(berlin, 2026, 12, 20, 17, 0)},
		{"2026-12-20 17:00:30", berlin, now, in(berlin, 2026, 12, 20, 17, 0).Add(30 * time.Second)},
		{"2026-12-20 5pm", berlin, now, in(berlin, 2026, 12, 20, 17, 0)},
		// Summer time: the offset of that date, not of today.
		{"2027-07-01 09:00", berlin, now, time.Date(2027, 7, 1, 7, 0, 0, 0, time.UTC)},
		// RFC 3339 keeps its own offset.
		{"2026-12-20T17:00:00Z", berlin, now, time.Date(2026, 12, 20, 17, 0, 0, 0, time.UTC)},
		{"2026-12-20T17:00:00+05:30", berlin, now, time.Date(2026, 12, 20, 11, 30, 0, 0, time.UTC)},
		{"2026-12-20t17:00:00.5z", berlin, now, time.Date(2026, 12, 20, 17, 0, 0, 5e8, time.UTC)},
	} {
		got, err := ParseDue(c.in, c.now, c.zone)
		if err != nil {
			t.Errorf("%q in %s: %v", c.in, c.zone, err)
			continue
		}
		if !got.Equal(c.want) || got.Location() != time.UTC {
			t.Errorf("%q in %s = %v, want %v (UTC)", c.in, c.zone, got, c.want.UTC())
		}
	}
}

// A clock time that happens twice, on the night the clocks go back, is
// accepted: it reads 02:30 on the organization's clock.
func TestParseDueTwiceThatNight(t *testing.T) {
	berlin := zone(t, "Europe/Berlin")
	got, err := ParseDue("2027-10-31 02:30", time.Date(2026, 12, 6, 14, 5, 0, 0, berlin), berlin)
	if err != nil || got.In(berlin).Format("2006-01-02 15:04") != "2027-10-31 02:30" {
		t.Fatalf("= %v, %v", got, err)
	}
}

func TestParseDueRefusesInWords(t *testing.T) {
	berlin := zone(t, "Europe/Berlin")
	now := time.Date(2026, 12, 6, 14, 5, 0, 0, berlin)
	for _, c := range []struct{ in, says string }{
		{"", ""},
		{"   ", ""},
		{"tomorow", `(not "tomorow")`},
		{"4", `(not "4")`},
		{"17", `(not "17")`},
		{"4x", `(not "4x")`},
		{"-4h", `(not "-4h")`},
		{"h4", `(not "h4")`},
		{"25:00", `(not "25:00")`},
		{"17:60", `(not "17:60")`},
		{"13pm", `(not "13pm")`},
		{"12/20/2026", `(not "12/20/2026")`},
		{"2026-12-20 17", `(not "2026-12-20 17")`},
		{"0h", "0h is no time from now"},
		{"0d0h", "is no time from now"},
		{"100000d", "more than 10 years ahead"},
		{"2040-01-01 10:00", "more than 10 years ahead"},
		{"2026-12-20", "2026-12-20 needs a time of day too, e.g. '2026-12-20 17:00'"},
		{"2026-02-30 10:00", "2026-02-30 is not a date on the calendar"},
		{"2026-12-01 17:00", "Tue 1 Dec 2026 17:00 has already passed"},
		{"today 9:00", "Sun 6 Dec 2026 09:00 has already passed"},
		{"2026-01-01T00:00:00Z", "Thu 1 Jan 2026 01:00 has already passed"},
		// 02:30 does not happen in Berlin on the last Sunday of March.
		{"2027-03-28 02:30", "02:30 on Sun 28 Mar 2027 does not exist in Europe/Berlin (the clocks go forward then)"},
	} {
		_, err := ParseDue(c.in, now, berlin)
		if err == nil {
			t.Errorf("%q was accepted", c.in)
			continue
		}
		msg := err.Error()
		if !strings.Contains(msg, DueHint) || !strings.Contains(msg, c.says) {
			t.Errorf("%q: %q, want the hint and %q", c.in, msg, c.says)
		}
		// Never Go's layout text.
		for _, layout := range []string{"2006", "parsing time", "cannot parse", "Z07:00"} {
			if strings.Contains(msg, layout) {
				t.Errorf("%q: the message quotes a layout: %q", c.in, msg)
			}
		}
	}
}

func TestFormat(t *testing.T) {
	berlin := zone(t, "Europe/Berlin")
	at := time.Date(2026, 12, 6, 13, 5, 7, 123456789, time.UTC)
	if got := Format(at, berlin); got != "Sun 6 Dec 2026 14:05" {
		t.Fatalf("Format = %q", got)
	}
	if got := Format(at, time.UTC); got != "Sun 6 Dec 2026 13:05" {
		t.Fatalf("Format in UTC = %q", got)
	}
}

// FuzzParseDue: whatever is typed, ParseDue answers without panicking; a time
// it accepts lies ahead of now, within MaxAhead, in UTC; a refusal carries the
// hint in words and never a Go layout.
func FuzzParseDue(f *testing.F) {
	for _, s := range []string{"4h", "2d", "17:00", "5pm", "2026-12-20 17:00", "2026-12-20T17:00:00+01:00", "tomorrow 9:00",
		"today 18:00", "1d12h", "1.5h", "2027-03-28 02:30", "2026-02-30 10:00", "", "tomorow", "99999999999999999999d", ".h", "1..5h", "in ", "+", "2026-12-20 17:00:61"} {
		f.Add(s)
	}
	berlin := zone(f, "Europe/Berlin")
	now := time.Date(2026, 12, 6, 14, 5, 0, 0, berlin)
	f.Fuzz(func(t *testing.T, s string) {
		got, err := ParseDue(s, now, berlin)
		if err != nil {
			if msg := err.Error(); !strings.Contains(msg, DueHint) || strings.Contains(msg, "parsing time") {
				t.Fatalf("%q: %q", s, msg)
			}
			return
		}
		if !got.After(now) || got.Sub(now) > MaxAhead || got.Location() != time.UTC {
			t.Fatalf("%q = %v (now %v)", s, got, now)
		}
		// What was read reads back the same written as RFC 3339.
		again, err := ParseDue(got.Format(time.RFC3339Nano), now, berlin)
		if err != nil || !again.Equal(got) {
			t.Fatalf("%q = %v, but its RFC 3339 form reads %v, %v", s, got, again, err)
		}
	})
}
