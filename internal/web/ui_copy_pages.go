package web

import (
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/keyward/keyward/internal/keyward"
)

// Duplication control pages: the key page's Do Not Duplicate mark and its
// "Request copies" form, a copy request's page with the viewer's next step
// as a form, the list of requests ("My copy requests" for a holder), the
// keyway page's signatories and authorization card, the copy settings on
// the Settings page, and what waits on the dashboard. Every decision is the
// service's (keyward.CheckCopyStep); the pages only ask which steps the
// viewer may take (keyward.CopyStepsFor) and say the rest in words.

// holderPick is a holder chosen without JavaScript: a search (a GET of the
// page, Param=what was typed) lists the matches as radio buttons of the form;
// with few holders and no search, all of them are offered in a list.
type holderPick struct {
	FormID   string // the id of the GET form the search belongs to
	Action   string // the page the search GETs
	Param    string // the search's query parameter
	Field    string // the form field that carries the holder's id
	None     string // the label of a choice of no holder ("Keep them in storage"), if any
	Q        string
	Searched bool
	Holders  []keyward.Holder
	More     bool // more holders than listed: the search narrows them
	Selected string
}

// pickHolder fills a holder choice: the matches of what was typed into
// param (in the URL, or in a refused form), else every holder when there are
// at most pickListMax. A holder chosen in a refused form stays listed.
func (s *Server) pickHolder(r *http.Request, a keyward.Actor, p holderPick) (holderPick, error) {
	ctx := r.Context()
	p.Q = strings.TrimSpace(r.URL.Query().Get(p.Param))
	if p.Q == "" && r.Method == http.MethodPost {
		p.Q = strings.TrimSpace(r.PostFormValue(p.Param))
	}
	if p.Q != "" && len(p.Q) <= keyward.MaxName {
		res, err := s.finder.Search(ctx, a, p.Q, pickListMax)
		if err != nil {
			return p, err
		}
		for _, h := range res.Holders {
			if h.RetiredAt == nil {
				p.Holders = append(p.Holders, h)
			}
		}
		p.Searched, p.More = true, len(res.Holders) == pickListMax
	} else {
		hs, err := s.directory.Holders(ctx, a, keyward.ListOptions{Limit: pickListMax})
		if err != nil {
			return p, err
		}
		if p.More = hs.Next != ""; !p.More {
			p.Holders = hs.Items
		}
	}
	if sel := p.Selected; sel != "" && !slices.ContainsFunc(p.Holders, func(h keyward.Holder) bool { return h.ID == sel }) {
		h, err := s.directory.Holder(ctx, a, sel)
		switch keyward.ErrorCode(err) {
		case "":
			p.Holders = append([]keyward.Holder{*h}, p.Holders...)
		case keyward.ENOTFOUND, keyward.EFORBIDDEN:
		default:
			return p, err
		}
	}
	return p, nil
}

// policyExplain says what a keyway's duplication policy means, with the
// organization's settings.
func policyExplain(policy string, set keyward.CopySettings) string {
	n := keyward.ApprovalsNeeded(policy, set)
	managers := "a manager who did not ask for them"
	if n > 1 {
		managers = strconv.Itoa(n) + " managers who did not ask for them"
	}
	twoPerson := ""
	if set.TwoPersonRule {
		twoPerson = " Whoever checked the ID does not also approve."
	}
	switch policy {
	case keyward.DupDND:
		return "New copies need a reason and the approval of " + managers + "."
	case keyward.DupRestricted:
		return "Patented or under contract: copies are cut only for a registered signatory, after checking their photo ID and the keyway's authorization card, and with the approval of " + managers + "." + twoPerson
	}
	return "Copies may be cut freely: a request is approved at once, and every copy is still counted."
}

// policyLabel names a keyway's duplication policy, as its page and its keys show it.
func policyLabel(policy string) string {
	switch policy {
	case keyward.DupDND:
		return "Do Not Duplicate"
	case keyward.DupRestricted:
		return "Restricted keyway"
	}
	return "Freely copied"
}

// dupMark is the Do Not Duplicate mark of a key of policy, "" for an open keyway.
func dupMark(policy string) string {
	switch policy {
	case keyward.DupDND, keyward.DupRestricted:
		return "Do Not Duplicate"
	}
	return ""
}

// keyCopyView is what the key page shows of duplication control: the mark
// and the way to ask for copies.
type keyCopyView struct {
	Policy  string // "" when the viewer may not read the keyway
	Mark    string
	Label   string // the policy's name
	Explain string
	// CanRequest: the viewer may ask for copies of this key.
	CanRequest bool
}

