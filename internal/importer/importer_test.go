package importer_test

import (
	"bytes"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/keyward/keyward/internal/importer"
	"github.com/keyward/keyward/internal/keyward"
)

// lookups is the database every test here checks against: two keyways, one
// known holder and key AA1-1.
func lookups() importer.Lookups {
	return importer.Lookups{
		Keyways: map[string]string{"Schlage SC1": "kwy_sc1", "Medeco M3": "kwy_m3"},
		Holders: map[string]string{"dana@acme.test": "hld_dana"},
		Copies:  map[string][]int{"AA1": {1}},
	}
}

func check(t *testing.T, csv string) *importer.Plan {
	t.Helper()
	f, err := importer.Parse(strings.NewReader(csv), importer.CSV)
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	return importer.Check(f, lookups())
}

func sample(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", "testdata", "import", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

const (
	ruleSymbol = "must be 1-32 letters, digits, '.' or '_'"
	ruleEmail  = "must be an email address"
)

// SampleErrors lists the exact errors of each sample file in testdata/import.
var SampleErrors = map[string][]importer.RowError{
	"keys_clean.csv":    {},
	"bom_semicolon.csv": {},
	"duplicate_copies.csv": {
		{Row: 3, Column: "copy_number", Rule: "repeats the symbol and copy_number of row 1"},
		{Row: 5, Column: "copy_number", Rule: "repeats the symbol and copy_number of row 4"},
		{Row: 6, Column: "copy_number", Rule: importer.RuleCopyExists},
		{Row: 8, Column: "copy_number", Rule: "repeats the symbol and copy_number of row 7"},
	},
	"unknown_holders.csv": {
		{Row: 3, Column: "holder_name", Rule: importer.RuleNewHolderName},
		{Row: 5, Column: "holder_email", Rule: importer.RuleEmailForName},
		{Row: 6, Column: "holder_name", Rule: importer.RuleNewHolderName},
	},
	"bad_values.csv": {
		{Row: 1, Column: "due_at", Rule: importer.RuleDueAt},
		{Row: 2, Column: "holder_email", Rule: ruleEmail},
		{Row: 3, Column: "due_at", Rule: importer.RuleDueNeedsHolder},
		{Row: 4, Column: "symbol", Rule: ruleSymbol},
		{Row: 5, Column: "keyway", Rule: importer.RuleKeywayUnknown},
		{Row: 6, Column: "copy_number", Rule: importer.RuleCopyNumber},
		{Row: 7, Column: "symbol", Rule: importer.RuleRequired},
		{Row: 8, Column: "keyway", Rule: importer.RuleRequired},
		{Row: 9, Column: "due_at", Rule: importer.RuleDueAt},
		{Row: 10, Column: "keyway", Rule: importer.RuleKeywayUnknown},
		{Row: 10, Column: "copy_number", Rule: importer.RuleCopyNumber},
		{Row: 10, Column: "holder_email", Rule: ruleEmail},
		{Row: 10, Column: "due_at", Rule: importer.RuleDueAt},
		{Row: 11, Column: "due_at", Rule: importer.RuleDueAt},
	},
	"missing_column.csv": {
		{Row: 0, Column: "keyway", Rule: importer.RuleColumnMissing},
	},
}

var sampleRows = map[string]int{"keys_clean.csv": 30, "bom_semicolon.csv": 4, "duplicate_copies.csv": 8,
	"unknown_holders.csv": 6, "bad_values.csv": 11, "missing_column.csv": 1}

func TestSamples(t *testing.T) {
	for name, want := range SampleErrors {
		t.Run(name, func(t *testing.T) {
			plan := check(t, string(sample(t, name)))
			if !reflect.DeepEqual(plan.Errors, want) {
				t.Errorf("errors:\n got %+v\nwant %+v", plan.Errors, want)
			}
			if plan.Rows != sampleRows[name] {
				t.Errorf("rows = %d, want %d", plan.Rows, sampleRows[name])
			}
			if len(want) > 0 && (plan.Keys != nil || plan.Holders != nil) {
				t.Errorf("a file with errors planned %d keys", len(plan.Keys))
			}
		})
	}
}

func TestCleanPlan(t *testing.T) {
	plan := check(t, string(sample(t, "keys_clean.csv")))
	if len(plan.Keys) != 30 {
		t.Fatalf("keys = %d", len(plan.Keys))
	}
	byStamp := map[string]importer.Key{}
	for _, k := range plan.Keys {
		byStamp[k.Symbol+"-"+strconv.Itoa(k.CopyNumber)] = k
	}
	due := func(s string) *time.Time { v, _ := time.Parse(time.RFC3339, s); v = v.UTC(); return &v }
	for stamp, want := range map[string]importer.Key{
		"AA1-2":    {Row: 5, KeywayID: "kwy_sc1", Symbol: "AA1", CopyNumber: 2, Status: keyward.StatusIssued, HolderEmail: "priya.natarajan@acme.test"},
		"AA1-3":    {Row: 6, KeywayID: "kwy_sc1", Symbol: "AA1", CopyNumber: 3, Status: keyward.StatusInStorage},
		"GM1-1":    {Row: 3, KeywayID: "kwy_sc1", Symbol: "GM1", CopyNumber: 1, Status: keyward.StatusIssued, HolderID: "hld_dana"},
		"AA3-1":    {Row: 9, KeywayID: "kwy_sc1", Symbol: "AA3", CopyNumber: 1, Status: keyward.StatusCheckedOut, HolderEmail: "lena.okafor@acme.test", DueAt: due("2026-02-27T17:00:00Z")},
		"AB2-1":    {Row: 13, KeywayID: "kwy_sc1", Symbol: "AB2", CopyNumber: 1, Status: keyward.StatusCheckedOut, HolderEmail: "tom.becker@contractor.test", DueAt: due("2026-03-02T16:00:00Z")},
		"M3.102-2": {Row: 18, KeywayID: "kwy_m3", Symbol: "M3.102", CopyNumber: 2, Status: keyward.StatusInStorage},
	} {
		if got := byStamp[stamp]; !reflect.DeepEqual(got, want) {
			t.Errorf("%s:\n got %+v\nwant %+v", stamp, got, want)
		}
	}
	var emails []string
	for _, h := range plan.Holders {
		emails = append(emails, h.Email)
	}
	want := []string{"priya.natarajan@acme.test", "marcus.hale@acme.test", "lena.okafor@acme.test", "tom.becker@contractor.test", "sofia.lind@acme.test", "facilities@acme.test"}
	if !slices.Equal(emails, want) {
		t.Errorf("new holders = %v, want %v", emails, want)
	}
	if plan.Holders[2].Name != "Lena Okafor" || plan.Holders[2].Row != 9 {
		t.Errorf("holder = %+v", plan.Holders[2])
	}
}

func TestBOMSemicolonQuotedNewlines(t *testing.T) {
	f, err := importer.Parse(bytes.NewReader(sample(t, "bom_semicolon.csv")), importer.CSV)
	if err != nil {
		t.Fatal(err)
	}
	plan := importer.Check(f, lookups())
	if len(plan.Errors) != 0 || len(plan.Keys) != 4 {
		t.Fatalf("plan = %+v", plan)
	}
	got := []string{}
	for _, k := range plan.Keys {
		got = append(got, k.Symbol+"-"+strconv.Itoa(k.CopyNumber)+" "+k.KeywayID+" "+k.Status)
	}
	want := []string{"CB1-1 kwy_m3 in_storage", "CB1-2 kwy_m3 checked_out", "CB2-1 kwy_m3 in_storage", "CB2-2 kwy_m3 issued"}
	if !slices.Equal(got, want) {
		t.Fatalf("keys = %v, want %v", got, want)
	}
	if len(f.SHA256) != 64 {
		t.Fatalf("sha256 = %q", f.SHA256)
	}
}

func TestHeaderAndRows(t *testing.T) {
	cases := []struct {
		name, csv string
		rows      int
		errs      []importer.RowError
	}{
		{"empty file", "", 0, []importer.RowError{{Row: 0, Column: "symbol", Rule: importer.RuleColumnMissing}, {Row: 0, Column: "keyway", Rule: importer.RuleColumnMissing}}},
		{"header only", "symbol,keyway\n", 0, []importer.RowError{}},
		{"missing symbol", "keyway,copy_number\nSchlage SC1,1\n", 1, []importer.RowError{{Row: 0, Column: "symbol", Rule: importer.RuleColumnMissing}}},
		{"repeated column", "symbol,keyway,Symbol\nAA5,Schlage SC1,AA6\n", 1, []importer.RowError{{Row: 0, Column: "symbol", Rule: importer.RuleColumnTwice}}},
		{"unknown columns and order", "note,KEYWAY,  symbol  ,colour\nhi,Schlage SC1,AA5,101\n", 1, []importer.RowError{}},
		{"tabs", "symbol\tkeyway\nAA5\tSchlage SC1\n", 1, []importer.RowError{}},
		{"blank records skipped, numbering kept", "symbol,keyway\n,\nAA5,Nope\n\n", 1, []importer.RowError{{Row: 2, Column: "keyway", Rule: importer.RuleKeywayUnknown}}},
		{"short record", "symbol,keyway,holder_email\nAA5\n", 1, []importer.RowError{{Row: 1, Column: "keyway", Rule: importer.RuleRequired}}},
		{"errors follow the file's column order", "due_at,keyway,symbol\nsoon,Nope,a-b\n", 1, []importer.RowError{
			{Row: 1, Column: "due_at", Rule: importer.RuleDueAt}, {Row: 1, Column: "keyway", Rule: importer.RuleKeywayUnknown}, {Row: 1, Column: "symbol", Rule: ruleSymbol}}},
		{"next free number after the database and earlier rows", "symbol,keyway,copy_number\nAA1,Schlage SC1,\nAA1,Schlage SC1,7\nAA1,Schlage SC1,\nAA1,Schlage SC1,8\n", 4, []importer.RowError{
			{Row: 4, Column: "copy_number", Rule: "repeats the symbol and copy_number of row 3"}}},
		{"copy number range", "symbol,keyway,copy_number\nA,Schlage SC1,100001\nB,Schlage SC1,-1\nC,Schlage SC1,1.5\n", 3, []importer.RowError{
			{Row: 1, Column: "copy_number", Rule: importer.RuleCopyNumber}, {Row: 2, Column: "copy_number", Rule: importer.RuleCopyNumber}, {Row: 3, Column: "copy_number", Rule: importer.RuleCopyNumber}}},
		{"auto number past the limit", "symbol,keyway,copy_number\nZ,Schlage SC1,100000\nZ,Schlage SC1,\n", 2, []importer.RowError{{Row: 2, Column: "copy_number", Rule: importer.RuleCopyNumber}}},
		{"long holder name", "symbol,keyway,holder_name,holder_email\nA,Schlage SC1," + strings.Repeat("n", 201) + ",new@acme.test\n", 1, []importer.RowError{
			{Row: 1, Column: "holder_name", Rule: "must be at most 200 characters"}}},
		{"invalid UTF-8 name", "symbol,keyway,holder_name,holder_email\nA,Schlage SC1,\xff,new@acme.test\n", 1, []importer.RowError{
			{Row: 1, Column: "holder_name", Rule: "must be valid UTF-8"}}},
		{"quoted header", "\"symbol\";\"keyway\"\n\"A;1\";Schlage SC1\n", 1, []importer.RowError{{Row: 1, Column: "symbol", Rule: ruleSymbol}}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			plan := check(t, c.csv)
			if plan.Rows != c.rows || !reflect.DeepEqual(plan.Errors, c.errs) {
				t.Fatalf("rows %d errors %+v\nwant rows %d errors %+v", plan.Rows, plan.Errors, c.rows, c.errs)
			}
		})
	}
}

