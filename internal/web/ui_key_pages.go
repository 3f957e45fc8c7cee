package web

import (
	"cmp"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/keyward/keyward/internal/keyward"
)

type keysPageData struct {
	Status, Symbol, Q string
	Statuses          []string
	Rows              []listRow
	Links             cursorLinksData
	// Columns are the headings, each a link that sorts by it.
	Columns []sortLink
	// Truncated says the filter matched more than MaxSorted keys.
	Truncated   bool
	MaxSorted   int
	Keyways     []keyward.Keyway
	MoreKeyways bool
	Form        map[string]string
	// Doors are the doors a new key may be listed on, by site; MoreDoors
	// says the list stops short (the rest on each door's page).
	Doors     []doorChoice
	MoreDoors bool
	// Chosen are the doors ticked on a refused form.
	Chosen map[string]bool
	// CopyRules are the choices of how freely a new key type may be copied.
	CopyRules []copyRule
}

// doorChoice is a door offered when a key is made.
type doorChoice struct {
	ID, Name, Site string
}

// copyRule is a duplication policy in the words of the add-a-key form.
type copyRule struct {
	Value, Label string
}

// copyRules say what each duplication policy means for a new key type.
var copyRules = []copyRule{
	{"open", "Anyone may copy it (most house keys)"},
	{"dnd", "Stamped \"Do Not Duplicate\" (a request to key cutters, not a guarantee)"},
	{"restricted", "Restricted: copies only with your authorization (patented key blanks)"},
}

// maxDoorChoices bounds the doors the add-a-key form lists.
const maxDoorChoices = 300

func (s *Server) keysPage(w http.ResponseWriter, r *http.Request, a keyward.Actor) error {
	return s.renderKeys(w, r, a, http.StatusOK, nil, nil)
}

// renderKeys shows the key list; failed and form re-show a refused create form.
func (s *Server) renderKeys(w http.ResponseWriter, r *http.Request, a keyward.Actor, status int, failed error, form map[string]string) error {
	q := r.URL.Query()
	d := keysPageData{Status: q.Get("status"), Symbol: q.Get("symbol"), Q: q.Get("q"), Statuses: keyward.KeyStatuses, Form: form}
	opt, err := listOptions(r)
	if err != nil {
		return err
	}
	sortBy, dir, err := keyListSort(q)
	if err != nil {
		return err
	}
	offset, err := offsetCursor(opt.Cursor)
	if err != nil {
		return err
	}
	limit := cmp.Or(opt.Limit, keyListPage)
	rows, more, next, err := s.keyListRows(r, a, keyward.KeyFilter{Status: d.Status, Symbol: d.Symbol, Query: d.Q}, sortBy, dir, offset, limit, s.now())
	if err != nil {
		return err
	}
	d.Rows, d.Truncated, d.Columns, d.MaxSorted = rows, more, sortLinks(r, sortBy, dir), maxSortedKeys
	nextCursor := ""
	if next {
		nextCursor = "o" + strconv.Itoa(offset+limit)
	}
	d.Links = cursorLinks(r, nextCursor)
	if keyward.Allowed(a.Role, keyward.ActKeyCreate) {
		kws, err := s.directory.Keyways(r.Context(), a, keyward.ListOptions{Limit: 500})
		if err != nil {
			return err
		}
		d.Keyways, d.MoreKeyways = kws.Items, kws.Next != ""
		d.CopyRules = copyRules
		if d.Doors, d.MoreDoors, err = s.doorChoices(r, a); err != nil {
			return err
		}
		d.Chosen = map[string]bool{}
		for _, id := range r.PostForm["opening_id"] {
			d.Chosen[id] = true
		}
	}
	if failed != nil {
		return s.render(w, r, a, status, "keys", "Keys", newFormError(failed, d))
	}
	return s.render(w, r, a, status, "keys", "Keys", d)
}

// doorChoices are the doors (not retired) a new key may be listed on, by
// site then name.
func (s *Server) doorChoices(r *http.Request, a keyward.Actor) ([]doorChoice, bool, error) {
	sites, err := s.directory.Sites(r.Context(), a, keyward.ListOptions{Limit: 500})
	if err != nil {
		return nil, false, err
	}
	names := map[string]string{}
	for _, st := range sites.Items {
		names[st.ID] = st.Name
	}
	ops, err := s.directory.Openings(r.Context(), a, "", keyward.ListOptions{Limit: maxDoorChoices})
	if err != nil {
		return nil, false, err
	}
	out := make([]doorChoice, 0, len(ops.Items))
	for _, o := range ops.Items {
		if o.RetiredAt == nil {
			out = append(out, doorChoice{ID: o.ID, Name: o.Name, Site: names[o.SiteID]})
		}
	}
	slices.SortStableFunc(out, func(x, y doorChoice) int { return cmp.Or(cmp.Compare(x.Site, y.Site), cmp.Compare(x.Name, y.Name)) })
	return out, ops.Next != "", nil
}