// keyCopyFacts fills the key page's duplication facts.
func (s *Server) keyCopyFacts(r *http.Request, a keyward.Actor, k *keyward.Key) (keyCopyView, error) {
	var v keyCopyView
	if keyward.Allowed(a.Role, keyward.ActInventoryRead) {
		kw, err := s.directory.Keyway(r.Context(), a, k.KeywayID)
		switch keyward.ErrorCode(err) {
		case "":
			v.Policy, v.Mark, v.Label = kw.DuplicationPolicy, dupMark(kw.DuplicationPolicy), policyLabel(kw.DuplicationPolicy)
			set, err := s.copySettings(r, a)
			if err != nil {
				return v, err
			}
			v.Explain = policyExplain(kw.DuplicationPolicy, set)
		case keyward.ENOTFOUND, keyward.EFORBIDDEN:
		default:
			return v, err
		}
	}
	in := keyward.CopyRequestInput{KeyID: k.ID}
	v.CanRequest = keyward.Allowed(a.Role, keyward.ActCopyRequest) && k.Status != keyward.StatusDestroyed &&
		keyward.MayRequestCopies(a, *k, slices.Contains(keyward.HeldStatuses, k.Status), &in) == nil
	return v, nil
}

// copySettings reads the organization's copy settings; those who may not
// read them (a holder) get the defaults, which decide nothing they can do.
func (s *Server) copySettings(r *http.Request, a keyward.Actor) (keyward.CopySettings, error) {
	set, err := s.duplication.CopySettings(r.Context(), a)
	if keyward.ErrorCode(err) == keyward.EFORBIDDEN {
		return keyward.DefaultCopySettings(), nil
	}
	return set, err
}

// copyFormError shows a refused form: each field's rule beside its field,
// and above the form a sentence without field names.
func copyFormError(err error, data any) formError {
	fe := newFormError(err, data)
	if rule, ok := fe.fields["id_type"]; ok && strings.Contains(rule, "driving_licence") {
		fe.fields["id_type"] = "choose the kind of photo ID that was shown"
	}
	if len(fe.fields) > 0 {
		fe.msg = "Not saved: see the note beside the field."
	}
	return fe
}

// Asking for copies.

type copyNewData struct {
	Key        keyward.Key
	Keyway     string
	Copy       keyCopyView
	ForSelf    bool // a holder asks for themselves
	HolderName string
	Pick       holderPick
	Form       map[string]string
}

func (s *Server) copyRequestNew(w http.ResponseWriter, r *http.Request, a keyward.Actor) error {
	return s.renderCopyNew(w, r, a, http.StatusOK, nil, nil)
}

func (s *Server) renderCopyNew(w http.ResponseWriter, r *http.Request, a keyward.Actor, status int, form map[string]string, failed error) error {
	k, err := s.custody.Key(r.Context(), a, r.PathValue("id"))
	if err != nil {
		return err
	}
	in := keyward.CopyRequestInput{KeyID: k.ID}
	if err := keyward.MayRequestCopies(a, *k, slices.Contains(keyward.HeldStatuses, k.Status), &in); err != nil {
		return err
	}
	n := s.newPageNames(r, a)
	d := copyNewData{Key: *k, Form: form, ForSelf: a.Role == keyward.RoleHolder}
	if d.Keyway, err = n.keyway(k.KeywayID); err != nil {
		return err
	}
	if d.Copy, err = s.keyCopyFacts(r, a, k); err != nil {
		return err
	}
	if d.ForSelf {
		if d.HolderName, err = n.holder(a.HolderID); err != nil {
			return err
		}
	} else {
		path := "/keys/" + url.PathEscape(k.ID) + "/copy-request"
		if d.Pick, err = s.pickHolder(r, a, holderPick{FormID: "find-recipient", Action: path, Param: "for_q", Field: "for_holder_id",
			None: "Keep them in storage", Selected: form["for_holder_id"]}); err != nil {
			return err
		}
	}
	title := "Request copies of " + k.Stamp
	if failed != nil {
		return s.render(w, r, a, status, "copy_request_new", title, copyFormError(failed, d))
	}
	return s.render(w, r, a, status, "copy_request_new", title, d)
}

