package web

import (
	"testing"
	"time"
	_ "time/tzdata" // the zone database, also on a machine without one
)

func TestTimesShowInOrgZone(t *testing.T) {
	berlin, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		t.Fatal(err)
	}
	show := funcsIn(berlin)["fmtTime"].(func(any) string)
	at := time.Date(2026, 1, 15, 16, 30, 0, 0, time.UTC)
	if got := show(at); got != "2026-01-15 17:30 CET" {
		t.Fatalf("fmtTime = %q", got)
	}
	if got := show(&at); got != "2026-01-15 17:30 CET" {
		t.Fatalf("fmtTime(*t) = %q", got)
	}
	if got := show((*time.Time)(nil)); got != "" {
		t.Fatalf("nil time = %q", got)
	}
	// A day entered on the organization's calendar shows as that day.
	day := funcsIn(berlin)["fmtDate"].(func(any) string)
	ack := time.Date(2026, 11, 1, 0, 0, 0, 0, berlin)
	if got := day(&ack); got != "2026-11-01" {
		t.Fatalf("fmtDate = %q, want 2026-11-01", got)
	}
}
