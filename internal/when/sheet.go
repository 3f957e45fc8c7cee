package when

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// DateOrder says how a date written with slashes (03/04/2026) is read.
type DateOrder int

const (
	// OrderUnknown: nothing has decided it yet.
	OrderUnknown DateOrder = iota
	// MonthFirst reads 03/04/2026 as 4 March (the United States' order).
	MonthFirst
	// DayFirst reads 03/04/2026 as 3 April (most of the world's order).
	DayFirst
)

// String is the order in words, for the dry run.
func (o DateOrder) String() string {
	switch o {
	case MonthFirst:
		return "month first (12/20/2026 is 20 December)"
	case DayFirst:
		return "day first (20/12/2026 is 20 December)"
	}
	return "not decided"
}

// ParseOrder reads a date order as the API and the mapping step name it:
// "mdy" or "dmy"; "" is OrderUnknown.
func ParseOrder(s string) (DateOrder, bool) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "":
		return OrderUnknown, true
	case "mdy", "month_first", "us":
		return MonthFirst, true
	case "dmy", "day_first":
		return DayFirst, true
	}
	return OrderUnknown, false
}

// monthFirstZones are the time zones of places that write the month first:
// the United States and its territories (Canada writes both; it is read day
// first unless the file or the user says otherwise).
var monthFirstZones = []string{"America/New_York", "America/Chicago", "America/Denver", "America/Los_Angeles",
	"America/Phoenix", "America/Anchorage", "America/Adak", "America/Boise", "America/Detroit", "America/Juneau",
	"America/Sitka", "America/Nome", "America/Metlakatla", "America/Yakutat", "America/Menominee",
	"America/Puerto_Rico", "Pacific/Honolulu", "Pacific/Guam", "Pacific/Pago_Pago"}

// ZoneOrder is the date order usual where the zone is: month first in the
// United States, day first elsewhere.
func ZoneOrder(zone *time.Location) DateOrder {
	if zone == nil {
		return DayFirst
	}
	name := zone.String()
	if strings.HasPrefix(name, "US/") || strings.HasPrefix(name, "America/Indiana/") ||
		strings.HasPrefix(name, "America/Kentucky/") || strings.HasPrefix(name, "America/North_Dakota/") {
		return MonthFirst
	}
	for _, z := range monthFirstZones {
		if name == z {
			return MonthFirst
		}
	}
	return DayFirst
}

// SlashParts returns the first two numbers of a date written with slashes or
// dashes and a year last (12/20/2026, 20-12-26), so the caller can see which
// order a file uses: a first number above 12 is a day, and so is a second.
func SlashParts(s string) (a, b int, ok bool) {
	d, _ := splitDateTime(strings.TrimSpace(s))
	p, sep := numericParts(d)
	if len(p) != 3 || sep == '.' || len(p[2]) < 2 || len(p[0]) > 2 || len(p[1]) > 2 {
		return 0, 0, false
	}
	a, _ = strconv.Atoi(p[0])
	b, _ = strconv.Atoi(p[1])
	return a, b, true
}

// SheetReading says how a spreadsheet's date was read.
type SheetReading string

const (
	ReadExact    SheetReading = "with its own UTC offset"
	ReadClock    SheetReading = "on the organization's clock"
	ReadEndOfDay SheetReading = "a date alone: due by the end of that day on the organization's clock"
)

// SheetHint says in words which dates a spreadsheet cell may hold.
const SheetHint = "must be a date such as 2026-12-20, 12/20/2026 or 20 Dec 2026, with a time of day if you like (2026-12-20 17:00)"

// ParseSheet reads a date, or a date and time, as people keep them in
// spreadsheets: RFC 3339 with its own offset; 2026-12-20 or 2026-12-20 17:00
// (T or a space between, seconds allowed); 12/20/2026, 20/12/2026, 12-20-26 in
// order (OrderUnknown is refused when both numbers could be the month);
// 20.12.2026 (always day first); 20 Dec 2026, Dec 20 2026, December 20, 2026.
// A time of day may follow (17:00, 5pm, 5:30 PM). Times without an offset are
// on zone's clock; a date alone is due by the end of that day (23:59). The
// error says in words what is wrong.
func ParseSheet(s string, zone *time.Location, order DateOrder) (time.Time, SheetReading, error) {
	in := strings.TrimSpace(s)
	if in == "" {
		return time.Time{}, "", fmt.Errorf("%s", SheetHint)
	}
	if t, err := time.Parse(time.RFC3339Nano, strings.ToUpper(in)); err == nil {
		return t.UTC(), ReadExact, nil
	}
	date, clockText := splitDateTime(in)
	y, m, d, why := sheetDate(date, order)
	if why != "" {
		return time.Time{}, "", fmt.Errorf("%s", why)
	}
	day := time.Date(y, time.Month(m), d, 0, 0, 0, 0, zone)
	if day.Year() != y || int(day.Month()) != m || day.Day() != d {
		return time.Time{}, "", fmt.Errorf("%s is not a date on the calendar", clip(date))
	}
	if clockText == "" {
		return time.Date(y, time.Month(m), d, 23, 59, 0, 0, zone).UTC(), ReadEndOfDay, nil
	}
	t, why := onDay(day, strings.ToLower(clockText), zone, true)
	if why != "" {
		return time.Time{}, "", fmt.Errorf("%s", why)
	}
	if t.IsZero() {
		return time.Time{}, "", fmt.Errorf("%s is not a time of day (write 17:00 or 5pm)", clip(clockText))
	}
	return t.UTC(), ReadClock, nil
}

