package web_test

import (
	"encoding/json"
	"net/url"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/keyward/keyward/internal/keyward"
	"github.com/keyward/keyward/internal/store/storetest"
)

// importReportAnswer is a dry run's answer with report=true.
type importReportAnswer struct {
	Rows   int        `json:"rows"`
	Errors []rowError `json:"errors"`
	New    []struct {
		Kind, Name, Email, Site string
		NeedsCreate             bool  `json:"needs_create"`
		Rows                    []int `json:"rows"`
	} `json:"new"`
	Dates []struct {
		Row  int       `json:"row"`
		Text string    `json:"text"`
		At   time.Time `json:"at"`
		Read string    `json:"read"`
	} `json:"dates"`
	DateOrder string `json:"date_order"`
	HeaderRow int    `json:"header_row"`
}

// TestImportRealSpreadsheet imports the landlord's messy sheet over the API
// on every backend: a title row, odd headers, US dates on the organization's
// clock, tenants, a name without an email, lowercase stamps that match the
// door's U4, an unknown keyway and doors created only when asked, and a hook.
func TestImportRealSpreadsheet(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		app := newTestApp(t, b)
		if st := app.call(keyward.RoleOwner, "PATCH", "/api/v1/org", map[string]any{"time_zone": "America/New_York"}, nil); st != 200 {
			t.Fatalf("set zone: %d", st)
		}
		var site, unit4, cab map[string]any
		if st := app.call(keyward.RoleOwner, "POST", "/api/v1/sites", map[string]any{"name": "Maple Court"}, &site); st != 201 {
			t.Fatalf("site: %d", st)
		}
		if st := app.call(keyward.RoleOwner, "POST", "/api/v1/openings", map[string]any{"site_id": site["id"], "name": "Unit 4", "kind": "door"}, &unit4); st != 201 {
			t.Fatalf("opening: %d", st)
		}
		if st := app.call(keyward.RoleOwner, "POST", "/api/v1/openings/"+unit4["id"].(string)+"/symbols", map[string]any{"symbol": "U4"}, nil); st != 201 && st != 200 {
			t.Fatalf("schedule: %d", st)
		}
		if st := app.call(keyward.RoleOwner, "POST", "/api/v1/storage", map[string]any{"kind": "cabinet", "name": "Cabinet A", "hooks": 20}, &cab); st != 201 {
			t.Fatalf("cabinet: %d", st)
		}
		file := []byte(strings.ReplaceAll(string(importSample(t, "landlord_messy.csv")), ",Holder is a\n", ",Holder is a,Hook\n") + "S1,Kwikset KW1,,,,,,Cabinet A 12\n")
		before := app.tableCounts()

		// The dry run lists what is new and how each date was read; nothing is written.
		st, _, raw := app.send(keyward.RoleManager, "POST", "/api/v1/imports?dry_run=true&report=true&holder_kind=tenant", "text/csv", file)
		var rep importReportAnswer
		if err := json.Unmarshal(raw, &rep); st != 200 || err != nil {
			t.Fatalf("dry run: %d %s", st, raw)
		}
		if rep.HeaderRow != 2 || rep.Rows != 5 {
			t.Fatalf("header row %d rows %d", rep.HeaderRow, rep.Rows)
		}
		wantErrs := []rowError{{1, "keyway", "must name an existing keyway"}, {2, "keyway", "must name an existing keyway"},
			{2, "holder_name", "names nobody the organization knows: add their email, or let the import create this holder"},
			{2, "door", "names no door of the organization: let the import create it, or correct the name"},
			{3, "keyway", "must name an existing keyway"}, {3, "door", "names no door of the organization: let the import create it, or correct the name"},
			{4, "keyway", "must name an existing keyway"}, {5, "keyway", "must name an existing keyway"}}
		if !reflect.DeepEqual(rep.Errors, wantErrs) {
			t.Fatalf("errors:\n got %+v\nwant %+v", rep.Errors, wantErrs)
		}
		var news []string
		for _, n := range rep.New {
			news = append(news, n.Kind+" "+n.Name)
		}
		if want := []string{"keyway Kwikset KW1", "holder Ana Ruiz", "holder Ben Ode", "door Unit 5", "door Front door"}; !slices.Equal(news, want) {
			t.Fatalf("new = %q, want %q", news, want)
		}
		if len(rep.Dates) != 1 || rep.Dates[0].Text != "12/20/2026" || rep.Dates[0].At.Format(time.RFC3339) != "2026-12-21T04:59:00Z" ||
			!strings.HasPrefix(rep.Dates[0].Read, "Sun 20 Dec 2026 23:59") || !strings.Contains(rep.DateOrder, "month first") {
			t.Fatalf("dates %+v order %q", rep.Dates, rep.DateOrder)
		}
		// Without create the commit is refused whole.
		if st, _, raw := app.send(keyward.RoleManager, "POST", "/api/v1/imports?holder_kind=tenant", "text/csv", file); st != 422 || strings.Contains(string(raw), `"report"`) {
			t.Fatalf("commit without create: %d %s", st, raw)
		}
		if after := app.tableCounts(); after != before {
			t.Fatalf("a refused import wrote: %v → %v", before, after)
		}
		// With create: everything is made in one go.
		st, _, raw = app.send(keyward.RoleManager, "POST", "/api/v1/imports?create=true&holder_kind=tenant", "text/csv", file)
		if st != 201 || string(raw) != "{\"rows\":5}\n" && string(raw) != `{"rows":5}` {
			t.Fatalf("commit: %d %s", st, raw)
		}
		var keys struct{ Items []keyward.Key }
		app.call(keyward.RoleOwner, "GET", "/api/v1/keys?symbol=U4", nil, &keys)
		if len(keys.Items) != 2 || keys.Items[0].Stamp != "U4-1" || keys.Items[0].Status != keyward.StatusCheckedOut ||
			keys.Items[0].DueAt.Format(time.RFC3339) != "2026-12-21T04:59:00Z" || keys.Items[1].Status != keyward.StatusInStorage {
			t.Fatalf("U4 keys = %+v", keys.Items)
		}
		var access keyward.OpeningAccess
		app.call(keyward.RoleOwner, "GET", "/api/v1/openings/"+unit4["id"].(string)+"/access", nil, &access)
		if len(access.Keys) != 2 || !slices.Equal(access.Symbols, []string{"U4"}) {
			t.Fatalf("Unit 4 opens with %+v, schedule %v", access.Keys, access.Symbols)
		}
		var holders struct{ Items []keyward.Holder }
		app.call(keyward.RoleOwner, "GET", "/api/v1/holders?limit=100", nil, &holders)
		kinds := map[string]string{}
		for _, h := range holders.Items {
			kinds[h.Name+" <"+h.Email+">"] = h.Kind
		}
		if kinds["Ana Ruiz <ana@maple.test>"] != "tenant" || kinds["Ben Ode <>"] != "tenant" {
			t.Fatalf("holders = %v", kinds)
		}
		var openings struct{ Items []keyward.Opening }
		app.call(keyward.RoleOwner, "GET", "/api/v1/openings?limit=100", nil, &openings)
		var doors []string
		for _, o := range openings.Items {
			doors = append(doors, o.Name)
		}
		slices.Sort(doors)
		if !slices.Equal(doors, []string{"Front door", "Unit 4", "Unit 5"}) {
			t.Fatalf("doors = %v", doors)
		}
		app.call(keyward.RoleOwner, "GET", "/api/v1/keys?symbol=S1", nil, &keys)
		var place keyward.StoragePlace
		if len(keys.Items) != 1 || app.call(keyward.RoleOwner, "GET", "/api/v1/storage/"+cab["id"].(string), nil, &place) != 200 ||
			len(place.Keys) != 1 || place.Keys[0].KeyID != keys.Items[0].ID || place.Keys[0].Hook != 12 {
			t.Fatalf("Cabinet A = %+v (%+v)", place.Keys, keys.Items)
		}
		// One audit record tells what the import made.
		n, err := app.env.SQL().Count("SELECT COUNT(*) FROM audit_log WHERE action = 'key.import'")
		if err != nil || n != 1 {
			t.Fatalf("key.import records: %d %v", n, err)
		}
		// Importing again: the hook is taken and the copies continue.
		st, _, raw = app.send(keyward.RoleManager, "POST", "/api/v1/imports?dry_run=true&create=true", "text/csv", file)
		if ans, _ := decodeAnswer(t, raw); st != 200 || !slices.Contains(ans.Errors, rowError{5, "hook", "hook 12 of Cabinet A already holds key S1-1"}) {
			t.Fatalf("again: %d %s", st, raw)
		}
	})
}

