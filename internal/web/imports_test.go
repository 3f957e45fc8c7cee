package web_test

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/keyward/keyward/internal/keyward"
	"github.com/keyward/keyward/internal/store/storetest"
)

const mediaXLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

type rowError struct {
	Row    int    `json:"row"`
	Column string `json:"column"`
	Rule   string `json:"rule"`
}

// importSamples lists the exact answer to a dry run of each file in testdata/import,
// on a database holding keyways Schlage SC1 and Medeco M3, holder dana@acme.test and key AA1-1.
var importSamples = map[string]struct {
	rows int
	errs []rowError
}{
	"keys_clean.csv":    {30, []rowError{}},
	"bom_semicolon.csv": {4, []rowError{}},
	"duplicate_copies.csv": {8, []rowError{
		{3, "copy_number", "repeats the symbol and copy_number of row 1"},
		{5, "copy_number", "repeats the symbol and copy_number of row 4"},
		{6, "copy_number", "is already stamped for this symbol"},
		{8, "copy_number", "repeats the symbol and copy_number of row 7"},
	}},
	"unknown_holders.csv": {6, []rowError{
		{3, "holder_name", "is required for a holder the organization does not know yet"},
		{5, "holder_email", "is required when holder_name is given"},
		{6, "holder_name", "is required for a holder the organization does not know yet"},
	}},
	"bad_values.csv": {11, []rowError{
		{1, "due_at", "must be an RFC 3339 time such as 2026-05-01T17:00:00Z"},
		{2, "holder_email", "must be an email address"},
		{3, "due_at", "needs a holder_email: only a key lent to a holder has a due date"},
		{4, "symbol", "must be 1-32 letters, digits, '.' or '_'"},
		{5, "keyway", "must name an existing keyway"},
		{6, "copy_number", "must be a whole number from 1 to 100000"},
		{7, "symbol", "is required"},
		{8, "keyway", "is required"},
		{9, "due_at", "must be an RFC 3339 time such as 2026-05-01T17:00:00Z"},
		{10, "keyway", "must name an existing keyway"},
		{10, "copy_number", "must be a whole number from 1 to 100000"},
		{10, "holder_email", "must be an email address"},
		{10, "due_at", "must be an RFC 3339 time such as 2026-05-01T17:00:00Z"},
		{11, "due_at", "must be an RFC 3339 time such as 2026-05-01T17:00:00Z"},
	}},
	"missing_column.csv": {1, []rowError{{0, "keyway", "column is missing"}}},
}

