package importer_test

import (
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/keyward/keyward/internal/importer"
	"github.com/keyward/keyward/internal/keyward"
	"github.com/keyward/keyward/internal/when"
)

// Each ugly input a real spreadsheet has, one case each: what the importer
// makes of it, and that the contract's own file keeps its meaning.

func parseWith(t *testing.T, csv string, opts importer.Options) *importer.File {
	t.Helper()
	f, err := importer.ParseWith(strings.NewReader(csv), importer.CSV, opts)
	if err != nil {
		t.Fatalf("ParseWith: %v", err)
	}
	return f
}

func newYork(t *testing.T) *time.Location {
	t.Helper()
	ny, err := time.LoadLocation("America/New_York")
	if err != nil {
		t.Fatal(err)
	}
	return ny
}

func TestUglyTitleRow(t *testing.T) {
	csv := "Keys of Maple Court,,\nprinted 1 Dec,,\nKey #,Key type,Holder\nAA5,Schlage SC1,\n"
	f := parseWith(t, csv, importer.Options{})
	if f.HeaderRow != 3 || !f.Header || len(f.Rows) != 1 || f.Rows[0].N != 1 || f.Rows[0].Symbol != "AA5" {
		t.Fatalf("header row %d, rows %+v, errors %+v", f.HeaderRow, f.Rows, f.Errors)
	}
	// The user may choose another header row: the title row is then the header, and nothing is found.
	f = parseWith(t, csv, importer.Options{HeaderRow: 1})
	if f.HeaderRow != 1 || f.Header {
		t.Fatalf("chosen header row: %d, header %v", f.HeaderRow, f.Header)
	}
	if _, err := importer.ParseWith(strings.NewReader(csv), importer.CSV, importer.Options{HeaderRow: 9}); keyward.ErrorCode(err) != keyward.EINVALID || !strings.Contains(err.Error(), "header_row") {
		t.Fatalf("header row past the file: %v", err)
	}
	h, err := importer.ReadHeader([]byte(csv), importer.CSV, 5, importer.Options{})
	if err != nil || h.Row != 3 || h.Cells[0] != "Key #" || len(h.Top) != 4 || len(h.Preview) != 1 || h.Preview[0].N != 1 {
		t.Fatalf("ReadHeader = %+v, %v", h, err)
	}
}

func TestUglyOddHeaders(t *testing.T) {
	got := importer.Suggest([]string{"KEY NO.", "Blank", "Copy #", "Issued to", "E-Mail Address", "Date due", "Apt", "Building", "Peg", "Type", "Notes"})
	want := importer.Mapping{"symbol": 0, "keyway": 1, "copy_number": 2, "holder_name": 3, "holder_email": 4, "due_at": 5,
		"door": 6, "site": 7, "hook": 8, "holder_kind": 9}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("Suggest = %v, want %v", got, want)
	}
	for col, label := range map[string]string{"holder_email": "Holder's email", "symbol": "Key number (stamp)", "door": "Door it opens"} {
		if importer.Label(col) != label {
			t.Errorf("Label(%s) = %q", col, importer.Label(col))
		}
	}
}

