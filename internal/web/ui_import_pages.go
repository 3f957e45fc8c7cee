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
	"github.com/keyward/keyward/internal/when"
)

// previewRows is how many data rows the mapping page shows.
const previewRows = 5

type importsPageData struct {
	Columns []string
}

// importLabels are the fields an import reads, in words.
func importLabels() []string {
	var out []string
	for _, c := range importer.Fields {
		out = append(out, importer.Label(c))
	}
	return out
}

func (s *Server) importsPage(w http.ResponseWriter, r *http.Request, a keyward.Actor) error {
	return s.render(w, r, a, http.StatusOK, "imports", "Import a spreadsheet", importsPageData{Columns: importLabels()})
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
		return s.render(w, r, a, st, "imports", "Import a spreadsheet", newFormError(err, importsPageData{Columns: importLabels()}))
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

// importField is one field and the file column chosen for it (-1: none).
type importField struct {
	Name     string
	Label    string
	Required bool
	Selected int
}

// importHeaderChoice is a row of the file that could be the header.
type importHeaderChoice struct {
	N     int
	Label string
}

// importError is a dry run's problem, its column in words.
type importError struct {
	Row    int
	Column string
	Rule   string
}

type importPageData struct {
	ID        string
	FileName  string
	Columns   []importColumn
	MapFields []importField
	Preview   []importer.PreviewRow
	// The header row (among the rows that are not blank) and the rows it may be chosen from.
	HeaderRow int
	Headers   []importHeaderChoice
	// The choices beyond the columns.
	DateOrder  string // "", "mdy" or "dmy"
	HolderKind string
	Kinds      []string
	Site       string
	Cabinet    string
	Create     bool
	// Set once a dry run has run.
	Checked       bool
	Rows          int
	Errors        []importError
	New           []keyward.ImportNew
	Dates         []keyward.ImportDate
	DatesMore     int
	DateOrderText string
}

// Clean reports a dry run without problems: the commit button shows.
func (d importPageData) Clean() bool { return d.Checked && len(d.Errors) == 0 }

// ToCreate reports a dry run that names things only create=true makes, with create off.
func (d importPageData) ToCreate() bool {
	if d.Create {
		return false
	}
	for _, n := range d.New {
		if n.NeedsCreate {
			return true
		}
	}
	return false
}

// shownDates is how many due dates the dry run lists on the page.
const shownDates = 20

func (d *importPageData) setReport(res *keyward.ImportResult) {
	d.Checked, d.Rows, d.New, d.DateOrderText = true, res.Rows, res.New, res.DateOrder
	d.Errors = d.Errors[:0]
	for _, e := range res.Errors {
		d.Errors = append(d.Errors, importError{Row: e.Row, Column: importer.Label(e.Column), Rule: e.Rule})
	}
	d.Dates = res.Dates
	if len(d.Dates) > shownDates {
		d.Dates, d.DatesMore = d.Dates[:shownDates], len(res.Dates)-shownDates
	}
}

func (d *importPageData) setMapping(m importer.Mapping) {
	d.MapFields = d.MapFields[:0]
	for _, col := range importer.Fields {
		i, ok := m[col]
		if !ok {
			i = -1
		}
		d.MapFields = append(d.MapFields, importField{Name: col, Label: importer.Label(col), Required: col == importer.ColSymbol || col == importer.ColKeyway, Selected: i})
	}
}

// importChoices reads the choices of the mapping step from the query or the
// form: header row, date order, holders' kind, site, cabinet, create.
func (s *Server) importChoices(r *http.Request) (importer.Options, error) {
	// The choices have names of their own: holder_kind, site and cabinet name columns here.
	opts := importer.Options{Zone: s.zone(r), HolderKind: r.FormValue("default_kind"), Site: r.FormValue("default_site"),
		Cabinet: r.FormValue("default_cabinet"), Create: r.FormValue("create") != ""}
	if v := strings.TrimSpace(r.FormValue("header_row")); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			return opts, keyward.Invalid("header_row", "must be a row number from 1 to "+strconv.Itoa(importer.MaxHeaderRow))
		}
		opts.HeaderRow = n
	}
	order, ok := when.ParseOrder(r.FormValue("date_order"))
	if !ok {
		return opts, keyward.Invalid("date_order", "must be month first or day first")
	}
	opts.DateOrder = order
	err := opts.Validate()
	var e *keyward.Error
	if errors.As(err, &e) {
		// Name the form's fields.
		for i, f := range e.Fields {
			switch f.Field {
			case "holder_kind", "site", "cabinet":
				e.Fields[i].Field = map[string]string{"holder_kind": "default_kind", "site": "default_site", "cabinet": "default_cabinet"}[f.Field]
			}
		}
	}
	return opts, err
}