func importSample(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", "testdata", "import", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// importApp is a test app stocked as the samples expect.
func importApp(t *testing.T, b storetest.Backend) *testApp {
	t.Helper()
	app := newTestApp(t, b)
	app.stock()
	if st := app.call(keyward.RoleOwner, "POST", "/api/v1/keyways", map[string]any{"name": "Medeco M3", "manufacturer": "Medeco", "duplication_policy": "dnd"}, nil); st != 201 {
		t.Fatalf("create keyway: %d", st)
	}
	return app
}

// send posts or gets raw bytes as role and returns the status, headers and body.
func (a *testApp) send(role keyward.Role, method, path, contentType string, body []byte) (int, http.Header, []byte) {
	a.t.Helper()
	req, _ := http.NewRequest(method, a.http.URL+path, bytes.NewReader(body))
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	req.Header.Set("Authorization", "Bearer "+a.tokens[role])
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		a.t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		a.t.Fatal(err)
	}
	if resp.StatusCode >= 400 && resp.Header.Get("Content-Type") != "application/problem+json" {
		a.t.Fatalf("%s %s: %d with Content-Type %q", method, path, resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	return resp.StatusCode, resp.Header, raw
}

type importAnswer struct {
	Status int        `json:"status"`
	Rows   int        `json:"rows"`
	Errors []rowError `json:"errors"`
}

func decodeAnswer(t *testing.T, raw []byte) (importAnswer, map[string]json.RawMessage) {
	t.Helper()
	var ans importAnswer
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(raw, &ans); err != nil {
		t.Fatalf("%s: %v", raw, err)
	}
	_ = json.Unmarshal(raw, &fields)
	return ans, fields
}

func (a *testApp) tableCounts() [4]int64 {
	a.t.Helper()
	var out [4]int64
	for i, table := range []string{"keys", "holders", "audit_log", "custody_events"} {
		n, err := a.env.SQL().Count("SELECT COUNT(*) FROM " + table)
		if err != nil {
			a.t.Fatal(err)
		}
		out[i] = n
	}
	return out
}

func TestImportSamples(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		app := importApp(t, b)
		before := app.tableCounts()
		// The samples name a restricted and a dnd keyway, whose existing
		// copies an admin registers (a manager's rows would be refused).
		for name, want := range importSamples {
			st, _, raw := app.send(keyward.RoleAdmin, "POST", "/api/v1/imports?dry_run=true", "text/csv", importSample(t, name))
			ans, fields := decodeAnswer(t, raw)
			if st != 200 || len(fields) != 2 || fields["errors"] == nil || fields["rows"] == nil {
				t.Errorf("%s: %d %s, want 200 with rows and errors only", name, st, raw)
				continue
			}
			if ans.Rows != want.rows || !reflect.DeepEqual(ans.Errors, want.errs) {
				t.Errorf("%s: rows %d errors %+v\nwant rows %d errors %+v", name, ans.Rows, ans.Errors, want.rows, want.errs)
			}
		}
		if after := app.tableCounts(); after != before {
			t.Fatalf("dry runs wrote rows: %v → %v", before, after)
		}
		// Without dry_run, each file with errors is a 422 with the same errors, and writes nothing.
		for name, want := range importSamples {
			if len(want.errs) == 0 {
				continue
			}
			st, _, raw := app.send(keyward.RoleAdmin, "POST", "/api/v1/imports", "text/csv", importSample(t, name))
			ans, _ := decodeAnswer(t, raw)
			if st != 422 || ans.Status != 422 || ans.Rows != want.rows || !reflect.DeepEqual(ans.Errors, want.errs) {
				t.Errorf("%s: %d %s", name, st, raw)
			}
		}
		if after := app.tableCounts(); after != before {
			t.Fatalf("rejected imports wrote rows: %v → %v", before, after)
		}
	})
}

