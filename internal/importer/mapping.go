package importer

import (
	"bytes"
	"fmt"
	"slices"
	"time"

	"github.com/keyward/keyward/internal/keyward"
)

// Mapping says which column of a file holds each field: Fields name →
// 0-based cell index of the header. A field left out is absent.
type Mapping map[string]int

// Header is a file's header record, the first data records after it, and
// the first rows of the file, to choose another header from.
type Header struct {
	// Row is the header's place among the rows that are not blank (1: the first).
	Row   int
	Cells []string
	// Preview are the first data records after the header.
	Preview []PreviewRow
	// Top are the first MaxHeaderSearch rows that are not blank; N counts them from 1.
	Top []PreviewRow
}

// PreviewRow is one data record as the file holds it.
type PreviewRow struct {
	N     int // 1-based data row, as RowError counts it
	Cells []string
}

// ReadHeader reads the header record of a file, as an import with opts reads
// it (HeaderRow, or detected), and up to n data records after it, skipping
// blank ones. EINVALID on "body" when the file cannot be read as the format,
// or when a record it reads breaks a bound of limits.go; on "header_row" when
// the file has fewer rows.
func ReadHeader(content []byte, format Format, n int, opts Options) (*Header, error) {
	h := &Header{}
	var recs [][]string // from the first record that is not blank; nil for a blank one
	var filled []int    // index in recs of each record that is not blank
	limit := max(MaxHeaderSearch, opts.HeaderRow) + n
	err := eachRecord(bytes.NewReader(content), format, func(rec []string, _ int64, _ func(float64) (time.Time, bool)) error {
		if blank(rec) {
			if len(recs) > 0 {
				recs = append(recs, nil)
			}
			return nil
		}
		if len(filled) >= limit {
			return errStop
		}
		filled = append(filled, len(recs))
		recs = append(recs, slices.Clone(rec))
		return nil
	})
	if err != nil || len(filled) == 0 {
		return h, err
	}
	if opts.HeaderRow > len(filled) {
		return h, keyward.Invalid("header_row", fmt.Sprintf("the file has %s that %s not blank", plural(len(filled), "row"), isAre(len(filled))))
	}
	for i, at := range filled[:min(len(filled), MaxHeaderSearch)] {
		h.Top = append(h.Top, PreviewRow{N: i + 1, Cells: recs[at]})
	}
	h.Row = opts.HeaderRow
	if h.Row == 0 {
		h.Row = detect(h.Top)
	}
	at := filled[h.Row-1]
	h.Cells = recs[at]
	// The data rows after the header, numbered as RowError counts them.
	for i, rec := range recs[at+1:] {
		if rec == nil {
			continue
		}
		if len(h.Preview) >= n {
			break
		}
		h.Preview = append(h.Preview, PreviewRow{N: i + 1, Cells: rec})
	}
	return h, nil
}

// detect is the header's place among the first rows: the first when it is the contract's own header, else the one that names
// most columns (the first of equals; the first when none names any).
func detect(top []PreviewRow) int {
	if canonical(top[0].Cells) {
		return 1
	}
	best, bestScore := 1, 0
	for i, r := range top {
		if s := score(r.Cells); s > bestScore {
			best, bestScore = i+1, s
		}
	}
	return best
}

// CheckBounds reads a whole file and reports the first bound of limits.go it
// breaks, or that it cannot be read as the format, as ReadHeader does.
func CheckBounds(content []byte, format Format) error {
	return eachRecord(bytes.NewReader(content), format, func([]string, int64, func(float64) (time.Time, bool)) error { return nil })
}

// Suggest maps each field to the header cell the importer itself would read
// for it: the cell carrying its own name, else the first whose words name it
// ("Key #", "Tenant", "Unit").
func Suggest(header []string) Mapping {
	index, _, _ := match(header)
	return Mapping(index)
}

// ParseMapped parses a whole file as Parse does, with each field read from
// the column m chooses.
func ParseMapped(content []byte, format Format, m Mapping) (*File, error) {
	if m == nil {
		m = Mapping{}
	}
	return ParseWith(bytes.NewReader(content), format, Options{Mapping: m})
}