// importData loads the actor's upload and what the mapping page shows of it,
// with the importer's own guess at the header row and the mapping.
func (s *Server) importData(r *http.Request, a keyward.Actor) (*keyward.ImportUpload, *importPageData, importer.Options, error) {
	u, err := s.uploads.ImportUpload(r.Context(), a, r.PathValue("id"))
	if err != nil {
		return nil, nil, importer.Options{}, err
	}
	d := &importPageData{ID: u.ID, FileName: u.FileName, Kinds: keyward.HolderKinds, HolderKind: "staff"}
	opts, err := s.importChoices(r)
	if err != nil {
		d.setMapping(importer.Mapping{})
		return u, d, opts, err
	}
	h, err := importer.ReadHeader(u.Content, uploadFormat(u), previewRows, importer.Options{HeaderRow: opts.HeaderRow})
	if err != nil {
		d.setMapping(importer.Mapping{})
		return u, d, opts, err
	}
	d.HeaderRow, d.Site, d.Cabinet, d.Create = h.Row, opts.Site, opts.Cabinet, opts.Create
	if opts.HolderKind != "" {
		d.HolderKind = opts.HolderKind
	}
	switch opts.DateOrder {
	case when.MonthFirst:
		d.DateOrder = "mdy"
	case when.DayFirst:
		d.DateOrder = "dmy"
	}
	for _, t := range h.Top {
		var cells []string
		for _, c := range t.Cells {
			if c = strings.TrimSpace(c); c != "" {
				cells = append(cells, c)
			}
		}
		label := strings.Join(cells, " · ")
		if r := []rune(label); len(r) > 80 {
			label = string(r[:80]) + "…"
		}
		d.Headers = append(d.Headers, importHeaderChoice{N: t.N, Label: "Row " + strconv.Itoa(t.N) + ": " + label})
	}
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
	opts.HeaderRow = h.Row
	return u, d, opts, nil
}

func (s *Server) renderImport(w http.ResponseWriter, r *http.Request, a keyward.Actor, status int, d *importPageData, failed error) error {
	title := "Import " + d.FileName
	if failed != nil {
		return s.render(w, r, a, status, "import_map", title, newFormError(failed, *d))
	}
	return s.render(w, r, a, status, "import_map", title, *d)
}

// importMapPage shows the columns found and the mapping step; ?header_row=N
// reads the file with another header row.
func (s *Server) importMapPage(w http.ResponseWriter, r *http.Request, a keyward.Actor) error {
	_, d, _, err := s.importData(r, a)
	if err != nil {
		if d == nil {
			return err
		}
		return formRefused(err, func(st int) error { return s.renderImport(w, r, a, st, d, err) })
	}
	return s.renderImport(w, r, a, http.StatusOK, d, nil)
}

// formMapping reads the chosen column of each field; empty is none.
func formMapping(r *http.Request, columns int) (importer.Mapping, error) {
	m := importer.Mapping{}
	for _, col := range importer.Fields {
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

// mappedFile loads the upload, applies the posted choices and parses the file.
func (s *Server) mappedFile(r *http.Request, a keyward.Actor) (*importPageData, *importer.File, error) {
	u, d, opts, err := s.importData(r, a)
	if err != nil {
		return d, nil, err
	}
	m, err := formMapping(r, len(d.Columns))
	if err != nil {
		return d, nil, err
	}
	d.setMapping(m)
	opts.Mapping = m
	f, err := importer.ParseWith(bytes.NewReader(u.Content), uploadFormat(u), opts)
	return d, f, err
}

// importCheck runs the dry run with the chosen mapping and lists every problem,
// what the file names that is new, and how each date was read.
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
	d.setReport(res)
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
			if rep, ok := e.Extra["report"].(*keyward.ImportResult); ok {
				d.setReport(rep)
			}
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

// keyStoragePage sends the user to the storage place where a key belongs,
// or, for a key without one, to its page's storage section, where one is
// given.
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
		return redirect(w, r, "/keys/"+url.PathEscape(k.ID)+"#key-place")
	}
	return redirect(w, r, "/storage/"+url.PathEscape(h.StorageID))
}
