package keyward

import (
	"fmt"
	"slices"
	"strings"
	"time"
)

// CodeScheduleKind is how a temporary code is limited.
type CodeScheduleKind string

const (
	// ScheduleWindow: one window, From to Until.
	ScheduleWindow CodeScheduleKind = "window"
	// ScheduleWeekly: the same hours on chosen days of every week,
	// optionally only between From and Until.
	ScheduleWeekly CodeScheduleKind = "weekly"
	// ScheduleUses: a number of openings, optionally only between From and Until.
	ScheduleUses CodeScheduleKind = "uses"
)

// MaxCodeUses bounds a use-count code.
const MaxCodeUses = 1000

// CodeSchedule says when a temporary code opens. Times of day are minutes
// after midnight on the organization's clock; From and Until are instants.
type CodeSchedule struct {
	Kind  CodeScheduleKind `json:"kind"`
	From  *time.Time       `json:"from,omitempty"`
	Until *time.Time       `json:"until,omitempty"`
	// Days, StartMin and EndMin are the weekly hours: on each listed day from
	// StartMin to EndMin (EndMin after StartMin, at most 1440).
	Days     []time.Weekday `json:"days,omitempty"`
	StartMin int            `json:"start_min,omitempty"`
	EndMin   int            `json:"end_min,omitempty"`
	// Uses is how many openings a use-count code allows.
	Uses int `json:"uses,omitempty"`
}

// Check names the first field that breaks the schedule's rules.
func (s CodeSchedule) Check() error {
	if s.From != nil && s.Until != nil && !s.Until.After(*s.From) {
		return Invalid("until", "must be after the start")
	}
	switch s.Kind {
	case ScheduleWindow:
		if s.From == nil {
			return Invalid("from", "a one-off window needs a start")
		}
		if s.Until == nil {
			return Invalid("until", "a one-off window needs an end")
		}
	case ScheduleWeekly:
		if len(s.Days) == 0 {
			return Invalid("days", "choose at least one day of the week")
		}
		for _, d := range s.Days {
			if d < time.Sunday || d > time.Saturday {
				return Invalid("days", "must be days of the week")
			}
		}
		if s.StartMin < 0 || s.StartMin >= 1440 {
			return Invalid("start", "must be a time of day")
		}
		if s.EndMin <= s.StartMin || s.EndMin > 1440 {
			return Invalid("end", "must be a time of day after the start")
		}
	case ScheduleUses:
		if s.Uses < 1 || s.Uses > MaxCodeUses {
			return Invalid("uses", fmt.Sprintf("must be 1 to %d", MaxCodeUses))
		}
	default:
		return Invalid("kind", "must be window, weekly or uses")
	}
	return nil
}

// ActiveAt reports whether a code with this schedule, used `used` times,
// opens at now; loc is the organization's time zone (weekly hours are on its
// clock, so they follow daylight saving). Revocation is the caller's check.
func (s CodeSchedule) ActiveAt(now time.Time, loc *time.Location, used int) bool {
	if s.From != nil && now.Before(*s.From) {
		return false
	}
	if s.Until != nil && !now.Before(*s.Until) {
		return false
	}
	switch s.Kind {
	case ScheduleWindow:
		return true
	case ScheduleUses:
		return used < s.Uses
	case ScheduleWeekly:
		l := now.In(loc)
		if !slices.Contains(s.Days, l.Weekday()) {
			return false
		}
		m := l.Hour()*60 + l.Minute()
		return m >= s.StartMin && m < s.EndMin
	}
	return false
}

// Ended reports whether the code will never open again after now: its end
// has passed or its uses are spent. An ended code's slot is freed once the
// lock has let it go.
func (s CodeSchedule) Ended(now time.Time, used int) bool {
	if s.Until != nil && !now.Before(*s.Until) {
		return true
	}
	return s.Kind == ScheduleUses && used >= s.Uses
}

