package web_test

import (
	"archive/zip"
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/keyward/keyward/internal/keyward"
	"github.com/keyward/keyward/internal/store/storetest"
)

// The rules a hostile import is refused with (importer.Rule*), spelled out:
// they are what a client sees.
const (
	ruleRowBytes  = "a row may have at most 65536 bytes"
	ruleRowCells  = "a row may have at most 256 cells"
	ruleFileCells = "a file may have at most 2000000 cells"
	ruleUnzipped  = "a workbook may unpack to at most 64 MiB"
)

// repeatReader yields prefix, then n copies of unit, then suffix, without
// holding them in memory: the test's own bytes stay out of the heap it measures.
type repeatReader struct {
	prefix, unit, suffix []byte
	n                    int
	buf                  []byte
}

func newRepeat(prefix, unit string, n int, suffix string) *repeatReader {
	return &repeatReader{prefix: []byte(prefix), unit: []byte(unit), n: n, suffix: []byte(suffix)}
}

func (r *repeatReader) Read(p []byte) (int, error) {
	for len(r.buf) == 0 {
		switch {
		case len(r.prefix) > 0:
			r.buf, r.prefix = r.prefix, nil
		case r.n > 0:
			k := min(r.n, max(1, 32<<10/len(r.unit)))
			r.buf, r.n = bytes.Repeat(r.unit, k), r.n-k
		case len(r.suffix) > 0:
			r.buf, r.suffix = r.suffix, nil
		default:
			return 0, io.EOF
		}
	}
	n := copy(p, r.buf)
	r.buf = r.buf[n:]
	return n, nil
}

// sendStream posts body as role and returns the status and the problem.
func (a *testApp) sendStream(role keyward.Role, path, contentType string, body io.Reader) (int, problem, []byte) {
	a.t.Helper()
	req, _ := http.NewRequest("POST", a.http.URL+path, body)
	req.Header.Set("Content-Type", contentType)
	req.Header.Set("Authorization", "Bearer "+a.tokens[role])
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		a.t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	var p problem
	_ = json.Unmarshal(raw, &p)
	return resp.StatusCode, p, raw
}

