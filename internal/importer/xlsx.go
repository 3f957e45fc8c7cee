package importer

import (
	"archive/zip"
	"bufio"
	"bytes"
	"encoding/xml"
	"errors"
	"io"
	"path"
	"strconv"
	"strings"
)

// workbook reads the first sheet of an XLSX file as records of raw cell
// values, streaming its XML, within the bounds of limits.go: the shared
// strings are the only part it keeps, and no other part is parsed.
type workbook struct {
	files    map[string]*zip.File // by lower-case name
	sheet    *zip.File
	date1904 bool
	// The shared strings: text[ends[i-1]:ends[i]] is string i.
	text []byte
	ends []uint32
}

var notXLSX = bodyRule(RuleNotXLSX)

// openWorkbook checks the zip directory against the bounds and reads the
// workbook part, its relationships and the shared strings.
func openWorkbook(content []byte, cells *counter) (*workbook, error) {
	if !bytes.HasPrefix(content, []byte("PK\x03\x04")) {
		return nil, notXLSX
	}
	// Every directory entry starts with this signature, so its count bounds
	// what zip.NewReader would hold before it is asked to.
	if bytes.Count(content, []byte("PK\x01\x02")) > MaxXLSXParts {
		return nil, bodyRule(RuleXLSXParts)
	}
	zr, err := zip.NewReader(bytes.NewReader(content), int64(len(content)))
	if err != nil {
		return nil, notXLSX
	}
	wb := &workbook{files: map[string]*zip.File{}}
	var total uint64
	for _, f := range zr.File {
		total += f.UncompressedSize64
		if total > MaxXLSXUnzipped || f.UncompressedSize64 > MaxXLSXUnzipped {
			return nil, bodyRule(RuleXLSXUnzipped)
		}
		wb.files[strings.ToLower(strings.TrimPrefix(strings.ReplaceAll(f.Name, `\`, "/"), "/"))] = f
	}
	book := wb.target(wb.relations("_rels/.rels", "officeDocument"), "", "xl/workbook.xml")
	sheetID, err := wb.readBook(book)
	if err != nil {
		return nil, err
	}
	rels := path.Join(path.Dir(book), "_rels", path.Base(book)+".rels")
	targets := wb.relations(rels, "")
	wb.sheet = wb.files[wb.target(targets, sheetID, "")]
	if wb.sheet == nil {
		return nil, notXLSX
	}
	sst := wb.files[wb.target(targets, "sharedStrings", path.Join(path.Dir(book), "sharedStrings.xml"))]
	if sst != nil {
		if err := wb.readStrings(sst, cells); err != nil {
			return nil, err
		}
	}
	return wb, nil
}

// target resolves the relationship key (an id, or a type's last word) among
// targets found in a part beside dir; def when there is none.
func (wb *workbook) target(targets map[string]string, key, def string) string {
	t, ok := targets[key]
	if !ok {
		return def
	}
	return t
}

// relations reads a .rels part: each relationship's target, resolved against
// the folder the part describes, by id and by the last word of its type
// (only the first of each type). want, when set, keeps only that type.
func (wb *workbook) relations(name, want string) map[string]string {
	out := map[string]string{}
	f := wb.files[name]
	if f == nil {
		return out
	}
	base := path.Dir(path.Dir(name)) // xl/_rels/workbook.xml.rels describes xl/
	_ = eachToken(f, func(_ *xml.Decoder, tok xml.Token) error {
		el, ok := tok.(xml.StartElement)
		if !ok || el.Name.Local != "Relationship" {
			return nil
		}
		id, typ, target := attr(el, "Id"), attr(el, "Type"), attr(el, "Target")
		if target == "" || attr(el, "TargetMode") == "External" {
			return nil
		}
		typ = typ[strings.LastIndex(typ, "/")+1:]
		if want != "" && typ != want {
			return nil
		}
		if strings.HasPrefix(target, "/") {
			target = path.Clean(target[1:])
		} else {
			target = path.Join(base, target)
		}
		target = strings.ToLower(target)
		out[id] = target
		if _, seen := out[typ]; !seen {
			out[typ] = target
		}
		return nil
	})
	if want != "" {
		if t, ok := out[want]; ok {
			return map[string]string{"": t}
		}
		return map[string]string{}
	}
	return out
}

// readBook finds the relationship id of the first sheet and the date system.
func (wb *workbook) readBook(name string) (string, error) {
	f := wb.files[name]
	if f == nil {
		return "", notXLSX
	}
	var sheetID string
	errDone := errors.New("done")
	err := eachToken(f, func(_ *xml.Decoder, tok xml.Token) error {
		el, ok := tok.(xml.StartElement)
		if !ok {
			return nil
		}
		switch el.Name.Local {
		case "workbookPr":
			v := attr(el, "date1904")
			wb.date1904 = v == "1" || v == "true"
		case "sheet":
			for _, a := range el.Attr {
				if a.Name.Local == "id" && a.Name.Space != "" {
					sheetID = a.Value
					return errDone
				}
			}
		}
		return nil
	})
	if (err != nil && err != errDone) || sheetID == "" {
		return "", notXLSX
	}
	return sheetID, nil
}

// readStrings reads the shared strings: the text of each <si>, its runs
// joined, phonetic runs left out.
func (wb *workbook) readStrings(f *zip.File, cells *counter) error {
	if f.UncompressedSize64 > MaxXLSXSharedStrings {
		return bodyRule(RuleXLSXSharedString)
	}
	wb.text = make([]byte, 0, f.UncompressedSize64) // the text is never longer than its XML
	wb.ends = make([]uint32, 0, min(f.UncompressedSize64/len64("<si/>"), MaxCells))
	depthT, phonetic := 0, 0
	return eachToken(f, func(_ *xml.Decoder, tok xml.Token) error {
		switch el := tok.(type) {
		case xml.StartElement:
			switch el.Name.Local {
			case "t":
				depthT++
			case "rPh":
				phonetic++
			}
		case xml.EndElement:
			switch el.Name.Local {
			case "t":
				depthT--
			case "rPh":
				phonetic--
			case "si":
				if err := cells.add(1); err != nil {
					return err
				}
				wb.ends = append(wb.ends, uint32(len(wb.text)))
			}
		case xml.CharData:
			if depthT > 0 && phonetic == 0 && len(wb.text)+len(el) <= cap(wb.text) {
				wb.text = append(wb.text, el...)
			}
		}
		return nil
	})
}

func len64(s string) uint64 { return uint64(len(s)) }

func (wb *workbook) sharedString(s string) (string, bool) {
	i, err := strconv.Atoi(strings.TrimSpace(s))
	if err != nil || i < 0 || i >= len(wb.ends) {
		return "", false
	}
	start := uint32(0)
	if i > 0 {
		start = wb.ends[i-1]
	}
	return string(wb.text[start:wb.ends[i]]), true
}

// maxSheetRow is the last row of a worksheet.
const maxSheetRow = 1 << 20

// eachRow hands fn each row of the sheet as raw cell values, rows missing
// from the file as empty records, as a spreadsheet shows them. A cell past
// MaxRowCells or a row of more than MaxRowBytes of text is refused before it
// is kept.
func (wb *workbook) eachRow(fn func([]string) error) error {
	var (
		rec          []string
		row, size    int  // the current row's number and text bytes
		inRow, inC   bool // inside <row>, <c>
		col          int  // the current cell's column, 1-based
		typ          string
		val          strings.Builder
		inV, inT, ph int // depth in <v>, <t>, <rPh>
	)
	err := eachToken(wb.sheet, func(_ *xml.Decoder, tok xml.Token) error {
		switch el := tok.(type) {
		case xml.StartElement:
			switch el.Name.Local {
			case "row":
				n := row + 1
				if r := attr(el, "r"); r != "" {
					var err error
					if n, err = strconv.Atoi(r); err != nil || n <= row || n > maxSheetRow {
						return notXLSX
					}
				}
				for row++; row < n; row++ {
					if err := fn(nil); err != nil {
						return err
					}
				}
				inRow, rec, size, col = true, rec[:0], 0, 0
			case "c":
				if !inRow {
					return nil
				}
				inC, typ = true, attr(el, "t")
				val.Reset()
				col++
				if r := attr(el, "r"); r != "" {
					c, ok := column(r)
					if !ok {
						return notXLSX
					}
					col = c
				}
			case "v":
				inV++
			case "t":
				inT++
			case "rPh":
				ph++
			}
		case xml.EndElement:
			switch el.Name.Local {
			case "row":
				if inRow {
					inRow = false
					return fn(rec)
				}
			case "c":
				if !inC {
					return nil
				}
				inC = false
				v := val.String()
				if typ == "s" {
					s, ok := wb.sharedString(v)
					if !ok {
						return notXLSX
					}
					v = s
				}
				if v == "" {
					return nil
				}
				if col > MaxRowCells && strings.TrimSpace(v) != "" {
					return bodyRule(RuleRowCells)
				}
				if size += len(v); size > MaxRowBytes {
					return bodyRule(RuleRowBytes)
				}
				if col > MaxRowCells {
					return nil // blank text past the bound: nothing to keep
				}
				for len(rec) < col {
					rec = append(rec, "")
				}
				rec[col-1] = v
			case "v":
				inV--
			case "t":
				inT--
			case "rPh":
				ph--
			}
		case xml.CharData:
			switch {
			case !inC:
			case typ == "inlineStr" && inT > 0 && ph == 0, typ != "inlineStr" && inV > 0:
				if val.Len()+len(el) > MaxRowBytes {
					return bodyRule(RuleRowBytes)
				}
				val.Write(el)
			}
		}
		return nil
	})
	if errors.Is(err, errTooLong) {
		return bodyRule(RuleRowBytes)
	}
	return err
}

// column is the 1-based column of a cell reference such as "AB12"; at most
// XFD (16384), as in Excel.
func column(ref string) (int, bool) {
	c, i := 0, 0
	for ; i < len(ref) && i < 3; i++ {
		b := ref[i] | 0x20 // lower case
		if b < 'a' || b > 'z' {
			break
		}
		c = c*26 + int(b-'a'+1)
	}
	if i == 0 || c > 16384 || (i < len(ref) && (ref[i] < '0' || ref[i] > '9')) {
		return 0, false
	}
	return c, true
}

func attr(el xml.StartElement, name string) string {
	for _, a := range el.Attr {
		if a.Name.Local == name {
			return a.Value
		}
	}
	return ""
}

// eachToken streams the XML of a part to fn, no token longer than
// maxXMLToken (errTooLong). An error of fn ends the walk and is returned;
// XML that does not parse is notXLSX.
func eachToken(f *zip.File, fn func(*xml.Decoder, xml.Token) error) error {
	rc, err := f.Open()
	if err != nil {
		return notXLSX
	}
	defer rc.Close()
	g := &guard{r: rc, limit: maxXMLToken}
	dec := xml.NewDecoder(bufio.NewReaderSize(g, 4096))
	for {
		// RawToken: no namespace bookkeeping, so a cell costs less; names are matched by their local part.
		tok, err := dec.RawToken()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if errors.Is(err, errTooLong) {
			return errTooLong
		}
		if err != nil {
			return notXLSX
		}
		g.mark = dec.InputOffset()
		if err := fn(dec, tok); err != nil {
			return err
		}
	}
}