func TestUglyDates(t *testing.T) {
	ny := newYork(t)
	cases := []struct {
		name, due string
		order     when.DateOrder
		want      string // UTC, or "" for an error
	}{
		{"US date", "12/20/2026", 0, "2026-12-21T04:59:00Z"},
		{"ISO date", "2026-12-20", 0, "2026-12-21T04:59:00Z"},
		{"date and time without offset", "2026-12-31 17:00", 0, "2026-12-31T22:00:00Z"},
		{"RFC 3339", "2026-12-31T17:00:00Z", 0, "2026-12-31T17:00:00Z"},
		{"ambiguous, the zone decides", "03/04/2026", 0, "2026-03-05T04:59:00Z"},
		{"ambiguous, the user decides", "03/04/2026", when.DayFirst, "2026-04-04T03:59:00Z"},
		{"not a date", "next week", 0, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := parseWith(t, "Key,Keyway,Tenant,Due\nAA5,Schlage SC1,Ana Ruiz,"+c.due+"\n", importer.Options{Zone: ny, DateOrder: c.order})
			r := f.Rows[0]
			if c.want == "" {
				if r.DueAt != nil || len(f.Errors) != 1 || f.Errors[0].Column != "due_at" || !strings.Contains(f.Errors[0].Rule, "must be a date") {
					t.Fatalf("due %v, errors %+v", r.DueAt, f.Errors)
				}
				return
			}
			if len(f.Errors) != 0 || r.DueAt == nil || r.DueAt.Format(time.RFC3339) != c.want {
				t.Fatalf("due %v, errors %+v; want %s", r.DueAt, f.Errors, c.want)
			}
			if len(f.Dates) != 1 || f.Dates[0].Row != 1 || f.Dates[0].Text != c.due || f.Dates[0].How == "" {
				t.Fatalf("dates = %+v", f.Dates)
			}
		})
	}
	// The file's own unambiguous dates decide the order for all of them.
	f := parseWith(t, "Key,Keyway,Tenant,Due\nA1,Schlage SC1,Ana,03/04/2026\nA2,Schlage SC1,Ana,25/12/2026\n", importer.Options{Zone: ny})
	if len(f.Errors) != 0 || f.Rows[0].DueAt.In(ny).Format("2006-01-02") != "2026-04-03" || !strings.Contains(f.DateOrder, "day first") || !strings.Contains(f.DateOrder, "25/12/2026") {
		t.Fatalf("day-first file: %v %q %+v", f.Rows[0].DueAt, f.DateOrder, f.Errors)
	}
	if !strings.Contains(f.Dates[0].How, "Fri 3 Apr 2026 23:59") {
		t.Fatalf("how = %q", f.Dates[0].How)
	}
}

func TestUglyTenantsAndNamesWithoutEmail(t *testing.T) {
	csv := "Key,Keyway,Name,Kind\nA1,Schlage SC1,Ana Ruiz,Tenant\nA2,Schlage SC1,ana  ruiz,\nA3,Schlage SC1,Ben Ode,\nA4,Schlage SC1,Dana Known,\n"
	lk := lookups()
	lk.HolderNames = map[string][]string{"Dana Known": {"hld_dana"}}
	f := parseWith(t, csv, importer.Options{HolderKind: "tenant"})
	plan := importer.Check(f, lk)
	want := []importer.RowError{{Row: 1, Column: "holder_name", Rule: importer.RuleHolderUnknown},
		{Row: 2, Column: "holder_name", Rule: importer.RuleHolderUnknown}, {Row: 3, Column: "holder_name", Rule: importer.RuleHolderUnknown}}
	if !reflect.DeepEqual(plan.Errors, want) {
		t.Fatalf("without create: %+v", plan.Errors)
	}
	if len(plan.New) != 2 || plan.New[0].Name != "Ana Ruiz" || !reflect.DeepEqual(plan.New[0].Rows, []int{1, 2}) || !plan.New[0].NeedsCreate {
		t.Fatalf("new = %+v", plan.New)
	}
	f = parseWith(t, csv, importer.Options{HolderKind: "tenant", Create: true})
	plan = importer.Check(f, lk)
	if len(plan.Errors) != 0 || len(plan.Holders) != 2 {
		t.Fatalf("with create: %+v, holders %+v", plan.Errors, plan.Holders)
	}
	if h := plan.Holders[0]; h.Name != "Ana Ruiz" || h.Email != "" || h.Kind != "tenant" || h.Ref == "" {
		t.Fatalf("holder = %+v", h)
	}
	if k := plan.Keys; k[0].NewHolder != plan.Holders[0].Ref || k[1].NewHolder != k[0].NewHolder || k[3].HolderID != "hld_dana" || k[0].Status != keyward.StatusIssued {
		t.Fatalf("keys = %+v", k)
	}
	// The canonical columns keep their rule: a holder_name needs a holder_email.
	plan = check(t, "symbol,keyway,holder_name\nA1,Schlage SC1,Ana Ruiz\n")
	if len(plan.Errors) != 1 || plan.Errors[0].Rule != importer.RuleEmailForName {
		t.Fatalf("canonical name without email: %+v", plan.Errors)
	}
	// Namesakes need an email; a kind the import does not know is refused by name.
	lk.HolderNames = map[string][]string{"Sam Lee": {"h1", "h2"}}
	plan = importer.Check(parseWith(t, "Key,Keyway,Name,Type\nA1,Schlage SC1,Sam Lee,landlord\n", importer.Options{}), lk)
	if len(plan.Errors) != 2 || plan.Errors[0].Column != "holder_name" || !strings.Contains(plan.Errors[0].Rule, "2 holders") || plan.Errors[1].Column != "holder_kind" {
		t.Fatalf("namesakes: %+v", plan.Errors)
	}
}

