package importer

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/csv"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/keyward/keyward/internal/keyward"
)

// Format is the kind of spreadsheet uploaded.
type Format int

const (
	CSV  Format = iota
	XLSX        // Office Open XML workbook; the first sheet is read
)

// Media types of the two formats.
const (
	MediaCSV  = "text/csv"
	MediaXLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
)

// Parse reads a whole spreadsheet and checks each row on its own. The error is
// an EINVALID on "body" when the file cannot be read as the format at all or
// breaks one of the bounds of limits.go, or the reader's own error (for
// example *http.MaxBytesError), wrapped. A CSV file is streamed; an XLSX file
// is read whole (a zip needs its directory) and its XML streamed.
func Parse(r io.Reader, format Format) (*File, error) {
	return ParseWith(r, format, Options{})
}

// ParseWith is Parse with the choices of the mapping step or the API's
// parameters. EINVALID naming the parameter when opts are not valid.
func ParseWith(r io.Reader, format Format, opts Options) (*File, error) {
	if err := opts.Validate(); err != nil {
		return nil, err
	}
	h := sha256.New()
	r = io.TeeReader(r, h)
	f := &File{Options: opts}
	p := &rows{f: f, opts: opts}
	if err := eachRecord(r, format, func(rec []string, _ int64, serial func(float64) (time.Time, bool)) error {
		p.serial = serial
		return p.record(rec)
	}); err != nil {
		return nil, err
	}
	if err := p.end(); err != nil {
		return nil, err
	}
	// Read what a reader left, so the digest covers the whole upload.
	if _, err := io.Copy(io.Discard, r); err != nil {
		return nil, readError(err)
	}
	f.SHA256 = hex.EncodeToString(h.Sum(nil))
	return f, nil
}

var bom = []byte("\xef\xbb\xbf")

// errStop ends eachRecord early without an error.
var errStop = errors.New("importer: stop")

// eachRecord hands fn each record of a file within the bounds of limits.go,
// until fn returns an error (errStop ends it quietly). off is, for CSV, the
// byte offset (after any byte-order mark) where the record ends; serial, for
// XLSX, turns a date cell's serial number into a time.
func eachRecord(r io.Reader, format Format, fn func(rec []string, off int64, serial func(float64) (time.Time, bool)) error) error {
	var err error
	if format == XLSX {
		err = eachXLSX(r, fn)
	} else {
		err = eachCSV(r, func(rec []string, off int64) error { return fn(rec, off, nil) })
	}
	if errors.Is(err, errStop) {
		return nil
	}
	return err
}

// eachCSV streams CSV records. No record is held longer than MaxRowBytes plus
// the read buffer: the guard refuses to read further into an unfinished record.
func eachCSV(r io.Reader, fn func(rec []string, off int64) error) error {
	g := &guard{r: r, limit: MaxRowBytes + 64<<10}
	br := bufio.NewReaderSize(g, 64<<10)
	skip := int64(0)
	if b, _ := br.Peek(len(bom)); bytes.Equal(b, bom) {
		_, _ = br.Discard(len(bom))
		skip = int64(len(bom))
	}
	first, err := br.Peek(64 << 10)
	if err != nil && !errors.Is(err, io.EOF) && !errors.Is(err, bufio.ErrBufferFull) && !errors.Is(err, errTooLong) {
		return readError(err)
	}
	cr := csv.NewReader(br)
	cr.Comma = delimiter(first)
	cr.FieldsPerRecord = -1
	cr.LazyQuotes = true // a bare quote, as in 5" brass, is text
	cr.ReuseRecord = true
	var cells counter
	var prev int64
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if errors.Is(err, errTooLong) {
			return bodyRule(RuleRowBytes)
		}
		if err != nil {
			return csvError(err)
		}
		off := cr.InputOffset()
		if off-prev > MaxRowBytes {
			return bodyRule(RuleRowBytes)
		}
		prev, g.mark = off, off+skip
		if err := cells.record(rec); err != nil {
			return err
		}
		if err := fn(rec, off); err != nil {
			return err
		}
	}
}

// delimiter picks comma, semicolon or tab: whichever the header line holds most
// often outside quotes. A tie or none is a comma.
func delimiter(b []byte) rune {
	if i := bytes.IndexAny(b, "\r\n"); i >= 0 {
		b = b[:i]
	}
	counts := map[byte]int{}
	quoted := false
	for _, c := range b {
		switch {
		case c == '"':
			quoted = !quoted
		case !quoted:
			counts[c]++
		}
	}
	best := byte(',')
	for _, c := range []byte{';', '\t'} {
		if counts[c] > counts[best] {
			best = c
		}
	}
	return rune(best)
}

func csvError(err error) error {
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		return keyward.Invalid("body", fmt.Sprintf("is not valid CSV (line %d: %v)", pe.Line, pe.Err))
	}
	return readError(err)
}

// readError passes the upload's own errors (a size limit, a broken connection) up, wrapped.
func readError(err error) error {
	return fmt.Errorf("importer: read: %w", err)
}

// eachXLSX reads a workbook and streams the rows of its first sheet.
func eachXLSX(r io.Reader, fn func(rec []string, off int64, serial func(float64) (time.Time, bool)) error) error {
	b, err := io.ReadAll(r)
	if err != nil {
		return readError(err)
	}
	var cells counter
	wb, err := openWorkbook(b, &cells)
	if err != nil {
		return err
	}
	serial := func(v float64) (time.Time, bool) {
		t, err := excelize.ExcelDateToTime(v, wb.date1904)
		return t.UTC(), err == nil && v >= 1
	}
	return wb.eachRow(func(rec []string) error {
		if err := cells.record(rec); err != nil {
			return err
		}
		return fn(rec, -1, serial)
	})
}
