package web

import (
	"bytes"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/go-pdf/fpdf"

	"github.com/keyward/keyward/internal/keyward"
)

// ksPDF is a printable A4 page set in the core Helvetica font; text is
// translated from UTF-8 to the font's code page.
type ksPDF struct {
	f  *fpdf.Fpdf
	tr func(string) string
}

func newKSPDF(title string) *ksPDF {
	f := fpdf.New("P", "mm", "A4", "")
	f.SetTitle(title, true)
	f.SetCreator("Keyward", true)
	f.SetAutoPageBreak(true, 15)
	f.AliasNbPages("")
	d := &ksPDF{f: f, tr: f.UnicodeTranslatorFromDescriptor("")}
	f.SetFooterFunc(func() {
		f.SetY(-12)
		f.SetFont("Helvetica", "", 8)
		f.CellFormat(0, 5, d.tr(title+" · page "+strconv.Itoa(f.PageNo())+" of {nb}"), "", 0, "C", false, 0, "")
	})
	f.AddPage()
	return d
}

func (d *ksPDF) heading(s string) {
	d.f.SetFont("Helvetica", "B", 15)
	d.f.CellFormat(0, 9, d.tr(s), "", 1, "L", false, 0, "")
}

func (d *ksPDF) line(style string, size float64, s string) {
	d.f.SetFont("Helvetica", style, size)
	d.f.MultiCell(0, 5, d.tr(s), "", "L", false)
}

// table writes a header row and rows; widths in mm.
func (d *ksPDF) table(widths []float64, head []string, rows [][]string) {
	d.f.SetFont("Helvetica", "B", 9)
	d.f.SetFillColor(230, 230, 230)
	for i, h := range head {
		d.f.CellFormat(widths[i], 6, d.tr(h), "1", 0, "L", true, 0, "")
	}
	d.f.Ln(-1)
	d.f.SetFont("Helvetica", "", 9)
	for _, r := range rows {
		for i, c := range r {
			d.f.CellFormat(widths[i], 6, d.tr(c), "1", 0, "L", false, 0, "")
		}
		d.f.Ln(-1)
	}
}

func (d *ksPDF) bytes() ([]byte, error) {
	var b bytes.Buffer
	if err := d.f.Output(&b); err != nil {
		return nil, fmt.Errorf("web: render pdf: %w", err)
	}
	return b.Bytes(), nil
}

func writeKSPDF(w http.ResponseWriter, name string, b []byte) error {
	w.Header().Set("Content-Type", "application/pdf")
	w.Header().Set("Content-Disposition", `inline; filename="`+name+`"`)
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusOK)
	_, err := w.Write(b)
	return err
}

// fileName keeps letters, digits, dots and dashes.
func ksFileName(s string) string {
	return strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '.' || r == '-' {
			return r
		}
		return '-'
	}, s)
}

// scheduleDoc is the keying schedule: every keyed opening, its symbol and key
// list, and the key tree with copy counts. It holds no bitting.
func scheduleDoc(ks *keyward.KeySystem, now time.Time) ([]byte, error) {
	d := newKSPDF("Keying schedule: " + ks.Name)
	d.heading("Keying schedule: " + ks.Name)
	d.line("", 9, fmt.Sprintf("Spec %s, %d pins, MACS %d. Top master %s. Printed %s.", ks.Spec.Name, ks.Spec.Positions, ks.Spec.MACS, ks.TopSymbol, now.UTC().Format("2006-01-02 15:04 UTC")))
	d.f.Ln(3)
	d.line("B", 11, "Openings")
	rows := [][]string{}
	for _, c := range ks.Cylinders {
		rows = append(rows, []string{c.OpeningName, c.Symbol, strings.Join(c.KeyList, " "), c.PinnedAt.UTC().Format("2006-01-02"), strconv.Itoa(c.TotalMasterPins)})
	}
	if len(rows) == 0 {
		d.line("I", 9, "No opening is keyed yet.")
	} else {
		d.table([]float64{55, 20, 60, 25, 20}, []string{"Opening", "Symbol", "Key list", "Pinned", "Master pins"}, rows)
	}
	d.f.Ln(4)
	d.line("B", 11, "Key symbols")
	rows = rows[:0]
	for _, k := range ks.Symbols {
		if k.Tier == keyward.TierChange && len(k.Openings) == 0 && k.Copies == 0 {
			continue // unused change keys: the tree page lists them
		}
		rows = append(rows, []string{k.Symbol, k.Tier, k.Parent, k.Status, strconv.Itoa(k.Copies), strconv.Itoa(len(k.Openings))})
	}
	d.table([]float64{25, 25, 25, 25, 25, 25}, []string{"Symbol", "Tier", "Under", "Status", "Copies", "Openings"}, rows)
	return d.bytes()
}

