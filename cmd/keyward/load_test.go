package main

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"testing"

	"github.com/keyward/keyward/internal/loadgen"
)

// TestLoadCommand runs `keyward load` against a real server on each backend:
// it sets itself up with the owner's token, makes every kind of request,
// prints the table, the answers by status and the raw commit rate of the
// server's own database with the ratio, and leaves an audit log that verifies.
func TestLoadCommand(t *testing.T) {
	eachTarget(t, func(t *testing.T, target func(t *testing.T) cliTarget) {
		tg := target(t)
		client, _ := cliServer(t, tg, nil)
		env := map[string]string{}
		for k, v := range tg.env {
			env[k] = v
		}
		for k, v := range client {
			env[k] = v
		}
		code, out, errOut := runCmd(t, context.Background(), env, "", "load", "--clients", "4", "--count", "400",
			"--shared", "2", "--shared-share", "0.5", "--probe-for", "500ms")
		if code != 0 {
			t.Fatalf("load: exit %d\n%s%s", code, out, errOut)
		}
		t.Logf("%s:\n%s", tg.name, out)
		for _, want := range []string{"operation", "p99", "checkout", "checkin", "view-key", "history", "door-access", "search", "import", "credential",
			"answers by status: 200: ", "pairs/s acknowledged", "raw durable commits on the same database, 4 writers", "pairs/s to raw commits/s: "} {
			if !strings.Contains(out, want) {
				t.Errorf("the report lacks %q:\n%s", want, out)
			}
		}
		if strings.Contains(out, "server errors") {
			t.Errorf("server errors under a light load:\n%s", out)
		}
		if out := mustRun(t, tg.env, "audit", "verify"); !strings.HasPrefix(out, "OK:") {
			t.Fatalf("audit verify after the load: %s", out)
		}
		// The probe's rows are gone; the clients' tokens are revoked.
		db := tg.sql(t)
		var probeRows, liveTokens int
		err1 := db.QueryRow(`SELECT COUNT(*) FROM login_failures WHERE addr = 'commit-probe'`).Scan(&probeRows)
		err2 := db.QueryRow(`SELECT COUNT(*) FROM api_tokens WHERE name LIKE 'load %' AND revoked_at IS NULL`).Scan(&liveTokens)
		if err1 != nil || err2 != nil {
			t.Fatal(err1, err2)
		}
		if probeRows != 0 || liveTokens != 0 {
			t.Fatalf("after the run: %d probe rows, %d load tokens still valid", probeRows, liveTokens)
		}

		// Without the server's database named, the probe is skipped and says why.
		code, out, errOut = runCmd(t, context.Background(), client, "", "load", "--clients", "1", "--count", "5")
		if code != 0 || !strings.Contains(errOut, "raw durable commits will not be measured") || strings.Contains(out, "raw durable commits on") {
			t.Fatalf("load without --data: exit %d\n%s%s", code, out, errOut)
		}
	})
}

// TestLoadRefusesOtherMachines: a server that is not on this machine is
// refused before any request, and so is a bad mix.
func TestLoadRefusesOtherMachines(t *testing.T) {
	for _, args := range [][]string{
		{"load", "--server", "http://192.0.2.10:8080", "--token", "x"},
		{"load", "--servers", "http://127.0.0.1:8080,https://keys.example.com", "--token", "x"},
	} {
		code, out, errOut := runCmd(t, context.Background(), nil, "", args...)
		if code != 2 || out != "" || !strings.Contains(errOut, "is not on this machine; load runs only against a loopback address") {
			t.Errorf("%v: exit %d %q %q", args, code, out, errOut)
		}
	}
	code, _, errOut := runCmd(t, context.Background(), nil, "", "load", "--server", "http://127.0.0.1:1", "--mix", "checkout=lots")
	if code != 2 || !strings.Contains(errOut, "the weight of checkout must be a whole number") {
		t.Errorf("bad mix: exit %d %q", code, errOut)
	}
}

// ackedInHistory checks that the logbook holds exactly the moves the run
// was told were made, key by key, and returns how many there were.
func ackedInHistory(t *testing.T, db *sql.DB, r *loadgen.Report) int {
	t.Helper()
	total := 0
	for key, m := range r.Acked {
		var out, in int
		if err := db.QueryRow(`SELECT
				COALESCE(SUM(CASE WHEN action = 'checkout' THEN 1 ELSE 0 END), 0),
				COALESCE(SUM(CASE WHEN action = 'checkin' THEN 1 ELSE 0 END), 0)
			FROM custody_events WHERE key_id = `+placeholder(db)+``, key).Scan(&out, &in); err != nil {
			t.Fatal(err)
		}
		if out != m.Checkouts || in != m.Checkins {
			t.Errorf("key %s: logbook has %d check-outs and %d check-ins, %d and %d were acknowledged", key, out, in, m.Checkouts, m.Checkins)
		}
		total += m.Checkouts + m.Checkins
	}
	return total
}

func placeholder(db *sql.DB) string {
	if fmt.Sprintf("%T", db.Driver()) == "*stdlib.Driver" {
		return "$1"
	}
	return "?"
}