func TestImportCommitAndExport(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		app := importApp(t, b)
		before := app.tableCounts()
		st, _, raw := app.send(keyward.RoleOwner, "POST", "/api/v1/imports", "text/csv", importSample(t, "keys_clean.csv"))
		if st != 201 || string(bytes.TrimSpace(raw)) != `{"rows":30}` {
			t.Fatalf("import: %d %s", st, raw)
		}
		if after := app.tableCounts(); after != [4]int64{before[0] + 30, before[1] + 6, before[2] + 1, before[3] + 30} {
			t.Fatalf("counts %v → %v", before, after)
		}
		st, _, raw = app.send(keyward.RoleOwner, "POST", "/api/v1/imports", "text/csv; charset=utf-8", importSample(t, "bom_semicolon.csv"))
		if st != 201 || string(bytes.TrimSpace(raw)) != `{"rows":4}` {
			t.Fatalf("import: %d %s", st, raw)
		}

		var keys struct{ Items []keyward.Key }
		app.call(keyward.RoleOwner, "GET", "/api/v1/keys?symbol=AA3", nil, &keys)
		if len(keys.Items) != 2 || keys.Items[0].Status != "checked_out" || keys.Items[0].DueAt == nil ||
			!keys.Items[0].DueAt.Equal(time.Date(2026, 2, 27, 17, 0, 0, 0, time.UTC)) || keys.Items[1].Status != "issued" {
			t.Fatalf("AA3 = %+v", keys.Items)
		}
		lena := keys.Items[0].HolderID
		var held struct{ Items []keyward.Key }
		app.call(keyward.RoleOwner, "GET", "/api/v1/holders/"+lena+"/keys", nil, &held)
		if len(held.Items) != 2 {
			t.Fatalf("Lena holds %+v", held.Items)
		}
		var hist struct{ Items []keyward.Event }
		app.call(keyward.RoleOwner, "GET", "/api/v1/keys/"+keys.Items[0].ID+"/history", nil, &hist)
		if len(hist.Items) != 1 || hist.Items[0].Action != "import" {
			t.Fatalf("history = %+v", hist.Items)
		}
		app.call(keyward.RoleOwner, "GET", "/api/v1/keys?symbol=CB1", nil, &keys)
		if len(keys.Items) != 2 || keys.Items[1].Status != "checked_out" {
			t.Fatalf("CB1 = %+v", keys.Items)
		}

		// Exports: CSV with a header row, the imported data, and no secret.
		exp := map[string][][]string{}
		for _, kind := range []string{"keys", "holders", "logbook"} {
			st, h, raw := app.send(keyward.RoleAuditor, "GET", "/api/v1/exports/"+kind, "", nil)
			if st != 200 || !strings.HasPrefix(h.Get("Content-Type"), "text/csv") || !strings.Contains(h.Get("Content-Disposition"), "attachment") {
				t.Fatalf("export %s: %d %v", kind, st, h)
			}
			recs, err := csv.NewReader(bytes.NewReader(raw)).ReadAll()
			if err != nil {
				t.Fatalf("export %s is not CSV: %v", kind, err)
			}
			exp[kind] = recs
			for role, tok := range app.tokens {
				if bytes.Contains(raw, []byte(tok)) {
					t.Fatalf("export %s holds the %s token", kind, role)
				}
			}
			for _, s := range []string{"correct horse battery", "argon2", "password", "secret"} {
				if bytes.Contains(raw, []byte(s)) {
					t.Fatalf("export %s holds %q", kind, s)
				}
			}
		}
		if k := exp["keys"]; len(k) != 1+1+30+4 || strings.Join(k[0][:6], ",") != "symbol,keyway,copy_number,holder_name,holder_email,due_at" ||
			!strings.Contains(fmt.Sprint(k), "[AA3 Schlage SC1 1 Lena Okafor lena.okafor@acme.test 2026-02-27T17:00:00Z checked_out AA3-1") {
			t.Fatalf("keys export = %v", k)
		}
		if h := exp["holders"]; len(h) != 1+1+6+1 || !strings.Contains(fmt.Sprint(h), "lena.okafor@acme.test") {
			t.Fatalf("holders export = %v", h)
		}
		if l := exp["logbook"]; len(l) != 1+1+30+4 || l[0][0] != "at" {
			t.Fatalf("logbook export = %v", l)
		}
		var p problem
		if st := app.call(keyward.RoleOwner, "GET", "/api/v1/exports/passwords", nil, &p); st != 404 {
			t.Fatalf("unknown export: %d %+v", st, p)
		}
		if st := app.call(keyward.RoleHolder, "GET", "/api/v1/exports/keys", nil, &p); st != 403 {
			t.Fatalf("holder export: %d", st)
		}
	})
}

// TestImportFormulaCells: text a spreadsheet would run as a formula is exported inert.
func TestImportFormulaCells(t *testing.T) {
	app := importApp(t, storetest.SQLite)
	csvBody := "symbol,keyway,holder_name,holder_email\nFX1,Schlage SC1,=HYPERLINK(\"http://x.test\"),eve@acme.test\n"
	if st, _, raw := app.send(keyward.RoleOwner, "POST", "/api/v1/imports", "text/csv", []byte(csvBody)); st != 201 {
		t.Fatalf("import: %d %s", st, raw)
	}
	_, _, raw := app.send(keyward.RoleOwner, "GET", "/api/v1/exports/holders", "", nil)
	if !strings.Contains(string(raw), `'=HYPERLINK`) {
		t.Fatalf("holders export = %s", raw)
	}
}

