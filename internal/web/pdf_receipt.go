package web

import (
	"net/http"
	"time"

	"github.com/keyward/keyward/internal/keyward"
	"github.com/keyward/keyward/internal/when"
)

// A key receipt is what a holder signs when keys are handed over: the
// organization, the holder, the date, every key they hold now (stamp, key
// type, what it opens, issued or due back when), a statement and signature
// lines for the holder and for whoever hands the keys over. No internal id,
// no bitting.

// receiptStatement is what the holder signs to.
const receiptStatement = "I have received the keys listed above. I will keep them safe, will not have them copied, " +
	"will report a lost key at once, and will return them when asked or when I leave."

// clip shortens text to n characters for a table cell.
func clip(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-3]) + "..."
}

// holderReceiptPDF is GET /holders/{id}/receipt.pdf.
func (s *Server) holderReceiptPDF(w http.ResponseWriter, r *http.Request, a keyward.Actor) error {
	h, err := s.directory.Holder(r.Context(), a, r.PathValue("id"))
	if err != nil {
		return err
	}
	now, zone := s.now(), s.zone(r)
	var keys []keyward.Key
	for _, st := range keyward.HeldStatuses {
		ks, _, err := s.everyKey(r, a, keyward.KeyFilter{Status: st, HolderID: h.ID})
		if err != nil {
			return err
		}
		keys = append(keys, ks...)
	}
	rows, _, err := s.reportKeys(r, a, keys[:min(len(keys), maxReportKeys)], now, zone)
	if err != nil {
		return err
	}
	org := ""
	if o, err := s.accounts.Org(r.Context()); err == nil {
		org = o.Name
	}
	b, err := keyReceiptDoc(org, h, rows, now, zone)
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", "application/pdf")
	w.Header().Set("Content-Disposition", `inline; filename="key-receipt.pdf"`)
	w.WriteHeader(http.StatusOK)
	_, err = w.Write(b)
	return err
}

// keyReceiptDoc draws the receipt.
func keyReceiptDoc(org string, h *keyward.Holder, keys []reportKey, now time.Time, zone *time.Location) ([]byte, error) {
	d := newKSPDF("Key receipt")
	f := d.f
	f.SetCreationDate(now)
	f.SetModificationDate(now)
	f.SetMargins(10, 12, 10)
	d.heading("Key receipt")
	if org != "" {
		d.line("B", 11, org)
	}
	who := h.Name
	if h.Email != "" {
		who += " (" + h.Email + ")"
	}
	d.line("", 10, "Holder: "+who)
	d.line("", 10, "Date: "+when.Format(now, zone))
	f.Ln(3)
	if len(keys) == 0 {
		d.line("", 10, h.Name+" holds no keys.")
	} else {
		var rows [][]string
		for _, k := range keys {
			terms := "Issued"
			if k.Status == keyward.StatusCheckedOut && k.DueAt != nil {
				terms = "Due back " + when.Format(*k.DueAt, zone)
			}
			opens := k.Opens
			if opens == "" {
				opens = "-"
			}
			rows = append(rows, []string{k.Stamp, clip(k.Keyway, 22), clip(opens, 42), terms})
		}
		d.table([]float64{25, 40, 75, 50}, []string{"Key", "Key type", "Opens", "Terms"}, rows)
	}
	f.Ln(5)
	d.line("", 10, receiptStatement)
	f.Ln(8)
	sign := func(label string) {
		f.SetFont("Helvetica", "", 10)
		y := f.GetY() + 8
		f.Line(10, y, 95, y)
		f.Line(105, y, 160, y)
		f.Line(170, y, 200, y)
		f.SetY(y + 1)
		f.CellFormat(95, 5, d.tr(label), "", 0, "L", false, 0, "")
		f.CellFormat(65, 5, "Signature", "", 0, "L", false, 0, "")
		f.CellFormat(30, 5, "Date", "", 1, "L", false, 0, "")
		f.Ln(6)
	}
	sign("Received by: " + h.Name)
	sign("Handed over by (name)")
	return d.bytes()
}