// pinningDoc is one cylinder's pinning chart: a reveal of its bittings.
func pinningDoc(c *keyward.PinningChart, now time.Time) ([]byte, error) {
	d := newKSPDF("Pinning chart: " + c.OpeningName)
	d.heading("Pinning chart: " + c.OpeningName)
	d.line("", 9, fmt.Sprintf("Key system %s. Keyed %s, pinned %s. Printed %s.", c.SystemName, c.Symbol, c.PinnedAt.UTC().Format("2006-01-02"), now.UTC().Format("2006-01-02 15:04 UTC")))
	d.line("B", 9, "CONFIDENTIAL: this chart reveals key bittings. Its printing is recorded in the audit log.")
	d.f.Ln(3)
	d.line("B", 11, "Key list")
	rows := [][]string{}
	for _, b := range c.Bittings {
		rows = append(rows, []string{b.Symbol, b.Bitting})
	}
	d.table([]float64{40, 40}, []string{"Symbol", "Bitting"}, rows)
	d.f.Ln(4)
	d.line("B", 11, "Chambers (position 1 at the bow; pins bottom-up, in depth units)")
	rows = rows[:0]
	for _, ch := range c.Chambers {
		rows = append(rows, []string{strconv.Itoa(ch.Position), ksInts(ch.ShearDepths), strconv.Itoa(ch.BottomPin), ksInts(ch.MasterPins)})
	}
	d.table([]float64{25, 45, 30, 45}, []string{"Chamber", "Shear depths", "Bottom pin", "Master pins"}, rows)
	d.f.Ln(3)
	d.line("", 9, fmt.Sprintf("Total master pins %d; %d bittings operate this cylinder.", c.TotalMasterPins, c.OperatingCount))
	for _, p := range c.PinProblems {
		d.line("", 9, "Check: "+p)
	}
	return d.bytes()
}

func ksInts(xs []int) string {
	if len(xs) == 0 {
		return "-"
	}
	s := make([]string, len(xs))
	for i, x := range xs {
		s[i] = strconv.Itoa(x)
	}
	return strings.Join(s, ", ")
}

func (s *Server) schedulePDF(w http.ResponseWriter, r *http.Request, a keyward.Actor) error {
	ks, err := s.keySystems.KeySystem(r.Context(), a, r.PathValue("id"))
	if err != nil {
		return err
	}
	b, err := scheduleDoc(ks, s.now())
	if err != nil {
		return err
	}
	return writeKSPDF(w, "schedule-"+ksFileName(ks.Name)+".pdf", b)
}

// pinningPDF reveals a pinning chart: the store records it before the chart is drawn.
// pinningPDF answers the pinning chart as a PDF: a reveal of bittings, so it
// needs a reason, from the page's POST form or the API's ?reason=.
func (s *Server) pinningPDF(w http.ResponseWriter, r *http.Request, a keyward.Actor) error {
	in := keyward.PinningRevealInput{Reason: r.FormValue("reason"), PDF: true}
	c, err := s.keySystems.RevealPinning(r.Context(), a, r.PathValue("id"), r.PathValue("opening"), in)
	if err != nil {
		return err
	}
	b, err := pinningDoc(c, s.now())
	if err != nil {
		return err
	}
	return writeKSPDF(w, "pinning-"+ksFileName(c.OpeningName)+".pdf", b)
}