func TestUglyStampsAndUnknownKeyway(t *testing.T) {
	lk := lookups()
	lk.Copies = map[string][]int{"U4": {1}}
	lk.Spellings = map[string]string{"U4": "U4"}
	// u4 is U4: the database's copy 1 is taken, the next is 2, spelled as the organization does.
	plan := importer.Check(parseWith(t, "Stamp,Keyway\nu4,Schlage SC1\n U4 ,Schlage SC1\n", importer.Options{}), lk)
	if len(plan.Errors) != 0 || plan.Keys[0].Symbol != "U4" || plan.Keys[0].CopyNumber != 2 || plan.Keys[1].CopyNumber != 3 {
		t.Fatalf("keys %+v errors %+v", plan.Keys, plan.Errors)
	}
	plan = importer.Check(parseWith(t, "symbol,keyway,copy_number\nu4,Schlage SC1,1\n", importer.Options{}), lk)
	if len(plan.Errors) != 1 || plan.Errors[0].Rule != importer.RuleCopyExists {
		t.Fatalf("canonical u4-1 against U4-1: %+v", plan.Errors)
	}
	// A stamp written whole, and a new symbol in capitals.
	plan = importer.Check(parseWith(t, "Key #,Keyway\nb7-3,Schlage SC1\n", importer.Options{}), lk)
	if len(plan.Errors) != 0 || plan.Keys[0].Symbol != "B7" || plan.Keys[0].CopyNumber != 3 {
		t.Fatalf("whole stamp: %+v %+v", plan.Keys, plan.Errors)
	}
	// An unknown keyway: listed, refused without create, planned with it.
	csv := "Key,Key type\nA1,Kwikset KW1\nA2,kwikset  kw1\n"
	plan = importer.Check(parseWith(t, csv, importer.Options{}), lk)
	if len(plan.Errors) != 2 || plan.Errors[0].Rule != importer.RuleKeywayUnknown || len(plan.New) != 1 || plan.New[0].Kind != "keyway" || !reflect.DeepEqual(plan.New[0].Rows, []int{1, 2}) {
		t.Fatalf("unknown keyway: %+v %+v", plan.Errors, plan.New)
	}
	plan = importer.Check(parseWith(t, csv, importer.Options{Create: true}), lk)
	if len(plan.Errors) != 0 || len(plan.Keyways) != 1 || plan.Keyways[0].Name != "Kwikset KW1" || plan.Keys[1].NewKeyway != plan.Keyways[0].Ref || plan.Keys[1].KeywayID != "" {
		t.Fatalf("created keyway: %+v %+v", plan.Keyways, plan.Keys)
	}
	// A keyway a manager may not register stays refused, naming the row.
	lk.Refused = map[string]string{"kwy_m3": keyward.RuleCopyThroughRequest}
	plan = importer.Check(parseWith(t, "Key,Key type\nA1,Medeco M3\n", importer.Options{Create: true}), lk)
	if len(plan.Errors) != 1 || plan.Errors[0] != (importer.RowError{Row: 1, Column: "keyway", Rule: keyward.RuleCopyThroughRequest}) {
		t.Fatalf("refused keyway: %+v", plan.Errors)
	}
}

