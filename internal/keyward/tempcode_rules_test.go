package keyward

import (
	"testing"
	"time"
)

func TestCodeScheduleActiveAt(t *testing.T) {
	ny, err := time.LoadLocation("America/New_York")
	if err != nil {
		t.Skip("no time zone data")
	}
	at := func(s string) time.Time {
		v, err := time.ParseInLocation("2006-01-02 15:04", s, ny)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	p := func(s string) *time.Time { v := at(s); return &v }
	window := CodeSchedule{Kind: ScheduleWindow, From: p("2026-03-06 15:00"), Until: p("2026-03-08 11:00")}
	// Cleaner: Tuesdays and Fridays 09:00–12:00 local, through March.
	weekly := CodeSchedule{Kind: ScheduleWeekly, Days: []time.Weekday{time.Tuesday, time.Friday}, StartMin: 9 * 60, EndMin: 12 * 60, Until: p("2026-04-01 00:00")}
	uses := CodeSchedule{Kind: ScheduleUses, Uses: 2}
	cases := []struct {
		name string
		s    CodeSchedule
		now  string
		used int
		want bool
	}{
		{"window: before", window, "2026-03-06 14:59", 0, false},
		{"window: at start", window, "2026-03-06 15:00", 0, true},
		{"window: inside", window, "2026-03-07 03:00", 5, true},
		{"window: at end (exclusive)", window, "2026-03-08 11:00", 0, false},
		{"weekly: Friday 09:00", weekly, "2026-03-06 09:00", 0, true},
		{"weekly: Friday 11:59", weekly, "2026-03-06 11:59", 0, true},
		{"weekly: Friday 12:00", weekly, "2026-03-06 12:00", 0, false},
		{"weekly: Friday 08:59", weekly, "2026-03-06 08:59", 0, false},
		{"weekly: Saturday 10:00", weekly, "2026-03-07 10:00", 0, false},
		// 8 March 2026 is the start of daylight saving in New York: hours follow the local clock.
		{"weekly: Tuesday after DST 09:30", weekly, "2026-03-10 09:30", 0, true},
		{"weekly: after until", weekly, "2026-04-03 10:00", 0, false},
		{"uses: none used", uses, "2026-03-06 10:00", 0, true},
		{"uses: one left", uses, "2026-03-06 10:00", 1, true},
		{"uses: spent", uses, "2026-03-06 10:00", 2, false},
	}
	for _, c := range cases {
		if got := c.s.ActiveAt(at(c.now), ny, c.used); got != c.want {
			t.Errorf("%s: ActiveAt = %v, want %v", c.name, got, c.want)
		}
	}
	if !window.Ended(at("2026-03-08 11:00"), 0) || window.Ended(at("2026-03-08 10:59"), 0) {
		t.Error("window: Ended wrong at its end")
	}
	if !uses.Ended(at("2026-03-06 10:00"), 2) || uses.Ended(at("2026-03-06 10:00"), 1) {
		t.Error("uses: Ended wrong")
	}
	if weekly.Ended(at("2026-03-07 10:00"), 0) {
		t.Error("weekly: ended between its hours")
	}
}

func TestCodeScheduleNextEdge(t *testing.T) {
	utc := time.UTC
	at := func(s string) time.Time { v, _ := time.Parse("2006-01-02 15:04", s); return v }
	p := func(s string) *time.Time { v := at(s); return &v }
	window := CodeSchedule{Kind: ScheduleWindow, From: p("2026-03-06 15:00"), Until: p("2026-03-08 11:00")}
	weekly := CodeSchedule{Kind: ScheduleWeekly, Days: []time.Weekday{time.Friday}, StartMin: 9 * 60, EndMin: 12 * 60}
	cases := []struct {
		name string
		s    CodeSchedule
		now  string
		want string // "" for none
	}{
		{"window: before", window, "2026-03-01 00:00", "2026-03-06 15:00"},
		{"window: inside", window, "2026-03-07 00:00", "2026-03-08 11:00"},
		{"window: after", window, "2026-03-09 00:00", ""},
		{"weekly: Thursday", weekly, "2026-03-05 10:00", "2026-03-06 09:00"},
		{"weekly: Friday inside", weekly, "2026-03-06 10:00", "2026-03-06 12:00"},
		{"weekly: Friday after", weekly, "2026-03-06 12:00", "2026-03-13 09:00"},
	}
	for _, c := range cases {
		got, ok := c.s.NextEdge(at(c.now), utc, 0)
		if c.want == "" {
			if ok {
				t.Errorf("%s: edge %v, want none", c.name, got)
			}
			continue
		}
		if !ok || !got.Equal(at(c.want)) {
			t.Errorf("%s: edge %v %v, want %s", c.name, got, ok, c.want)
		}
	}
}

func TestCodeScheduleCheck(t *testing.T) {
	now := time.Date(2026, 3, 6, 15, 0, 0, 0, time.UTC)
	later := now.Add(time.Hour)
	cases := []struct {
		name  string
		s     CodeSchedule
		field string
	}{
		{"window without end", CodeSchedule{Kind: ScheduleWindow, From: &now}, "until"},
		{"window without start", CodeSchedule{Kind: ScheduleWindow, Until: &later}, "from"},
		{"window backwards", CodeSchedule{Kind: ScheduleWindow, From: &later, Until: &now}, "until"},
		{"weekly without days", CodeSchedule{Kind: ScheduleWeekly, StartMin: 60, EndMin: 120}, "days"},
		{"weekly bad day", CodeSchedule{Kind: ScheduleWeekly, Days: []time.Weekday{9}, StartMin: 60, EndMin: 120}, "days"},
		{"weekly end before start", CodeSchedule{Kind: ScheduleWeekly, Days: []time.Weekday{1}, StartMin: 600, EndMin: 540}, "end"},
		{"weekly end past midnight", CodeSchedule{Kind: ScheduleWeekly, Days: []time.Weekday{1}, StartMin: 600, EndMin: 1441}, "end"},
		{"uses zero", CodeSchedule{Kind: ScheduleUses}, "uses"},
		{"uses too many", CodeSchedule{Kind: ScheduleUses, Uses: MaxCodeUses + 1}, "uses"},
		{"unknown kind", CodeSchedule{Kind: "forever"}, "kind"},
	}
	for _, c := range cases {
		err := c.s.Check()
		e, ok := err.(*Error)
		if !ok || len(e.Fields) != 1 || e.Fields[0].Field != c.field {
			t.Errorf("%s: %v, want an error on %q", c.name, err, c.field)
		}
	}
	good := []CodeSchedule{
		{Kind: ScheduleWindow, From: &now, Until: &later},
		{Kind: ScheduleWeekly, Days: []time.Weekday{time.Monday}, StartMin: 0, EndMin: 1440},
		{Kind: ScheduleUses, Uses: 1},
	}
	for _, s := range good {
		if err := s.Check(); err != nil {
			t.Errorf("%+v: %v", s, err)
		}
	}
}

func TestPickSlot(t *testing.T) {
	cases := []struct {
		name  string
		size  int
		held  []int
		asked int
		want  int
		code  Code
	}{
		{"empty lock", 5, nil, 0, 1, ""},
		{"lowest free", 5, []int{1, 2, 4}, 0, 3, ""},
		{"asked free", 5, []int{1}, 4, 4, ""},
		{"asked in use", 5, []int{1, 4}, 4, 0, ECONFLICT},
		{"asked out of range", 5, nil, 6, 0, EINVALID},
		{"asked negative", 5, nil, -1, 0, EINVALID},
		{"full", 3, []int{1, 2, 3}, 0, 0, ECONFLICT},
	}
	for _, c := range cases {
		got, err := PickSlot(c.size, c.held, c.asked)
		if ErrorCode(err) != c.code || got != c.want {
			t.Errorf("%s: %d, %v; want %d, %q", c.name, got, err, c.want, c.code)
		}
	}
}
