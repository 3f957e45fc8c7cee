package keyward

import (
	_ "embed"
	"strings"
	"sync"
	"time"
)

// ZoneGroup is one group of the time-zone list: the common zones first, by
// the words people use for them, then every other zone by region.
type ZoneGroup struct {
	Region string
	Zones  []Zone
}

// Zone is one choice: its IANA name, and what the list shows.
type Zone struct {
	Name  string
	Label string
}

// commonZones come first, labelled with the words people use for them, so
// typing "Eastern" in the list finds America/New_York.
var commonZones = []Zone{
	{"America/New_York", "Eastern Time (US and Canada)"},
	{"America/Chicago", "Central Time (US and Canada)"},
	{"America/Denver", "Mountain Time (US and Canada)"},
	{"America/Phoenix", "Mountain Time without daylight saving (Arizona)"},
	{"America/Los_Angeles", "Pacific Time (US and Canada)"},
	{"America/Anchorage", "Alaska Time"},
	{"Pacific/Honolulu", "Hawaii Time"},
	{"America/Halifax", "Atlantic Time (Canada)"},
	{"America/St_Johns", "Newfoundland Time"},
	{"Europe/London", "UK and Ireland (London)"},
	{"Europe/Berlin", "Central European Time (Berlin, Paris, Rome, Madrid)"},
	{"Europe/Athens", "Eastern European Time (Athens, Helsinki, Kyiv)"},
	{"Australia/Sydney", "Australian Eastern Time (Sydney, Melbourne)"},
	{"Pacific/Auckland", "New Zealand Time"},
	{"Asia/Kolkata", "India Standard Time"},
	{"Asia/Tokyo", "Japan Standard Time"},
	{"UTC", "UTC (Coordinated Universal Time)"},
}

// zoneWords map what people type for a zone to its IANA name; keys are
// lower case with single spaces.
var zoneWords = map[string]string{
	"eastern": "America/New_York", "eastern time": "America/New_York", "est": "America/New_York", "edt": "America/New_York",
	"us/eastern": "America/New_York", "et": "America/New_York", "new york": "America/New_York",
	"central": "America/Chicago", "central time": "America/Chicago", "cst": "America/Chicago", "cdt": "America/Chicago",
	"us/central": "America/Chicago", "ct": "America/Chicago", "chicago": "America/Chicago",
	"mountain": "America/Denver", "mountain time": "America/Denver", "mst": "America/Denver", "mdt": "America/Denver",
	"us/mountain": "America/Denver", "mt": "America/Denver", "denver": "America/Denver",
	"arizona": "America/Phoenix", "us/arizona": "America/Phoenix",
	"pacific": "America/Los_Angeles", "pacific time": "America/Los_Angeles", "pst": "America/Los_Angeles", "pdt": "America/Los_Angeles",
	"us/pacific": "America/Los_Angeles", "pt": "America/Los_Angeles", "los angeles": "America/Los_Angeles",
	"alaska": "America/Anchorage", "us/alaska": "America/Anchorage", "akst": "America/Anchorage",
	"hawaii": "Pacific/Honolulu", "us/hawaii": "Pacific/Honolulu", "hst": "Pacific/Honolulu",
	"atlantic": "America/Halifax", "newfoundland": "America/St_Johns",
	"uk": "Europe/London", "gmt": "Europe/London", "bst": "Europe/London", "london": "Europe/London",
	"cet": "Europe/Berlin", "cest": "Europe/Berlin", "central european": "Europe/Berlin",
	"eet": "Europe/Athens", "eastern european": "Europe/Athens",
	"aest": "Australia/Sydney", "nzst": "Pacific/Auckland", "ist": "Asia/Kolkata", "india": "Asia/Kolkata", "jst": "Asia/Tokyo",
	"utc": "UTC", "z": "UTC", "zulu": "UTC", "coordinated universal time": "UTC",
}

//go:embed zones.txt
var zonesTxt string

// allZones is every IANA zone in use, sorted (zones.txt).
var allZones = sync.OnceValue(func() []string {
	var out []string
	for _, line := range strings.Split(zonesTxt, "\n") {
		if line = strings.TrimSpace(line); line != "" && !strings.HasPrefix(line, "#") {
			out = append(out, line)
		}
	}
	return out
})

// TimeZones returns the list: the common zones, then every other zone by
// region, in order; a new slice each call.
func TimeZones() []ZoneGroup {
	out := []ZoneGroup{{Region: "Common", Zones: append([]Zone(nil), commonZones...)}}
	common := map[string]bool{}
	for _, z := range commonZones {
		common[z.Name] = true
	}
	for _, name := range allZones() {
		if common[name] {
			continue
		}
		region, place, _ := strings.Cut(name, "/")
		if len(out) == 1 || out[len(out)-1].Region != region {
			out = append(out, ZoneGroup{Region: region})
		}
		label := strings.ReplaceAll(strings.ReplaceAll(place, "_", " "), "/", ", ")
		out[len(out)-1].Zones = append(out[len(out)-1].Zones, Zone{Name: name, Label: label})
	}
	return out
}

// ValidTimeZone reports whether name is UTC or a zone of TimeZones that loads.
func ValidTimeZone(name string) bool {
	ok := name == "UTC"
	for _, z := range allZones() {
		ok = ok || z == name
	}
	if !ok {
		return false
	}
	_, err := time.LoadLocation(name)
	return err == nil
}

// ResolveTimeZone reads a time zone as people write it: an IANA name in any
// letter case ("europe/berlin"), or words such as "Eastern", "US/Pacific"
// or "CET". It returns the IANA name, or false.
func ResolveTimeZone(s string) (string, bool) {
	s = strings.TrimSpace(s)
	if ValidTimeZone(s) {
		return s, true
	}
	key := strings.ToLower(strings.Join(strings.Fields(strings.ReplaceAll(s, "_", " ")), " "))
	if z, ok := zoneWords[key]; ok {
		return z, true
	}
	for _, z := range allZones() {
		if strings.EqualFold(z, s) || strings.EqualFold(strings.ReplaceAll(z, "_", " "), key) {
			return z, true
		}
	}
	for _, z := range commonZones {
		if strings.EqualFold(z.Label, s) {
			return z.Name, true
		}
	}
	return "", false
}
