package web

import (
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/keyward/keyward/internal/keyward"
)

// Copy accounting pages: every symbol's count (/copies), one symbol's copies
// and where each one is (/copies/{keyway}/{symbol}), and the form that
// records a copy found outside Keyward, which leads to the same next step
// as a lost key of the symbol (templates/part_exposure.html).

// copiesExist says how many copies of a key are under control.
func copiesExist(n int) string {
	switch n {
	case 0:
		return "No copy of this key is under control"
	case 1:
		return "1 copy of this key exists"
	}
	return strconv.Itoa(n) + " copies of this key exist"
}

// copiesWord is "1 copy", "3 copies".
func copiesWord(n int) string {
	if n == 1 {
		return "1 copy"
	}
	return strconv.Itoa(n) + " copies"
}

// byStatusWords says where the controlled copies are: "2 in storage, 1 lost".
func byStatusWords(c keyward.CopyCount) string {
	var parts []string
	for _, st := range keyward.ControlledStatuses {
		if n := c.ByStatus[st]; n > 0 {
			parts = append(parts, strconv.Itoa(n)+" "+statusText(st))
		}
	}
	return strings.Join(parts, ", ")
}

// countRow is one symbol on the Copies page.
type countRow struct {
	keyward.CopyCount
	Count, Statuses, Path string
}

func newCountRow(c keyward.CopyCount) countRow {
	return countRow{CopyCount: c, Count: copiesWord(c.Controlled), Statuses: byStatusWords(c),
		Path: "/copies/" + url.PathEscape(c.KeywayID) + "/" + url.PathEscape(c.Symbol)}
}

// copyKeyway is one keyway's symbols on the Copies page.
type copyKeyway struct {
	ID, Name, Policy, PolicyWords string
	Rows                          []countRow
}

type copiesPageData struct {
	Keyways []copyKeyway
	Links   cursorLinksData
	// Keyway narrows the list to one keyway; Choices are the keyways the
	// record form offers.
	Keyway  *keyward.Keyway
	Choices []keyward.Keyway
	Form    map[string]string
	// Uncontrolled counts the copies found outside Keyward on this page.
	Uncontrolled int
}

func (s *Server) copiesPage(w http.ResponseWriter, r *http.Request, a keyward.Actor) error {
	return s.renderCopies(w, r, a, http.StatusOK, nil, nil)
}

// maxCopyRows is how many symbols one page of /copies lists.
const maxCopyRows = 500

func (s *Server) renderCopies(w http.ResponseWriter, r *http.Request, a keyward.Actor, status int, failed error, form map[string]string) error {
	ctx := r.Context()
	opt, err := listOptions(r)
	if err != nil {
		return err
	}
	if opt.Limit == 0 {
		opt.Limit = maxCopyRows
	}
	d := copiesPageData{Form: form}
	kwID := r.URL.Query().Get("keyway")
	if kwID != "" {
		if d.Keyway, err = s.directory.Keyway(ctx, a, kwID); err != nil {
			return err
		}
	}
	p, err := s.duplication.CopyCounts(ctx, a, kwID, opt)
	if err != nil {
		return err
	}
	for _, c := range p.Items {
		if n := len(d.Keyways); n == 0 || d.Keyways[n-1].ID != c.KeywayID {
			d.Keyways = append(d.Keyways, copyKeyway{ID: c.KeywayID, Name: c.KeywayName, Policy: c.Policy, PolicyWords: keyward.PolicyWords(c.Policy)})
		}
		g := &d.Keyways[len(d.Keyways)-1]
		g.Rows = append(g.Rows, newCountRow(c))
		d.Uncontrolled += len(c.Uncontrolled)
	}
	for _, g := range d.Keyways {
		slices.SortStableFunc(g.Rows, func(x, y countRow) int { return keyward.CompareStamps(x.Symbol, 0, y.Symbol, 0) })
	}
	d.Links = cursorLinks(r, p.Next)
	if keyward.Allowed(a.Role, keyward.ActCustody) {
		kws, err := s.directory.Keyways(ctx, a, keyward.ListOptions{Limit: 500})
		if err != nil {
			return err
		}
		d.Choices = kws.Items
	}
	title := "Copies"
	if d.Keyway != nil {
		title = "Copies: " + d.Keyway.Name
	}
	if failed != nil {
		return s.render(w, r, a, status, "copies", title, newFormError(failed, d))
	}
	return s.render(w, r, a, status, "copies", title, d)
}

// symbolCopyRow is one copy on a symbol's page, and where it is in words.
type symbolCopyRow struct {
	keyward.SymbolCopy
	Where string
}

