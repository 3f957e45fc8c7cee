package web

import (
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/keyward/keyward/internal/keyward"
)

// A work order is what a locksmith takes to the doors: the organization,
// the date, each step with its door and site in plain words, a box to tick
// and a line for the new keys, and a signature line. It never holds a
// bitting: keys are cut from the key system's records.

// workOrderStep is one line of a work order.
type workOrderStep struct {
	Site, Door string
	Do, Why    string
	// KeysLine asks for the new keys to be written down (a replaced cylinder,
	// a work-list door) while the step is not done.
	KeysLine bool
	Done     bool
	DoneText string // what was recorded, once done
}

// workOrderSection is a heading and its steps; Doors adds the site and door columns.
type workOrderSection struct {
	Heading string
	Doors   bool
	Steps   []workOrderStep
}

type workOrder struct {
	Org, Title string
	Facts      []string // lines under the title
	Intro      string
	Sections   []workOrderSection
	Printed    time.Time
	Zone       *time.Location
}

const (
	woLine = 4.6 // mm per text line
	woLeft = 10.0
	woBox  = 4.0
)

// workOrderDoc draws the work order on A4 pages.
func workOrderDoc(o workOrder) ([]byte, error) {
	d := newKSPDF(o.Title)
	f := d.f
	f.SetMargins(woLeft, 12, woLeft)
	d.heading(o.Title)
	d.line("B", 11, o.Org)
	for _, l := range o.Facts {
		d.line("", 9, l)
	}
	d.line("", 9, "Printed "+o.Printed.In(o.Zone).Format("Mon 2 Jan 2006, 15:04 MST")+".")
	if o.Intro != "" {
		f.Ln(2)
		d.line("", 10, o.Intro)
	}
	for _, sec := range o.Sections {
		if len(sec.Steps) == 0 {
			continue
		}
		f.Ln(3)
		d.line("B", 11, sec.Heading)
		widths := []float64{12, 178}
		head := []string{"Done", "What to do"}
		if sec.Doors {
			widths = []float64{12, 32, 40, 106}
			head = []string{"Done", "Site", "Door", "What to do"}
		}
		d.woRow(widths, head, true, false, false)
		for _, st := range sec.Steps {
			what := st.Do + "."
			if st.Why != "" {
				what += "\n" + st.Why
			}
			if st.Done {
				what += "\nDone: " + st.DoneText
			} else if st.KeysLine {
				what += "\nNew key(s) that open it now: ________________________"
			}
			cells := []string{"", what}
			if sec.Doors {
				cells = []string{"", st.Site, st.Door, what}
			}
			d.woRow(widths, cells, false, true, st.Done)
		}
	}
	f.Ln(6)
	if _, y := f.GetXY(); y > 240 {
		f.AddPage()
	}
	d.line("B", 11, "Sign-off")
	d.line("", 10, "Work done by (name and company): ______________________________________________")
	f.Ln(2)
	d.line("", 10, "Date: ____________________     Signature: ____________________________________")
	f.Ln(2)
	d.line("", 10, "Checked for "+o.Org+" by: ______________________________________________")
	f.Ln(3)
	d.line("I", 8, "This work order holds no key bittings or codes: cut keys from the key system's records. Mark each step done in Keyward with the keys it records.")
	return d.bytes()
}

// woRow draws one table row whose cells wrap; box draws a tick box in the
// first cell, ticked when done. The row moves to a new page when it does not fit.
func (d *ksPDF) woRow(widths []float64, cells []string, head, box, done bool) {
	f := d.f
	style := ""
	if head {
		style = "B"
	}
	f.SetFont("Helvetica", style, 9)
	lines := 1
	texts := make([]string, len(cells))
	for i, c := range cells {
		texts[i] = d.tr(c)
		n := 0
		for _, part := range strings.Split(texts[i], "\n") {
			n += max(1, len(f.SplitText(part, widths[i]-2)))
		}
		lines = max(lines, n)
	}
	h := float64(lines)*woLine + 2
	_, pageH := f.GetPageSize()
	if _, y := f.GetXY(); y+h > pageH-18 {
		f.AddPage()
	}
	_, y := f.GetXY()
	x := woLeft
	for i, t := range texts {
		if head {
			f.SetFillColor(230, 230, 230)
			f.Rect(x, y, widths[i], h, "FD")
		} else {
			f.Rect(x, y, widths[i], h, "D")
		}
		if i == 0 && box {
			bx, by := x+(widths[i]-woBox)/2, y+1.5
			f.Rect(bx, by, woBox, woBox, "D")
			if done {
				f.Line(bx, by, bx+woBox, by+woBox)
				f.Line(bx, by+woBox, bx+woBox, by)
			}
		} else {
			f.SetXY(x+1, y+1)
			f.MultiCell(widths[i]-2, woLine, t, "", "L", false)
		}
		x += widths[i]
	}
	f.SetXY(woLeft, y+h)
}

// orgName is the organization's name for a printout.
func (s *Server) orgName(r *http.Request) string {
	if org, err := s.accounts.Org(r.Context()); err == nil {
		return org.Name
	}
	return ""
}

