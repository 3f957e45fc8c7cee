package importer_test

import (
	"bytes"
	"reflect"
	"testing"

	"github.com/xuri/excelize/v2"

	"github.com/keyward/keyward/internal/importer"
	"github.com/keyward/keyward/internal/keyward"
)

func TestSuggest(t *testing.T) {
	got := importer.Suggest([]string{" Symbol ", "Key", "KEYWAY", "symbol", "due_at"})
	want := importer.Mapping{"symbol": 0, "keyway": 2, "due_at": 4}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("Suggest = %v, want %v", got, want)
	}
}

const mappedCSV = "\xef\xbb\xbfKey;Profile;Copy;Name;E-mail;Due;symbol\n" +
	"AB1;Schlage SC1;2;Ann Lee;ann@acme.test;2030-01-01T09:00:00Z;zz\n" +
	";;;;;;\n" +
	"AB2;Medeco M3;;;;;\n"

func TestParseMapped(t *testing.T) {
	m := importer.Mapping{"symbol": 0, "keyway": 1, "copy_number": 2, "holder_name": 3, "holder_email": 4, "due_at": 5}
	h, err := importer.ReadHeader([]byte(mappedCSV), importer.CSV, 5, importer.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(h.Cells) != 7 || h.Cells[0] != "Key" || len(h.Preview) != 2 || h.Preview[1].N != 3 || h.Preview[1].Cells[0] != "AB2" {
		t.Fatalf("ReadHeader = %+v", h)
	}
	f, err := importer.ParseMapped([]byte(mappedCSV), importer.CSV, m)
	if err != nil {
		t.Fatal(err)
	}
	plan := importer.Check(f, lookups())
	if len(plan.Errors) != 0 || len(plan.Keys) != 2 || len(plan.Holders) != 1 {
		t.Fatalf("plan = %+v", plan)
	}
	k := plan.Keys[0]
	if k.Symbol != "AB1" || k.CopyNumber != 2 || k.KeywayID != "kwy_sc1" || k.Status != keyward.StatusCheckedOut || plan.Keys[1].Row != 3 {
		t.Fatalf("keys = %+v", plan.Keys)
	}
	plain, _ := importer.Parse(bytes.NewReader([]byte(mappedCSV)), importer.CSV)
	if f.SHA256 != plain.SHA256 {
		t.Error("ParseMapped's digest is not the upload's")
	}
	// Without a keyway column the header is reported, as Parse does.
	f, err = importer.ParseMapped([]byte(mappedCSV), importer.CSV, importer.Mapping{"symbol": 0})
	if err != nil {
		t.Fatal(err)
	}
	if plan := importer.Check(f, lookups()); len(plan.Errors) != 1 || plan.Errors[0] != (importer.RowError{Row: 0, Column: "keyway", Rule: importer.RuleColumnMissing}) {
		t.Fatalf("errors = %+v", plan.Errors)
	}
}

func TestParseMappedXLSX(t *testing.T) {
	wb := excelize.NewFile()
	rows := [][]any{{"Key", "Profile", "Due", "E-mail", "Name"}, {"CD1", "Medeco M3", 47119.375, "ann@acme.test", "Ann"}}
	for i, r := range rows {
		cell, _ := excelize.CoordinatesToCellName(1, i+2) // the header is on row 2
		if err := wb.SetSheetRow("Sheet1", cell, &r); err != nil {
			t.Fatal(err)
		}
	}
	buf, err := wb.WriteToBuffer()
	if err != nil {
		t.Fatal(err)
	}
	h, err := importer.ReadHeader(buf.Bytes(), importer.XLSX, 5, importer.Options{})
	if err != nil || len(h.Cells) != 5 || h.Cells[2] != "Due" || len(h.Preview) != 1 {
		t.Fatalf("ReadHeader = %+v, %v", h, err)
	}
	f, err := importer.ParseMapped(buf.Bytes(), importer.XLSX, importer.Mapping{"symbol": 0, "keyway": 1, "due_at": 2, "holder_email": 3, "holder_name": 4})
	if err != nil {
		t.Fatal(err)
	}
	plan := importer.Check(f, lookups())
	if len(plan.Errors) != 0 || len(plan.Keys) != 1 || plan.Keys[0].DueAt == nil || plan.Keys[0].DueAt.Format("2006-01-02T15:04") != "2029-01-01T09:00" {
		t.Fatalf("plan = %+v, errors %+v", plan, plan.Errors)
	}
}