func TestKeywayCase(t *testing.T) {
	lk := lookups()
	lk.Keyways["schlage sc1"] = "kwy_other" // two names that fold alike: only the exact one matches
	f, _ := importer.Parse(strings.NewReader("symbol,keyway\nA,Schlage SC1\nB,SCHLAGE SC1\nC,medeco m3\n"), importer.CSV)
	plan := importer.Check(f, lk)
	want := []importer.RowError{{Row: 2, Column: "keyway", Rule: importer.RuleKeywayUnknown}}
	if !reflect.DeepEqual(plan.Errors, want) {
		t.Fatalf("errors = %+v", plan.Errors)
	}
}

func TestTooManyRows(t *testing.T) {
	var b strings.Builder
	b.WriteString("symbol,keyway\n")
	for range importer.MaxRows + 1 {
		b.WriteString("A,K\n")
	}
	_, err := importer.Parse(strings.NewReader(b.String()), importer.CSV)
	if keyward.ErrorCode(err) != keyward.EINVALID {
		t.Fatalf("err = %v", err)
	}
}

// XLSXFile builds a workbook whose first sheet holds rows; a time.Time cell is a date cell.
func XLSXFile(t testing.TB, rows [][]any) []byte {
	t.Helper()
	x := excelize.NewFile()
	defer x.Close()
	x.SetSheetName("Sheet1", "Keys")
	if _, err := x.NewSheet("Other"); err != nil {
		t.Fatal(err)
	}
	for i, r := range rows {
		cell, _ := excelize.CoordinatesToCellName(1, i+1)
		if err := x.SetSheetRow("Keys", cell, &r); err != nil {
			t.Fatal(err)
		}
	}
	_ = x.SetSheetRow("Other", "A1", &[]any{"nothing", "here"})
	var buf bytes.Buffer
	if err := x.Write(&buf); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestXLSX(t *testing.T) {
	due := time.Date(2026, 3, 9, 16, 30, 0, 0, time.UTC)
	b := XLSXFile(t, [][]any{
		{"Symbol", "Keyway", "Copy_Number", "Holder_Name", "Holder_Email", "Due_At", "Note"},
		{"XL1", "Schlage SC1", 1, "", "", "", "a note"},
		{"XL1", "Schlage SC1", 2, "Dana Ruiz", "dana@acme.test", due, ""},
		{},
		{"XL2", "Medeco M3", nil, "Kim Park", "kim.park@acme.test", "2026-03-12T10:00:00Z", ""},
		{"XL2", "Nope", 3, "", "", "", ""},
	})
	f, err := importer.Parse(bytes.NewReader(b), importer.XLSX)
	if err != nil {
		t.Fatal(err)
	}
	plan := importer.Check(f, lookups())
	want := []importer.RowError{{Row: 5, Column: "keyway", Rule: importer.RuleKeywayUnknown}}
	if plan.Rows != 4 || !reflect.DeepEqual(plan.Errors, want) {
		t.Fatalf("rows %d errors %+v", plan.Rows, plan.Errors)
	}
	plan = importer.Check(f, importer.Lookups{Keyways: map[string]string{"Schlage SC1": "a", "Medeco M3": "b", "Nope": "c"}, Holders: map[string]string{"dana@acme.test": "h"}})
	if len(plan.Errors) != 0 {
		t.Fatalf("errors %+v", plan.Errors)
	}
	k := plan.Keys[1]
	if k.Status != keyward.StatusCheckedOut || k.DueAt == nil || !k.DueAt.Equal(due) {
		t.Fatalf("date cell: %+v", k)
	}
	if _, err := importer.Parse(strings.NewReader("symbol,keyway\n"), importer.XLSX); keyward.ErrorCode(err) != keyward.EINVALID {
		t.Fatalf("CSV as XLSX: %v", err)
	}
}

// FuzzParse feeds arbitrary bytes through Parse and Check: neither may panic,
// errors are sorted and name known columns, and a plan never holds a key that
// breaks the rules or repeats a stamp.
func FuzzParse(f *testing.F) {
	for name := range SampleErrors {
		f.Add(sample(f, name))
	}
	f.Add([]byte("symbol;keyway;copy_number\n\"A\nB\";K;1\n"))
	f.Add([]byte("\xef\xbb\xbfsymbol,keyway,copy_number,holder_email,holder_name,due_at\nAA1,Schlage SC1,,x@y.z,X,2026-01-01T00:00:00Z\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		file, err := importer.Parse(bytes.NewReader(data), importer.CSV)
		if err != nil {
			if keyward.ErrorCode(err) != keyward.EINVALID {
				t.Fatalf("Parse error %v is not EINVALID", err)
			}
			return
		}
		plan := importer.Check(file, lookups())
		if plan.Errors == nil {
			t.Fatal("Errors is nil")
		}
		last := -1
		for _, e := range plan.Errors {
			if e.Row < last || e.Row < 0 || e.Rule == "" || !slices.Contains(importer.Columns, e.Column) {
				t.Fatalf("bad error %+v after row %d", e, last)
			}
			last = e.Row
		}
		if len(plan.Errors) > 0 {
			return
		}
		seen := map[string]bool{"AA1\x001": true}
		for _, k := range plan.Keys {
			var v keyward.Validator
			keyward.ValidSymbol(&v, "symbol", k.Symbol)
			stamp := k.Symbol + "\x00" + strconv.Itoa(k.CopyNumber)
			if v.Err() != nil || k.KeywayID == "" || k.CopyNumber < 1 || k.CopyNumber > importer.MaxCopyNumber || seen[stamp] {
				t.Fatalf("bad planned key %+v", k)
			}
			seen[stamp] = true
			if (k.DueAt != nil) != (k.Status == keyward.StatusCheckedOut) || (k.HolderID == "" && k.HolderEmail == "") != (k.Status == keyward.StatusInStorage) {
				t.Fatalf("bad status %+v", k)
			}
		}
		if plan.Rows != len(file.Rows) || len(plan.Keys) != plan.Rows {
			t.Fatalf("rows %d, keys %d", plan.Rows, len(plan.Keys))
		}
	})
}

// A keyway the importing user may not register copies of (Lookups.Refused)
// fails each row that names it, on the keyway column, with the rule given;
// the other rows are fine, and nothing is planned.
func TestCheckRefusedKeyway(t *testing.T) {
	f, err := importer.Parse(strings.NewReader("symbol,keyway\nAA2,Schlage SC1\nM1,Medeco M3\nM2,medeco m3\n"), importer.CSV)
	if err != nil {
		t.Fatal(err)
	}
	lk := lookups()
	lk.Refused = map[string]string{"kwy_m3": keyward.RuleCopyThroughRequest}
	plan := importer.Check(f, lk)
	want := []importer.RowError{
		{Row: 2, Column: "keyway", Rule: keyward.RuleCopyThroughRequest},
		{Row: 3, Column: "keyway", Rule: keyward.RuleCopyThroughRequest},
	}
	if !reflect.DeepEqual(plan.Errors, want) || plan.Keys != nil {
		t.Fatalf("errors = %+v, keys = %v; want %+v and no keys", plan.Errors, plan.Keys, want)
	}
	lk.Refused = nil
	if plan := importer.Check(f, lk); len(plan.Errors) != 0 || len(plan.Keys) != 3 {
		t.Fatalf("without refusals: %+v", plan)
	}
}