func (s *Server) copyRequestCreate(w http.ResponseWriter, r *http.Request, a keyward.Actor) error {
	in := keyward.CopyRequestInput{KeyID: r.PathValue("id"), Reason: r.PostFormValue("reason")}
	if a.Role != keyward.RoleHolder {
		in.ForHolderID = r.PostFormValue("for_holder_id")
	}
	var out *keyward.CopyRequest
	var err error
	if c, cerr := strconv.Atoi(strings.TrimSpace(r.PostFormValue("count"))); cerr != nil {
		err = keyward.Invalid("count", "must be a whole number from 1 to 20")
	} else {
		in.Count = c
		out, err = s.duplication.RequestCopies(r.Context(), a, in)
	}
	if err != nil {
		return formRefused(err, func(st int) error {
			return s.renderCopyNew(w, r, a, st, postedValues(r, "count", "reason", "for_holder_id"), err)
		})
	}
	msg := "Request sent: " + copiesOf(out) + "."
	if out.State == keyward.CopyApproved {
		msg = "Approved at once: this keyway may be copied freely. Next: cut " + copiesOf(out) + "."
	}
	return redirectFlash(w, r, "/copy-requests/"+url.PathEscape(out.ID), msg)
}

// copiesOf is "2 copies of AA1".
func copiesOf(r *keyward.CopyRequest) string {
	return strconv.Itoa(r.Count) + " cop" + map[bool]string{true: "y", false: "ies"}[r.Count == 1] + " of " + r.Symbol
}

// A copy request's page.

// copyStateText is a request's state in plain words.
func copyStateText(r *keyward.CopyRequest) string {
	switch r.State {
	case keyward.CopyRequested:
		if r.Policy == keyward.DupRestricted {
			return "Waiting for the ID and card check"
		}
		return "Waiting for approval"
	case keyward.CopyEvidenceAccepted:
		return "ID checked, waiting for approval"
	case keyward.CopyEscalated:
		return "Waiting for the owner to decide"
	case keyward.CopyApproved:
		return "Approved, waiting to be cut"
	case keyward.CopyDenied:
		return "Denied"
	case keyward.CopyProduced:
		if r.ForHolderID != "" {
			return "Cut, waiting to be handed over"
		}
		return "Cut, in storage"
	case keyward.CopyHandedOver:
		return "Handed over"
	case keyward.CopyCancelled:
		return "Cancelled"
	}
	return statusText(r.State)
}

// copyStepLabels name each step in a request's history.
var copyStepLabels = map[string]string{
	keyward.CopyStepRequest:  "Asked for copies",
	keyward.CopyStepEvidence: "Checked the photo ID and the authorization card",
	keyward.CopyStepApprove:  "Approved",
	keyward.CopyStepDeny:     "Denied",
	keyward.CopyStepEscalate: "Escalated to the owner",
	keyward.CopyStepProduce:  "Cut the copies",
	keyward.CopyStepHandOver: "Handed over",
	keyward.CopyStepCancel:   "Cancelled",
}

// idTypeWords name the kinds of photo ID.
var idTypeWords = map[string]string{
	"driving_licence":  "Driving licence",
	"passport":         "Passport",
	"national_id":      "National ID card",
	"residence_permit": "Residence permit",
	"other":            "Other photo ID",
}

func idTypeText(t string) string {
	if w, ok := idTypeWords[t]; ok {
		return w
	}
	return t
}

// option is a value and its label, for a <select>.
type option struct{ Value, Label string }

func idTypeOptions() []option {
	out := make([]option, len(keyward.IDTypes))
	for i, t := range keyward.IDTypes {
		out[i] = option{t, idTypeText(t)}
	}
	return out
}

type copyHistoryRow struct {
	keyward.CopyRequestEvent
	Label string
}