// TestImportOptionsRefused: a bad choice names its parameter and writes nothing.
func TestImportOptionsRefused(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		app := importApp(t, b)
		for q, field := range map[string]string{"header_row=0": "header_row", "header_row=x": "header_row", "date_order=ydm": "date_order",
			"holder_kind=landlord": "holder_kind", "create=maybe": "create", "report=2": "report", "header_row=9": "header_row"} {
			st, _, raw := app.send(keyward.RoleManager, "POST", "/api/v1/imports?dry_run=true&"+q, "text/csv", []byte("symbol,keyway\nAA5,Schlage SC1\n"))
			if st != 400 || !strings.Contains(string(raw), `"field":"`+field+`"`) {
				t.Errorf("%s: %d %s", q, st, raw)
			}
		}
	})
}

// TestImportContractExample: the outside contract's canonical CSV imports
// exactly as the contract says: 201 {"rows": N}, the dry run only rows and
// errors, RFC 3339 due times kept to the second, and a new email a holder.
func TestImportContractExample(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		app := importApp(t, b)
		csv := "\xef\xbb\xbfsymbol,keyway,copy_number,holder_name,holder_email,due_at\n" +
			"CX1,Schlage SC1,1,Jane Doe,jane@example.com,2026-12-20T17:00:00Z\n" +
			"CX1,Schlage SC1,2,,,\n" +
			"cx2,Medeco M3,,,,\n"
		st, _, raw := app.send(keyward.RoleAdmin, "POST", "/api/v1/imports?dry_run=true", "text/csv", []byte(csv))
		if st != 200 || string(raw) != "{\"rows\":3,\"errors\":[]}\n" {
			t.Fatalf("dry run: %d %q", st, raw)
		}
		st, _, raw = app.send(keyward.RoleAdmin, "POST", "/api/v1/imports", "text/csv", []byte(csv))
		if st != 201 || string(raw) != "{\"rows\":3}\n" {
			t.Fatalf("import: %d %q", st, raw)
		}
		var keys struct{ Items []keyward.Key }
		app.call(keyward.RoleOwner, "GET", "/api/v1/keys?symbol="+url.QueryEscape("CX1"), nil, &keys)
		if len(keys.Items) != 2 || keys.Items[0].Status != keyward.StatusCheckedOut || keys.Items[0].DueAt.Format(time.RFC3339) != "2026-12-20T17:00:00Z" {
			t.Fatalf("CX1 = %+v", keys.Items)
		}
		app.call(keyward.RoleOwner, "GET", "/api/v1/keys?symbol=cx2", nil, &keys)
		if len(keys.Items) != 1 || keys.Items[0].Symbol != "cx2" {
			t.Fatalf("cx2 = %+v", keys.Items)
		}
		// A row that names an unknown keyway or a bad time is still refused, whole.
		st, _, raw = app.send(keyward.RoleAdmin, "POST", "/api/v1/imports", "text/csv", []byte("symbol,keyway,due_at,holder_name,holder_email\nCX9,Yale,12/20/2026,Al,al@example.com\n"))
		ans, fields := decodeAnswer(t, raw)
		if st != 422 || fields["report"] != nil || !reflect.DeepEqual(ans.Errors, []rowError{{1, "keyway", "must name an existing keyway"}, {1, "due_at", "must be an RFC 3339 time such as 2026-05-01T17:00:00Z"}}) {
			t.Fatalf("refused: %d %s", st, raw)
		}
	})
}
