package web

import (
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"unicode"

	"github.com/keyward/keyward/internal/keyward"
)

// Lost-key pages: the key page's card for a lost key (what it opens, the
// next step), the work list of a key outside key systems, and the confirm
// step of marking a plan item or a work-list door done.

// lostGroup is the doors a lost key opens one way, under a heading in words.
type lostGroup struct {
	How, Label string
	Doors      []keyward.LostDoor
}

// exposureView is what a key out of our hands opens and the next step, in
// the words of the page that shows it (templates/part_exposure.html): a
// lost key on its page, a copy found outside Keyward on its symbol's page.
type exposureView struct {
	*keyward.LostKey
	Groups []lostGroup
	// Who can open the doors, NoDoors when there are none, and This is the
	// key or copy in the middle of a sentence.
	Who, NoDoors, This string
	// WorkListAction is the form that makes the work list; PlanNote is the
	// note a rekey plan started from the page records.
	WorkListAction, PlanNote string
}

// lostKeyView is a lost key's exposure, on its page.
func lostKeyView(lk *keyward.LostKey) *exposureView {
	return &exposureView{LostKey: lk, Groups: lostGroups(lk), Who: "Whoever finds this key", NoDoors: "This key opens no door on record",
		This: "this key", WorkListAction: "/keys/" + url.PathEscape(lk.KeyID) + "/worklist"}
}

// lostGroups groups a lost key's doors by how it opens them, in the domain's order.
func lostGroups(lk *keyward.LostKey) []lostGroup {
	labels := map[string]string{
		keyward.ReachIntended:   "Made to open",
		keyward.ReachIncidental: "Also opens by accident, through the master pins of these locks",
		keyward.ReachSchedule:   "Opens",
	}
	if lk.SystemID != "" {
		labels[keyward.ReachSchedule] = "Also listed as a key of"
	}
	var out []lostGroup
	for _, how := range keyward.LostReaches {
		g := lostGroup{How: how, Label: labels[how]}
		for _, d := range lk.Doors {
			if d.How == how {
				g.Doors = append(g.Doors, d)
			}
		}
		if len(g.Doors) > 0 {
			out = append(out, g)
		}
	}
	return out
}

// keyWorkListCreate is the key page's one click: the work list of a lost key.
func (s *Server) keyWorkListCreate(w http.ResponseWriter, r *http.Request, a keyward.Actor) error {
	wl, err := s.lostKeys.CreateWorkList(r.Context(), a, keyward.WorkListInput{KeyID: r.PathValue("id"), Note: r.PostFormValue("note")})
	if err != nil {
		return formRefused(err, func(st int) error { return s.renderKey(w, r, a, st, "worklist", nil, err) })
	}
	n := len(wl.Items)
	return redirectFlash(w, r, "/worklists/"+url.PathEscape(wl.ID), "Work list made: "+strconv.Itoa(n)+" door"+pluralS(n)+" to rekey or replace.")
}

type workListPageData struct {
	List *keyward.WorkList
	Left int
}

func (s *Server) workListPage(w http.ResponseWriter, r *http.Request, a keyward.Actor) error {
	wl, err := s.lostKeys.WorkList(r.Context(), a, r.PathValue("id"))
	if err != nil {
		return err
	}
	d := workListPageData{List: wl}
	for _, it := range wl.Items {
		if !it.Done {
			d.Left++
		}
	}
	title := "Work list: lost key " + wl.Stamp
	if wl.Uncontrolled != nil {
		title = "Work list: a copy of " + wl.LostSymbol + " we never made"
	}
	return s.render(w, r, a, http.StatusOK, "worklist", title, d)
}

// doneData is the confirm step of marking a plan item or a work-list door
// done: what was done in words, what it records, and the form.
type doneData struct {
	Do, Why   string
	Door      string
	DoorID    string
	Site      string
	Lost      string
	After     []string // the keys that open the door after a rekey
	Records   keyward.DoneRecord
	Action    string
	Back      string
	BackLabel string
	Form      map[string]string
}