// copyWaiting says who request r waits for, as the viewer a reads it, when
// a may not take that step; "" when a may, or nothing is waited for.
func copyWaiting(r *keyward.CopyRequest, a keyward.Actor, set keyward.CopySettings, steps []string) string {
	next := keyward.CopyWaitsFor(r)
	if next == "" || slices.Contains(steps, next) {
		return ""
	}
	switch next {
	case keyward.CopyStepEvidence:
		return "Waiting for the signatory's photo ID and the keyway's authorization card to be checked at the counter, by an advisor or a manager."
	case keyward.CopyStepApprove:
		left := max(1, r.ApprovalsRequired) - len(r.Approvals)
		more := ""
		if len(r.Approvals) > 0 {
			more = fmt.Sprintf(" (%d of %d approvals so far)", len(r.Approvals), max(1, r.ApprovalsRequired))
		}
		switch {
		case r.State == keyward.CopyEscalated:
			return "Waiting for the owner to decide: the request was escalated."
		case slices.ContainsFunc(r.Approvals, func(ap keyward.CopyApproval) bool { return ap.By == a.UserID }):
			return fmt.Sprintf("You approved. Waiting for %d more manager%s to approve%s.", left, pluralS(left), more)
		case a.UserID == r.RequestedBy && a.Role != keyward.RoleHolder:
			return "Waiting for a manager other than you to approve" + more + "."
		case set.TwoPersonRule && r.Evidence != nil && r.Evidence.CheckedBy == a.UserID:
			return "Waiting for a manager other than you to approve: you checked the ID" + more + "."
		}
		return "Waiting for a manager to approve" + more + "."
	case keyward.CopyStepProduce:
		return "Approved. Waiting for a technician or a manager to cut the copies."
	case keyward.CopyStepHandOver:
		return "The copies are cut. Waiting for them to be handed to " + r.ForHolderName + "."
	}
	return ""
}

type copyPageData struct {
	R           *keyward.CopyRequest
	State       string
	Label       string // the keyway's policy, named
	Explain     string
	Keyway      bool // the viewer may open the keyway's page
	Can         map[string]bool
	Next        string // the step the request waits for, when the viewer may take it
	Waiting     string // who the request waits for, when the viewer may not act
	More        bool   // the viewer may take a step beyond the next one
	Signatories []keyward.Signatory
	HasCard     bool
	IDTypes     []option
	Pick        holderPick
	History     []copyHistoryRow
	Evidence    string // the ID checked, in words
	Approvals   string
	AuthPDF     bool
	ReceiptPDF  bool
	refusedForm
}

func (s *Server) copyRequestPage(w http.ResponseWriter, r *http.Request, a keyward.Actor) error {
	return s.renderCopyRequest(w, r, a, http.StatusOK, "", nil, nil)
}

func (s *Server) renderCopyRequest(w http.ResponseWriter, r *http.Request, a keyward.Actor, status int, failed string, form map[string]string, ferr error) error {
	ctx := r.Context()
	req, err := s.duplication.CopyRequest(ctx, a, r.PathValue("id"))
	if err != nil {
		return err
	}
	set, err := s.copySettings(r, a)
	if err != nil {
		return err
	}
	steps := keyward.CopyStepsFor(req, a, set)
	d := copyPageData{R: req, State: copyStateText(req), Label: policyLabel(req.Policy), Explain: policyExplain(req.Policy, set), Keyway: keyward.Allowed(a.Role, keyward.ActInventoryRead),
		Can: map[string]bool{}, Waiting: copyWaiting(req, a, set, steps), IDTypes: idTypeOptions(), refusedForm: refusedForm{failed, form},
		AuthPDF: req.Policy == keyward.DupRestricted, ReceiptPDF: req.State == keyward.CopyProduced || req.State == keyward.CopyHandedOver}
	for _, st := range steps {
		d.Can[st] = true
	}
	if next := keyward.CopyWaitsFor(req); d.Can[next] {
		d.Next = next
	} else if next == "" && d.Can[keyward.CopyStepHandOver] {
		d.Next = keyward.CopyStepHandOver // copies cut for storage may still be handed to someone
	}
	d.More = slices.ContainsFunc(steps, func(st string) bool { return st != d.Next })
	for _, e := range req.History {
		row := copyHistoryRow{CopyRequestEvent: e, Label: copyStepLabels[e.Step]}
		if row.Label == "" {
			row.Label = statusText(e.Step)
		}
		d.History = append(d.History, row)
	}
	if ev := req.Evidence; ev != nil {
		d.Evidence = ev.SignatoryName + ": " + idTypeText(ev.IDType) + " ending " + ev.IDLast4 + ", authorization card matched. Checked by " + ev.CheckedByName
	}
	if req.ApprovalsRequired > 0 {
		names := make([]string, len(req.Approvals))
		for i, ap := range req.Approvals {
			names[i] = ap.ByName
		}
		d.Approvals = fmt.Sprintf("None yet; %d needed", req.ApprovalsRequired)
		if len(names) > 0 {
			d.Approvals = fmt.Sprintf("%d of %d: %s", len(req.Approvals), req.ApprovalsRequired, strings.Join(names, ", "))
		}
	}
	if d.Can[keyward.CopyStepEvidence] {
		c, err := s.duplication.KeywayControl(ctx, a, req.KeywayID)
		if err != nil {
			return err
		}
		now := s.now()
		for _, sg := range c.Signatories {
			if sg.Current(now) {
				d.Signatories = append(d.Signatories, sg)
			}
		}
		d.HasCard = c.HasCard
	}
	if d.Can[keyward.CopyStepHandOver] && req.ForHolderID == "" {
		if d.Pick, err = s.pickHolder(r, a, holderPick{FormID: "find-receiver", Action: "/copy-requests/" + url.PathEscape(req.ID), Param: "holder_q",
			Field: "holder_id", Selected: form["holder_id"]}); err != nil {
			return err
		}
	}
	title := "Copy request: " + copiesOf(req)
	if ferr != nil {
		return s.render(w, r, a, status, "copy_request", title, copyFormError(ferr, d))
	}
	return s.render(w, r, a, status, "copy_request", title, d)
}

