package importer_test

import (
	"bytes"
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
// as Suggest does reads the same rows, numbered alike, as the plain import;
// and the header ReadHeader shows is the one the import reads.
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
		h, herr := importer.ReadHeader(data, importer.CSV, 3, importer.Options{})
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
		// The header ReadHeader shows is the one Parse read; choosing it
		// explicitly reads the same rows; mapping it as Suggest does reads
		// the same rows, numbered alike.
		if file.HeaderRow != h.Row {
			t.Fatalf("Parse read header row %d, ReadHeader %d", file.HeaderRow, h.Row)
		}
		if h.Row == 0 {
			return
		}
		chosen, err := importer.ParseWith(bytes.NewReader(data), importer.CSV, importer.Options{HeaderRow: h.Row})
		if err != nil {
			t.Fatalf("ParseWith(HeaderRow %d) refused what Parse read: %v", h.Row, err)
		}
		if !reflect.DeepEqual(chosen.Rows, file.Rows) || !reflect.DeepEqual(chosen.Errors, file.Errors) || chosen.SHA256 != file.SHA256 {
			t.Fatalf("choosing the detected header reads other rows:\n%+v\n%+v", chosen.Rows, file.Rows)
		}
		m := importer.Suggest(h.Cells)
		mapped, err := importer.ParseWith(bytes.NewReader(data), importer.CSV, importer.Options{Mapping: m, HeaderRow: h.Row})
		if err != nil {
			t.Fatalf("ParseWith(Suggest) refused what Parse read: %v", err)
		}
		if len(mapped.Rows) != len(file.Rows) || mapped.SHA256 != file.SHA256 {
			t.Fatalf("mapped rows differ:\n%+v\n%+v", mapped.Rows, file.Rows)
		}
		for i := range mapped.Rows {
			if mapped.Rows[i].N != file.Rows[i].N || mapped.Rows[i].Keyway != file.Rows[i].Keyway {
				t.Fatalf("mapped row %+v, plain %+v", mapped.Rows[i], file.Rows[i])
			}
		}
	})
}

// FuzzHeaderDetection: whatever title rows stand above whatever header, the
// header ReadHeader finds is the one Parse reads, Suggest maps each field to
// its own cell of it, a header naming symbol and keyway by their own names
// right at the top is taken as it is, and a file refused is refused naming
// the body or header_row.
func FuzzHeaderDetection(f *testing.F) {
	f.Add("Key log 2026", "Key #,Key type,Tenant,Unit,Due", 0)
	f.Add("", "symbol,keyway,holder_name", 0)
	f.Add("Keys;;;", "Stamp;Blank;Holder;E-mail;Hook", 2)
	f.Add("symbol,keyway", "Key,Type,Type,Door", 1)
	f.Add("Name,Email", "Door,Unit,Room", 5)
	f.Fuzz(func(t *testing.T, title, header string, row int) {
		data := []byte(title + "\n" + header + "\nAA1,Schlage SC1,Dana,dana@acme.test,12/20/2026\n")
		opts := importer.Options{HeaderRow: row % 4}
		if opts.HeaderRow < 0 {
			opts.HeaderRow = -opts.HeaderRow
		}
		file, err := importer.ParseWith(bytes.NewReader(data), importer.CSV, opts)
		h, herr := importer.ReadHeader(data, importer.CSV, 3, opts)
		if (err == nil) != (herr == nil) {
			t.Fatalf("Parse: %v; ReadHeader: %v", err, herr)
		}
		if err != nil {
			var e *keyward.Error
			if !errors.As(err, &e) || e.Code != keyward.EINVALID || len(e.Fields) != 1 || (e.Fields[0].Field != "body" && e.Fields[0].Field != "header_row") {
				t.Fatalf("refused with %v", err)
			}
			return
		}
		if file.HeaderRow != h.Row {
			t.Fatalf("Parse read header row %d, ReadHeader %d", file.HeaderRow, h.Row)
		}
		m := importer.Suggest(h.Cells)
		used := map[int]bool{}
		for col, i := range m {
			if !slices.Contains(importer.Fields, col) || i < 0 || i >= len(h.Cells) || used[i] {
				t.Fatalf("Suggest(%q) = %v", h.Cells, m)
			}
			used[i] = true
		}
		o := importer.Options{Mapping: m}
		if err := o.Validate(); err != nil {
			t.Fatalf("Suggest's mapping is refused: %v", err)
		}
		if opts.HeaderRow == 0 && len(h.Top) > 0 {
			first := h.Top[0].Cells
			if slices.ContainsFunc(first, func(c string) bool { return strings.EqualFold(strings.TrimSpace(c), "symbol") }) &&
				slices.ContainsFunc(first, func(c string) bool { return strings.EqualFold(strings.TrimSpace(c), "keyway") }) && h.Row != 1 {
				t.Fatalf("the contract's header on the first row was not taken: row %d", h.Row)
			}
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
