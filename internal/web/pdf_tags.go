package web

import (
	"bytes"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/go-pdf/fpdf"
	"rsc.io/qr"

	"github.com/keyward/keyward/internal/keyward"
)

// maxTags bounds one print: as many keys as one KeyReaches call reads (what
// each key opens goes on its tag). Past it the answer is a 400 asking for a
// narrower list, never a silently shorter sheet.
const maxTags = keyward.MaxKeyReaches

// tagPaper is one sheet a tag print is laid out on (mm).
type tagPaper struct {
	Name, Label string
	size        string // fpdf page size: "A4" or "Letter"
	cols, rows  int
	w, h        float64 // one tag
	left, top   float64 // first tag's corner; left < 0 centres the columns
	pitchX      float64 // from one tag's left edge to the next one's
	pitchY      float64
	guides      bool // cut guides on plain paper; none on a label sheet
}

// tagPapers are the sheets the tags page offers: plain A4 and US Letter
// (cut along the light guides), and the two common 30-up/21-up label
// sheets, Avery 5160 (US Letter, 1" × 2⅝") and Avery L7160 (A4, 63.5 × 38.1 mm).
var tagPapers = []tagPaper{
	{Name: "a4", Label: "A4 paper (24 tags a page, cut out)", size: "A4", cols: 3, rows: 8, w: 70, h: 37, left: -1, top: 0.5, pitchX: 70, pitchY: 37, guides: true},
	{Name: "letter", Label: "US Letter paper (21 tags a page, cut out)", size: "Letter", cols: 3, rows: 7, w: 70, h: 38, left: -1, top: 6.7, pitchX: 70, pitchY: 38, guides: true},
	{Name: "avery5160", Label: "Avery 5160 labels (US Letter, 30 a sheet)", size: "Letter", cols: 3, rows: 10, w: 66.675, h: 25.4, left: 4.7625, top: 12.7, pitchX: 69.85, pitchY: 25.4},
	{Name: "l7160", Label: "Avery L7160 labels (A4, 21 a sheet)", size: "A4", cols: 3, rows: 7, w: 63.5, h: 38.1, left: 7.21, top: 15.15, pitchX: 66.04, pitchY: 38.1},
}

// paperFor reads ?paper=; empty is the zone's usual paper (US Letter in
// the Americas, A4 elsewhere).
func paperFor(name string, zone *time.Location) (tagPaper, error) {
	if name == "" {
		name = defaultPaper(zone)
	}
	for _, p := range tagPapers {
		if p.Name == name {
			return p, nil
		}
	}
	names := make([]string, len(tagPapers))
	for i, p := range tagPapers {
		names[i] = p.Name
	}
	return tagPaper{}, keyward.Invalid("paper", "must be one of "+strings.Join(names, ", "))
}

// defaultPaper is US Letter for a zone in the Americas, where Letter is the rule, else A4.
func defaultPaper(zone *time.Location) string {
	z := zone.String()
	if strings.HasPrefix(z, "America/") || strings.HasPrefix(z, "US/") || strings.HasPrefix(z, "Canada/") || z == "Pacific/Honolulu" {
		return "letter"
	}
	return "a4"
}

// tag is what one printed tag says: never an internal id, never a bitting.
type tag struct {
	Stamp, Keyway, DND, Door string
	Link                     string // the key page at the public URL
}

// tooManyTags is the refusal past maxTags, naming field (ids, or keys for a filter).
func tooManyTags(field, n string) error {
	return keyward.Invalid(field, "has "+n+" keys, and at most "+strconv.Itoa(maxTags)+" tags print at once: choose fewer keys, or narrow the list by symbol or status")
}

// tagKeys picks the keys of a print: ?ids=a,b,c, or every key of a filter
// (?symbol=, ?status=, ?q=), over as many pages as it has, up to maxTags.
func (s *Server) tagKeys(r *http.Request, a keyward.Actor) ([]keyward.Key, error) {
	q := r.URL.Query()
	if ids := strings.TrimSpace(q.Get("ids")); ids != "" {
		parts := strings.Split(ids, ",")
		if len(parts) > maxTags {
			return nil, tooManyTags("ids", strconv.Itoa(len(parts)))
		}
		var keys []keyward.Key
		for _, id := range parts {
			k, err := s.custody.Key(r.Context(), a, strings.TrimSpace(id))
			if keyward.ErrorCode(err) == keyward.ENOTFOUND {
				return nil, keyward.Invalid("ids", "must name existing keys (one of them is unknown)")
			}
			if err != nil {
				return nil, err
			}
			keys = append(keys, *k)
		}
		return keys, nil
	}
	f := keyward.KeyFilter{Symbol: q.Get("symbol"), Status: q.Get("status"), Query: q.Get("q"), ListOptions: keyward.ListOptions{Limit: 500}}
	var keys []keyward.Key
	for {
		p, err := s.custody.Keys(r.Context(), a, f)
		if err != nil {
			return nil, err
		}
		keys = append(keys, p.Items...)
		if len(keys) > maxTags {
			return nil, tooManyTags("keys", "more than "+strconv.Itoa(maxTags))
		}
		if p.Next == "" {
			break
		}
		f.Cursor = p.Next
	}
	if len(keys) == 0 {
		return nil, keyward.Errorf(keyward.ENOTFOUND, "no keys match; nothing to print")
	}
	return keys, nil
}

