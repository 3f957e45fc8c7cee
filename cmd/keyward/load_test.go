package main

import (
	"context"
	"database/sql"
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"

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
	return checkLogbook(t, db, r, true)
}

// checkLogbook compares each key's logbook with the moves acknowledged:
// exact, or (when the server may have died between a commit and its answer)
// at least those, and at most one more per request left without an answer.
func checkLogbook(t *testing.T, db *sql.DB, r *loadgen.Report, exact bool) int {
	t.Helper()
	unanswered := r.Ops[loadgen.OpCheckout].Failed + r.Ops[loadgen.OpCheckin].Failed
	total := 0
	for key, m := range r.Acked {
		var out, in int
		if err := db.QueryRow(`SELECT
				COALESCE(SUM(CASE WHEN action = 'checkout' THEN 1 ELSE 0 END), 0),
				COALESCE(SUM(CASE WHEN action = 'checkin' THEN 1 ELSE 0 END), 0)
			FROM custody_events WHERE key_id = `+placeholder(db)+``, key).Scan(&out, &in); err != nil {
			t.Fatal(err)
		}
		switch {
		case out < m.Checkouts || in < m.Checkins:
			t.Errorf("key %s: LOST: logbook has %d check-outs and %d check-ins, %d and %d were acknowledged", key, out, in, m.Checkouts, m.Checkins)
		case exact && (out != m.Checkouts || in != m.Checkins):
			t.Errorf("key %s: logbook has %d check-outs and %d check-ins, %d and %d were acknowledged", key, out, in, m.Checkouts, m.Checkins)
		case out+in > m.Checkouts+m.Checkins+unanswered:
			t.Errorf("key %s: logbook has %d moves, %d acknowledged and only %d left without an answer", key, out+in, m.Checkouts+m.Checkins, unanswered)
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

// loadServers starts n `keyward serve` processes on one fresh database of
// the target (n > 1 only on PostgreSQL, each with its own data directory)
// and returns their URLs and an owner's token.
func loadServers(t *testing.T, tg cliTarget, n int, extra map[string]string) ([]string, string) {
	t.Helper()
	client, token := cliServer(t, tg, extra)
	bases := []string{client["KEYWARD_SERVER"]}
	for range n - 1 {
		env := map[string]string{"KEYWARD_SCHEDULER_INTERVAL": "1h"}
		for k, v := range tg.env {
			env[k] = v
		}
		for k, v := range extra {
			env[k] = v
		}
		env["KEYWARD_DATA"] = t.TempDir()
		bases = append(bases, startServe(t, env))
	}
	return bases, token
}

// TestLoadContention is 50 clients fighting over 10 shared keys with custody
// moves only, through the load tool: on each backend with one server, and on
// PostgreSQL with three. No answer is a 5xx (a 409 says another client moved
// the key first); every acknowledged move is in its key's logbook and no
// other; the audit log verifies. The p99 is logged: a measurement, not a rule
// a test on a shared machine can hold.
func TestLoadContention(t *testing.T) {
	if testing.Short() {
		t.Skip("a contention run takes seconds")
	}
	eachTarget(t, func(t *testing.T, target func(t *testing.T) cliTarget) {
		servers := []int{1}
		if strings.HasPrefix(t.Name(), "TestLoadContention/postgres") {
			servers = append(servers, 3)
		}
		for _, n := range servers {
			t.Run(fmt.Sprintf("%d servers", n), func(t *testing.T) {
				tg := target(t)
				bases, token := loadServers(t, tg, n, nil)
				r, err := loadgen.Run(context.Background(), loadgen.Config{Servers: bases, Token: token, Clients: 50, Duration: 3 * time.Second,
					Keys: 1, Shared: 10, SharedShare: 1, Mix: map[loadgen.Op]int{loadgen.OpCheckout: 1}, Seed: 7})
				if err != nil {
					t.Fatal(err)
				}
				var b strings.Builder
				r.Write(&b)
				t.Logf("%s, %d servers, 50 clients on 10 shared keys:\n%s", tg.name, n, b.String())
				if e := r.ServerErrors(); e > 0 {
					t.Fatalf("%d server errors, first: %q", e, r.FirstErrors)
				}
				moves := ackedInHistory(t, tg.sql(t), r)
				if moves < 50 {
					t.Fatalf("only %d moves acknowledged", moves)
				}
				if out := mustRun(t, tg.env, "audit", "verify"); !strings.HasPrefix(out, "OK:") {
					t.Fatalf("audit verify: %s", out)
				}
			})
		}
	})
}

// TestLoadScaleOut drives one, then three servers on one PostgreSQL with the
// same load, each client on keys of its own: no 5xx, every acknowledged move
// in the logbook, one audit chain that verifies. The rates are logged for
// docs/scaling.md; whether three beat one depends on the machine.
func TestLoadScaleOut(t *testing.T) {
	if testing.Short() {
		t.Skip("load runs take seconds")
	}
	for _, n := range []int{1, 3} {
		t.Run(fmt.Sprintf("%d servers", n), func(t *testing.T) {
			tg := postgresTarget(t)
			bases, token := loadServers(t, tg, n, nil)
			r, err := loadgen.Run(context.Background(), loadgen.Config{Servers: bases, Token: token, Clients: 24, Duration: 4 * time.Second,
				Keys: 4, Shared: 0, Seed: 11})
			if err != nil {
				t.Fatal(err)
			}
			var b strings.Builder
			r.Write(&b)
			t.Logf("postgres, %d servers, 24 clients, default mix:\n%s", n, b.String())
			if e := r.ServerErrors(); e > 0 {
				t.Fatalf("%d server errors, first: %q", e, r.FirstErrors)
			}
			ackedInHistory(t, tg.sql(t), r)
			if out := mustRun(t, tg.env, "audit", "verify"); !strings.HasPrefix(out, "OK:") {
				t.Fatalf("audit verify: %s", out)
			}
		})
	}
}

// TestLoadSeedAndDoor: `keyward seed` fills a fresh database (and
// refuses one with keys, and bad counts, naming the flag), the audit log
// verifies after it, and a load run aimed at the seeded door with --door
// gets every door-access answered 2xx with the door's 30 copies.
func TestLoadSeedAndDoor(t *testing.T) {
	eachTarget(t, func(t *testing.T, target func(t *testing.T) cliTarget) {
		tg := target(t)
		code, _, errOut := runCmd(t, context.Background(), tg.env, "", "seed", "--keys", "1000", "--events", "999")
		if code != 2 || !strings.Contains(errOut, "--events must be at least the keys") {
			t.Fatalf("too few events: exit %d %q", code, errOut)
		}
		out := mustRun(t, tg.env, "seed", "--keys", "1000", "--holders", "50", "--events", "10000")
		for _, want := range []string{"Seeded 1000 keys (", "50 holders and 10000 logbook lines", "10 audit records", `The door "Seed door"`, "lists 30 copies of S00042, S00043, S00044"} {
			if !strings.Contains(out, want) {
				t.Errorf("seed output lacks %q:\n%s", want, out)
			}
		}
		code, _, errOut = runCmd(t, context.Background(), tg.env, "", "seed", "--keys", "1000", "--holders", "50", "--events", "10000")
		if code != 1 || !strings.Contains(errOut, "already holds 1000 keys") {
			t.Fatalf("a second seed: exit %d %q", code, errOut)
		}
		if out := mustRun(t, tg.env, "audit", "verify"); !strings.HasPrefix(out, "OK:") {
			t.Fatalf("audit verify after the seed: %s", out)
		}

		client, _ := cliServer(t, tg, map[string]string{"KEYWARD_API_RATE": "0"})
		env := map[string]string{}
		for k, v := range tg.env {
			env[k] = v
		}
		for k, v := range client {
			env[k] = v
		}
		code, out, errOut = runCmd(t, context.Background(), env, "", "load", "--door", "seed DOOR", "--clients", "2", "--count", "120",
			"--shared", "0", "--shared-share", "0", "--mix", "door-access=5,checkout=3,history=2,view-key=1", "--no-probe")
		if code != 0 {
			t.Fatalf("load --door: exit %d\n%s%s", code, out, errOut)
		}
		t.Logf("%s:\n%s", tg.name, out)
		if !strings.Contains(out, `door-access asked about "Seed door", which lists 30 copies`) {
			t.Errorf("the report does not name the seeded door:\n%s", out)
		}
		if !regexp.MustCompile(`(?m)^answers by status: 20\d: \d+(, 20\d: \d+)*$`).MatchString(out) {
			t.Errorf("answers other than 2xx:\n%s", out)
		}
		if !regexp.MustCompile(`(?m)^\s*door-access\s+\d+\s`).MatchString(out) {
			t.Errorf("no door-access line:\n%s", out)
		}
		if out := mustRun(t, tg.env, "audit", "verify"); !strings.HasPrefix(out, "OK:") {
			t.Fatalf("audit verify after the load: %s", out)
		}

		code, _, errOut = runCmd(t, context.Background(), env, "", "load", "--door", "No such door", "--count", "1", "--no-probe")
		if code != 1 || !strings.Contains(errOut, `no door is named "No such door"`) {
			t.Fatalf("an unknown door: exit %d %q", code, errOut)
		}
	})
}