// copyStepFields are the form fields each step's form posts, shown again
// when it is refused. The card is never among them.
var copyStepFields = map[string][]string{
	keyward.CopyStepEvidence: {"signatory_holder_id", "id_type", "id_last4"},
	keyward.CopyStepDeny:     {"reason"},
	keyward.CopyStepEscalate: {"reason"},
	keyward.CopyStepCancel:   {"reason"},
	keyward.CopyStepHandOver: {"holder_id", "note"},
}

// copyStepPost serves the forms of a request's page, one per step.
func (s *Server) copyStepPost(step string) handler {
	return func(w http.ResponseWriter, r *http.Request, a keyward.Actor) error {
		ctx, id := r.Context(), r.PathValue("id")
		var out *keyward.CopyRequest
		var err error
		decision := keyward.CopyDecisionInput{Reason: r.PostFormValue("reason")}
		switch step {
		case keyward.CopyStepEvidence:
			out, err = s.duplication.AcceptEvidence(ctx, a, id, keyward.CopyEvidenceInput{
				SignatoryHolderID: r.PostFormValue("signatory_holder_id"), IDType: r.PostFormValue("id_type"),
				IDLast4: r.PostFormValue("id_last4"), AuthorizationCard: keyward.Secret(r.PostFormValue("authorization_card"))})
		case keyward.CopyStepApprove:
			out, err = s.duplication.Approve(ctx, a, id)
		case keyward.CopyStepProduce:
			out, err = s.duplication.Produce(ctx, a, id)
		case keyward.CopyStepDeny:
			out, err = s.duplication.Deny(ctx, a, id, decision)
		case keyward.CopyStepEscalate:
			out, err = s.duplication.Escalate(ctx, a, id, decision)
		case keyward.CopyStepCancel:
			out, err = s.duplication.Cancel(ctx, a, id, decision)
		case keyward.CopyStepHandOver:
			out, err = s.duplication.HandOver(ctx, a, id, keyward.HandOverInput{HolderID: r.PostFormValue("holder_id"), Note: r.PostFormValue("note")})
		default:
			return keyward.Errorf(keyward.EINTERNAL, "unknown copy step %q", step)
		}
		if err != nil {
			return formRefused(err, func(st int) error {
				return s.renderCopyRequest(w, r, a, st, step, postedValues(r, copyStepFields[step]...), err)
			})
		}
		return redirectFlash(w, r, "/copy-requests/"+url.PathEscape(out.ID), copyStepDone(step, out))
	}
}

// copyStepDone is the confirmation after a step.
func copyStepDone(step string, r *keyward.CopyRequest) string {
	stamps := make([]string, len(r.Keys))
	for i, k := range r.Keys {
		stamps[i] = k.Stamp
	}
	switch step {
	case keyward.CopyStepEvidence:
		return "The photo ID and the authorization card were checked. Next: a manager approves."
	case keyward.CopyStepApprove:
		if r.State == keyward.CopyApproved {
			return "Approved. Next: cut " + copiesOf(r) + "."
		}
		return fmt.Sprintf("Your approval is recorded: %d of %d.", len(r.Approvals), r.ApprovalsRequired)
	case keyward.CopyStepDeny:
		return "Denied."
	case keyward.CopyStepEscalate:
		return "Escalated: the owner decides."
	case keyward.CopyStepCancel:
		return "Cancelled."
	case keyward.CopyStepProduce:
		return "Recorded as cut: " + strings.Join(stamps, ", ") + ", in storage."
	case keyward.CopyStepHandOver:
		to := r.ForHolderName
		if len(r.Keys) > 0 && to == "" {
			to = "the holder"
		}
		return "Handed over to " + to + ": " + strings.Join(stamps, ", ") + "."
	}
	return "Saved."
}