// NextEdge is the first instant after now at which ActiveAt changes (for a
// code not used any further), so a scheduler knows when to look again; ok is
// false when it never changes again.
func (s CodeSchedule) NextEdge(now time.Time, loc *time.Location, used int) (time.Time, bool) {
	var edges []time.Time
	if s.From != nil && s.From.After(now) {
		edges = append(edges, *s.From)
	}
	if s.Until != nil && s.Until.After(now) {
		edges = append(edges, *s.Until)
	}
	if s.Kind == ScheduleWeekly {
		l := now.In(loc)
		day := time.Date(l.Year(), l.Month(), l.Day(), 0, 0, 0, 0, loc)
		for i := 0; i <= 7 && len(edges) < 8; i++ {
			d := day.AddDate(0, 0, i)
			if !slices.Contains(s.Days, d.Weekday()) {
				continue
			}
			for _, m := range []int{s.StartMin, s.EndMin} {
				e := time.Date(d.Year(), d.Month(), d.Day(), m/60, m%60, 0, 0, loc)
				if e.After(now) {
					edges = append(edges, e)
				}
			}
		}
	}
	if len(edges) == 0 {
		return time.Time{}, false
	}
	return slices.MinFunc(edges, func(a, b time.Time) int { return a.Compare(b) }), true
}

// Describe says the schedule in plain words on the organization's clock.
func (s CodeSchedule) Describe(loc *time.Location) string {
	f := func(t time.Time) string { return t.In(loc).Format("Mon 2 Jan 2006 15:04") }
	hm := func(m int) string { return fmt.Sprintf("%02d:%02d", m/60, m%60) }
	var b strings.Builder
	switch s.Kind {
	case ScheduleWindow:
		fmt.Fprintf(&b, "from %s until %s", f(*s.From), f(*s.Until))
		return b.String()
	case ScheduleWeekly:
		names := make([]string, 0, len(s.Days))
		for _, d := range s.Days {
			names = append(names, d.String()[:3])
		}
		fmt.Fprintf(&b, "%s, %s to %s", strings.Join(names, ", "), hm(s.StartMin), hm(s.EndMin))
	case ScheduleUses:
		if s.Uses == 1 {
			b.WriteString("one opening")
		} else {
			fmt.Fprintf(&b, "%d openings", s.Uses)
		}
	}
	if s.From != nil {
		fmt.Fprintf(&b, ", from %s", f(*s.From))
	}
	if s.Until != nil {
		fmt.Fprintf(&b, ", until %s", f(*s.Until))
	}
	return b.String()
}

// PickSlot chooses the PIN slot for a new code on a lock with size slots.
// held are the slots that hold a live code or that the lock still reports
// holding: a slot is never given twice while a code in it is live. asked 0
// picks the lowest free slot; an asked slot that is held is a conflict.
func PickSlot(size int, held []int, asked int) (int, error) {
	busy := map[int]bool{}
	for _, n := range held {
		busy[n] = true
	}
	if asked != 0 {
		if asked < 1 || asked > size {
			return 0, Invalid("slot", fmt.Sprintf("must be 1 to %d on this lock", size))
		}
		if busy[asked] {
			return 0, Errorf(ECONFLICT, "slot %d is in use by a live code on this lock: choose another slot or let Keyward pick one", asked)
		}
		return asked, nil
	}
	for n := 1; n <= size; n++ {
		if !busy[n] {
			return n, nil
		}
	}
	return 0, Errorf(ECONFLICT, "every one of the lock's %d PIN slots holds a live code: revoke one first", size)
}

// CodeState says whether a temporary code opens at now and whether it has
// ended for good (revoked, past its end, or its uses spent).
func CodeState(s CodeSchedule, revoked bool, now time.Time, loc *time.Location, used int) (active, ended bool) {
	if revoked {
		return false, true
	}
	return s.ActiveAt(now, loc, used), s.Ended(now, used)
}
