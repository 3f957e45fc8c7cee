package importer

import (
	"bytes"
	"slices"
	"strings"
	"time"

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
// "body" when the file cannot be read as the format, or when a record it
// reads breaks a bound of limits.go.
func ReadHeader(content []byte, format Format, n int) (*Header, error) {
	h := &Header{}
	seen, row := false, 0
	err := eachRecord(bytes.NewReader(content), format, func(rec []string, _ int64, _ func(float64) (time.Time, bool)) error {
		if !seen {
			if blank(rec) {
				return nil
			}
			h.Cells, seen = slices.Clone(rec), true
			return nil
		}
		row++
		if blank(rec) {
			return nil
		}
		if len(h.Preview) >= n {
			return errStop
		}
		h.Preview = append(h.Preview, PreviewRow{N: row, Cells: slices.Clone(rec)})
		return nil
	})
	return h, err
}

// CheckBounds reads a whole file and reports the first bound of limits.go it
// breaks, or that it cannot be read as the format, as ReadHeader does.
func CheckBounds(content []byte, format Format) error {
	return eachRecord(bytes.NewReader(content), format, func([]string, int64, func(float64) (time.Time, bool)) error { return nil })
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

// ParseMapped parses a whole file as Parse does, with its header record
// renamed by ApplyMapping.
func ParseMapped(content []byte, format Format, m Mapping) (*File, error) {
	if m == nil {
		m = Mapping{}
	}
	return parse(bytes.NewReader(content), format, m)
}