// splitDateTime cuts "2026-12-20 17:00", "2026-12-20T17:00" or
// "Dec 20, 2026 5 pm" into its date and its time of day.
func splitDateTime(s string) (date, clockText string) {
	if len(s) > 10 && (s[10] == 'T' || s[10] == 't') && looksLikeDate(s[:10]) {
		return s[:10], strings.TrimSpace(s[11:])
	}
	f := strings.Fields(s)
	// The date ends at the first word that holds a colon or is am/pm (or a number followed by one).
	for i, w := range f {
		lw := strings.ToLower(w)
		if strings.Contains(w, ":") || strings.HasSuffix(lw, "am") && digits(strings.TrimSuffix(lw, "am")) ||
			strings.HasSuffix(lw, "pm") && digits(strings.TrimSuffix(lw, "pm")) ||
			(i+1 < len(f) && digits(w) && (strings.EqualFold(f[i+1], "am") || strings.EqualFold(f[i+1], "pm"))) {
			if i == 0 {
				return s, ""
			}
			return strings.Join(f[:i], " "), strings.Join(f[i:], " ")
		}
	}
	return s, ""
}

// numericParts splits "12/20/2026" into its numbers and the separator used.
func numericParts(s string) ([]string, rune) {
	for _, sep := range []rune{'/', '-', '.'} {
		if strings.ContainsRune(s, sep) {
			p := strings.Split(s, string(sep))
			for _, x := range p {
				if !digits(x) {
					return nil, 0
				}
			}
			return p, sep
		}
	}
	return nil, 0
}

var monthNames = map[string]int{}

func init() {
	for m := time.January; m <= time.December; m++ {
		name := strings.ToLower(m.String())
		monthNames[name] = int(m)
		monthNames[name[:3]] = int(m)
	}
	monthNames["sept"] = 9
}

// sheetDate reads the date part; why says in words what is wrong.
func sheetDate(s string, order DateOrder) (y, m, d int, why string) {
	if p, sep := numericParts(s); len(p) == 3 {
		nums := [3]int{}
		for i, x := range p {
			nums[i], _ = strconv.Atoi(x)
		}
		switch {
		case len(p[0]) == 4 && sep != '.':
			return nums[0], nums[1], nums[2], "" // 2026-12-20, 2026/12/20
		case len(p[2]) == 4 || len(p[2]) == 2:
			y = nums[2]
			if len(p[2]) == 2 {
				y += 2000
			}
			a, b := nums[0], nums[1]
			switch {
			case sep == '.' || order == DayFirst:
				return y, b, a, ""
			case order == MonthFirst:
				return y, a, b, ""
			case a > 12:
				return y, b, a, ""
			case b > 12:
				return y, a, b, ""
			}
			return 0, 0, 0, fmt.Sprintf("%s could be month first or day first: choose the order of dates", clip(s))
		}
		return 0, 0, 0, SheetHint
	}
	// Words: 20 Dec 2026, Dec 20 2026, December 20, 2026.
	f := strings.Fields(strings.NewReplacer(",", " ", ".", " ").Replace(strings.ToLower(s)))
	if len(f) != 3 {
		return 0, 0, 0, SheetHint
	}
	var ok bool
	switch {
	case digits(f[0]) && !digits(f[1]) && digits(f[2]):
		m, ok = monthNames[f[1]]
		d, _ = strconv.Atoi(f[0])
	case !digits(f[0]) && digits(f[1]) && digits(f[2]):
		m, ok = monthNames[f[0]]
		d, _ = strconv.Atoi(f[1])
	}
	if !ok || len(f[2]) != 4 {
		return 0, 0, 0, SheetHint
	}
	y, _ = strconv.Atoi(f[2])
	return y, m, d, ""
}
