package keyward

import "strings"

// ZoneGroup is one region of the time-zone list the settings page offers.
type ZoneGroup struct {
	Region string
	Zones  []string
}

// timeZones is the list an organization's time zone is chosen from: the
// IANA zones people live in, by region. "UTC" is allowed besides them.
var timeZones = []string{
	"Africa/Abidjan", "Africa/Accra", "Africa/Algiers", "Africa/Cairo", "Africa/Casablanca", "Africa/Johannesburg",
	"Africa/Lagos", "Africa/Nairobi", "Africa/Tunis",
	"America/Anchorage", "America/Argentina/Buenos_Aires", "America/Bogota", "America/Caracas", "America/Chicago",
	"America/Denver", "America/Edmonton", "America/Halifax", "America/Havana", "America/Lima", "America/Los_Angeles",
	"America/Mexico_City", "America/New_York", "America/Phoenix", "America/Santiago", "America/Sao_Paulo",
	"America/St_Johns", "America/Toronto", "America/Vancouver", "America/Winnipeg",
	"Asia/Bangkok", "Asia/Dhaka", "Asia/Dubai", "Asia/Hong_Kong", "Asia/Jakarta", "Asia/Jerusalem", "Asia/Karachi",
	"Asia/Kolkata", "Asia/Kathmandu", "Asia/Manila", "Asia/Riyadh", "Asia/Seoul", "Asia/Shanghai", "Asia/Singapore",
	"Asia/Taipei", "Asia/Tehran", "Asia/Tokyo",
	"Atlantic/Azores", "Atlantic/Canary", "Atlantic/Reykjavik",
	"Australia/Adelaide", "Australia/Brisbane", "Australia/Darwin", "Australia/Hobart", "Australia/Melbourne",
	"Australia/Perth", "Australia/Sydney",
	"Europe/Amsterdam", "Europe/Athens", "Europe/Berlin", "Europe/Brussels", "Europe/Bucharest", "Europe/Budapest",
	"Europe/Copenhagen", "Europe/Dublin", "Europe/Helsinki", "Europe/Istanbul", "Europe/Kyiv", "Europe/Lisbon",
	"Europe/London", "Europe/Luxembourg", "Europe/Madrid", "Europe/Moscow", "Europe/Oslo", "Europe/Paris",
	"Europe/Prague", "Europe/Rome", "Europe/Stockholm", "Europe/Vienna", "Europe/Warsaw", "Europe/Zurich",
	"Pacific/Auckland", "Pacific/Fiji", "Pacific/Guam", "Pacific/Honolulu",
}

// TimeZones returns the list grouped by region, in order; a new slice each call.
func TimeZones() []ZoneGroup {
	var out []ZoneGroup
	for _, z := range timeZones {
		region, _, _ := strings.Cut(z, "/")
		if len(out) == 0 || out[len(out)-1].Region != region {
			out = append(out, ZoneGroup{Region: region})
		}
		out[len(out)-1].Zones = append(out[len(out)-1].Zones, z)
	}
	return out
}