// The list of requests.

type copyRow struct {
	keyward.CopyRequest
	Title, State, Do string
}

func newCopyRow(r keyward.CopyRequest) copyRow {
	return copyRow{CopyRequest: r, Title: copiesOf(&r), State: copyStateText(&r)}
}

type copyListData struct {
	Show   string
	Groups []option
	Rows   []copyRow
	Links  cursorLinksData
	Mine   bool // a holder's own requests
}

// copyGroupLabels name the list's filters.
var copyGroupLabels = map[string]string{
	keyward.CopyGroupWaiting:  "Waiting",
	keyward.CopyGroupApproved: "Approved",
	keyward.CopyGroupDone:     "Done",
	"all":                     "All",
}

func (s *Server) copyRequestsPage(w http.ResponseWriter, r *http.Request, a keyward.Actor) error {
	mine := a.Role == keyward.RoleHolder
	show := r.URL.Query().Get("show")
	if show == "" {
		show = keyward.CopyGroupWaiting
		if mine {
			show = "all"
		}
	}
	states, ok := keyward.CopyGroupStates[show]
	if !ok && show != "all" {
		return keyward.Invalid("show", "must be waiting, approved, done or all")
	}
	opt, err := listOptions(r)
	if err != nil {
		return err
	}
	opt.Limit = 50
	p, err := s.duplication.CopyRequests(r.Context(), a, states, opt)
	if err != nil {
		return err
	}
	d := copyListData{Show: show, Mine: mine, Links: cursorLinks(r, p.Next)}
	for _, g := range append(slices.Clone(keyward.CopyGroups), "all") {
		d.Groups = append(d.Groups, option{g, copyGroupLabels[g]})
	}
	for _, req := range p.Items {
		d.Rows = append(d.Rows, newCopyRow(req))
	}
	title := "Copy requests"
	if mine {
		title = "My copy requests"
	}
	return s.render(w, r, a, http.StatusOK, "copy_requests", title, d)
}

// The dashboard.

// maxDashboardCopies bounds the requests the dashboard reads.
const maxDashboardCopies = 100

// copyDoWords say what the viewer does next with a request.
var copyDoWords = map[string]string{
	keyward.CopyStepEvidence: "Check the ID and card",
	keyward.CopyStepApprove:  "Approve or deny",
	keyward.CopyStepProduce:  "Cut the copies",
	keyward.CopyStepHandOver: "Hand over",
}

// dashboardCopies fills the dashboard's copy requests: those waiting for
// the viewer's approval (never their own), those waiting for another step
// the viewer takes, and a holder's own.
func (s *Server) dashboardCopies(r *http.Request, a keyward.Actor, d *dashboardData) error {
	ctx := r.Context()
	if a.Role == keyward.RoleHolder {
		p, err := s.duplication.CopyRequests(ctx, a, nil, keyward.ListOptions{Limit: 20})
		if err != nil {
			return err
		}
		for _, req := range p.Items {
			d.MyCopies = append(d.MyCopies, newCopyRow(req))
		}
		return nil
	}
	if !keyward.Allowed(a.Role, keyward.ActCopyRequest) {
		return nil
	}
	set, err := s.copySettings(r, a)
	if err != nil {
		return err
	}
	states := append(slices.Clone(keyward.CopyGroupStates[keyward.CopyGroupWaiting]), keyward.CopyGroupStates[keyward.CopyGroupApproved]...)
	p, err := s.duplication.CopyRequests(ctx, a, states, keyward.ListOptions{Limit: maxDashboardCopies})
	if err != nil {
		return err
	}
	// Oldest first: what has waited longest comes first.
	for i := len(p.Items) - 1; i >= 0; i-- {
		req := p.Items[i]
		next := keyward.CopyWaitsFor(&req)
		if next == "" || keyward.CheckCopyStep(&req, next, a, set) != nil {
			continue
		}
		row := newCopyRow(req)
		row.Do = copyDoWords[next]
		if next == keyward.CopyStepApprove {
			d.CopyApprovals = append(d.CopyApprovals, row)
		} else {
			d.CopyTodo = append(d.CopyTodo, row)
		}
	}
	return nil
}