// workbook is a minimal XLSX whose first sheet's XML is sheet (streamed into
// the zip), with extra parts added as given.
func workbook(t testing.TB, sheet io.Reader, extra map[string]io.Reader) []byte {
	t.Helper()
	x := excelize.NewFile()
	var base bytes.Buffer
	if err := x.Write(&base); err != nil {
		t.Fatal(err)
	}
	x.Close()
	zr, err := zip.NewReader(bytes.NewReader(base.Bytes()), int64(base.Len()))
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	zw := zip.NewWriter(&out)
	put := func(name string, r io.Reader) {
		w, err := zw.CreateHeader(&zip.FileHeader{Name: name, Method: zip.Deflate})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := io.Copy(w, r); err != nil {
			t.Fatal(err)
		}
	}
	for _, f := range zr.File {
		if r, ok := extra[f.Name]; ok {
			put(f.Name, r)
			delete(extra, f.Name)
			continue
		}
		if f.Name == "xl/worksheets/sheet1.xml" {
			put(f.Name, sheet)
			continue
		}
		rc, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		put(f.Name, rc)
		rc.Close()
	}
	for name, r := range extra {
		put(name, r)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return out.Bytes()
}

const sheetHead = `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>` +
	`<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>` +
	`<row r="1"><c r="A1" t="inlineStr"><is><t>symbol</t></is></c><c r="B1" t="inlineStr"><is><t>keyway</t></is></c></row>`

const sheetTail = `</sheetData></worksheet>`

// hostileImports are uploads that must be refused within bounded memory:
// name, media type, body, and the rule of the refusal (on field "body").
func hostileImports(t testing.TB) []struct {
	name, media string
	body        func() io.Reader
	rule        string
} {
	// 2,000,001 cells in rows of 250: under the per-row bound, over the file's.
	manyCells := workbook(t, newRepeat(sheetHead+"<row>", "<c><v>1</v></c>", 250, "</row>"+
		strings.Repeat("<row>"+strings.Repeat("<c><v>1</v></c>", 250)+"</row>", 8000)+sheetTail), nil)
	wideRow := workbook(t, newRepeat(sheetHead+"<row>", "<c><v>1</v></c>", 300, "</row>"+sheetTail), nil)
	// A zip bomb: 200 MiB of styles in a few hundred KiB.
	bomb := workbook(t, strings.NewReader(sheetHead+sheetTail), map[string]io.Reader{
		"xl/styles.xml": newRepeat(`<styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><cellXfs>`, `<xf numFmtId="0" fontId="0" fillId="0" borderId="0"/>`, 200<<20/52, `</cellXfs></styleSheet>`),
	})
	// 2.1 million empty shared strings: a small part, over the file's cells.
	strs := workbook(t, strings.NewReader(sheetHead+sheetTail), map[string]io.Reader{
		"xl/sharedStrings.xml": newRepeat(`<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">`, `<si/>`, 2_100_000, `</sst>`),
		"xl/_rels/workbook.xml.rels": strings.NewReader(`<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">` +
			`<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/>` +
			`<Relationship Id="rId9" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings" Target="sharedStrings.xml"/></Relationships>`),
	})
	return []struct {
		name, media string
		body        func() io.Reader
		rule        string
	}{
		{"30 MiB row of commas", "text/csv", func() io.Reader {
			return newRepeat("symbol,keyway\nAA1,", ",", 30<<20, "\n")
		}, ruleRowBytes},
		{"30 MiB header of commas", "text/csv", func() io.Reader { return newRepeat("", ",", 30<<20, "\n") }, ruleRowBytes},
		{"30 MiB quoted cell of line breaks", "text/csv", func() io.Reader {
			return newRepeat("symbol,keyway\n\"", "\n", 30<<20, "\"\n")
		}, ruleRowBytes},
		{"6 MiB of cells in quoted line breaks", "text/csv", func() io.Reader {
			return newRepeat("symbol,keyway\n", "\"\n\",", 6<<20/4, "\n")
		}, ruleRowBytes},
		{"row of 300 cells", "text/csv", func() io.Reader {
			return newRepeat("symbol,keyway\n", "x,", 300, "\n")
		}, ruleRowCells},
		{"2.1 million tiny rows", "text/csv", func() io.Reader {
			return newRepeat("symbol,keyway\n", ",\n", 2_100_000, "")
		}, ruleFileCells},
		{"XLSX of 2 million cells", mediaXLSX, func() io.Reader { return bytes.NewReader(manyCells) }, ruleFileCells},
		{"XLSX row of 300 cells", mediaXLSX, func() io.Reader { return bytes.NewReader(wideRow) }, ruleRowCells},
		{"XLSX of 2.1 million shared strings", mediaXLSX, func() io.Reader { return bytes.NewReader(strs) }, ruleFileCells},
		{"XLSX zip bomb", mediaXLSX, func() io.Reader { return bytes.NewReader(bomb) }, ruleUnzipped},
	}
}

// TestImportHostileFiles: each hostile upload is a 400 naming the body and
// the bound it broke, on both backends, for a dry run and a real import alike,
// and writes nothing.
func TestImportHostileFiles(t *testing.T) {
	cases := hostileImports(t)
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		app := importApp(t, b)
		before := app.tableCounts()
		for _, c := range cases {
			for _, path := range []string{"/api/v1/imports?dry_run=true", "/api/v1/imports"} {
				st, p, raw := app.sendStream(keyward.RoleManager, path, c.media, c.body())
				if st != 400 || len(p.Errors) != 1 || p.Errors[0] != (keyward.FieldError{Field: "body", Rule: c.rule}) {
					t.Errorf("%s %s: %d %.300s, want 400 naming body: %s", c.name, path, st, raw, c.rule)
				}
			}
		}
		if after := app.tableCounts(); after != before {
			t.Fatalf("hostile imports wrote rows: %v → %v", before, after)
		}
		// A wide row that is only empty cells after the last filled one is a plain row.
		st, _, raw := app.sendStream(keyward.RoleManager, "/api/v1/imports?dry_run=true", "text/csv",
			newRepeat("symbol,keyway\nAA7,Schlage SC1", ",", 1000, "\n"))
		if st != 200 || !strings.Contains(string(raw), `"rows":1`) {
			t.Errorf("trailing empty cells: %d %s", st, raw)
		}
	})
}

// heapBound is the most a hostile import may add to the server's heap.
const heapBound = 64 << 20

// peakHeap runs fn while a goroutine samples HeapInuse, and returns the peak
// above the heap in use before fn.
func peakHeap(fn func()) uint64 {
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	base, peak := ms.HeapInuse, ms.HeapInuse
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		tick := time.NewTicker(time.Millisecond)
		defer tick.Stop()
		var ms runtime.MemStats
		for {
			runtime.ReadMemStats(&ms)
			peak = max(peak, ms.HeapInuse)
			select {
			case <-done:
				return
			case <-tick.C:
			}
		}
	}()
	fn()
	close(done)
	wg.Wait()
	return peak - base
}

// TestImportHostileHeap holds each hostile import's peak heap, measured while
// the handler runs, under heapBound.
func TestImportHostileHeap(t *testing.T) {
	cases := hostileImports(t)
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		app := importApp(t, b)
		for _, c := range cases {
			var st int
			var raw []byte
			start := time.Now()
			peak := peakHeap(func() {
				st, _, raw = app.sendStream(keyward.RoleManager, "/api/v1/imports?dry_run=true", c.media, c.body())
			})
			t.Logf("%s: %d in %v, peak heap +%.1f MiB", c.name, st, time.Since(start).Round(time.Millisecond), float64(peak)/(1<<20))
			if peak > heapBound {
				t.Errorf("%s: peak heap +%d MiB, over the %d MiB bound (%d %.200s)", c.name, peak>>20, heapBound>>20, st, raw)
			}
		}
	})
}