func TestImportOneBadRowWritesNothing(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		app := importApp(t, b)
		before := app.tableCounts()
		body := append(importSample(t, "keys_clean.csv"), "ZZ1,Schlage SC1,1,Neil Park,neil.park@acme.test,2026-13-01T00:00:00Z\n"...)
		st, h, raw := app.send(keyward.RoleOwner, "POST", "/api/v1/imports", "text/csv", body)
		ans, fields := decodeAnswer(t, raw)
		want := []rowError{{31, "due_at", "must be an RFC 3339 time such as 2026-05-01T17:00:00Z"}}
		if st != 422 || h.Get("Content-Type") != "application/problem+json" || !reflect.DeepEqual(ans.Errors, want) || ans.Rows != 31 || fields["title"] == nil || fields["detail"] == nil {
			t.Fatalf("%d %s", st, raw)
		}
		if after := app.tableCounts(); after != before {
			t.Fatalf("a rejected import wrote rows: %v → %v", before, after)
		}
		var hs struct{ Items []keyward.Holder }
		app.call(keyward.RoleOwner, "GET", "/api/v1/holders", nil, &hs)
		if len(hs.Items) != 1 {
			t.Fatalf("holders = %+v", hs.Items)
		}
	})
}

func TestImportRolesAndBadRequests(t *testing.T) {
	app := importApp(t, storetest.SQLite)
	clean := importSample(t, "keys_clean.csv")
	for _, c := range []struct {
		role   keyward.Role
		status int
	}{{keyward.RoleAuditor, 403}, {keyward.RoleTechnician, 403}, {keyward.RoleAdvisor, 403}, {keyward.RoleHolder, 403}, {keyward.RoleAdmin, 200}, {keyward.RoleManager, 200}} {
		if st, _, raw := app.send(c.role, "POST", "/api/v1/imports?dry_run=true", "text/csv", clean); st != c.status {
			t.Errorf("%s: %d %s, want %d", c.role, st, raw, c.status)
		}
	}
	before := app.tableCounts()
	big := append([]byte("symbol,keyway,note\n"), bytes.Repeat([]byte("AA5,Schlage SC1,"+strings.Repeat("x", 1000)+"\n"), 33<<10)...)
	for _, c := range []struct {
		name, path, ct string
		body           []byte
		status         int
		field          string
	}{
		{"bad dry_run", "/api/v1/imports?dry_run=perhaps", "text/csv", clean, 400, "dry_run"},
		{"JSON body", "/api/v1/imports", "application/json", []byte(`{"rows":[]}`), 400, "Content-Type"},
		{"other charset", "/api/v1/imports", "text/csv; charset=latin1", clean, 400, "Content-Type"},
		{"over 32 MiB", "/api/v1/imports", "text/csv", big, 400, "body"},
		{"not a workbook", "/api/v1/imports", mediaXLSX, clean, 400, "body"},
	} {
		var p problem
		st, _, raw := app.send(keyward.RoleOwner, "POST", c.path, c.ct, c.body)
		_ = json.Unmarshal(raw, &p)
		if st != c.status || len(p.Errors) == 0 || p.Errors[0].Field != c.field {
			t.Errorf("%s: %d %s", c.name, st, raw)
		}
	}
	if after := app.tableCounts(); after != before {
		t.Fatalf("bad requests wrote rows: %v → %v", before, after)
	}
}

