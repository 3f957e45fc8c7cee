// Package when reads the times people write on the command line ("4h", "2d",
// "17:00", "2026-12-20 17:00") on the organization's clock, and writes times
// back the way people read them ("Sun 6 Dec 2026 14:05"). Pure code: the
// caller passes the time now and the organization's time zone.
package when

import (
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode"
)

// DueHint says, in words, what a due time may look like.
const DueHint = "say when the key is due back, e.g. 4h, 2d, '2026-12-20 17:00'"

// MaxAhead is how far ahead a due time may lie.
const MaxAhead = 10 * 365 * 24 * time.Hour

// Layout is how a time is shown: weekday, day, month, year, 24-hour clock.
const Layout = "Mon 2 Jan 2006 15:04"

// Format is t on the clock of zone, as "Sun 6 Dec 2026 14:05".
func Format(t time.Time, zone *time.Location) string {
	return t.In(zone).Format(Layout)
}

// units are the duration units a person writes, by every spelling accepted.
var units = map[string]time.Duration{
	"w": 7 * 24 * time.Hour, "week": 7 * 24 * time.Hour, "weeks": 7 * 24 * time.Hour,
	"d": 24 * time.Hour, "day": 24 * time.Hour, "days": 24 * time.Hour,
	"h": time.Hour, "hr": time.Hour, "hrs": time.Hour, "hour": time.Hour, "hours": time.Hour,
	"m": time.Minute, "min": time.Minute, "mins": time.Minute, "minute": time.Minute, "minutes": time.Minute,
}

// ParseDue reads when a key is due back, in one of these forms:
//
//   - a span from now: 4h, 90m, 2d, 1w, 1d12h, 1.5h, "3 days";
//   - a clock time, today if it is still ahead, else tomorrow: 17:00, 5pm,
//     5:30 pm, and "today 17:00" or "tomorrow 9:00";
//   - a date and clock time in zone: 2026-12-20 17:00 (or 2026-12-20T17:00,
//     seconds allowed);
//   - RFC 3339 with its own offset: 2026-12-20T17:00:00+01:00.
//
// The time must lie after now and at most MaxAhead after it. A refusal is an
// error whose message says in words what to write (it never quotes a layout).
func ParseDue(s string, now time.Time, zone *time.Location) (time.Time, error) {
	in := strings.TrimSpace(s)
	if in == "" {
		return time.Time{}, fmt.Errorf("%s", DueHint)
	}
	t, why := read(in, now, zone)
	switch {
	case why != "":
		return time.Time{}, fmt.Errorf("%s; %s", why, DueHint)
	case t.IsZero():
		return time.Time{}, fmt.Errorf("%s (not %q)", DueHint, clip(in))
	case !t.After(now):
		return time.Time{}, fmt.Errorf("%s has already passed; %s", Format(t, zone), DueHint)
	case t.Sub(now) > MaxAhead:
		return time.Time{}, fmt.Errorf("%s is more than 10 years ahead; %s", clip(in), DueHint)
	}
	return t.UTC(), nil
}

// read returns the time in means, the zero time when in has none of the
// forms, or a reason in words when it has a form but cannot be that time.
func read(in string, now time.Time, zone *time.Location) (time.Time, string) {
	lower := strings.ToLower(in)
	if d, ok, why := span(lower); ok || why != "" {
		if why != "" {
			return time.Time{}, why
		}
		return now.Add(d), ""
	}
	if t, err := time.Parse(time.RFC3339Nano, strings.ToUpper(in)); err == nil {
		return t, ""
	}
	if day, rest, ok := strings.Cut(lower, "today "); ok && day == "" {
		return onDay(now.In(zone), rest, zone, false)
	}
	if day, rest, ok := strings.Cut(lower, "tomorrow "); ok && day == "" {
		return onDay(now.In(zone).AddDate(0, 0, 1), rest, zone, false)
	}
	if h, m, ok := clock(lower); ok {
		today := now.In(zone)
		if !time.Date(today.Year(), today.Month(), today.Day(), h, m, 0, 0, zone).After(now) {
			return at(today.AddDate(0, 0, 1), h, m, zone)
		}
		return at(today, h, m, zone)
	}
	if len(lower) >= len("2006-01-02") {
		date, rest := lower[:10], strings.TrimSpace(strings.TrimPrefix(lower[10:], "t"))
		d, err := time.ParseInLocation("2006-01-02", date, zone)
		if err != nil {
			if looksLikeDate(date) {
				return time.Time{}, fmt.Sprintf("%s is not a date on the calendar", clip(date))
			}
			return time.Time{}, ""
		}
		if rest == "" {
			return time.Time{}, fmt.Sprintf("%s needs a time of day too, e.g. '%s 17:00'", date, date)
		}
		return onDay(d, rest, zone, true)
	}
	return time.Time{}, ""
}