func TestUglyDoorColumn(t *testing.T) {
	lk := lookups()
	lk.Sites = []importer.Place{{ID: "site_maple", Name: "Maple Court"}}
	lk.Doors = []importer.Door{{ID: "opn_u4", Name: "Unit 4", SiteID: "site_maple"}}
	lk.Scheduled = map[string]bool{"opn_u4/U4": true}
	csv := "Key,Keyway,Door\nU4,Schlage SC1,unit 4\nU5,Schlage SC1,Unit 5\nU5,Schlage SC1,Unit 5\nM1,Schlage SC1,Unit 4\n"
	plan := importer.Check(parseWith(t, csv, importer.Options{}), lk)
	if len(plan.Errors) != 2 || plan.Errors[0] != (importer.RowError{Row: 2, Column: "door", Rule: importer.RuleDoorUnknown}) {
		t.Fatalf("without create: %+v", plan.Errors)
	}
	plan = importer.Check(parseWith(t, csv, importer.Options{Create: true}), lk)
	if len(plan.Errors) != 0 || len(plan.Doors) != 1 || plan.Doors[0].Name != "Unit 5" || plan.Doors[0].SiteID != "site_maple" {
		t.Fatalf("doors %+v errors %+v", plan.Doors, plan.Errors)
	}
	// U4 is already on Unit 4; U5 goes on the new door once; M1 joins Unit 4.
	want := []importer.Scheduled{{NewDoor: plan.Doors[0].Ref, Symbol: "U5"}, {OpeningID: "opn_u4", Symbol: "M1"}}
	if !reflect.DeepEqual(plan.Schedule, want) {
		t.Fatalf("schedule = %+v", plan.Schedule)
	}
	// Two sites: a new door needs its site, named in a column or chosen; a new site is created on request.
	lk.Sites = append(lk.Sites, importer.Place{ID: "site_oak", Name: "Oak House"})
	plan = importer.Check(parseWith(t, "Key,Keyway,Door\nU5,Schlage SC1,Unit 5\n", importer.Options{Create: true}), lk)
	if len(plan.Errors) != 1 || plan.Errors[0].Column != "site" {
		t.Fatalf("which site: %+v", plan.Errors)
	}
	plan = importer.Check(parseWith(t, "Key,Keyway,Door,Building\nU5,Schlage SC1,Unit 5,Elm Row\n", importer.Options{Create: true}), lk)
	if len(plan.Errors) != 0 || len(plan.Sites) != 1 || plan.Sites[0].Name != "Elm Row" || plan.Doors[0].NewSite != plan.Sites[0].Ref {
		t.Fatalf("new site: %+v %+v %+v", plan.Sites, plan.Doors, plan.Errors)
	}
}

func TestUglyHookColumn(t *testing.T) {
	lk := lookups()
	lk.Cabinets = []importer.Cabinet{{ID: "sto_a", Name: "Cabinet A", Hooks: 20}, {ID: "sto_b", Name: "Office box", Hooks: 5}}
	lk.HooksTaken = map[string]string{"sto_a/3": "ZZ1-1"}
	csv := "Key,Keyway,Hook,Holder email,Holder\n" +
		"A1,Schlage SC1,Cabinet A 12,,\n" + // fine
		"A2,Schlage SC1,office box hook 2,,\n" + // fine
		"A3,Schlage SC1,7,,\n" + // which cabinet?
		"A4,Schlage SC1,Cabinet A 3,,\n" + // taken
		"A5,Schlage SC1,Cabinet A 12,,\n" + // given to row 1 too
		"A6,Schlage SC1,Cabinet A 21,,\n" + // no such hook
		"A7,Schlage SC1,Cabinet A 13,dana@acme.test,\n" + // a held key is not on a hook
		"A8,Schlage SC1,top shelf,,\n" // not a hook
	plan := importer.Check(parseWith(t, csv, importer.Options{}), lk)
	var got []string
	for _, e := range plan.Errors {
		got = append(got, e.Column+": "+e.Rule)
	}
	want := []string{"hook: " + importer.RuleHookWhichCabinet, "hook: hook 3 of Cabinet A already holds key ZZ1-1",
		"hook: hook 12 of Cabinet A is given to row 1 too", "hook: must be a hook of Cabinet A, 1 to 20", "hook: " + importer.RuleHookHeld, "hook: " + importer.RuleHook}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("errors:\n got %q\nwant %q", got, want)
	}
	plan = importer.Check(parseWith(t, "Key,Keyway,Hook\nA1,Schlage SC1,Cabinet A 12\nA2,Schlage SC1,#2\n", importer.Options{Cabinet: "office box"}), lk)
	if len(plan.Errors) != 0 || plan.Keys[0].CabinetID != "sto_a" || plan.Keys[0].Hook != 12 || plan.Keys[1].CabinetID != "sto_b" || plan.Keys[1].Hook != 2 {
		t.Fatalf("keys %+v errors %+v", plan.Keys, plan.Errors)
	}
}

