package web

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"path"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/keyward/keyward/internal/importer"
	"github.com/keyward/keyward/internal/keyward"
)

// previewRows is how many data rows the mapping page shows.
const previewRows = 5

type importsPageData struct {
	Columns []string
}

func (s *Server) importsPage(w http.ResponseWriter, r *http.Request, a keyward.Actor) error {
	return s.render(w, r, a, http.StatusOK, "imports", "Import a spreadsheet", importsPageData{Columns: importer.Columns})
}

// importUpload keeps the uploaded file and sends the user on to map its columns.
func (s *Server) importUpload(w http.ResponseWriter, r *http.Request, a keyward.Actor) error {
	name, mt, content, err := uploadedSpreadsheet(r)
	if err == nil {
		var u *keyward.ImportUpload
		if u, err = s.uploads.SaveImportUpload(r.Context(), a, name, mt, content); err == nil {
			return redirect(w, r, "/imports/"+url.PathEscape(u.ID))
		}
	}
	return formRefused(err, func(st int) error {
		return s.render(w, r, a, st, "imports", "Import a spreadsheet", newFormError(err, importsPageData{Columns: importer.Columns}))
	})
}

// uploadedSpreadsheet reads the form's file: its name, media type (CSV or
// XLSX) and bytes. The file must show a header row.
func uploadedSpreadsheet(r *http.Request) (name, mediaType string, content []byte, err error) {
	file, hdr, err := r.FormFile("file")
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return "", "", nil, importReadError(err)
		}
		return "", "", nil, keyward.Invalid("file", "is required: choose a CSV or XLSX file")
	}
	defer file.Close()
	content, err = io.ReadAll(file)
	if err != nil {
		return "", "", nil, importReadError(err)
	}
	if len(content) == 0 {
		return "", "", nil, keyward.Invalid("file", "is empty")
	}
	pt, params, _ := mime.ParseMediaType(hdr.Header.Get("Content-Type"))
	switch strings.ToLower(path.Ext(hdr.Filename)) {
	case ".xlsx":
		pt = importer.MediaXLSX
	case ".csv":
		if pt != importer.MediaCSV {
			pt = "" // let the first bytes tell
		}
	}
	_, format, err := bodyOfType(bytes.NewReader(content), pt, params)
	if err != nil {
		return "", "", nil, keyward.Invalid("file", "must be a CSV or XLSX file")
	}
	if format != importer.XLSX && bytes.HasPrefix(content, []byte("PK\x03\x04")) {
		format = importer.XLSX
	}
	h, err := importer.ReadHeader(content, format, 0, importer.Options{})
	if err == nil {
		// A file the import would refuse for its size is not kept either.
		err = importer.CheckBounds(content, format)
	}
	if err != nil {
		return "", "", nil, fileError(err)
	}
	if len(h.Cells) == 0 {
		return "", "", nil, keyward.Invalid("file", "has no header row")
	}
	mediaType = importer.MediaCSV
	if format == importer.XLSX {
		mediaType = importer.MediaXLSX
	}
	return uploadName(hdr.Filename), mediaType, content, nil
}

// fileError names the file field in a refusal about the body.
func fileError(err error) error {
	var e *keyward.Error
	if errors.As(err, &e) && e.Code == keyward.EINVALID && len(e.Fields) == 1 && e.Fields[0].Field == "body" {
		return keyward.Invalid("file", e.Fields[0].Rule)
	}
	return err
}

