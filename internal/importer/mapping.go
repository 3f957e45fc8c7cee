package importer

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/csv"
	"encoding/hex"
	"errors"
	"io"
	"slices"
	"strings"

	"github.com/xuri/excelize/v2"

	"github.com/keyward/keyward/internal/keyward"
)

// Mapping says which column of a file holds each canonical column: Columns
// name → 0-based cell index of the header. A column left out is absent.
type Mapping map[string]int

// Header is a file's header record and the first data records after it.
type Header struct {
	Cells   []string
	Preview []PreviewRow
}

// PreviewRow is one data record as the file holds it.
type PreviewRow struct {
	N     int // 1-based data row, as RowError counts it
	Cells []string
}

// ReadHeader reads the header record of a file (its first record that is not
// blank) and up to n data records after it, skipping blank ones. EINVALID on
// "body" when the file cannot be read as the format.
func ReadHeader(content []byte, format Format, n int) (*Header, error) {
	h := &Header{}
	seen, row := false, 0
	err := eachRecord(content, format, func(rec []string, _ int64) bool {
		if !seen {
			if blank(rec) {
				return true
			}
			h.Cells, seen = slices.Clone(rec), true
			return true
		}
		row++
		if blank(rec) {
			return true
		}
		if len(h.Preview) >= n {
			return false
		}
		h.Preview = append(h.Preview, PreviewRow{N: row, Cells: slices.Clone(rec)})
		return true
	})
	return h, err
}

// Suggest maps each canonical column to the header cell the importer itself
// would read for it: the first cell whose trimmed name equals it, in any case.
func Suggest(header []string) Mapping {
	m := Mapping{}
	for i, cell := range header {
		name := strings.ToLower(strings.TrimSpace(cell))
		if _, taken := m[name]; !taken && slices.Contains(Columns, name) {
			m[name] = i
		}
	}
	return m
}

// ApplyMapping renames a header record: each mapped cell gets its canonical
// name, and any other cell that already carries a canonical name is blanked,
// so it is ignored. EINVALID when a column is mapped twice or out of range,
// or when the mapping names an unknown column.
func ApplyMapping(header []string, m Mapping) ([]string, error) {
	out := slices.Clone(header)
	for i, cell := range out {
		if slices.Contains(Columns, strings.ToLower(strings.TrimSpace(cell))) {
			out[i] = ""
		}
	}
	by := map[int]string{}
	for _, col := range Columns {
		i, ok := m[col]
		if !ok || i < 0 {
			continue
		}
		if i >= len(header) {
			return nil, keyward.Invalid(col, "must name a column of the file")
		}
		if prev, dup := by[i]; dup {
			return nil, keyward.Invalid(col, "uses the same column as "+prev)
		}
		by[i] = col
		out[i] = col
	}
	for col := range m {
		if !slices.Contains(Columns, col) {
			return nil, keyward.Invalid(col, "is not a column of an import")
		}
	}
	return out, nil
}

// ParseMapped parses a whole file as Parse does, after renaming its header
// with ApplyMapping. SHA256 is the digest of content as given.
func ParseMapped(content []byte, format Format, m Mapping) (*File, error) {
	mapped, err := remap(content, format, m)
	if err != nil {
		return nil, err
	}
	f, err := Parse(bytes.NewReader(mapped), format)
	if err != nil {
		return nil, err
	}
	sum := sha256.Sum256(content)
	f.SHA256 = hex.EncodeToString(sum[:])
	return f, nil
}

// remap returns content with its header record renamed.
func remap(content []byte, format Format, m Mapping) ([]byte, error) {
	var header []string
	var end int64 = -1 // CSV: the offset where the header record ends
	err := eachRecord(content, format, func(rec []string, off int64) bool {
		if blank(rec) {
			return true
		}
		header, end = slices.Clone(rec), off
		return false
	})
	if err != nil {
		return nil, err
	}
	if header == nil {
		return content, nil // no header: Parse reports every column missing
	}
	renamed, err := ApplyMapping(header, m)
	if err != nil {
		return nil, err
	}
	if format == XLSX {
		return remapXLSX(content, renamed)
	}
	body := bytes.TrimPrefix(content, bom)
	var b bytes.Buffer
	cw := csv.NewWriter(&b)
	cw.Comma = delimiter(body)
	if err := cw.Write(renamed); err != nil {
		return nil, err
	}
	cw.Flush()
	b.Write(body[end:])
	return b.Bytes(), nil
}

func remapXLSX(content []byte, header []string) (out []byte, err error) {
	notXLSX := keyward.Invalid("body", "is not an XLSX workbook")
	defer func() {
		if recover() != nil {
			err = notXLSX
		}
	}()
	wb, err := excelize.OpenReader(bytes.NewReader(content), excelize.Options{
		UnzipSizeLimit: MaxXLSXUnzipped, UnzipXMLSizeLimit: 16 << 20,
	})
	if err != nil {
		return nil, notXLSX
	}
	defer wb.Close()
	sheet := wb.GetSheetList()[0]
	it, err := wb.Rows(sheet)
	if err != nil {
		return nil, notXLSX
	}
	row := 0
	for it.Next() {
		row++
		rec, err := it.Columns()
		if err != nil {
			it.Close()
			return nil, notXLSX
		}
		if !blank(rec) {
			break
		}
	}
	it.Close()
	for i, name := range header {
		cell, err := excelize.CoordinatesToCellName(i+1, row)
		if err != nil {
			return nil, notXLSX
		}
		if err := wb.SetCellStr(sheet, cell, name); err != nil {
			return nil, notXLSX
		}
	}
	buf, err := wb.WriteToBuffer()
	if err != nil {
		return nil, notXLSX
	}
	return buf.Bytes(), nil
}

// eachRecord hands fn each record of content until fn returns false. For
// CSV, off is the byte offset (after any byte-order mark) where the record ends.
func eachRecord(content []byte, format Format, fn func(rec []string, off int64) bool) (err error) {
	if format == XLSX {
		notXLSX := keyward.Invalid("body", "is not an XLSX workbook")
		defer func() {
			if recover() != nil {
				err = notXLSX
			}
		}()
		wb, it, err := openSheet(content)
		if err != nil {
			return notXLSX
		}
		defer wb.Close()
		defer it.Close()
		for it.Next() {
			rec, err := it.Columns()
			if err != nil {
				return notXLSX
			}
			if !fn(rec, -1) {
				return nil
			}
		}
		if it.Error() != nil {
			return notXLSX
		}
		return nil
	}
	body := bytes.TrimPrefix(content, bom)
	cr := csv.NewReader(bufio.NewReader(bytes.NewReader(body)))
	cr.Comma = delimiter(body)
	cr.FieldsPerRecord = -1
	cr.LazyQuotes = true
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return csvError(err)
		}
		if !fn(rec, cr.InputOffset()) {
			return nil
		}
	}
}