// TestUglyLandlordFile reads the landlord's whole messy sheet: a title row,
// a blank row, odd headers, US dates, tenants, lowercase stamps and doors.
func TestUglyLandlordFile(t *testing.T) {
	f := parseWith(t, string(sample(t, "landlord_messy.csv")), importer.Options{Zone: newYork(t), Create: true})
	lk := lookups()
	lk.Sites = []importer.Place{{ID: "site_maple", Name: "Maple Court"}}
	plan := importer.Check(f, lk)
	if f.HeaderRow != 2 || len(plan.Errors) != 0 || len(plan.Keys) != 4 {
		t.Fatalf("header %d errors %+v keys %+v", f.HeaderRow, plan.Errors, plan.Keys)
	}
	k := plan.Keys
	if k[0].Symbol != "U4" || k[0].CopyNumber != 1 || k[0].Status != keyward.StatusCheckedOut || k[0].DueAt.Format(time.RFC3339) != "2026-12-21T04:59:00Z" ||
		k[1].Symbol != "U5" || k[1].CopyNumber != 1 || k[1].Status != keyward.StatusIssued || k[3].Symbol != "U4" || k[3].CopyNumber != 2 || k[3].Status != keyward.StatusInStorage {
		t.Fatalf("keys = %+v", k)
	}
	if len(plan.New) < 2 || plan.New[1].Name != "Ana Ruiz" || plan.New[1].NeedsCreate || !reflect.DeepEqual(plan.New[1].Rows, []int{1}) {
		t.Fatalf("new = %+v", plan.New)
	}
	// A new email on two rows is one new holder, listed with both rows.
	if al := check(t, "symbol,keyway,holder_name,holder_email\nA1,Schlage SC1,Al,al@x.test\nA2,Schlage SC1,Al,al@x.test\n"); len(al.Holders) != 1 || len(al.New) != 1 || !reflect.DeepEqual(al.New[0].Rows, []int{1, 2}) {
		t.Fatalf("one new holder on two rows: %+v %+v", al.Holders, al.New)
	}
	if len(plan.Keyways) != 1 || len(plan.Doors) != 3 || len(plan.Schedule) != 3 || len(plan.Holders) != 2 ||
		plan.Holders[0].Kind != "tenant" || plan.Holders[1].Kind != "tenant" || plan.Holders[1].Email != "" {
		t.Fatalf("plan: keyways %+v doors %+v schedule %+v holders %+v", plan.Keyways, plan.Doors, plan.Schedule, plan.Holders)
	}
}

// TestContractExample: the outside contract's canonical CSV reads exactly
// as before: RFC 3339 due dates only, a name needs its email, new emails make holders.
func TestContractExample(t *testing.T) {
	csv := "\xef\xbb\xbfsymbol,keyway,copy_number,holder_name,holder_email,due_at\n" +
		"AA7,Schlage SC1,1,Jane Doe,jane@example.com,2026-12-20T17:00:00Z\n" +
		"AA7,Schlage SC1,1,,,\n" +
		"AA8,Schlage SC1,,,,12/20/2026\n" +
		"aa9,Schlage SC1,,Ann,,\n"
	f := parseWith(t, csv, importer.Options{Zone: newYork(t)})
	plan := importer.Check(f, lookups())
	want := []importer.RowError{
		{Row: 2, Column: "copy_number", Rule: "repeats the symbol and copy_number of row 1"},
		{Row: 3, Column: "due_at", Rule: importer.RuleDueAt},
		{Row: 4, Column: "holder_email", Rule: importer.RuleEmailForName},
	}
	if f.HeaderRow != 1 || plan.Rows != 4 || !reflect.DeepEqual(plan.Errors, want) {
		t.Fatalf("rows %d errors %+v", plan.Rows, plan.Errors)
	}
	f = parseWith(t, "symbol,keyway,holder_name,holder_email,due_at\naa7,Schlage SC1,Jane Doe,jane@example.com,2026-12-20T17:00:00Z\n", importer.Options{Zone: newYork(t)})
	plan = importer.Check(f, lookups())
	k := plan.Keys[0]
	if len(plan.Errors) != 0 || k.Symbol != "aa7" || k.CopyNumber != 1 || k.DueAt.Format(time.RFC3339) != "2026-12-20T17:00:00Z" || k.HolderEmail != "jane@example.com" || plan.Holders[0].Kind != "staff" {
		t.Fatalf("plan %+v errors %+v", plan, plan.Errors)
	}
}