// newKeywayChoice is the keyway select's value for "a new key type".
const newKeywayChoice = "new"

func (s *Server) keysCreate(w http.ResponseWriter, r *http.Request, a keyward.Actor) error {
	in := keyward.KeyInput{KeywayID: r.PostFormValue("keyway_id"), Symbol: r.PostFormValue("symbol"), OpeningIDs: r.PostForm["opening_id"]}
	if in.KeywayID == newKeywayChoice || (in.KeywayID == "" && strings.TrimSpace(r.PostFormValue("new_keyway_name")) != "") {
		in.KeywayID = ""
		in.NewKeyway = &keyward.KeywayInput{Name: r.PostFormValue("new_keyway_name"), DuplicationPolicy: r.PostFormValue("new_keyway_policy")}
	}
	var k *keyward.Key
	var err error
	if c := strings.TrimSpace(r.PostFormValue("copy_number")); c != "" {
		var perr error
		if in.CopyNumber, perr = strconv.Atoi(c); perr != nil {
			// Report the other fields' rules too, as a create with a number would.
			var v keyward.Validator
			var e *keyward.Error
			if errors.As(in.Validate(), &e) {
				for _, f := range e.Fields {
					v.Check(false, f.Field, f.Rule)
				}
			}
			v.Check(false, "copy_number", "must be a whole number, or empty for the next free one")
			err = v.Err()
		}
	}
	if err == nil {
		k, err = s.custody.CreateKey(r.Context(), a, in)
	}
	if err != nil {
		rerender := func(st int) error {
			return s.renderKeys(w, r, a, st, err, postedValues(r, "keyway_id", "symbol", "copy_number", "new_keyway_name", "new_keyway_policy"))
		}
		if keyward.ErrorCode(err) == keyward.EFORBIDDEN && fieldNamed(err, "keyway_id") {
			// A keyway whose new copies need a copy request: the form says so beside the keyway.
			return rerender(http.StatusForbidden)
		}
		return formRefused(err, rerender)
	}
	msg := "Created key " + k.Stamp + "."
	switch n := len(in.OpeningIDs); {
	case n == 1:
		msg = "Created key " + k.Stamp + "; it opens the door you chose."
	case n > 1:
		msg = fmt.Sprintf("Created key %s; it opens the %d doors you chose.", k.Stamp, n)
	}
	return redirectFlash(w, r, "/keys/"+url.PathEscape(k.ID), msg)
}

// custodyWords are, per logbook verb, its label in a logbook and the
// confirmation after the move: the key's stamp, " to NAME", ", due …".
var custodyWords = map[string]struct{ label, done string }{
	keyward.CustodyCreate:   {"Created", ""},
	keyward.CustodyImport:   {"Imported from a spreadsheet", ""},
	keyward.CustodyIssue:    {"Issued", "Issued %[1]s%[2]s."},
	keyward.CustodyReturn:   {"Returned", "%[1]s returned to storage."},
	keyward.CustodyTransfer: {"Transferred", "Transferred %[1]s%[2]s."},
	keyward.CustodyCheckout: {"Checked out", "Checked out %[1]s%[2]s%[3]s."},
	keyward.CustodyCheckin:  {"Checked in", "Checked in %[1]s."},
	keyward.CustodyLost:     {"Reported lost", "%[1]s reported lost."},
	keyward.CustodyFound:    {"Found", "%[1]s found and back in storage."},
	keyward.CustodyDestroy:  {"Destroyed", "%[1]s recorded as destroyed."},
}

type eventRow struct {
	keyward.Event
	Label      string
	HolderName string
}

func newEventRow(e keyward.Event, holderName string) eventRow {
	row := eventRow{Event: e, Label: custodyWords[e.Action].label, HolderName: holderName}
	if row.Label == "" {
		row.Label = e.Action
	}
	return row
}