func TestImportXLSXAndMultipart(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		app := importApp(t, b)
		x := excelize.NewFile()
		rows := [][]any{
			{"Symbol", "Keyway", "Copy_Number", "Holder_Name", "Holder_Email", "Due_At"},
			{"XL1", "Schlage SC1", 1, "", "", ""},
			{"XL1", "Schlage SC1", 2, "Kim Park", "kim.park@acme.test", time.Date(2026, 3, 9, 16, 30, 0, 0, time.UTC)},
			{"XL1", "Medeco M3", 2, "", "", ""},
		}
		for i, r := range rows {
			cell, _ := excelize.CoordinatesToCellName(1, i+1)
			if err := x.SetSheetRow("Sheet1", cell, &r); err != nil {
				t.Fatal(err)
			}
		}
		var buf bytes.Buffer
		if err := x.Write(&buf); err != nil {
			t.Fatal(err)
		}
		x.Close()
		st, _, raw := app.send(keyward.RoleOwner, "POST", "/api/v1/imports?dry_run=1", mediaXLSX, buf.Bytes())
		ans, _ := decodeAnswer(t, raw)
		if st != 200 || ans.Rows != 3 || !reflect.DeepEqual(ans.Errors, []rowError{{3, "copy_number", "repeats the symbol and copy_number of row 2"}}) {
			t.Fatalf("xlsx dry run: %d %s", st, raw)
		}
		// The same workbook as a form upload, and without its media type, is found all the same.
		var form bytes.Buffer
		mw := multipart.NewWriter(&form)
		_ = mw.WriteField("note", "from the office")
		fw, _ := mw.CreateFormFile("file", "keys.xlsx")
		_, _ = fw.Write(buf.Bytes())
		mw.Close()
		st, _, raw = app.send(keyward.RoleOwner, "POST", "/api/v1/imports?dry_run=true", mw.FormDataContentType(), form.Bytes())
		if ans2, _ := decodeAnswer(t, raw); st != 200 || !reflect.DeepEqual(ans2, ans) {
			t.Fatalf("multipart: %d %s", st, raw)
		}
		st, _, raw = app.send(keyward.RoleOwner, "POST", "/api/v1/imports?dry_run=true", "application/octet-stream", buf.Bytes())
		if ans3, _ := decodeAnswer(t, raw); st != 200 || !reflect.DeepEqual(ans3, ans) {
			t.Fatalf("octet-stream: %d %s", st, raw)
		}
		// Fixed, it imports: the date cell is the due date.
		x, _ = excelize.OpenReader(bytes.NewReader(buf.Bytes()))
		_ = x.SetCellValue("Sheet1", "A4", "XL2")
		buf.Reset()
		_ = x.Write(&buf)
		x.Close()
		if st, _, raw := app.send(keyward.RoleOwner, "POST", "/api/v1/imports", mediaXLSX, buf.Bytes()); st != 201 || string(bytes.TrimSpace(raw)) != `{"rows":3}` {
			t.Fatalf("xlsx import: %d %s", st, raw)
		}
		var keys struct{ Items []keyward.Key }
		app.call(keyward.RoleOwner, "GET", "/api/v1/keys?symbol=XL1", nil, &keys)
		if len(keys.Items) != 2 || keys.Items[1].Status != "checked_out" || !keys.Items[1].DueAt.Equal(time.Date(2026, 3, 9, 16, 30, 0, 0, time.UTC)) {
			t.Fatalf("XL1 = %+v", keys.Items)
		}
	})
}

func TestImport50000RowsHTTP(t *testing.T) {
	if testing.Short() {
		t.Skip("50,000 rows: not in -short")
	}
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		app := importApp(t, b)
		var body bytes.Buffer
		body.WriteString("symbol,keyway,copy_number,holder_name,holder_email,due_at\n")
		due := app.env.Clock.Now().Add(72 * time.Hour).Format(time.RFC3339)
		for i := range 50_000 {
			switch {
			case i%8 == 0:
				fmt.Fprintf(&body, "H%05d,Medeco M3,,Holder %d,h%d@bulk.test,%s\n", i/10, i%500, i%500, due)
			case i%4 == 0:
				fmt.Fprintf(&body, "H%05d,Schlage SC1,,,dana@acme.test,\n", i/10)
			default:
				fmt.Fprintf(&body, "H%05d,Schlage SC1,,,,\n", i/10)
			}
		}
		start := time.Now()
		st, _, raw := app.send(keyward.RoleOwner, "POST", "/api/v1/imports", "text/csv", body.Bytes())
		took := time.Since(start)
		if st != 201 || string(bytes.TrimSpace(raw)) != `{"rows":50000}` {
			t.Fatalf("import: %d %.200s", st, raw)
		}
		start = time.Now()
		st, _, raw = app.send(keyward.RoleOwner, "GET", "/api/v1/exports/keys", "", nil)
		if st != 200 || bytes.Count(raw, []byte("\n")) != 50_000+2 {
			t.Fatalf("export: %d, %d lines", st, bytes.Count(raw, []byte("\n")))
		}
		t.Logf("%s: POST of 50,000 rows (%d KiB) %v; export %v", app.env.Name, body.Len()>>10, took.Round(time.Millisecond), time.Since(start).Round(time.Millisecond))
	})
}
