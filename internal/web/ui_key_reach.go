package web

import (
	"time"

	"github.com/keyward/keyward/internal/keyward"
)

// siteOpenings are the openings a key opens at one site.
type siteOpenings struct {
	SiteID, SiteName string
	Openings         []keyward.KeyOpening
}

// bySite groups openings, already in site order, by their site.
func bySite(opens []keyward.KeyOpening) []siteOpenings {
	var out []siteOpenings
	for _, o := range opens {
		if n := len(out); n == 0 || out[n-1].SiteID != o.SiteID {
			out = append(out, siteOpenings{SiteID: o.SiteID, SiteName: o.SiteName})
		}
		out[len(out)-1].Openings = append(out[len(out)-1].Openings, o)
	}
	return out
}

// sourceWords says why a key opens an opening.
var sourceWords = map[string]string{
	keyward.OperatesBySchedule: "listed for this key",
	keyward.OperatesAsMaster:   "as a master key",
	keyward.OperatesByPinning:  "by the lock's pinning",
}

// whereWords says where a key is now, in plain words, on the organization's
// clock: "With Dana Ruiz, due back Tue 5 pm", "In Cabinet A, hook 12".
func whereWords(k keyward.Key, r *keyward.KeyReach, now time.Time, zone *time.Location) string {
	holder := "someone"
	if r != nil && r.HolderName != "" {
		holder = r.HolderName
	}
	switch k.Status {
	case keyward.StatusCheckedOut:
		s := "With " + holder
		if k.DueAt != nil {
			if k.DueAt.Before(now) {
				return s + ", overdue since " + friendlyTime(*k.DueAt, now, zone)
			}
			s += ", due back " + friendlyTime(*k.DueAt, now, zone)
		}
		return s
	case keyward.StatusIssued:
		return "With " + holder + " (issued to them)"
	case keyward.StatusLost:
		s := "Lost"
		if r != nil && r.LostAt != nil {
			s += " on " + r.LostAt.In(zone).Format("Mon 2 Jan 2006")
		}
		if r != nil && r.HolderName != "" {
			s += " (last with " + r.HolderName + ")"
		}
		return s
	case keyward.StatusDestroyed:
		return "Destroyed"
	}
	if r == nil || r.Home == nil {
		return "In storage, no place recorded"
	}
	h := r.Home
	switch h.StorageKind {
	case keyward.StorageEnvelope:
		if r.Seal != "" {
			return "In sealed envelope #" + r.Seal + " (" + h.StorageName + ")"
		}
		return "In envelope " + h.StorageName
	case keyward.StorageLockbox:
		return "In lockbox " + h.StorageName
	case keyward.StorageHolder:
		return "Kept by " + h.StorageName
	}
	return "In " + h.Where()
}

// friendlyTime is "Tue 5 pm" within the coming week, else "Tue 12 May 5 pm".
func friendlyTime(t, now time.Time, zone *time.Location) string {
	t = t.In(zone)
	clock := "3 pm"
	if t.Minute() != 0 {
		clock = "3:04 pm"
	}
	if d := t.Sub(now); d > -24*time.Hour && d < 6*24*time.Hour {
		return t.Format("Mon " + clock)
	}
	return t.Format("Mon 2 Jan " + clock)
}