type keyPageData struct {
	Key        keyward.Key
	Keyway     string
	HolderName string
	Overdue    bool
	Events     []eventRow
	// Holders are the holders to choose from: the matches of HolderQ, or
	// every holder when there are at most pickListMax; MoreHolders says the
	// organization has more than that, so the holder is found by a search first.
	Holders     []keyward.Holder
	MoreHolders bool
	HolderQ     string
	Searched    bool
	// Can lists the custody forms this actor may use on the key in its status.
	Can      map[string]bool
	Primary  bool // a check-out or check-in form leads the page
	HasMore  bool // some other custody form applies
	OpenMore bool // show the other forms unfolded
	// Zone names the organization's time zone, which the due-time field is read in.
	Zone       string
	DueDefault string
	DueMin     string
	Now        time.Time
	// Where is where the key is now, in words; Opens what it opens, by site.
	Where      string
	Opens      []siteOpenings
	OpensCount int
	Reach      bool // the actor may see what the key opens
	// Lost is, for a lost key, every door it opens now and the next step.
	Lost *exposureView
	// VehicleLost is, for a lost key of a vehicle, the question whether the
	// vehicle's remaining keys were re-enrolled (ui_spares_pages.go).
	VehicleLost *keyward.LostVehicleKey
	// Copies counts the copies of the key's symbol, for those who may read them.
	Copies *keyward.CopyCount
	// Keyways are offered by the edit form, to those who may edit keys.
	Keyways []keyward.Keyway
	// Place is the storage section; SealWords, per custody form, says which
	// sealed envelope the move opens (the form then asks for its new seal).
	Place     *keyPlaceData
	SealWords map[string]string
	// Copy is the key's duplication control: the Do Not Duplicate mark and
	// the way to ask for copies (ui_copy_pages.go).
	Copy keyCopyView
	refusedForm
}

// refusedForm is which form of a page was refused (its name) and what was
// typed into it, so the page shows that form again with its errors.
type refusedForm struct {
	failed string
	form   map[string]string
}

// FieldsFor returns the field errors when form is the one that was refused.
func (d refusedForm) FieldsFor(form string, fields map[string]string) map[string]string {
	if form != d.failed {
		return nil
	}
	return fields
}

// Value is what the user typed into field of form, when form was refused.
func (d refusedForm) Value(form, field string) string {
	if form != d.failed {
		return ""
	}
	return d.form[field]
}

// StatusText is the key's status in words.
func (d keyPageData) StatusText() string { return statusText(d.Key.Status) }

// dueLayout is the value format of an <input type="datetime-local">.
const dueLayout = "2006-01-02T15:04"

func (s *Server) keyPage(w http.ResponseWriter, r *http.Request, a keyward.Actor) error {
	return s.renderKey(w, r, a, http.StatusOK, "", nil, nil)
}

// maxHistoryPages bounds the logbook read for one page view (500 events a page).
const maxHistoryPages = 20