// doneForm reads the confirm form. New keys are typed as stamped, separated
// by commas or spaces.
func doneForm(r *http.Request) keyward.ItemDoneInput {
	in := keyward.ItemDoneInput{Confirm: r.PostFormValue("confirm") == "1", Method: r.PostFormValue("method"), Note: r.PostFormValue("note")}
	in.NewKeys = strings.FieldsFunc(r.PostFormValue("new_keys"), func(c rune) bool { return c == ',' || unicode.IsSpace(c) })
	return in
}

// doneFormError shows a refusal of one of several new keys under the one
// field the form has, naming the key.
func doneFormError(err error, keys []string) error {
	var e *keyward.Error
	if !errors.As(err, &e) || e.Code != keyward.EINVALID {
		return err
	}
	c := *e
	c.Fields = nil
	for _, f := range e.Fields {
		if i, ok := strings.CutPrefix(f.Field, "new_keys["); ok {
			n, _ := strconv.Atoi(strings.TrimSuffix(i, "]"))
			if n >= 0 && n < len(keys) {
				f = keyward.FieldError{Field: "new_keys", Rule: keys[n] + ": " + f.Rule}
			}
		}
		if !slices.ContainsFunc(c.Fields, func(x keyward.FieldError) bool { return x.Field == f.Field }) {
			c.Fields = append(c.Fields, f)
		}
	}
	return &c
}

func (s *Server) renderDone(w http.ResponseWriter, r *http.Request, a keyward.Actor, status int, d doneData, failed error) error {
	title := "Mark done: " + d.Do
	if failed != nil {
		return s.render(w, r, a, status, "work_done", title, newFormError(failed, d))
	}
	return s.render(w, r, a, status, "work_done", title, d)
}

// planItemDoneData reads a plan item and says it in words.
func (s *Server) planItemDoneData(r *http.Request, a keyward.Actor) (doneData, *keyward.PlanItem, error) {
	ks, err := s.keySystems.KeySystem(r.Context(), a, r.PathValue("id"))
	if err != nil {
		return doneData{}, nil, err
	}
	p, err := s.keySystems.Plan(r.Context(), a, ks.ID, r.PathValue("plan"))
	if err != nil {
		return doneData{}, nil, err
	}
	i := slices.IndexFunc(p.Items, func(it keyward.PlanItem) bool { return it.ID == r.PathValue("item") })
	if i < 0 {
		return doneData{}, nil, keyward.Errorf(keyward.ENOTFOUND, "plan item %q not found", r.PathValue("item"))
	}
	it := p.Items[i]
	text := keyward.DescribePlanItem(it, keyward.NewPlanWords(ks, p))
	base := "/keysystems/" + url.PathEscape(ks.ID) + "/plans/" + url.PathEscape(p.ID)
	d := doneData{Do: text.Do, Why: text.Why, Door: it.OpeningName, DoorID: it.OpeningID, Site: it.SiteName, Lost: p.LostSymbol,
		Records: keyward.DoneRecords(it.Kind), Action: base + "/items/" + url.PathEscape(it.ID) + "/done", Back: base, BackLabel: "Back to the rekey plan"}
	if it.Kind == keyward.PlanRekey {
		d.After = it.NewKeys
	}
	return d, &it, nil
}

func (s *Server) planItemConfirm(w http.ResponseWriter, r *http.Request, a keyward.Actor) error {
	d, it, err := s.planItemDoneData(r, a)
	if err != nil {
		return err
	}
	if it.Done {
		return redirectFlash(w, r, d.Back, "Step "+strconv.Itoa(it.Seq)+" is already done.")
	}
	return s.renderDone(w, r, a, http.StatusOK, d, nil)
}

