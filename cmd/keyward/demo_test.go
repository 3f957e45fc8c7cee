package main

import (
	"strings"
	"testing"
	"time"
)

// TestDemoFillsEveryScreen: the demo leaves no screen empty: storage places of
// every kind, credentials, a check-out overdue now, an open offboarding, a lost
// master with an open rekey plan, a lost key outside the key system with an
// open work list, and a copy request waiting; and the audit log still verifies.
func TestDemoFillsEveryScreen(t *testing.T) {
	eachTarget(t, func(t *testing.T, target func(t *testing.T) cliTarget) {
		tg := target(t)
		keyFileFor(t, tg)
		out := mustRun(t, tg.env, "demo")
		for _, want := range []string{"64 keys, 40 pinned cylinders", "4 storage places", "2 credentials", "1 open offboarding"} {
			if !strings.Contains(out, want) {
				t.Fatalf("demo said %q, want %q in it", out, want)
			}
		}
		db := tg.sql(t)
		now := time.Now().UTC().Format("2006-01-02T15:04:05.000000000Z")
		for _, c := range []struct {
			what, query string
			want        int
		}{
			{"kinds of storage place", `SELECT COUNT(DISTINCT kind) FROM storage_places`, 4},
			{"keys in storage places", `SELECT COUNT(*) FROM key_homes`, 8},
			{"credentials", `SELECT COUNT(*) FROM credentials`, 2},
			{"overdue check-outs", `SELECT COUNT(*) FROM keys WHERE status = 'checked_out' AND due_at < '` + now + `'`, 1},
			{"open offboardings", `SELECT COUNT(*) FROM offboardings WHERE cleared_at IS NULL`, 1},
			{"open rekey plans", `SELECT COUNT(*) FROM rekey_plans WHERE status = 'open'`, 1},
			{"open work lists", `SELECT COUNT(*) FROM work_lists WHERE status = 'open'`, 1},
			{"copy requests waiting", `SELECT COUNT(*) FROM copy_requests WHERE state = 'requested'`, 1},
			{"signatories", `SELECT COUNT(*) FROM keyway_signatories`, 2},
		} {
			var n int
			if err := db.QueryRow(c.query).Scan(&n); err != nil || n != c.want {
				t.Errorf("%s: %d (%v), want %d", c.what, n, err, c.want)
			}
		}
		bare := map[string]string{"KEYWARD_DB": tg.env["KEYWARD_DB"], "KEYWARD_DATA": tg.env["KEYWARD_DATA"]}
		if out := mustRun(t, bare, "audit", "verify"); !strings.HasPrefix(out, "OK:") {
			t.Fatalf("audit verify after the demo: %s", out)
		}
	})
}
