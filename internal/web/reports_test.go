package web_test

import (
	"encoding/csv"
	"strings"
	"testing"
	"time"

	"github.com/keyward/keyward/internal/keyward"
	"github.com/keyward/keyward/internal/store/storetest"
)

func readCSV(t *testing.T, body string) [][]string {
	t.Helper()
	rows, err := csv.NewReader(strings.NewReader(body)).ReadAll()
	if err != nil {
		t.Fatalf("not CSV: %v\n%s", err, body)
	}
	return rows
}

// csvRow finds the row whose column col is v, as a map by header.
func csvRow(t *testing.T, rows [][]string, col, v string) map[string]string {
	t.Helper()
	for _, r := range rows[1:] {
		m := map[string]string{}
		for i, h := range rows[0] {
			m[h] = r[i]
		}
		if m[col] == v {
			return m
		}
	}
	t.Fatalf("no row with %s = %q in %v", col, v, rows)
	return nil
}

// TestReports: who holds what, keys by door and overdue history as pages
// and CSV, a holder's key receipt, and keys.csv with door, storage and local
// times, on every backend.
func TestReports(t *testing.T) {
	needPoppler(t)
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		app := newTestApp(t, b)
		kw, holder, key1 := app.stock()
		if st := app.call(keyward.RoleOwner, "PATCH", "/api/v1/org", map[string]any{"time_zone": "America/New_York"}, nil); st != 200 {
			t.Fatalf("time zone: %d", st)
		}
		var k2, site, door, cab map[string]any
		app.call(keyward.RoleOwner, "POST", "/api/v1/keys", map[string]any{"keyway_id": kw, "symbol": "AA1"}, &k2)
		app.call(keyward.RoleOwner, "POST", "/api/v1/sites", map[string]any{"name": "Elm Street"}, &site)
		app.call(keyward.RoleOwner, "POST", "/api/v1/openings", map[string]any{"site_id": site["id"], "name": "Unit 4", "kind": "door"}, &door)
		app.call(keyward.RoleOwner, "POST", "/api/v1/openings", map[string]any{"site_id": site["id"], "name": "Boiler room", "kind": "door"}, nil)
		if st := app.call(keyward.RoleOwner, "POST", "/api/v1/openings/"+door["id"].(string)+"/symbols", map[string]any{"symbol": "AA1"}, nil); st >= 300 {
			t.Fatalf("schedule: %d", st)
		}
		if st := app.call(keyward.RoleOwner, "POST", "/api/v1/storage", map[string]any{"kind": "cabinet", "name": "Cabinet A", "hooks": 20}, &cab); st != 201 {
			t.Fatalf("cabinet: %d", st)
		}
		if st := app.call(keyward.RoleOwner, "POST", "/api/v1/storage/"+cab["id"].(string)+"/keys", map[string]any{"key_id": k2["id"], "hook": 3}, nil); st != 200 {
			t.Fatalf("hook: %d", st)
		}
		checkout := func(due time.Duration) {
			t.Helper()
			if st := app.call(keyward.RoleOwner, "POST", "/api/v1/keys/"+key1+"/checkout", map[string]any{"holder_id": holder, "due_at": app.env.Clock.Now().Add(due).Format(time.RFC3339)}, nil); st != 200 {
				t.Fatalf("checkout: %d", st)
			}
		}
		// Back two hours late; then out again, and 26 hours overdue now.
		checkout(time.Hour)
		app.env.Clock.Advance(3 * time.Hour)
		if st := app.call(keyward.RoleOwner, "POST", "/api/v1/keys/"+key1+"/checkin", map[string]any{}, nil); st != 200 {
			t.Fatalf("checkin: %d", st)
		}
		checkout(time.Hour)
		app.env.Clock.Advance(27 * time.Hour)
		// A check-out returned on time is no part of the history.
		var k3 map[string]any
		app.call(keyward.RoleOwner, "POST", "/api/v1/keys", map[string]any{"keyway_id": kw, "symbol": "AB1"}, &k3)
		app.call(keyward.RoleOwner, "POST", "/api/v1/keys/"+k3["id"].(string)+"/checkout", map[string]any{"holder_id": holder, "due_at": app.env.Clock.Now().Add(time.Hour).Format(time.RFC3339)}, nil)
		app.call(keyward.RoleOwner, "POST", "/api/v1/keys/"+k3["id"].(string)+"/checkin", map[string]any{}, nil)

		p := app.pageSession(keyward.RoleAuditor)
		get := func(path string) string {
			t.Helper()
			st, body := p.do("GET", path, nil)
			if st != 200 {
				t.Fatalf("GET %s = %d", path, st)
			}
			return body
		}
		body := get("/reports/holders")
		for _, want := range []string{"Dana Ruiz", "AA1-1", "(overdue)", "Unit 4 (Elm Street)", "/holders/" + holder + "/receipt.pdf"} {
			if !strings.Contains(body, want) {
				t.Errorf("who holds what lacks %q", want)
			}
		}
		if strings.Contains(body, "AA1-2") {
			t.Error("who holds what lists a key in storage")
		}
		rows := readCSV(t, get("/reports/holders.csv"))
		r := csvRow(t, rows, "stamp", "AA1-1")
		if r["holder"] != "Dana Ruiz" || r["overdue"] != "true" || r["opens"] != "Unit 4 (Elm Street)" || !strings.HasSuffix(r["due_at"], "-05:00") {
			t.Errorf("who holds what CSV row %v", r)
		}

		body = get("/reports/doors")
		for _, want := range []string{"Unit 4", "AA1-1", "AA1-2", "In Cabinet A, hook 3", "Boiler room", "No key on record opens this door"} {
			if !strings.Contains(body, want) {
				t.Errorf("keys by door lacks %q", want)
			}
		}
		rows = readCSV(t, get("/reports/doors.csv"))
		if r := csvRow(t, rows, "stamp", "AA1-2"); r["door"] != "Unit 4" || r["site"] != "Elm Street" || r["where"] != "In Cabinet A, hook 3" {
			t.Errorf("keys by door CSV row %v", r)
		}
		if r := csvRow(t, rows, "door", "Boiler room"); r["stamp"] != "" {
			t.Errorf("a door no key opens: %v", r)
		}

		body = get("/reports/overdue")
		for _, want := range []string{"1 still out past their due time; 1 came back late.", "2 hours", "1 day 2 hours", "still out"} {
			if !strings.Contains(body, want) {
				t.Errorf("overdue history lacks %q", want)
			}
		}
		rows = readCSV(t, get("/reports/overdue.csv"))
		if len(rows) != 3 {
			t.Fatalf("overdue CSV: %d rows, want header + 2: %v", len(rows), rows)
		}
		if r := csvRow(t, rows, "still_out", "false"); r["late_minutes"] != "120" || r["ended_by"] != "checkin" || !strings.HasSuffix(r["back_at"], "-05:00") {
			t.Errorf("late and back: %v", r)
		}
		if r := csvRow(t, rows, "still_out", "true"); r["late_minutes"] != "1560" || r["back_at"] != "" || r["holder"] != "Dana Ruiz" {
			t.Errorf("still out: %v", r)
		}

		st, pdf := p.do("GET", "/holders/"+holder+"/receipt.pdf", nil)
		if st != 200 || !strings.HasPrefix(pdf, "%PDF-") {
			t.Fatalf("receipt: %d", st)
		}
		text, _ := pdfFacts(t, pdf)
		for _, want := range []string{"Key receipt", "Acme Property", "Dana Ruiz (dana@acme.test)", "AA1-1", "Schlage SC1", "Unit 4 (Elm Street)", "Due back", "Received by: Dana Ruiz", "Signature", "will not have them copied"} {
			if !strings.Contains(text, want) {
				t.Errorf("receipt lacks %q:\n%s", want, text)
			}
		}
		if keyward.IDPattern.MatchString(text) {
			t.Errorf("receipt shows an internal id:\n%s", text)
		}

		// keys.csv: the old columns keep their meaning, door and storage come last, times local.
		rows = readCSV(t, get("/exports/keys.csv"))
		if got := strings.Join(rows[0], ","); got != "symbol,keyway,copy_number,holder_name,holder_email,due_at,status,stamp,key_id,created_at,doors,storage" {
			t.Errorf("keys.csv header %s", got)
		}
		r = csvRow(t, rows, "stamp", "AA1-1")
		due, err := time.Parse(time.RFC3339, r["due_at"])
		if err != nil || !strings.HasSuffix(r["due_at"], "-05:00") || !strings.HasSuffix(r["created_at"], "-05:00") || r["doors"] != "Unit 4 (Elm Street)" || r["storage"] != "" {
			t.Errorf("keys.csv AA1-1 %v", r)
		}
		if want := app.env.Clock.Now().Add(-26 * time.Hour); !due.Equal(want) {
			t.Errorf("keys.csv due_at %v, want the instant %v", due, want)
		}
		if r := csvRow(t, rows, "stamp", "AA1-2"); r["storage"] != "Cabinet A, hook 3" || r["doors"] != "Unit 4 (Elm Street)" {
			t.Errorf("keys.csv AA1-2 %v", r)
		}
		if r := csvRow(t, rows, "stamp", "AB1-1"); r["doors"] != "" {
			t.Errorf("keys.csv AB1-1 %v", r)
		}
		// The reports are in the navigation; a holder may not read them.
		if !strings.Contains(get("/"), `<a href="/reports">Reports</a>`) {
			t.Error("Reports is not in the navigation")
		}
		if st, _ := app.pageSession(keyward.RoleHolder).do("GET", "/reports/holders", nil); st != 403 {
			t.Errorf("a holder reads who holds what: %d", st)
		}
	})
}
