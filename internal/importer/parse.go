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
// an EINVALID on "body" when the file cannot be read as the format at all, or
// the reader's own error (for example *http.MaxBytesError), wrapped.
func Parse(r io.Reader, format Format) (*File, error) {
	h := sha256.New()
	r = io.TeeReader(r, h)
	f := &File{}
	var err error
	switch format {
	case XLSX:
		err = parseXLSX(r, f)
	default:
		err = parseCSV(r, f)
	}
	if err != nil {
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

func parseCSV(r io.Reader, f *File) error {
	br := bufio.NewReaderSize(r, 64<<10)
	if b, _ := br.Peek(len(bom)); bytes.Equal(b, bom) {
		_, _ = br.Discard(len(bom))
	}
	first, err := br.Peek(64 << 10)
	if err != nil && !errors.Is(err, io.EOF) && !errors.Is(err, bufio.ErrBufferFull) {
		return readError(err)
	}
	cr := csv.NewReader(br)
	cr.Comma = delimiter(first)
	cr.FieldsPerRecord = -1
	cr.LazyQuotes = true // a bare quote, as in 5" brass, is text
	cr.ReuseRecord = true
	p := &rows{f: f}
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			return p.end()
		}
		if err != nil {
			return csvError(err)
		}
		if err := p.record(rec); err != nil {
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

// MaxXLSXUnzipped bounds the unpacked size of a workbook, against zip bombs.
const MaxXLSXUnzipped = 256 << 20

// openSheet opens an uploaded workbook at the rows of its first sheet, with
// limits against zip bombs. The caller closes both and recovers from panics
// of the parser while it reads.
func openSheet(content []byte) (*excelize.File, *excelize.Rows, error) {
	wb, err := excelize.OpenReader(bytes.NewReader(content), excelize.Options{
		RawCellValue: true, UnzipSizeLimit: MaxXLSXUnzipped, UnzipXMLSizeLimit: 16 << 20,
	})
	if err != nil {
		return nil, nil, err
	}
	sheets := wb.GetSheetList()
	if len(sheets) == 0 {
		wb.Close()
		return nil, nil, errors.New("importer: the workbook has no sheet")
	}
	it, err := wb.Rows(sheets[0])
	if err != nil {
		wb.Close()
		return nil, nil, err
	}
	return wb, it, nil
}

func parseXLSX(r io.Reader, f *File) (err error) {
	b, err := io.ReadAll(r)
	if err != nil {
		return readError(err)
	}
	notXLSX := keyward.Invalid("body", "is not an XLSX workbook")
	// The workbook is untrusted input to a large parser: a panic in it is a bad file.
	defer func() {
		if recover() != nil {
			err = notXLSX
		}
	}()
	wb, it, err := openSheet(b)
	if err != nil {
		return notXLSX
	}
	defer wb.Close()
	defer it.Close()
	date1904 := false
	if props, err := wb.GetWorkbookProps(); err == nil && props.Date1904 != nil {
		date1904 = *props.Date1904
	}
	p := &rows{f: f, serial: func(v float64) (time.Time, bool) {
		t, err := excelize.ExcelDateToTime(v, date1904)
		return t.UTC(), err == nil && v >= 1
	}}
	for it.Next() {
		rec, err := it.Columns()
		if err != nil {
			return notXLSX
		}
		if err := p.record(rec); err != nil {
			return err
		}
	}
	if it.Error() != nil {
		return notXLSX
	}
	return p.end()
}