// The keyway page: policy, signatories, the authorization card.

type keywayCopyView struct {
	Label       string
	Explain     string
	Restricted  bool
	HasCard     bool
	CardSetAt   *time.Time
	Current     []signatoryRow
	Past        []signatoryRow
	CanEdit     bool
	Pick        holderPick
	UntilMin    string
	failed      string
	form        map[string]string
	FieldErrors map[string]string
}

type signatoryRow struct {
	keyward.Signatory
	UntilText string
}

// FieldsFor returns the field errors when form is the one that was refused.
func (v *keywayCopyView) FieldsFor(form string) map[string]string {
	if form != v.failed {
		return nil
	}
	return v.FieldErrors
}

// Value is what was typed into field of form, when form was refused.
func (v *keywayCopyView) Value(form, field string) string {
	if form != v.failed {
		return ""
	}
	return v.form[field]
}

// untilText is the last day of a registration ending at until, on the
// organization's clock ("31 Dec 2026"); a registration entered with a date
// runs to the end of that day.
func untilText(until *time.Time, zone *time.Location) string {
	if until == nil {
		return ""
	}
	return until.Add(-time.Nanosecond).In(zone).Format("2 Jan 2006")
}

// keywayCopy fills the keyway page's duplication control.
func (s *Server) keywayCopy(r *http.Request, a keyward.Actor, kw *keyward.Keyway, failed string, ferr error) (*keywayCopyView, error) {
	if !keyward.Allowed(a.Role, keyward.ActCopyRead) {
		return nil, nil
	}
	set, err := s.copySettings(r, a)
	if err != nil {
		return nil, err
	}
	v := &keywayCopyView{Label: policyLabel(kw.DuplicationPolicy), Explain: policyExplain(kw.DuplicationPolicy, set), Restricted: kw.DuplicationPolicy == keyward.DupRestricted,
		CanEdit: keyward.Allowed(a.Role, keyward.ActCopyControl) && kw.RetiredAt == nil, failed: failed, FieldErrors: map[string]string{}}
	if ferr != nil {
		v.FieldErrors = copyFormError(ferr, nil).fields
		v.form = postedValues(r, "holder_id", "until")
	}
	c, err := s.duplication.KeywayControl(r.Context(), a, kw.ID)
	if err != nil {
		return nil, err
	}
	v.HasCard, v.CardSetAt = c.HasCard, c.CardSetAt
	now, zone := s.now(), s.zone(r)
	for _, sg := range c.Signatories {
		row := signatoryRow{Signatory: sg, UntilText: untilText(sg.Until, zone)}
		if sg.Current(now) {
			v.Current = append(v.Current, row)
		} else {
			v.Past = append(v.Past, row)
		}
	}
	if v.CanEdit && (v.Restricted || len(c.Signatories) > 0) {
		if v.Pick, err = s.pickHolder(r, a, holderPick{FormID: "find-signatory", Action: "/keyways/" + url.PathEscape(kw.ID), Param: "signatory_q",
			Field: "holder_id", Selected: v.form["holder_id"]}); err != nil {
			return nil, err
		}
		v.UntilMin = now.In(zone).Add(24 * time.Hour).Format("2006-01-02")
	}
	return v, nil
}

// signatoryAdd registers a signatory from the keyway page; the date is the
// last day of the registration, on the organization's clock.
func (s *Server) signatoryAdd(w http.ResponseWriter, r *http.Request, a keyward.Actor) error {
	in := keyward.SignatoryInput{HolderID: r.PostFormValue("holder_id")}
	var err error
	if u := strings.TrimSpace(r.PostFormValue("until")); u != "" {
		day, perr := time.ParseInLocation("2006-01-02", u, s.zone(r))
		if perr != nil {
			var v keyward.Validator
			v.Check(in.HolderID != "", "holder_id", "is required: find the holder and choose them")
			v.Check(false, "until", "must be a date such as 2026-12-31, or empty")
			err = v.Err()
		} else {
			end := day.AddDate(0, 0, 1).UTC()
			in.Until = &end
		}
	}
	var sg *keyward.Signatory
	if err == nil {
		sg, err = s.duplication.AddSignatory(r.Context(), a, r.PathValue("id"), in)
	}
	if err != nil {
		return formRefused(err, func(st int) error { return s.renderKeyway(w, r, a, st, "signatory", err) })
	}
	return redirectFlash(w, r, "/keyways/"+url.PathEscape(r.PathValue("id")), sg.HolderName+" may now authorize copies of this keyway's keys.")
}

