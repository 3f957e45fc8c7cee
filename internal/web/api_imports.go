package web

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"path"
	"strconv"
	"strings"

	"github.com/keyward/keyward/internal/importer"
	"github.com/keyward/keyward/internal/keyward"
	"github.com/keyward/keyward/internal/when"
)

// maxImport bounds an uploaded spreadsheet; the 1 MiB limit of other routes
// does not apply to imports.
const maxImport = 32 << 20

// importKeys loads keys from a CSV or XLSX file. ?dry_run=true answers 200
// with every row error and writes nothing; otherwise a clean file is 201
// {"rows": N} and a file with any error is a 422 that writes nothing.
func (s *Server) importKeys(w http.ResponseWriter, r *http.Request, a keyward.Actor) error {
	dryRun := false
	if v := r.URL.Query().Get("dry_run"); v != "" {
		b, err := strconv.ParseBool(v)
		if err != nil {
			return keyward.Invalid("dry_run", "must be true or false")
		}
		dryRun = b
	}
	opts, err := s.importOptions(r)
	if err != nil {
		return err
	}
	r.Body = http.MaxBytesReader(w, r.Body, maxImport)
	body, format, err := importBody(r)
	if err != nil {
		return err
	}
	f, err := importer.ParseWith(body, format, opts)
	if err != nil {
		return importReadError(err)
	}
	wantReport, err := boolParam(r, "report")
	if err != nil {
		return err
	}
	res, err := s.imports.Import(r.Context(), a, f, dryRun)
	var e *keyward.Error
	if errors.As(err, &e) && e.Code == keyward.EUNPROCESSABLE && !wantReport {
		// The contract's 422 carries the errors; the report only when asked for.
		delete(e.Extra, "report")
	}
	if err != nil {
		return err
	}
	if dryRun && wantReport {
		return writeJSON(w, http.StatusOK, importReport(*res))
	}
	if dryRun {
		return writeJSON(w, http.StatusOK, importAnswer{Rows: res.Rows, Errors: res.Errors})
	}
	return writeJSON(w, http.StatusCreated, importResult{Rows: res.Rows})
}

// importOptions reads the import's choices from the query: header_row,
// date_order, holder_kind, create, site and cabinet; dates are read on the
// organization's clock.
func (s *Server) importOptions(r *http.Request) (importer.Options, error) {
	q := r.URL.Query()
	opts := importer.Options{Zone: s.zone(r), HolderKind: q.Get("holder_kind"), Site: q.Get("site"), Cabinet: q.Get("cabinet")}
	if v := q.Get("header_row"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			return opts, keyward.Invalid("header_row", "must be a row number from 1 to "+strconv.Itoa(importer.MaxHeaderRow))
		}
		opts.HeaderRow = n
	}
	order, ok := when.ParseOrder(q.Get("date_order"))
	if !ok {
		return opts, keyward.Invalid("date_order", "must be mdy (month first, 12/20/2026) or dmy (day first, 20/12/2026)")
	}
	opts.DateOrder = order
	create, err := boolParam(r, "create")
	if err != nil {
		return opts, err
	}
	opts.Create = create
	return opts, opts.Validate()
}

// boolParam reads a true/false query parameter; absent is false.
func boolParam(r *http.Request, name string) (bool, error) {
	v := r.URL.Query().Get(name)
	if v == "" {
		return false, nil
	}
	b, err := strconv.ParseBool(v)
	if err != nil {
		return false, keyward.Invalid(name, "must be true or false")
	}
	return b, nil
}

// importBody finds the file in the request and its format: text/csv or the
// XLSX media type as sent; one file of a multipart/form-data upload; and for
// a body sent without a spreadsheet type (curl's default), whichever its first
// bytes show.
func importBody(r *http.Request) (io.Reader, importer.Format, error) {
	ct := r.Header.Get("Content-Type")
	mt, params, err := mime.ParseMediaType(ct)
	if ct != "" && err != nil {
		return nil, 0, keyward.Invalid("Content-Type", "is not a media type")
	}
	if mt == "multipart/form-data" {
		mr, err := r.MultipartReader()
		if err != nil {
			return nil, 0, keyward.Invalid("body", "is not a multipart form")
		}
		for {
			part, err := mr.NextPart()
			if errors.Is(err, io.EOF) {
				return nil, 0, keyward.Invalid("file", "is required: upload a CSV or XLSX file")
			}
			if err != nil {
				return nil, 0, importReadError(err)
			}
			if part.FileName() == "" && part.FormName() != "file" {
				continue
			}
			pt, pparams, _ := mime.ParseMediaType(part.Header.Get("Content-Type"))
			if strings.EqualFold(path.Ext(part.FileName()), ".xlsx") {
				pt = importer.MediaXLSX
			}
			return bodyOfType(part, pt, pparams)
		}
	}
	return bodyOfType(r.Body, mt, params)
}

