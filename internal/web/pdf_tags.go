package web

import (
	"bytes"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/go-pdf/fpdf"
	"rsc.io/qr"

	"github.com/keyward/keyward/internal/keyward"
)

// maxTags bounds one sheet request.
const maxTags = 240

// Tag sheet geometry (mm): A4, 3 columns × 8 rows of 70 × 37 labels.
const (
	tagCols, tagRows = 3, 8
	tagW, tagH       = 70.0, 37.0
	tagTop           = 0.5
	tagQR            = 28.0
)

// tagKeys picks the keys of a sheet: ?ids=a,b,c, or a filter (?symbol=, ?status=, ?q=).
func (s *Server) tagKeys(r *http.Request, a keyward.Actor) ([]keyward.Key, error) {
	q := r.URL.Query()
	if ids := strings.TrimSpace(q.Get("ids")); ids != "" {
		parts := strings.Split(ids, ",")
		if len(parts) > maxTags {
			return nil, keyward.Invalid("ids", "must list at most 240 keys")
		}
		var keys []keyward.Key
		for _, id := range parts {
			k, err := s.custody.Key(r.Context(), a, strings.TrimSpace(id))
			if keyward.ErrorCode(err) == keyward.ENOTFOUND {
				return nil, keyward.Invalid("ids", "must name existing keys ("+strings.TrimSpace(id)+" is unknown)")
			}
			if err != nil {
				return nil, err
			}
			keys = append(keys, *k)
		}
		return keys, nil
	}
	f := keyward.KeyFilter{Symbol: q.Get("symbol"), Status: q.Get("status"), Query: q.Get("q"), ListOptions: keyward.ListOptions{Limit: maxTags}}
	p, err := s.custody.Keys(r.Context(), a, f)
	if err != nil {
		return nil, err
	}
	if len(p.Items) == 0 {
		return nil, keyward.Errorf(keyward.ENOTFOUND, "no keys match; nothing to print")
	}
	return p.Items, nil
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

// keyTagsPDF answers a printable sheet of key tags: each has a QR code of the
// key page's absolute URL, the stamp, the symbol and the key id. Never a bitting.
func (s *Server) keyTagsPDF(w http.ResponseWriter, r *http.Request, a keyward.Actor) error {
	keys, err := s.tagKeys(r, a)
	if err != nil {
		return err
	}
	policies := map[string]string{} // keyway id → duplication policy
	for _, k := range keys {
		if _, ok := policies[k.KeywayID]; ok {
			continue
		}
		kw, err := s.directory.Keyway(r.Context(), a, k.KeywayID)
		if err != nil {
			return err
		}
		policies[k.KeywayID] = kw.DuplicationPolicy
	}
	b, err := keyTagSheet(s.baseURL(r), keys, policies, s.now())
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", "application/pdf")
	w.Header().Set("Content-Disposition", `inline; filename="key-tags.pdf"`)
	w.WriteHeader(http.StatusOK)
	_, err = w.Write(b)
	return err
}

// keyTagSheet lays out the tags. A key of a Do Not Duplicate or restricted
// keyway (policies, by keyway id) carries the mark, as its metal does.
func keyTagSheet(base string, keys []keyward.Key, policies map[string]string, now time.Time) ([]byte, error) {
	pdf := fpdf.New("P", "mm", "A4", "")
	pdf.SetTitle("Keyward key tags", false)
	pdf.SetCreator("Keyward", false)
	pdf.SetCreationDate(now)
	pdf.SetModificationDate(now)
	pdf.SetAutoPageBreak(false, 0)
	pdf.SetMargins(0, 0, 0)
	pageW, _ := pdf.GetPageSize()
	left := (pageW - tagCols*tagW) / 2
	for i, k := range keys {
		slot := i % (tagCols * tagRows)
		if slot == 0 {
			pdf.AddPage()
		}
		x := left + float64(slot%tagCols)*tagW
		y := tagTop + float64(slot/tagCols)*tagH
		link := base + "/keys/" + url.PathEscape(k.ID)
		code, err := qr.Encode(link, qr.M)
		if err != nil {
			return nil, err
		}
		// Light cut guide around the tag.
		pdf.SetDrawColor(200, 200, 200)
		pdf.SetLineWidth(0.1)
		pdf.Rect(x+0.5, y+0.5, tagW-1, tagH-1, "D")
		drawQR(pdf, code, x+4.5, y+4.5, tagQR)
		pdf.LinkString(x+4.5, y+4.5, tagQR, tagQR, link) // clickable in a PDF viewer too
		tx := x + tagQR + 7
		pdf.SetTextColor(0, 0, 0)
		pdf.SetFont("Helvetica", "B", 16)
		pdf.Text(tx, y+11, k.Stamp)
		// A key of a Do Not Duplicate or restricted keyway says so under its
		// stamp; the lines below move down to make room.
		down := 0.0
		if mark := dupMark(policies[k.KeywayID]); mark != "" {
			pdf.SetFont("Helvetica", "B", 7)
			pdf.Text(tx, y+15.5, strings.ToUpper(mark))
			down = 2.5
		}
		pdf.SetFont("Helvetica", "", 8)
		pdf.Text(tx, y+17+down, "Symbol "+k.Symbol)
		pdf.Text(tx, y+21+down, k.ID)
		pdf.SetFont("Helvetica", "", 6)
		pdf.Text(tx, y+26+down/2, "Scan to check in or out")
		pdf.Text(tx, y+30, "/keys/"+k.ID)
		if policies[k.KeywayID] == keyward.DupRestricted {
			pdf.SetFont("Helvetica", "B", 6)
			pdf.Text(tx, y+33.8, "RESTRICTED KEYWAY")
		}
	}
	var buf bytes.Buffer
	if err := pdf.Output(&buf); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
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