// renderKey shows the key page; failed names the refused form, if any.
func (s *Server) renderKey(w http.ResponseWriter, r *http.Request, a keyward.Actor, status int, failed string, form map[string]string, ferr error) error {
	ctx := r.Context()
	k, err := s.custody.Key(ctx, a, r.PathValue("id"))
	if err != nil {
		return err
	}
	now := s.now().UTC()
	zone := s.zone(r)
	// Tomorrow at the start of this hour, on the organization's clock.
	tomorrow := now.In(zone).Add(24 * time.Hour)
	tomorrow = time.Date(tomorrow.Year(), tomorrow.Month(), tomorrow.Day(), tomorrow.Hour(), 0, 0, 0, zone)
	n := s.newPageNames(r, a)
	d := keyPageData{Key: *k, Overdue: isOverdue(*k, now), Can: map[string]bool{}, Now: now, refusedForm: refusedForm{failed, form},
		Zone: zone.String(), DueDefault: tomorrow.Format(dueLayout), DueMin: now.In(zone).Format(dueLayout)}
	if d.Keyway, err = n.keyway(k.KeywayID); err != nil {
		return err
	}
	if d.HolderName, err = n.holder(k.HolderID); err != nil {
		return err
	}
	var reach *keyward.KeyReach
	if keyward.Allowed(a.Role, keyward.ActInventoryRead) {
		if reach, err = s.schedule.KeyReach(ctx, a, k.ID); err != nil {
			return err
		}
		d.Reach, d.Opens, d.OpensCount = true, bySite(reach.Opens), len(reach.Opens)
	} else if k.HolderID != "" {
		reach = &keyward.KeyReach{HolderName: d.HolderName}
	}
	d.Where = whereWords(*k, reach, now, zone)
	if d.Copy, err = s.keyCopyFacts(r, a, k); err != nil {
		return err
	}
	if k.Status == keyward.StatusLost && keyward.Allowed(a.Role, keyward.ActInventoryRead) {
		lk, err := s.lostKeys.LostKey(ctx, a, k.ID)
		if err != nil {
			return err
		}
		d.Lost = lostKeyView(lk)
		if d.VehicleLost, err = s.vehicleLost(r, a, k.ID); err != nil {
			return err
		}
	}
	if keyward.Allowed(a.Role, keyward.ActCopyRead) {
		if d.Copies, err = s.duplication.CopyCount(ctx, a, k.KeywayID, k.Symbol); err != nil {
			return err
		}
	}
	opt := keyward.ListOptions{Limit: 500}
	for range maxHistoryPages {
		p, err := s.custody.History(ctx, a, k.ID, opt)
		if err != nil {
			return err
		}
		for _, e := range p.Items {
			name, err := n.holder(e.HolderID)
			if err != nil {
				return err
			}
			d.Events = append(d.Events, newEventRow(e, name))
		}
		if p.Next == "" {
			break
		}
		opt.Cursor = p.Next
	}
	for _, m := range keyward.CustodyMoves {
		from, _, _ := keyward.Transition(m.Action)
		d.Can[m.Action] = slices.Contains(from, k.Status) && keyward.Allowed(a.Role, m.Policy)
	}
	d.Primary = d.Can[keyward.CustodyCheckout] || d.Can[keyward.CustodyCheckin]
	for _, m := range keyward.CustodyMoves {
		if d.Can[m.Action] && m.Action != keyward.CustodyCheckout && m.Action != keyward.CustodyCheckin {
			d.HasMore = true
		}
	}
	d.OpenMore = !d.Primary || (failed != "" && failed != keyward.CustodyCheckout && failed != keyward.CustodyCheckin)
	if d.Can[keyward.CustodyCheckout] || d.Can[keyward.CustodyIssue] || d.Can[keyward.CustodyTransfer] {
		if err := s.pickHolders(r, a, &d); err != nil {
			return err
		}
	}
	if keyward.Allowed(a.Role, keyward.ActKeyCreate) {
		kws, err := s.directory.Keyways(ctx, a, keyward.ListOptions{Limit: 500})
		if err != nil {
			return err
		}
		d.Keyways = kws.Items
	}
	chosen := r.URL.Query().Get("place")
	if failed == "place" {
		chosen = form["storage_id"]
	}
	if err := s.keyPlace(r, a, &d, chosen); err != nil {
		return err
	}
	title := "Key " + k.Stamp
	if ferr != nil {
		return s.render(w, r, a, status, "key", title, newFormError(ferr, d))
	}
	return s.render(w, r, a, status, "key", title, d)
}

// parseDue reads a datetime-local value on the organization's clock (an
// RFC 3339 value keeps its own offset); "" is left to the service ("is required").
func parseDue(v string, zone *time.Location) (time.Time, bool) {
	v = strings.TrimSpace(v)
	if v == "" {
		return time.Time{}, true
	}
	for _, layout := range []string{dueLayout, "2006-01-02T15:04:05", time.RFC3339} {
		if t, err := time.ParseInLocation(layout, v, zone); err == nil {
			return t.UTC(), true
		}
	}
	return time.Time{}, false
}