type copySymbolPageData struct {
	Count              *keyward.CopyCount
	PolicyWords        string
	Summary, Statuses  string
	Copies             []symbolCopyRow
	Lost               *exposureView
	Form               map[string]string
	UncontrolledAction string
}

func (s *Server) copySymbolPage(w http.ResponseWriter, r *http.Request, a keyward.Actor) error {
	return s.renderCopySymbol(w, r, a, http.StatusOK, r.PathValue("keyway"), r.PathValue("symbol"), nil, nil)
}

func (s *Server) renderCopySymbol(w http.ResponseWriter, r *http.Request, a keyward.Actor, status int, keywayID, symbol string, failed error, form map[string]string) error {
	c, err := s.duplication.CopyCount(r.Context(), a, keywayID, symbol)
	if keyward.ErrorCode(err) == keyward.EINVALID {
		// A symbol no key can have names no page.
		return keyward.Errorf(keyward.ENOTFOUND, "no key %q", symbol)
	}
	if err != nil {
		return err
	}
	now, zone := s.now(), s.zone(r)
	d := copySymbolPageData{Count: c, PolicyWords: keyward.PolicyWords(c.Policy), Summary: copiesWord(c.Controlled) + " under control",
		Statuses: byStatusWords(*c), Form: form, UncontrolledAction: "/copies/uncontrolled"}
	for _, cp := range c.Copies {
		reach := &keyward.KeyReach{HolderName: cp.HolderName, Home: cp.Home, LostAt: cp.LostAt}
		d.Copies = append(d.Copies, symbolCopyRow{SymbolCopy: cp, Where: whereWords(cp.Key, reach, now, zone)})
	}
	if x := c.Exposure; x != nil {
		latest := c.Uncontrolled[0] // newest first
		d.Lost = &exposureView{LostKey: x, Groups: lostGroups(x), Who: "Whoever has a copy we never made", NoDoors: "A copy of " + c.Symbol + " opens no door on record",
			This: "a copy of " + c.Symbol, WorkListAction: "/uncontrolled-copies/" + url.PathEscape(latest.ID) + "/worklist",
			PlanNote: "A copy we never made was found: " + latest.Where}
	}
	title := "Copies of " + c.Symbol
	if failed != nil {
		return s.render(w, r, a, status, "copy_symbol", title, newFormError(failed, d))
	}
	return s.render(w, r, a, status, "copy_symbol", title, d)
}

// copyUncontrolledCreate records a copy found outside Keyward, from a
// symbol's page or from the Copies page, and shows what it opens and the
// next step on the symbol's page.
func (s *Server) copyUncontrolledCreate(w http.ResponseWriter, r *http.Request, a keyward.Actor) error {
	in := keyward.UncontrolledCopyInput{KeywayID: r.PostFormValue("keyway_id"), Symbol: r.PostFormValue("symbol"),
		Where: r.PostFormValue("where"), Note: r.PostFormValue("note"), InHand: r.PostFormValue("in_hand") == "1"}
	u, err := s.duplication.RecordUncontrolled(r.Context(), a, in)
	if err != nil {
		return formRefused(err, func(st int) error {
			form := postedValues(r, "keyway_id", "symbol", "where", "note", "in_hand")
			if r.PostFormValue("from") == "symbol" {
				return s.renderCopySymbol(w, r, a, st, in.KeywayID, in.Symbol, err, form)
			}
			return s.renderCopies(w, r, a, st, err, form)
		})
	}
	msg := "Recorded a copy of " + u.Symbol + " we never made."
	if x := u.Exposure; x != nil && len(x.Doors) > 0 {
		msg += " Whoever has it can open " + strconv.Itoa(len(x.Doors)) + " door" + pluralS(len(x.Doors)) + ": the next step is below."
	}
	return redirectFlash(w, r, "/copies/"+url.PathEscape(u.KeywayID)+"/"+url.PathEscape(u.Symbol), msg)
}

// uncontrolledWorkListCreate is the symbol page's one click: the work list
// of a copy found outside Keyward, as a lost key's page makes one.
func (s *Server) uncontrolledWorkListCreate(w http.ResponseWriter, r *http.Request, a keyward.Actor) error {
	wl, err := s.lostKeys.CreateWorkList(r.Context(), a, keyward.WorkListInput{UncontrolledID: r.PathValue("id"), Note: r.PostFormValue("note")})
	if err != nil {
		return err
	}
	n := len(wl.Items)
	return redirectFlash(w, r, "/worklists/"+url.PathEscape(wl.ID), "Work list made: "+strconv.Itoa(n)+" door"+pluralS(n)+" to rekey or replace.")
}