// onDay is the clock time text on the calendar day of day, in zone.
func onDay(day time.Time, text string, zone *time.Location, seconds bool) (time.Time, string) {
	text = strings.TrimSpace(text)
	if seconds && len(text) == len("15:04:05") && text[5] == ':' {
		sec, err := strconv.Atoi(text[6:])
		if err != nil || sec > 59 || !digits(text[6:]) {
			return time.Time{}, ""
		}
		t, why := onDay(day, text[:5], zone, false)
		if why != "" || t.IsZero() {
			return t, why
		}
		return t.Add(time.Duration(sec) * time.Second), ""
	}
	h, m, ok := clock(text)
	if !ok {
		return time.Time{}, ""
	}
	return at(day, h, m, zone)
}

// at is h:m on the calendar day of day, in zone; a clock time the zone skips
// (when the clocks go forward) is refused in words.
func at(day time.Time, h, m int, zone *time.Location) (time.Time, string) {
	t := time.Date(day.Year(), day.Month(), day.Day(), h, m, 0, 0, zone)
	if t.Hour() != h || t.Minute() != m {
		return time.Time{}, fmt.Sprintf("%02d:%02d on %s does not exist in %s (the clocks go forward then)", h, m, t.Format("Mon 2 Jan 2006"), zone)
	}
	return t, ""
}

// clock reads "17:00", "9:05", "5pm", "5 pm", "5:30pm", "12am".
func clock(s string) (h, m int, ok bool) {
	s = strings.TrimSpace(s)
	ampm := ""
	for _, suffix := range []string{"am", "pm"} {
		if rest, found := strings.CutSuffix(s, suffix); found {
			s, ampm = strings.TrimSpace(rest), suffix
			break
		}
	}
	hh, mm, hasColon := strings.Cut(s, ":")
	if !hasColon && ampm == "" {
		return 0, 0, false // a bare "17" could be anything
	}
	if len(hh) < 1 || len(hh) > 2 || !digits(hh) || (hasColon && (len(mm) != 2 || !digits(mm))) {
		return 0, 0, false
	}
	h, _ = strconv.Atoi(hh)
	if hasColon {
		m, _ = strconv.Atoi(mm)
	}
	if m > 59 {
		return 0, 0, false
	}
	switch ampm {
	case "":
		if h > 23 {
			return 0, 0, false
		}
	default:
		if h < 1 || h > 12 {
			return 0, 0, false
		}
		h %= 12
		if ampm == "pm" {
			h += 12
		}
	}
	return h, m, true
}

// span reads "4h", "1d12h", "1.5h", "90 minutes", "3 days". ok says it is a
// span; why says it is one that cannot be a due time.
func span(s string) (d time.Duration, ok bool, why string) {
	s = strings.TrimPrefix(strings.TrimPrefix(s, "in "), "+")
	if s == "" || !unicode.IsDigit(rune(s[0])) && s[0] != '.' {
		return 0, false, ""
	}
	var total float64
	rest := s
	for rest != "" {
		rest = strings.TrimLeft(rest, " ")
		i := 0
		for i < len(rest) && (rest[i] >= '0' && rest[i] <= '9' || rest[i] == '.') {
			i++
		}
		num := rest[:i]
		rest = strings.TrimLeft(rest[i:], " ")
		j := 0
		for j < len(rest) && rest[j] >= 'a' && rest[j] <= 'z' {
			j++
		}
		unit, known := units[rest[:j]]
		rest = strings.TrimLeft(rest[j:], " ,")
		n, err := strconv.ParseFloat(num, 64)
		if num == "" || err != nil || !known {
			return 0, false, ""
		}
		total += n * float64(unit)
	}
	if total <= 0 {
		return 0, false, fmt.Sprintf("%s is no time from now", clip(s))
	}
	if total > float64(MaxAhead) {
		return 0, false, fmt.Sprintf("%s is more than 10 years ahead", clip(s))
	}
	return time.Duration(total).Round(time.Second), true, ""
}

// looksLikeDate says s has the shape of 2006-01-02, whatever its numbers.
func looksLikeDate(s string) bool {
	return len(s) == 10 && s[4] == '-' && s[7] == '-' && digits(s[:4]) && digits(s[5:7]) && digits(s[8:])
}

func digits(s string) bool {
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return s != ""
}

// clip keeps a quoted input short in a message.
func clip(s string) string {
	if r := []rune(s); len(r) > 40 {
		return string(r[:40]) + "…"
	}
	return s
}
