package when

import (
	"strings"
	"testing"
	"time"
)

func TestParseSheet(t *testing.T) {
	ny, _ := time.LoadLocation("America/New_York")
	cases := []struct {
		in    string
		order DateOrder
		want  string // RFC 3339 in UTC, or "!" + part of the error
		how   SheetReading
	}{
		{"2026-12-20T17:00:00+01:00", OrderUnknown, "2026-12-20T16:00:00Z", ReadExact},
		{"2026-12-20", OrderUnknown, "2026-12-21T04:59:00Z", ReadEndOfDay},
		{"2026-12-31 17:00", OrderUnknown, "2026-12-31T22:00:00Z", ReadClock},
		{"2026-12-31T17:00", OrderUnknown, "2026-12-31T22:00:00Z", ReadClock},
		{"2026-12-31 17:00:30", OrderUnknown, "2026-12-31T22:00:30Z", ReadClock},
		{"12/20/2026", OrderUnknown, "2026-12-21T04:59:00Z", ReadEndOfDay},
		{"20/12/2026", OrderUnknown, "2026-12-21T04:59:00Z", ReadEndOfDay},
		{"12/20/26 5pm", OrderUnknown, "2026-12-20T22:00:00Z", ReadClock},
		{"12/20/2026 5:30 PM", OrderUnknown, "2026-12-20T22:30:00Z", ReadClock},
		{"03/04/2026", MonthFirst, "2026-03-05T04:59:00Z", ReadEndOfDay},
		{"03/04/2026", DayFirst, "2026-04-04T03:59:00Z", ReadEndOfDay},
		{"03/04/2026", OrderUnknown, "!month first or day first", ""},
		{"03.04.2026", OrderUnknown, "2026-04-04T03:59:00Z", ReadEndOfDay},
		{"20 Dec 2026", OrderUnknown, "2026-12-21T04:59:00Z", ReadEndOfDay},
		{"Dec 20, 2026", OrderUnknown, "2026-12-21T04:59:00Z", ReadEndOfDay},
		{"December 20 2026 17:00", OrderUnknown, "2026-12-20T22:00:00Z", ReadClock},
		{"2026-02-30", OrderUnknown, "!not a date on the calendar", ""},
		{"13/13/2026", OrderUnknown, "!not a date on the calendar", ""},
		{"2026-12-20 25:00", OrderUnknown, "!not a time of day", ""},
		{"2026-03-08 02:30", OrderUnknown, "!does not exist", ""},
		{"soon", OrderUnknown, "!must be a date", ""},
		{"", OrderUnknown, "!must be a date", ""},
		{"Smarch 3 2026", OrderUnknown, "!must be a date", ""},
	}
	for _, c := range cases {
		got, how, err := ParseSheet(c.in, ny, c.order)
		if strings.HasPrefix(c.want, "!") {
			if err == nil || !strings.Contains(err.Error(), c.want[1:]) {
				t.Errorf("ParseSheet(%q) = %v, %v; want error with %q", c.in, got, err, c.want[1:])
			}
			continue
		}
		if err != nil || got.Format(time.RFC3339) != c.want || how != c.how {
			t.Errorf("ParseSheet(%q, %v) = %s, %q, %v; want %s, %q", c.in, c.order, got.Format(time.RFC3339), how, err, c.want, c.how)
		}
	}
}

func TestSlashPartsAndZoneOrder(t *testing.T) {
	if a, b, ok := SlashParts("12/20/2026 17:00"); !ok || a != 12 || b != 20 {
		t.Errorf("SlashParts = %d %d %v", a, b, ok)
	}
	for _, s := range []string{"2026-12-20", "20.12.2026", "Dec 20 2026", "x"} {
		if _, _, ok := SlashParts(s); ok {
			t.Errorf("SlashParts(%q) ok", s)
		}
	}
	for zone, want := range map[string]DateOrder{"America/Chicago": MonthFirst, "America/Indiana/Knox": MonthFirst, "Europe/Berlin": DayFirst, "America/Sao_Paulo": DayFirst, "UTC": DayFirst} {
		loc, err := time.LoadLocation(zone)
		if err != nil {
			t.Fatal(err)
		}
		if got := ZoneOrder(loc); got != want {
			t.Errorf("ZoneOrder(%s) = %v", zone, got)
		}
	}
}
