package importer

import (
	"errors"
	"io"
	"strings"

	"github.com/keyward/keyward/internal/keyward"
)

// Bounds of one upload, so that a hostile file is refused within bounded
// memory while the importer streams it. A spreadsheet of 20,000 keys stays far
// inside every one: 20,000 rows of 10 filled columns are 200,000 cells in rows
// of under 200 bytes, and as an XLSX they unpack to 10 MiB (7 MiB of sheet
// and 2.6 MiB of shared strings).
const (
	// MaxRowBytes bounds one row as the file holds it (a CSV record with its
	// separators and quotes) and the text of its cells (XLSX).
	MaxRowBytes = 64 << 10
	// MaxRowCells bounds the cells of a row up to its last filled one: empty
	// cells after it are not counted (a spreadsheet often pads rows).
	MaxRowCells = 256
	// MaxCells bounds the cells of a whole file, counted as for MaxRowCells
	// with an empty row counting one; the shared strings of a workbook count too.
	MaxCells = 2_000_000
	// MaxXLSXUnzipped bounds the unpacked size of all parts of a workbook, as
	// its zip directory declares them (archive/zip refuses a part that unpacks
	// to more than it declares), against zip bombs.
	MaxXLSXUnzipped = 64 << 20
	// MaxXLSXSharedStrings bounds the unpacked shared strings part, which is
	// held in memory while the sheet is read.
	MaxXLSXSharedStrings = 16 << 20
	// MaxXLSXParts bounds the files in a workbook's zip.
	MaxXLSXParts = 10_000
	// maxXMLToken bounds one token of a workbook's XML (a cell's text is at
	// most 32,767 characters in Excel; escaped, under 200 KiB).
	maxXMLToken = 1 << 20
)

// Rules of the bounds, reported on the field "body".
const (
	RuleRowBytes         = "a row may have at most 65536 bytes"
	RuleRowCells         = "a row may have at most 256 cells"
	RuleCells            = "a file may have at most 2000000 cells"
	RuleXLSXUnzipped     = "a workbook may unpack to at most 64 MiB"
	RuleXLSXSharedString = "a workbook's shared strings may unpack to at most 16 MiB"
	RuleXLSXParts        = "a workbook may have at most 10000 parts"
	RuleNotXLSX          = "is not an XLSX workbook"
)

func bodyRule(rule string) error { return keyward.Invalid("body", rule) }

// errTooLong is the guard's refusal to read further into one row or token.
var errTooLong = errors.New("importer: row or token too long")

// guard is a reader that refuses to read more than limit bytes past mark,
// so a parser that buffers a whole row (encoding/csv) or token (encoding/xml)
// never holds more than limit plus its buffer. The caller moves mark to the
// end of each row or token it has been handed.
type guard struct {
	r     io.Reader
	limit int64
	read  int64 // bytes handed out
	mark  int64
}

func (g *guard) Read(p []byte) (int, error) {
	room := g.mark + g.limit - g.read
	if room <= 0 {
		return 0, errTooLong
	}
	if int64(len(p)) > room {
		p = p[:room]
	}
	n, err := g.r.Read(p)
	g.read += int64(n)
	return n, err
}

// counter applies MaxRowCells, MaxRowBytes (on cell text) and MaxCells to
// the records of one file.
type counter struct{ cells int }

func (c *counter) record(rec []string) error {
	n := filled(rec)
	if n > MaxRowCells {
		return bodyRule(RuleRowCells)
	}
	size := 0
	for _, v := range rec[:n] {
		size += len(v)
	}
	if size > MaxRowBytes {
		return bodyRule(RuleRowBytes)
	}
	return c.add(max(n, 1))
}

func (c *counter) add(n int) error {
	c.cells += n
	if c.cells > MaxCells {
		return bodyRule(RuleCells)
	}
	return nil
}

// filled is the number of cells up to the last one that is not blank.
func filled(rec []string) int {
	n := len(rec)
	for n > 0 && strings.TrimSpace(rec[n-1]) == "" {
		n--
	}
	return n
}