type signatoryRemoveData struct {
	Keyway    *keyward.Keyway
	Signatory keyward.Signatory
	UntilText string
}

// signatoryRemoveConfirm asks before a signatory is removed: it cancels the
// requests their evidence authorized.
func (s *Server) signatoryRemoveConfirm(w http.ResponseWriter, r *http.Request, a keyward.Actor) error {
	return s.renderSignatoryRemove(w, r, a, http.StatusOK, nil)
}

func (s *Server) renderSignatoryRemove(w http.ResponseWriter, r *http.Request, a keyward.Actor, status int, ferr error) error {
	c, err := s.duplication.KeywayControl(r.Context(), a, r.PathValue("id"))
	if err != nil {
		return err
	}
	i := slices.IndexFunc(c.Signatories, func(sg keyward.Signatory) bool {
		return sg.HolderID == r.PathValue("holder_id") && sg.RemovedAt == nil
	})
	if i < 0 {
		return keyward.Errorf(keyward.ENOTFOUND, "this holder is not a signatory of the keyway")
	}
	kw, err := s.directory.Keyway(r.Context(), a, c.KeywayID)
	if err != nil {
		return err
	}
	sg := c.Signatories[i]
	d := signatoryRemoveData{Keyway: kw, Signatory: sg, UntilText: untilText(sg.Until, s.zone(r))}
	title := "Remove " + sg.HolderName + " as a signatory"
	if ferr != nil {
		return s.render(w, r, a, status, "signatory_remove", title, copyFormError(ferr, d))
	}
	return s.render(w, r, a, status, "signatory_remove", title, d)
}

func (s *Server) signatoryRemove(w http.ResponseWriter, r *http.Request, a keyward.Actor) error {
	var err error = keyward.Invalid("confirm", "tick the box to confirm the removal")
	if r.PostFormValue("confirm") == "1" {
		err = s.duplication.RemoveSignatory(r.Context(), a, r.PathValue("id"), r.PathValue("holder_id"))
	}
	if err != nil {
		return formRefused(err, func(st int) error { return s.renderSignatoryRemove(w, r, a, st, err) })
	}
	return redirectFlash(w, r, "/keyways/"+url.PathEscape(r.PathValue("id")), "Removed. Their pending requests, if any, were cancelled.")
}

// keywayCardSet sets or replaces the keyway's authorization card; the page
// never shows the number back.
func (s *Server) keywayCardSet(w http.ResponseWriter, r *http.Request, a keyward.Actor) error {
	err := s.duplication.SetCard(r.Context(), a, r.PathValue("id"), keyward.CardInput{Number: keyward.Secret(r.PostFormValue("number"))})
	if err != nil {
		return formRefused(err, func(st int) error { return s.renderKeyway(w, r, a, st, "card", err) })
	}
	return redirectFlash(w, r, "/keyways/"+url.PathEscape(r.PathValue("id")), "The authorization card is on file.")
}

// The copy settings, on the Settings page.

func (s *Server) copySettingsSubmit(w http.ResponseWriter, r *http.Request, a keyward.Actor) error {
	in := keyward.CopySettings{TwoPersonRule: r.PostFormValue("two_person_rule") == "1"}
	var err error
	if in.ApprovalsRequired, err = strconv.Atoi(strings.TrimSpace(r.PostFormValue("approvals_required"))); err != nil {
		err = keyward.Invalid("approvals_required", "must be 1, 2 or 3")
	} else {
		err = s.duplication.SetCopySettings(r.Context(), a, in)
	}
	if err != nil {
		return formRefused(err, func(st int) error { return s.renderSettings(w, r, a, st, "copies", err) })
	}
	return redirect(w, r, "/settings?flash="+url.QueryEscape("Copy approvals saved.")+"#copy-settings")
}

// copySettingsView is the Settings page's copy section.
type copySettingsView struct {
	keyward.CopySettings
	Choices []int
	Form    map[string]string // what a refused form sent
}

func (s *Server) copySettingsData(r *http.Request, a keyward.Actor) (*copySettingsView, error) {
	set, err := s.duplication.CopySettings(r.Context(), a)
	if err != nil {
		return nil, err
	}
	v := &copySettingsView{CopySettings: set}
	for n := 1; n <= keyward.MaxCopyApprovals; n++ {
		v.Choices = append(v.Choices, n)
	}
	return v, nil
}
