package importer_test

import (
	"bytes"
	"encoding/csv"
	"errors"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/keyward/keyward/internal/importer"
	"github.com/keyward/keyward/internal/keyward"
)

// FuzzImportCSV feeds arbitrary bytes to the CSV importer and to the mapping
// step. Whatever the bytes: no panic; a refusal is an EINVALID naming body;
// every error names a real row and column; and mapping the file's own header
// as Suggest does reads the same rows as the plain import.
func FuzzImportCSV(f *testing.F) {
	for _, name := range []string{"keys_clean.csv", "bom_semicolon.csv", "duplicate_copies.csv", "unknown_holders.csv", "bad_values.csv", "missing_column.csv"} {
		f.Add(sample(f, name))
	}
	for _, s := range []string{
		"", "\n\n", "symbol,keyway\n", "\xef\xbb\xbfsymbol;keyway;copy_number\nAA1;Schlage SC1;2\n",
		"symbol\tkeyway\tdue_at\nAA1\tSchlage SC1\t2026-05-01T17:00:00Z\n",
		"Symbol , KEYWAY,symbol\n\"AA1\",\"Schlage \"\"SC1\"\"\",x\n",
		"symbol,keyway\n\"unterminated\n", "symbol,keyway\n5\" brass,a\"b\n",
		"symbol,keyway,holder_name,holder_email\nAA1,Medeco M3,\xff\xfe,dana@acme.test\n",
		"symbol,keyway\r\nAA1,Schlage SC1\r\n\r\n,\r\n", "symbol,keyway\n" + strings.Repeat(",", 300) + "\n",
		"symbol,keyway\n\"" + strings.Repeat("\n", 70_000) + "\"\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		file, err := importer.Parse(bytes.NewReader(data), importer.CSV)
		h, herr := importer.ReadHeader(data, importer.CSV, 3)
		if err != nil {
			var e *keyward.Error
			if !errors.As(err, &e) || e.Code != keyward.EINVALID || len(e.Fields) != 1 || e.Fields[0].Field != "body" {
				t.Fatalf("Parse refused with %v", err)
			}
			return
		}
		if herr != nil {
			t.Fatalf("Parse read the file, ReadHeader refused it: %v", herr)
		}
		if len(file.Rows) > importer.MaxRows {
			t.Fatalf("%d rows", len(file.Rows))
		}
		plan := importer.Check(file, importer.Lookups{Keyways: map[string]string{"Schlage SC1": "kwy_1"}})
		last := file.Rows
		for i, e := range plan.Errors {
			if !slices.Contains(importer.Columns, e.Column) || e.Rule == "" || e.Row < 0 || (len(last) > 0 && e.Row > last[len(last)-1].N) {
				t.Fatalf("error %+v", e)
			}
			if i > 0 && plan.Errors[i-1].Row > e.Row {
				t.Fatalf("errors out of order: %+v", plan.Errors)
			}
		}
		if len(plan.Errors) == 0 && len(plan.Keys) != len(file.Rows) {
			t.Fatalf("a clean plan of %d rows has %d keys", len(file.Rows), len(plan.Keys))
		}
		// The header as the importer reads it, mapped onto itself, reads the same rows.
		m := importer.Suggest(h.Cells)
		mapped, err := importer.ParseMapped(data, importer.CSV, m)
		if err != nil {
			t.Fatalf("ParseMapped(Suggest) refused what Parse read: %v", err)
		}
		if !reflect.DeepEqual(mapped.Rows, file.Rows) || mapped.SHA256 != file.SHA256 {
			t.Fatalf("mapped rows differ:\n%+v\n%+v", mapped.Rows, file.Rows)
		}
	})
}

// FuzzApplyMapping: a mapping either is refused naming one of its columns, or
// renames the header so that Suggest finds exactly that mapping again.
func FuzzApplyMapping(f *testing.F) {
	f.Add("Symbol,Keyway,Holder", 0, 1, -1, -1, 2, -1)
	f.Add("a,b,c,d,e,f", 5, 4, 3, 2, 1, 0)
	f.Add("symbol,keyway,symbol", 2, 0, -1, -1, -1, -1)
	f.Add(" KEYWAY ;x", 1, 1, -1, -1, -1, -1)
	f.Add("", 0, -1, -1, -1, -1, -1)
	f.Fuzz(func(t *testing.T, header string, s, k, c, hn, he, d int) {
		cells, err := csv.NewReader(strings.NewReader(header)).Read()
		if err != nil {
			cells = nil
		}
		m := importer.Mapping{}
		for i, v := range []int{s, k, c, hn, he, d} {
			if v >= 0 {
				m[importer.Columns[i]] = v
			}
		}
		out, err := importer.ApplyMapping(cells, m)
		if err != nil {
			var e *keyward.Error
			if !errors.As(err, &e) || e.Code != keyward.EINVALID || len(e.Fields) != 1 || m[e.Fields[0].Field] < 0 {
				t.Fatalf("refused with %v", err)
			}
			if _, ok := m[e.Fields[0].Field]; !ok {
				t.Fatalf("refusal names %q, not a mapped column", e.Fields[0].Field)
			}
			return
		}
		if len(out) != len(cells) {
			t.Fatalf("%d cells became %d", len(cells), len(out))
		}
		if got := importer.Suggest(out); !reflect.DeepEqual(got, m) {
			t.Fatalf("Suggest(ApplyMapping(%q, %v)) = %v", cells, m, got)
		}
	})
}

// TestBoundRules: each rule states its bound's number, so the two cannot drift apart.
func TestBoundRules(t *testing.T) {
	for rule, n := range map[string]string{
		importer.RuleRowBytes:         strconv.Itoa(importer.MaxRowBytes) + " bytes",
		importer.RuleRowCells:         strconv.Itoa(importer.MaxRowCells) + " cells",
		importer.RuleCells:            strconv.Itoa(importer.MaxCells) + " cells",
		importer.RuleXLSXUnzipped:     strconv.Itoa(importer.MaxXLSXUnzipped>>20) + " MiB",
		importer.RuleXLSXSharedString: strconv.Itoa(importer.MaxXLSXSharedStrings>>20) + " MiB",
		importer.RuleXLSXParts:        strconv.Itoa(importer.MaxXLSXParts) + " parts",
	} {
		if !strings.HasSuffix(rule, "at most "+n) {
			t.Errorf("rule %q does not state %s", rule, n)
		}
	}
}