// keyPost serves the custody forms of the key page.
func (s *Server) keyPost(action string) handler {
	return func(w http.ResponseWriter, r *http.Request, a keyward.Actor) error {
		ctx, id := r.Context(), r.PathValue("id")
		holderID, note, seal := r.PostFormValue("holder_id"), r.PostFormValue("note"), r.PostFormValue("new_seal_number")
		var k *keyward.Key
		var err error
		switch action {
		case keyward.CustodyCheckout:
			zone := s.zone(r)
			due, ok := parseDue(r.PostFormValue("due_at"), zone)
			if !ok {
				var v keyward.Validator
				v.Check(holderID != "", "holder_id", "is required")
				v.Check(false, "due_at", "must be a date and time such as 2026-05-01T17:00 ("+zone.String()+")")
				err = v.Err()
				break
			}
			k, err = s.custody.Checkout(ctx, a, id, keyward.CheckoutInput{HolderID: holderID, DueAt: due, Note: note, NewSealNumber: seal})
		case keyward.CustodyCheckin:
			k, err = s.custody.Checkin(ctx, a, id, keyward.CheckinInput{Note: note})
		case keyward.CustodyDestroy:
			if r.PostFormValue("confirm") != "1" {
				err = keyward.Invalid("confirm", "tick the box to confirm that the key was destroyed")
				break
			}
			k, err = s.custody.Move(ctx, a, id, action, keyward.CustodyInput{Note: note, NewSealNumber: seal})
		default:
			k, err = s.custody.Move(ctx, a, id, action, keyward.CustodyInput{HolderID: holderID, Note: note, NewSealNumber: seal})
		}
		if err != nil {
			return formRefused(err, func(st int) error {
				return s.renderKey(w, r, a, st, action, postedValues(r, "holder_id", "due_at", "note", "confirm", "new_seal_number"), err)
			})
		}
		return redirectFlash(w, r, "/keys/"+url.PathEscape(k.ID), s.custodyFlash(r, a, action, k))
	}
}

// custodyFlash is the confirmation shown after a custody form.
func (s *Server) custodyFlash(r *http.Request, a keyward.Actor, action string, k *keyward.Key) string {
	to := ""
	if name, err := s.newPageNames(r, a).holder(k.HolderID); err == nil && name != "" {
		to = " to " + name
	}
	due := ""
	if action == keyward.CustodyCheckout && k.DueAt != nil {
		due = ", due " + k.DueAt.In(s.zone(r)).Format("2006-01-02 15:04 MST")
	}
	if w := custodyWords[action].done; w != "" {
		return fmt.Sprintf(w, k.Stamp, to, due)
	}
	return "Saved."
}

// pickListMax is the most holders the key page lists to choose from without a search.
const pickListMax = 50

// pickHolders fills the holder choice of the custody forms: without
// JavaScript, a search-then-pick step (holder_q) that works with any number
// of holders, showing emails to tell namesakes apart; a short list when the
// organization has few holders. A holder chosen in a refused form stays listed.
func (s *Server) pickHolders(r *http.Request, a keyward.Actor, d *keyPageData) error {
	ctx := r.Context()
	d.HolderQ = strings.TrimSpace(r.URL.Query().Get("holder_q"))
	if d.HolderQ == "" {
		d.HolderQ = strings.TrimSpace(r.PostFormValue("holder_q"))
	}
	if d.HolderQ != "" && len(d.HolderQ) <= keyward.MaxName {
		res, err := s.finder.Search(ctx, a, d.HolderQ, pickListMax)
		if err != nil {
			return err
		}
		d.Holders, d.Searched, d.MoreHolders = res.Holders, true, len(res.Holders) == pickListMax
	} else {
		hs, err := s.directory.Holders(ctx, a, keyward.ListOptions{Limit: pickListMax})
		if err != nil {
			return err
		}
		if d.MoreHolders = hs.Next != ""; !d.MoreHolders {
			d.Holders = hs.Items
		}
	}
	if sel := d.form["holder_id"]; sel != "" && !slices.ContainsFunc(d.Holders, func(h keyward.Holder) bool { return h.ID == sel }) {
		h, err := s.directory.Holder(ctx, a, sel)
		switch keyward.ErrorCode(err) {
		case "":
			d.Holders = append([]keyward.Holder{*h}, d.Holders...)
		case keyward.ENOTFOUND, keyward.EFORBIDDEN:
		default:
			return err
		}
	}
	return nil
}

// keyEdit serves the key page's edit form: the keyway, never the stamp.
func (s *Server) keyEdit(w http.ResponseWriter, r *http.Request, a keyward.Actor) error {
	keyway := r.PostFormValue("keyway_id")
	k, err := s.custody.UpdateKey(r.Context(), a, r.PathValue("id"), keyward.KeyPatch{KeywayID: &keyway})
	if err != nil {
		return formRefused(err, func(st int) error {
			return s.renderKey(w, r, a, st, "edit", postedValues(r, "keyway_id"), err)
		})
	}
	return redirectFlash(w, r, "/keys/"+url.PathEscape(k.ID), "Saved.")
}

// fieldNamed reports whether err names field.
func fieldNamed(err error, field string) bool {
	var e *keyward.Error
	if errors.As(err, &e) {
		for _, f := range e.Fields {
			if f.Field == field {
				return true
			}
		}
	}
	return false
}
