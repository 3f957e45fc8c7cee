package web

import (
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/keyward/keyward/internal/keyward"
)

// Paper of duplication control: the authorization form a restricted
// request's signatory signs, and the receipt of the copies produced. Neither
// ever holds a secret: the authorization card is compared by the service and
// never leaves it, so it cannot reach a page or a printout.

// copyPaper is what both printouts say about a request.
type copyPaper struct {
	Org     string
	R       *keyward.CopyRequest
	Printed time.Time
	Zone    *time.Location
	// Holders names the holders of the produced copies, by id.
	Holders map[string]string
}

func (p copyPaper) day(t time.Time) string { return t.In(p.Zone).Format("2 Jan 2006") }

func (p copyPaper) moment(t time.Time) string { return t.In(p.Zone).Format("2 Jan 2006, 15:04 MST") }

// forWhom is who the copies are for, in words.
func (p copyPaper) forWhom() string {
	if p.R.ForHolderName != "" {
		return p.R.ForHolderName
	}
	return "kept in storage"
}

// facts are the request's lines both printouts start with.
func (p copyPaper) facts() [][]string {
	r := p.R
	rows := [][]string{
		{"Keyway", r.KeywayName + " (" + keyward.PolicyWords(r.Policy) + ")"},
		{"Key symbol", r.Symbol + " (pattern key " + r.Stamp + ")"},
		{"Number of copies", strconv.Itoa(r.Count)},
		{"For", p.forWhom()},
		{"Asked by", r.RequesterName + ", " + p.day(r.CreatedAt)},
	}
	if r.Reason != "" {
		rows = append(rows, []string{"Reason", r.Reason})
	}
	return rows
}

// factRows draws label-value rows that wrap.
func (d *ksPDF) factRows(rows [][]string) {
	for _, row := range rows {
		d.woRow([]float64{45, 145}, row, false, false, false)
	}
}

// authorizationDoc is the form the signatory signs at the counter.
func authorizationDoc(p copyPaper) ([]byte, error) {
	r := p.R
	title := "Authorization to duplicate keys"
	d := newKSPDF(title)
	f := d.f
	f.SetMargins(woLeft, 12, woLeft)
	d.heading(title)
	d.line("B", 11, p.Org)
	d.line("", 9, "Copy request of "+p.day(r.CreatedAt)+". Printed "+p.moment(p.Printed)+".")
	f.Ln(3)
	d.factRows(p.facts())
	f.Ln(4)
	d.line("B", 11, "Signatory")
	name, id, checked := "______________________________________", "______________________ ending in ______", ""
	if ev := r.Evidence; ev != nil {
		name = ev.SignatoryName
		id = idTypeText(ev.IDType) + " ending in " + ev.IDLast4
		checked = "Checked by " + ev.CheckedByName + " on " + p.moment(ev.CheckedAt) + "; the authorization card matched the card on file."
	}
	d.factRows([][]string{{"Name", name}, {"Photo ID", id}})
	if checked != "" {
		d.line("", 9, checked)
	} else {
		d.line("", 9, "The counter checks the photo ID and the keyway's authorization card; the card number is never written on this form.")
	}
	f.Ln(4)
	d.line("", 10, "I am a registered signatory of the keyway "+r.KeywayName+". I authorize "+copiesOf(r)+" for "+p.forWhom()+
		", and I confirm that the photo ID shown is mine.")
	f.Ln(5)
	d.line("", 10, "Signatory's signature: ________________________________     Date: ________________")
	f.Ln(6)
	d.line("B", 11, "Approval")
	approver := "Approving manager (name): ______________________________"
	if len(r.Approvals) > 0 {
		names := make([]string, len(r.Approvals))
		for i, ap := range r.Approvals {
			names[i] = ap.ByName + " (" + p.day(ap.At) + ")"
		}
		approver = "Approved by: " + strings.Join(names, ", ")
	}
	d.line("", 10, approver)
	f.Ln(3)
	d.line("", 10, "Approving manager's signature: ________________________     Date: ________________")
	f.Ln(2)
	d.line("I", 8, "The manager who approves is never the person who asked for the copies. Keep this form with the request's records.")
	return d.bytes()
}