// uploadName is the file's base name, valid UTF-8 and at most 200 characters.
func uploadName(name string) string {
	name = strings.ToValidUTF8(path.Base(strings.ReplaceAll(name, `\`, "/")), "?")
	if name == "." || name == "/" {
		name = ""
	}
	for utf8.RuneCountInString(name) > 200 {
		_, size := utf8.DecodeLastRuneInString(name)
		name = name[:len(name)-size]
	}
	return name
}

func uploadFormat(u *keyward.ImportUpload) importer.Format {
	if u.ContentType == importer.MediaXLSX {
		return importer.XLSX
	}
	return importer.CSV
}

type importColumn struct {
	Index int
	Label string
}

// importField is one canonical column and the file column chosen for it (-1: none).
type importField struct {
	Name     string
	Required bool
	Selected int
}

type importPageData struct {
	ID        string
	FileName  string
	Columns   []importColumn
	MapFields []importField
	Preview   []importer.PreviewRow
	// Set once a dry run has run.
	Checked bool
	Rows    int
	Errors  []importer.RowError
}

// Clean reports a dry run without problems: the commit button shows.
func (d importPageData) Clean() bool { return d.Checked && len(d.Errors) == 0 }

func (d *importPageData) setMapping(m importer.Mapping) {
	d.MapFields = d.MapFields[:0]
	for _, col := range importer.Columns {
		i, ok := m[col]
		if !ok {
			i = -1
		}
		d.MapFields = append(d.MapFields, importField{Name: col, Required: col == importer.ColSymbol || col == importer.ColKeyway, Selected: i})
	}
}

// importData loads the actor's upload and what the mapping page shows of it,
// with the importer's own guess at the mapping.
func (s *Server) importData(r *http.Request, a keyward.Actor) (*keyward.ImportUpload, *importPageData, error) {
	u, err := s.uploads.ImportUpload(r.Context(), a, r.PathValue("id"))
	if err != nil {
		return nil, nil, err
	}
	h, err := importer.ReadHeader(u.Content, uploadFormat(u), previewRows, importer.Options{})
	if err != nil {
		return nil, nil, err
	}
	d := &importPageData{ID: u.ID, FileName: u.FileName}
	for i, cell := range h.Cells {
		label := strings.TrimSpace(cell)
		if label == "" {
			label = "(column " + strconv.Itoa(i+1) + ", no name)"
		}
		d.Columns = append(d.Columns, importColumn{Index: i, Label: label})
	}
	for _, row := range h.Preview {
		cells := make([]string, len(h.Cells))
		copy(cells, row.Cells)
		d.Preview = append(d.Preview, importer.PreviewRow{N: row.N, Cells: cells})
	}
	d.setMapping(importer.Suggest(h.Cells))
	return u, d, nil
}

func (s *Server) renderImport(w http.ResponseWriter, r *http.Request, a keyward.Actor, status int, d *importPageData, failed error) error {
	title := "Import " + d.FileName
	if failed != nil {
		return s.render(w, r, a, status, "import_map", title, newFormError(failed, *d))
	}
	return s.render(w, r, a, status, "import_map", title, *d)
}

func (s *Server) importMapPage(w http.ResponseWriter, r *http.Request, a keyward.Actor) error {
	_, d, err := s.importData(r, a)
	if err != nil {
		return err
	}
	return s.renderImport(w, r, a, http.StatusOK, d, nil)
}

// formMapping reads the chosen column of each canonical column; empty is none.
func formMapping(r *http.Request, columns int) (importer.Mapping, error) {
	m := importer.Mapping{}
	for _, col := range importer.Columns {
		v := strings.TrimSpace(r.PostFormValue(col))
		if v == "" {
			continue
		}
		i, err := strconv.Atoi(v)
		if err != nil || i < 0 || i >= columns {
			return nil, keyward.Invalid(col, "must name a column of the file")
		}
		m[col] = i
	}
	return m, nil
}

// mappedFile loads the upload, applies the posted mapping and parses the file.
func (s *Server) mappedFile(r *http.Request, a keyward.Actor) (*importPageData, *importer.File, error) {
	u, d, err := s.importData(r, a)
	if err != nil {
		return nil, nil, err
	}
	m, err := formMapping(r, len(d.Columns))
	if err != nil {
		return d, nil, err
	}
	d.setMapping(m)
	f, err := importer.ParseMapped(u.Content, uploadFormat(u), m)
	return d, f, err
}

// importCheck runs the dry run with the chosen mapping and lists every problem.
func (s *Server) importCheck(w http.ResponseWriter, r *http.Request, a keyward.Actor) error {
	d, f, err := s.mappedFile(r, a)
	var res *keyward.ImportResult
	if err == nil {
		res, err = s.imports.Import(r.Context(), a, f, true)
	}
	if err != nil {
		if d == nil {
			return err
		}
		return formRefused(err, func(st int) error { return s.renderImport(w, r, a, st, d, err) })
	}
	d.Checked, d.Rows, d.Errors = true, res.Rows, res.Errors
	return s.renderImport(w, r, a, http.StatusOK, d, nil)
}

// importCommit imports the file with the chosen mapping, all or nothing, and
// forgets the upload.
func (s *Server) importCommit(w http.ResponseWriter, r *http.Request, a keyward.Actor) error {
	d, f, err := s.mappedFile(r, a)
	var res *keyward.ImportResult
	if err == nil {
		res, err = s.imports.Import(r.Context(), a, f, false)
	}
	if err != nil {
		if d == nil {
			return err
		}
		var e *keyward.Error
		if errors.As(err, &e) && e.Code == keyward.EUNPROCESSABLE {
			// The database changed since the dry run: show what is wrong now.
			d.Checked = true
			d.Errors, _ = e.Extra["errors"].([]importer.RowError)
			d.Rows, _ = e.Extra["rows"].(int)
		}
		return formRefused(err, func(st int) error { return s.renderImport(w, r, a, st, d, err) })
	}
	if err := s.uploads.DeleteImportUpload(r.Context(), a, d.ID); err != nil {
		// The keys are in; the upload expires within a day anyway.
		s.log.Error("delete import upload", "request_id", requestID(r), "upload", d.ID, "err", err)
	}
	msg := fmt.Sprintf("Imported %d keys.", res.Rows)
	if res.Rows == 1 {
		msg = "Imported 1 key."
	}
	return redirectFlash(w, r, "/keys", msg)
}

// exportPage is GET /exports/keys.csv (or holders.csv, logbook.csv): the API's
// export for a signed-in user.
func (s *Server) exportPage(w http.ResponseWriter, r *http.Request, a keyward.Actor) error {
	kind, ok := strings.CutSuffix(r.PathValue("file"), ".csv")
	if !ok || kind == "" {
		return keyward.Errorf(keyward.ENOTFOUND, "no export named %q: try keys.csv, holders.csv or logbook.csv", r.PathValue("file"))
	}
	r.SetPathValue("kind", kind)
	return s.exportCSV(w, r, a)
}

// keyStoragePage sends the user to the storage place where a key belongs.
func (s *Server) keyStoragePage(w http.ResponseWriter, r *http.Request, a keyward.Actor) error {
	k, err := s.custody.Key(r.Context(), a, r.PathValue("id"))
	if err != nil {
		return err
	}
	h, err := s.storage.KeyHome(r.Context(), a, k.ID)
	if err != nil {
		return err
	}
	if h == nil {
		return redirectFlash(w, r, "/storage", "Key "+k.Stamp+" has no storage place yet.")
	}
	return redirect(w, r, "/storage/"+url.PathEscape(h.StorageID))
}