// tagsFor says what each key's tag shows: its stamp, key type (with the Do
// Not Duplicate mark when its policy asks for one), the first door it opens.
func (s *Server) tagsFor(r *http.Request, a keyward.Actor, keys []keyward.Key, base string) ([]tag, error) {
	ids := make([]string, len(keys))
	for i, k := range keys {
		ids[i] = k.ID
	}
	reach, err := s.schedule.KeyReaches(r.Context(), a, ids)
	if err != nil {
		return nil, err
	}
	keyways := map[string]*keyward.Keyway{}
	out := make([]tag, len(keys))
	for i, k := range keys {
		kw, ok := keyways[k.KeywayID]
		if !ok {
			if kw, err = s.directory.Keyway(r.Context(), a, k.KeywayID); err != nil {
				return nil, err
			}
			keyways[k.KeywayID] = kw
		}
		t := tag{Stamp: k.Stamp, Keyway: kw.Name, DND: dndMark(kw.DuplicationPolicy), Link: base + "/keys/" + url.PathEscape(k.ID)}
		if kw.DuplicationPolicy == keyward.DupRestricted {
			t.Keyway += " (" + keyward.PolicyWords(keyward.DupRestricted) + ")"
		}
		if rc := reach[k.ID]; rc != nil && len(rc.Opens) > 0 {
			o := rc.Opens[0]
			t.Door = o.OpeningName
			if o.SiteName != "" {
				t.Door += ", " + o.SiteName
			}
			if n := len(rc.Opens) - 1; n > 0 {
				t.Door += " +" + strconv.Itoa(n) + " more"
			}
		}
		out[i] = t
	}
	return out, nil
}

// dndMark is the mark a key type's duplication policy puts on its tags, as
// its metal carries it: "DO NOT DUPLICATE", and for a restricted key type
// also "RESTRICTED KEYWAY".
func dndMark(policy string) string {
	mark := strings.ToUpper(dupMark(policy))
	if policy == keyward.DupRestricted {
		mark += " · RESTRICTED KEYWAY"
	}
	return mark
}

// baseURL is where people reach this server, for the QR codes: the configured
// public URL, else the address the client used.
func (s *Server) baseURL(r *http.Request) string {
	if s.publicURL != "" {
		return s.publicURL
	}
	scheme := "http"
	if r.TLS != nil || r.Header.Get("X-Forwarded-Proto") == "https" {
		scheme = "https"
	}
	return scheme + "://" + r.Host
}

// keyTagsPDF answers a printable sheet of key tags on the paper asked for:
// each has a QR code of the key page's absolute URL, the stamp, the key type
// and its Do Not Duplicate mark, and the door it opens.
func (s *Server) keyTagsPDF(w http.ResponseWriter, r *http.Request, a keyward.Actor) error {
	paper, err := paperFor(r.URL.Query().Get("paper"), s.zone(r))
	if err != nil {
		return err
	}
	keys, err := s.tagKeys(r, a)
	if err != nil {
		return err
	}
	tags, err := s.tagsFor(r, a, keys, s.baseURL(r))
	if err != nil {
		return err
	}
	b, err := keyTagSheet(paper, tags, s.now())
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", "application/pdf")
	w.Header().Set("Content-Disposition", `inline; filename="key-tags-`+paper.Name+`.pdf"`)
	w.WriteHeader(http.StatusOK)
	_, err = w.Write(b)
	return err
}