func (s *Server) planItemDone(w http.ResponseWriter, r *http.Request, a keyward.Actor) error {
	in := doneForm(r)
	p, err := s.keySystems.CompleteItem(r.Context(), a, r.PathValue("id"), r.PathValue("plan"), r.PathValue("item"), in)
	if err != nil {
		return formRefused(err, func(st int) error {
			d, _, derr := s.planItemDoneData(r, a)
			if derr != nil {
				return derr
			}
			d.Form = postedValues(r, "method", "new_keys", "note", "confirm")
			return s.renderDone(w, r, a, st, d, doneFormError(err, in.NewKeys))
		})
	}
	msg := "Marked done."
	if p.Status == keyward.WorkDone {
		msg = "The rekey plan is complete. The keys were checked against every lock again:"
		if len(p.LostOperates) == 0 {
			msg += " the lost key " + p.LostSymbol + " opens nothing now."
		} else {
			msg += " the lost key " + p.LostSymbol + " still opens " + strconv.Itoa(len(p.LostOperates)) + " door(s)."
		}
	}
	return redirectFlash(w, r, "/keysystems/"+url.PathEscape(r.PathValue("id"))+"/plans/"+url.PathEscape(p.ID), msg)
}

// workItemDoneData reads a work-list door for its confirm step.
func (s *Server) workItemDoneData(r *http.Request, a keyward.Actor) (doneData, *keyward.WorkItem, error) {
	wl, err := s.lostKeys.WorkList(r.Context(), a, r.PathValue("id"))
	if err != nil {
		return doneData{}, nil, err
	}
	i := slices.IndexFunc(wl.Items, func(it keyward.WorkItem) bool { return it.ID == r.PathValue("item") })
	if i < 0 {
		return doneData{}, nil, keyward.Errorf(keyward.ENOTFOUND, "work list item %q not found", r.PathValue("item"))
	}
	it := wl.Items[i]
	base := "/worklists/" + url.PathEscape(wl.ID)
	d := doneData{Do: "Rekey or replace the lock of " + it.OpeningName, Door: it.OpeningName, DoorID: it.OpeningID, Site: it.SiteName, Lost: wl.LostSymbol,
		Why:     "The lost key " + wl.LostSymbol + " opens this door. Once its lock is rekeyed or replaced, " + wl.LostSymbol + " comes off the door's list of keys and the new key goes on.",
		Records: keyward.DoneRecords(keyward.WorkDoor), Action: base + "/items/" + url.PathEscape(it.ID) + "/done", Back: base, BackLabel: "Back to the work list"}
	return d, &it, nil
}

func (s *Server) workItemConfirm(w http.ResponseWriter, r *http.Request, a keyward.Actor) error {
	d, it, err := s.workItemDoneData(r, a)
	if err != nil {
		return err
	}
	if it.Done {
		return redirectFlash(w, r, d.Back, it.OpeningName+" is already done.")
	}
	return s.renderDone(w, r, a, http.StatusOK, d, nil)
}

func (s *Server) workItemDone(w http.ResponseWriter, r *http.Request, a keyward.Actor) error {
	in := doneForm(r)
	wl, err := s.lostKeys.CompleteWorkItem(r.Context(), a, r.PathValue("id"), r.PathValue("item"), in)
	if err != nil {
		return formRefused(err, func(st int) error {
			d, _, derr := s.workItemDoneData(r, a)
			if derr != nil {
				return derr
			}
			d.Form = postedValues(r, "method", "new_keys", "note", "confirm")
			return s.renderDone(w, r, a, st, d, doneFormError(err, in.NewKeys))
		})
	}
	msg := "Marked done: the door's keys were updated."
	if wl.Status == keyward.WorkDone {
		msg = "All doors are done: no door on record opens with " + wl.LostSymbol + " now."
	}
	return redirectFlash(w, r, "/worklists/"+url.PathEscape(wl.ID), msg)
}

// pluralS is the ending of a noun counted n times.
func pluralS(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}