func bodyOfType(body io.Reader, mt string, params map[string]string) (io.Reader, importer.Format, error) {
	if cs := strings.ToLower(params["charset"]); cs != "" && cs != "utf-8" && cs != "utf8" && cs != "us-ascii" {
		return nil, 0, keyward.Invalid("Content-Type", "charset must be utf-8")
	}
	switch mt {
	case importer.MediaCSV, "application/csv", "text/plain", "text/comma-separated-values", "application/vnd.ms-excel":
		return body, importer.CSV, nil
	case importer.MediaXLSX:
		return body, importer.XLSX, nil
	case "", "application/octet-stream", "application/x-www-form-urlencoded":
		br := bufio.NewReader(body)
		if magic, _ := br.Peek(4); bytes.Equal(magic, []byte("PK\x03\x04")) {
			return br, importer.XLSX, nil
		}
		return br, importer.CSV, nil
	}
	return nil, 0, keyward.Invalid("Content-Type", "must be "+importer.MediaCSV+" or "+importer.MediaXLSX)
}

// importReadError turns a failed read of the upload into a 400 naming the body.
func importReadError(err error) error {
	var tooBig *http.MaxBytesError
	var kwErr *keyward.Error
	switch {
	case errors.As(err, &kwErr):
		return err
	case errors.As(err, &tooBig):
		return keyward.Invalid("body", fmt.Sprintf("must be at most %d bytes", tooBig.Limit))
	}
	return &keyward.Error{Code: keyward.EINVALID, Message: "body: could not be read",
		Fields: []keyward.FieldError{{Field: "body", Rule: "could not be read"}}, Err: err}
}

// exportCSV streams keys, holders or the logbook as CSV with a header row.
func (s *Server) exportCSV(w http.ResponseWriter, r *http.Request, a keyward.Actor) error {
	kind := r.PathValue("kind")
	cw := csv.NewWriter(w)
	started, n := false, 0
	err := s.exports.Export(r.Context(), a, kind, func(rec []string) error {
		if !started {
			w.Header().Set("Content-Type", "text/csv; charset=utf-8")
			w.Header().Set("Content-Disposition", `attachment; filename="keyward-`+kind+`.csv"`)
			w.Header().Set("Cache-Control", "no-store")
			w.WriteHeader(http.StatusOK)
			started = true
		}
		for i, v := range rec {
			rec[i] = inertCell(v)
		}
		if err := cw.Write(rec); err != nil {
			return err
		}
		if n++; n%500 == 0 {
			cw.Flush()
		}
		return cw.Error()
	})
	if err == nil {
		cw.Flush()
		err = cw.Error()
	}
	if err != nil && started {
		// The status is sent: cut the response, so the client sees a broken
		// download rather than a file that silently ends early.
		s.log.Error("export failed", "request_id", requestID(r), "kind", kind, "err", err)
		panic(http.ErrAbortHandler)
	}
	return err
}

// inertCell keeps a spreadsheet from running a cell as a formula: text that
// starts with = + - @ or a control character gets a leading apostrophe.
func inertCell(v string) string {
	if v != "" && strings.ContainsRune("=+-@\t\r", rune(v[0])) {
		return "'" + v
	}
	return v
}

// importAnswer is a dry run's answer as the outside contract has it: the data rows and every error found.
type importAnswer struct {
	Rows   int                      `json:"rows"`
	Errors []keyward.ImportRowError `json:"errors"`
}

// importReport is a dry run's answer with report=true: the data rows, every error found, what
// the file names that the organization lacks, and how each due date was read.
type importReport keyward.ImportResult

// importResult is a finished import's answer.
type importResult struct {
	Rows int `json:"rows"`
}

// importProblem is the 422 of an import with errors: a problem with the
// errors a dry run would report. It documents what problem writes from the
// error's Extra members.
type importProblem struct {
	Type     string                   `json:"type"`
	Title    string                   `json:"title"`
	Status   int                      `json:"status"`
	Detail   string                   `json:"detail"`
	Instance string                   `json:"instance,omitempty"`
	Errors   []keyward.ImportRowError `json:"errors,omitempty"`
	Rows     int                      `json:"rows,omitempty"`
	// Report is what a dry run would answer.
	Report *importReport `json:"report,omitempty"`
}