// keyTagSheet lays the tags out on paper, as many pages as they need.
func keyTagSheet(paper tagPaper, tags []tag, now time.Time) ([]byte, error) {
	pdf := fpdf.New("P", "mm", paper.size, "")
	pdf.SetTitle("Keyward key tags", false)
	pdf.SetCreator("Keyward", false)
	pdf.SetCreationDate(now)
	pdf.SetModificationDate(now)
	pdf.SetAutoPageBreak(false, 0)
	pdf.SetMargins(0, 0, 0)
	tr := pdf.UnicodeTranslatorFromDescriptor("") // names in Windows-1252, as the core fonts want
	pageW, _ := pdf.GetPageSize()
	left := paper.left
	if left < 0 {
		left = (pageW - float64(paper.cols-1)*paper.pitchX - paper.w) / 2
	}
	// Sizes follow the tag's height, so a 1" label keeps its proportions.
	qrSize := min(paper.h-6, paper.w*0.42)
	pad := (paper.h - qrSize) / 2
	big := min(16, paper.h*0.42)
	small := min(8, paper.h*0.24)
	line := small * 0.45
	perPage := paper.cols * paper.rows
	for i, t := range tags {
		slot := i % perPage
		if slot == 0 {
			pdf.AddPage()
		}
		x := left + float64(slot%paper.cols)*paper.pitchX
		y := paper.top + float64(slot/paper.cols)*paper.pitchY
		code, err := qr.Encode(t.Link, qr.M)
		if err != nil {
			return nil, err
		}
		if paper.guides {
			pdf.SetDrawColor(200, 200, 200)
			pdf.SetLineWidth(0.1)
			pdf.Rect(x+0.5, y+0.5, paper.w-1, paper.h-1, "D")
		}
		hpad := min(pad, 3.5)
		drawQR(pdf, code, x+hpad, y+pad, qrSize)
		pdf.LinkString(x+hpad, y+pad, qrSize, qrSize, t.Link) // clickable in a PDF viewer too
		tx := x + qrSize + 2*hpad
		room := x + paper.w - 1.5 - tx
		pdf.SetTextColor(0, 0, 0)
		ty := y + pad + big*0.3
		pdf.SetFont("Helvetica", "B", big)
		pdf.Text(tx, ty, fit(pdf, tr(t.Stamp), room))
		ty += line + 1
		pdf.SetFont("Helvetica", "", small)
		pdf.Text(tx, ty+line, fit(pdf, tr(t.Keyway), room))
		ty += line + 1.2
		if t.Door != "" {
			pdf.Text(tx, ty+line, fit(pdf, tr(t.Door), room))
			ty += line + 1.2
		}
		if t.DND != "" {
			// The mark is never cut short: its type shrinks to fit.
			size := small
			for pdf.SetFont("Helvetica", "B", size); size > 4 && pdf.GetStringWidth(t.DND) > room; pdf.SetFont("Helvetica", "B", size) {
				size -= 0.25
			}
			pdf.Text(tx, ty+line, fit(pdf, tr(t.DND), room))
			ty += line + 1.2
		}
		if ty+line < y+paper.h-pad {
			pdf.SetFont("Helvetica", "", small*0.8)
			pdf.Text(tx, y+paper.h-pad, fit(pdf, "Scan to check out or in", room))
		}
	}
	var buf bytes.Buffer
	if err := pdf.Output(&buf); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// fit shortens text (one byte a character, as translated for the core
// fonts) with "..." until it is at most room mm wide in the current font.
func fit(pdf *fpdf.Fpdf, text string, room float64) string {
	if pdf.GetStringWidth(text) <= room {
		return text
	}
	for len(text) > 1 && pdf.GetStringWidth(text+"...") > room {
		text = text[:len(text)-1]
	}
	return text + "..."
}

// drawQR draws the code's dark modules as filled runs, size mm wide.
func drawQR(pdf *fpdf.Fpdf, c *qr.Code, x, y, size float64) {
	m := size / float64(c.Size)
	pdf.SetFillColor(0, 0, 0)
	for row := 0; row < c.Size; row++ {
		for col := 0; col < c.Size; {
			if !c.Black(col, row) {
				col++
				continue
			}
			start := col
			for col < c.Size && c.Black(col, row) {
				col++
			}
			pdf.Rect(x+float64(start)*m, y+float64(row)*m, float64(col-start)*m, m, "F")
		}
	}
}

// tagsPageData is the tags page: which keys, on which paper, linking where.
type tagsPageData struct {
	IDs, Symbol, Status, Q string
	Papers                 []tagPaper
	Paper                  string
	Count                  int
	// Problem says why nothing can be printed (no key matches, too many).
	Problem string
	// PublicURL is the configured address the codes link to; empty: the
	// address this page was loaded from (Base), with a warning.
	PublicURL, Base string
	Stamps          []string // the first few stamps, so the choice is seen
}

// keyTagsPage is GET /key-tags: the keys chosen (by ids or a filter), the
// paper, a warning when no public URL is configured, and the print button.
func (s *Server) keyTagsPage(w http.ResponseWriter, r *http.Request, a keyward.Actor) error {
	q := r.URL.Query()
	d := tagsPageData{IDs: q.Get("ids"), Symbol: q.Get("symbol"), Status: q.Get("status"), Q: q.Get("q"), Papers: tagPapers,
		PublicURL: s.publicURL, Base: s.baseURL(r)}
	paper, err := paperFor(q.Get("paper"), s.zone(r))
	if err != nil {
		return err
	}
	d.Paper = paper.Name
	keys, err := s.tagKeys(r, a)
	switch keyward.ErrorCode(err) {
	case "":
		d.Count = len(keys)
		for _, k := range keys[:min(len(keys), 12)] {
			d.Stamps = append(d.Stamps, k.Stamp)
		}
	case keyward.EINVALID:
		d.Problem = "This choice " + strings.SplitN(keyward.ErrorMessage(err), ": ", 2)[1] + "."
	case keyward.ENOTFOUND:
		d.Problem = "No keys match, so there is nothing to print. Choose keys on the keys list."
	default:
		return err
	}
	return s.render(w, r, a, http.StatusOK, "tags", "Print key tags", d)
}