// receiptDoc lists the copies produced, the evidence recorded and who approved.
func receiptDoc(p copyPaper) ([]byte, error) {
	r := p.R
	title := "Receipt: " + copiesOf(r) + " produced"
	d := newKSPDF(title)
	f := d.f
	f.SetMargins(woLeft, 12, woLeft)
	d.heading(title)
	d.line("B", 11, p.Org)
	d.line("", 9, "Printed "+p.moment(p.Printed)+".")
	f.Ln(3)
	d.factRows(p.facts())
	f.Ln(4)
	d.line("B", 11, "Copies produced")
	d.woRow([]float64{40, 150}, []string{"Stamp", "Where it is now"}, true, false, false)
	for _, k := range r.Keys {
		d.woRow([]float64{40, 150}, []string{k.Stamp, copyWhere(k, p.Holders[k.HolderID])}, false, false, false)
	}
	f.Ln(4)
	d.line("B", 11, "Evidence and approval")
	var rows [][]string
	if ev := r.Evidence; ev != nil {
		rows = append(rows,
			[]string{"Signatory", ev.SignatoryName},
			[]string{"Photo ID", idTypeText(ev.IDType) + " ending in " + ev.IDLast4},
			[]string{"Authorization card", "matched the card on file"},
			[]string{"Checked by", ev.CheckedByName + ", " + p.moment(ev.CheckedAt)})
	} else {
		rows = append(rows, []string{"Evidence", "none needed: the keyway is " + keyward.PolicyWords(r.Policy)})
	}
	if len(r.Approvals) == 0 {
		rows = append(rows, []string{"Approved", "at once: the keyway is " + keyward.PolicyWords(r.Policy)})
	}
	for _, ap := range r.Approvals {
		rows = append(rows, []string{"Approved by", ap.ByName + ", " + p.moment(ap.At)})
	}
	for _, e := range r.History {
		switch e.Step {
		case keyward.CopyStepProduce:
			rows = append(rows, []string{"Cut by", e.ByName + ", " + p.moment(e.At)})
		case keyward.CopyStepHandOver:
			rows = append(rows, []string{"Handed over by", e.ByName + ", " + p.moment(e.At)})
		}
	}
	d.factRows(rows)
	f.Ln(6)
	d.line("", 10, "Received by: __________________________   Signature: ____________________   Date: ____________")
	f.Ln(2)
	d.line("I", 8, "This receipt holds no secret: no authorization card number, code or bitting.")
	return d.bytes()
}

// copyPaperFor reads a request for a printout.
func (s *Server) copyPaperFor(r *http.Request, a keyward.Actor) (copyPaper, error) {
	req, err := s.duplication.CopyRequest(r.Context(), a, r.PathValue("id"))
	if err != nil {
		return copyPaper{}, err
	}
	p := copyPaper{Org: s.orgName(r), R: req, Printed: s.now(), Zone: s.zone(r), Holders: map[string]string{}}
	n := s.newPageNames(r, a)
	for _, k := range req.Keys {
		if p.Holders[k.HolderID], err = n.holder(k.HolderID); err != nil {
			return p, err
		}
	}
	return p, nil
}

// copyAuthorizationPDF answers a restricted request's authorization form.
func (s *Server) copyAuthorizationPDF(w http.ResponseWriter, r *http.Request, a keyward.Actor) error {
	p, err := s.copyPaperFor(r, a)
	if err != nil {
		return err
	}
	if p.R.Policy != keyward.DupRestricted {
		return keyward.Errorf(keyward.ECONFLICT, "only a request for a restricted keyway has an authorization form")
	}
	b, err := authorizationDoc(p)
	if err != nil {
		return err
	}
	return writeKSPDF(w, "authorization-"+ksFileName(p.R.Symbol)+".pdf", b)
}

// copyReceiptPDF answers the receipt of a request's produced copies.
func (s *Server) copyReceiptPDF(w http.ResponseWriter, r *http.Request, a keyward.Actor) error {
	p, err := s.copyPaperFor(r, a)
	if err != nil {
		return err
	}
	if p.R.State != keyward.CopyProduced && p.R.State != keyward.CopyHandedOver {
		return keyward.Errorf(keyward.ECONFLICT, "the copies are not cut yet: the receipt is printed after production")
	}
	b, err := receiptDoc(p)
	if err != nil {
		return err
	}
	return writeKSPDF(w, "receipt-"+ksFileName(p.R.Symbol)+".pdf", b)
}

// copyWhere says where a produced copy is now, held by holder (a name).
func copyWhere(k keyward.Key, holder string) string {
	switch k.Status {
	case keyward.StatusInStorage:
		return "In storage"
	case keyward.StatusIssued:
		return "Issued to " + holder
	case keyward.StatusCheckedOut:
		return "Checked out to " + holder
	case keyward.StatusLost:
		return "Reported lost"
	case keyward.StatusDestroyed:
		return "Destroyed"
	}
	return statusText(k.Status)
}