// planPDF prints a rekey plan as the locksmith's work order.
func (s *Server) planPDF(w http.ResponseWriter, r *http.Request, a keyward.Actor) error {
	ks, err := s.keySystems.KeySystem(r.Context(), a, r.PathValue("id"))
	if err != nil {
		return err
	}
	p, err := s.keySystems.Plan(r.Context(), a, ks.ID, r.PathValue("plan"))
	if err != nil {
		return err
	}
	zone := s.zone(r)
	opened := len(p.Intended) + len(p.Incidental)
	o := workOrder{Org: s.orgName(r), Title: "Work order: rekey after lost key " + p.LostSymbol, Printed: s.now(), Zone: zone,
		Facts: []string{"Key system " + ks.Name + ". Lost key " + p.LostSymbol + ", reported " + p.CreatedAt.In(zone).Format("2 Jan 2006") + "."},
		Intro: "Whoever finds the lost key " + p.LostSymbol + " could open " + strconv.Itoa(opened) + " door" + pluralS(opened) +
			". Do the steps in order; tick each one and write down the keys where asked."}
	if p.Status == keyward.WorkDone && p.ClosedAt != nil {
		o.Facts = append(o.Facts, "All steps were done by "+p.ClosedAt.In(zone).Format("2 Jan 2006")+".")
	}
	cut := workOrderSection{Heading: "1. Keys to cut"}
	doors := workOrderSection{Heading: "2. Doors", Doors: true}
	hand := workOrderSection{Heading: "3. Keys to hand out"}
	for _, st := range planSteps(ks, p) {
		ws := workOrderStep{Site: st.SiteName, Door: st.OpeningName, Do: st.Text.Do, Why: st.Text.Why, Done: st.Done,
			KeysLine: keyward.DoneRecords(st.Kind).NewKeys}
		if st.Done {
			ws.DoneText = doneText(st.DoneAt, st.DoneBy, zone)
			if st.Kind == keyward.PlanReplaceCylinder && len(st.NewKeys) > 0 {
				ws.DoneText += "; new keys " + strings.Join(st.NewKeys, ", ")
			}
		}
		switch st.Kind {
		case keyward.PlanCut:
			cut.Steps = append(cut.Steps, ws)
		case keyward.PlanReissue:
			hand.Steps = append(hand.Steps, ws)
		default:
			doors.Steps = append(doors.Steps, ws)
		}
	}
	o.Sections = []workOrderSection{cut, doors, hand}
	b, err := workOrderDoc(o)
	if err != nil {
		return err
	}
	return writeKSPDF(w, "workorder-"+ksFileName(p.LostSymbol)+".pdf", b)
}

// workListPDF prints a work list as the locksmith's work order.
func (s *Server) workListPDF(w http.ResponseWriter, r *http.Request, a keyward.Actor) error {
	wl, err := s.lostKeys.WorkList(r.Context(), a, r.PathValue("id"))
	if err != nil {
		return err
	}
	zone := s.zone(r)
	o := workOrder{Org: s.orgName(r), Title: "Work order: rekey or replace, lost key " + wl.LostSymbol, Printed: s.now(), Zone: zone,
		Facts: []string{"Lost key " + wl.Stamp + ". Work list made " + wl.CreatedAt.In(zone).Format("2 Jan 2006") + "."},
		Intro: "Whoever finds the lost key " + wl.LostSymbol + " can open these doors. Rekey each lock, or replace it, so that " + wl.LostSymbol +
			" no longer opens it; tick the door and write down its new key."}
	if u := wl.Uncontrolled; u != nil {
		// A copy found outside Keyward, not a lost key.
		o.Title = "Work order: rekey or replace, a copy of " + wl.LostSymbol + " we never made"
		o.Facts = []string{"A copy of " + wl.LostSymbol + " that nobody made through Keyward was found: " + u.Where + ". Work list made " + wl.CreatedAt.In(zone).Format("2 Jan 2006") + "."}
		o.Intro = "Whoever has a copy of " + wl.LostSymbol + " can open these doors. Rekey each lock, or replace it, so that " + wl.LostSymbol +
			" no longer opens it; tick the door and write down its new key."
	}
	if wl.Note != "" {
		o.Facts = append(o.Facts, "Note: "+wl.Note)
	}
	sec := workOrderSection{Heading: "Doors", Doors: true}
	for _, it := range wl.Items {
		ws := workOrderStep{Site: it.SiteName, Door: it.OpeningName, Do: "Rekey or replace the lock", KeysLine: true, Done: it.Done}
		if it.Done {
			how := map[string]string{keyward.MethodRekey: "rekeyed", keyward.MethodReplace: "replaced"}[it.Method]
			ws.DoneText = how + " " + doneText(it.DoneAt, it.DoneBy, zone) + "; new keys " + strings.Join(it.NewKeys, ", ")
		}
		sec.Steps = append(sec.Steps, ws)
	}
	o.Sections = []workOrderSection{sec}
	b, err := workOrderDoc(o)
	if err != nil {
		return err
	}
	return writeKSPDF(w, "workorder-"+ksFileName(wl.LostSymbol)+".pdf", b)
}

func doneText(at *time.Time, by string, zone *time.Location) string {
	out := ""
	if at != nil {
		out = at.In(zone).Format("2 Jan 2006")
	}
	if by != "" {
		out += " by " + by
	}
	return strings.TrimSpace(out)
}
