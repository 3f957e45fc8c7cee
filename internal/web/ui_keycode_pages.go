package web

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/keyward/keyward/internal/keyward"
)

// Key code pages: the list of codes with the form that records one, a
// code's page (its requests, every reveal, incidents, disposal), the code
// requests with the desk's intake form, the job page with its checklist and
// the viewer's next step, the reveal page that shows a code for a limited
// time with the viewer's name across it, and the fleets. Every decision is
// the service's (keyward.CheckCodeStep, keyward.CheckReveal); a page only
// offers the steps the viewer's role may take and says the rest in words.

func relationshipOptions() []option {
	out := make([]option, len(keyward.CodeRelationships))
	for i, r := range keyward.CodeRelationships {
		out[i] = option{r, strings.ToUpper(keyward.RelationshipWords(r)[:1]) + keyward.RelationshipWords(r)[1:]}
	}
	return out
}

var channelOptions = []option{{keyward.ChannelCounter, "At the counter"}, {keyward.ChannelPhone, "On the phone"}, {keyward.ChannelField, "In the field"}}

var sourceOptions = []option{{keyward.CodeSourceService, "A key code service"}, {keyward.CodeSourceManufacturer, "The manufacturer"}, {keyward.CodeSourceInternal, "Our own records"}}

// codeStateLabel says a request's state as the pages show it.
func codeStateLabel(state string) string {
	switch state {
	case keyward.CodeRequested:
		return "Waiting for approval"
	case keyward.CodeApproved:
		return "Approved"
	case keyward.CodeDenied:
		return "Denied"
	case keyward.CodeCancelled:
		return "Cancelled"
	case keyward.CodeClosed:
		return "Service done"
	}
	return state
}

// codeStepLabel says a step of a code request's history.
func codeStepLabel(step string) string {
	switch step {
	case keyward.CodeStepRequest:
		return "Requested"
	case keyward.CodeStepEvidence:
		return "Evidence recorded"
	case keyward.CodeStepApprove:
		return "Approved"
	case keyward.CodeStepDeny:
		return "Denied"
	case keyward.CodeStepCancel:
		return "Cancelled"
	case keyward.CodeStepClose:
		return "Service done"
	}
	return step
}

// codeStatus is a code's status in words: disposed, incident, held.
func codeStatus(k keyward.KeyCode) string {
	switch {
	case k.Disposal != nil:
		return "Disposed of"
	case k.IncidentID != "":
		return "Suspected disclosure"
	}
	return "Held"
}

// The list of codes.

type keyCodesData struct {
	Show      string // "held" or "disposed"
	Codes     []keyward.KeyCode
	Links     cursorLinksData
	Exposures []keyward.CodeExposure
	Sources   []option
	// Warning is a VIN check digit the person must acknowledge before the code is recorded.
	Warning string
	refusedForm
}

func (s *Server) keyCodesPage(w http.ResponseWriter, r *http.Request, a keyward.Actor) error {
	return s.renderKeyCodes(w, r, a, http.StatusOK, "", nil, nil, "")
}

func (s *Server) renderKeyCodes(w http.ResponseWriter, r *http.Request, a keyward.Actor, status int, failed string, form map[string]string, ferr error, warning string) error {
	opt, err := listOptions(r)
	if err != nil {
		return err
	}
	d := keyCodesData{Show: "held", Sources: sourceOptions, Warning: warning, refusedForm: refusedForm{failed, form}}
	var p keyward.Page[keyward.KeyCode]
	if r.URL.Query().Get("show") == "disposed" {
		d.Show = "disposed"
		p, err = s.keyCodes.Disposals(r.Context(), a, opt)
	} else {
		p, err = s.keyCodes.ListKeyCodes(r.Context(), a, keyward.KeyCodeFilter{Disposed: "no", VIN: r.URL.Query().Get("vin")}, opt)
	}
	if err != nil {
		return err
	}
	d.Codes, d.Links = p.Items, cursorLinks(r, p.Next)
	if d.Exposures, err = s.keyCodes.Exposures(r.Context(), a, true); err != nil {
		return err
	}
	var data any = d
	if ferr != nil {
		data = newFormError(ferr, d)
	}
	return s.render(w, r, a, status, "key_codes", "Key codes", data)
}

// keyCodeCreate records a code. A VIN whose check digit does not match is
// shown back with the warning, and recorded only once the person ticks that
// they checked it against the vehicle.
func (s *Server) keyCodeCreate(w http.ResponseWriter, r *http.Request, a keyward.Actor) error {
	form := postedValues(r, "vin", "description", "source", "source_ref")
	in := keyward.KeyCodeInput{VIN: form["vin"], Description: form["description"], Source: form["source"], SourceRef: form["source_ref"],
		Code: keyward.Secret(r.PostFormValue("code"))}
	if vin := keyward.NormalizeVIN(in.VIN); r.PostFormValue("vin_checked") != "1" && keyward.VINWellFormed(vin) && !keyward.VINCheckDigitOK(vin) {
		form["vin"] = vin
		return s.renderKeyCodes(w, r, a, http.StatusOK, "create", form, nil, keyward.RuleVINCheckDigit)
	}
	k, err := s.keyCodes.CreateKeyCode(r.Context(), a, in)
	if err != nil {
		return formRefused(err, func(st int) error { return s.renderKeyCodes(w, r, a, st, "create", form, err, "") })
	}
	return redirectFlash(w, r, "/key-codes/"+url.PathEscape(k.ID), "Key code recorded and sealed. Nobody sees it without an approved request.")
}

// One code.

type keyCodeData struct {
	K         keyward.KeyCode
	Status    string
	Requests  []keyward.CodeRequest
	Reveals   []keyward.CodeReveal
	Incidents []keyward.CodeIncident
	// Open is the open incident, if any.
	Open *keyward.CodeIncident
	// Approved is an approved request the viewer may reveal under.
	Approved *keyward.CodeRequest
	refusedForm
}

func (s *Server) keyCodePage(w http.ResponseWriter, r *http.Request, a keyward.Actor) error {
	return s.renderKeyCode(w, r, a, http.StatusOK, "", nil, nil)
}

func (s *Server) renderKeyCode(w http.ResponseWriter, r *http.Request, a keyward.Actor, status int, failed string, form map[string]string, ferr error) error {
	ctx, id := r.Context(), r.PathValue("id")
	k, err := s.keyCodes.KeyCode(ctx, a, id)
	if err != nil {
		return err
	}
	d := keyCodeData{K: *k, Status: codeStatus(*k), refusedForm: refusedForm{failed, form}}
	reqs, err := s.keyCodes.CodeRequests(ctx, a, id, nil, keyward.ListOptions{Limit: 100})
	if err != nil {
		return err
	}
	d.Requests = reqs.Items
	for i := range d.Requests {
		if d.Requests[i].State == keyward.CodeApproved && d.Approved == nil {
			d.Approved = &d.Requests[i]
		}
	}
	if d.Reveals, err = s.keyCodes.Reveals(ctx, a, id); err != nil {
		return err
	}
	if d.Incidents, err = s.keyCodes.Incidents(ctx, a, id); err != nil {
		return err
	}
	for i := range d.Incidents {
		if d.Incidents[i].ClosedAt == nil {
			d.Open = &d.Incidents[i]
		}
	}
	var data any = d
	if ferr != nil {
		data = newFormError(ferr, d)
	}
	return s.render(w, r, a, status, "key_code", "Key code of "+k.What(), data)
}

func (s *Server) keyCodeIncidentOpen(w http.ResponseWriter, r *http.Request, a keyward.Actor) error {
	form := postedValues(r, "note")
	_, err := s.keyCodes.OpenIncident(r.Context(), a, r.PathValue("id"), keyward.CodeNoteInput{Note: form["note"]})
	if err != nil {
		return formRefused(err, func(st int) error { return s.renderKeyCode(w, r, a, st, "incident", form, err) })
	}
	return redirectFlash(w, r, "/key-codes/"+url.PathEscape(r.PathValue("id")), "Incident opened: reveals are stopped, the owners are told, and the vehicle or lock is listed to be re-programmed or rekeyed.")
}

func (s *Server) keyCodeDispose(w http.ResponseWriter, r *http.Request, a keyward.Actor) error {
	form := postedValues(r, "note")
	_, err := s.keyCodes.DisposeKeyCode(r.Context(), a, r.PathValue("id"), keyward.CodeNoteInput{Note: form["note"]})
	if err != nil {
		return formRefused(err, func(st int) error { return s.renderKeyCode(w, r, a, st, "dispose", form, err) })
	}
	return redirectFlash(w, r, "/key-codes/"+url.PathEscape(r.PathValue("id")), "Key code disposed of: its sealed value is destroyed.")
}

func (s *Server) codeIncidentClose(w http.ResponseWriter, r *http.Request, a keyward.Actor) error {
	in, err := s.keyCodes.CloseIncident(r.Context(), a, r.PathValue("id"), keyward.CodeNoteInput{Note: r.PostFormValue("note")})
	if err != nil {
		if Status(err) == http.StatusBadRequest || Status(err) == http.StatusConflict {
			inc, ierr := s.keyCodes.Incident(r.Context(), a, r.PathValue("id"))
			if ierr != nil {
				return ierr
			}
			r.SetPathValue("id", inc.KeyCodeID)
			return s.renderKeyCode(w, r, a, Status(err), "close", postedValues(r, "note"), err)
		}
		return err
	}
	return redirectFlash(w, r, "/key-codes/"+url.PathEscape(in.KeyCodeID), "Incident closed: reveals may go on. The vehicle or lock stays listed until it is re-programmed or rekeyed.")
}

func (s *Server) codeExposureResolve(w http.ResponseWriter, r *http.Request, a keyward.Actor) error {
	e, err := s.keyCodes.ResolveExposure(r.Context(), a, r.PathValue("id"), keyward.CodeNoteInput{Note: r.PostFormValue("note")})
	if err != nil {
		return formRefused(err, func(st int) error {
			return s.renderKeyCodes(w, r, a, st, "resolve-"+r.PathValue("id"), postedValues(r, "note"), err, "")
		})
	}
	return redirectFlash(w, r, "/key-codes/"+url.PathEscape(e.KeyCodeID), "Recorded: "+e.What+" is no longer exposed.")
}

// Code requests.

type codeRequestsData struct {
	Show     string
	Groups   []option
	Rows     []keyward.CodeRequest
	Links    cursorLinksData
	Codes    []keyward.KeyCode // codes that may be asked for
	Fleets   []keyward.Fleet
	Rels     []option
	Channels []option
	IDTypes  []option
	// For preselects a code (from its page).
	For string
	refusedForm
}

var codeRequestGroups = []option{{"open", "Open"}, {"requested", "Waiting for approval"}, {"approved", "Approved"}, {"closed", "Service done"}, {"all", "All"}}

func (s *Server) codeRequestsPage(w http.ResponseWriter, r *http.Request, a keyward.Actor) error {
	return s.renderCodeRequests(w, r, a, http.StatusOK, nil, nil)
}

func (s *Server) renderCodeRequests(w http.ResponseWriter, r *http.Request, a keyward.Actor, status int, form map[string]string, ferr error) error {
	ctx := r.Context()
	opt, err := listOptions(r)
	if err != nil {
		return err
	}
	d := codeRequestsData{Show: r.URL.Query().Get("show"), Groups: codeRequestGroups, Rels: relationshipOptions(), Channels: channelOptions,
		IDTypes: idTypeOptions(), For: r.URL.Query().Get("key_code"), refusedForm: refusedForm{"", form}}
	if form != nil {
		d.failed, d.For = "request", form["key_code_id"]
	}
	var states []string
	switch d.Show {
	case "requested", "approved", "closed":
		states = []string{d.Show}
	case "all":
	default:
		d.Show, states = "open", keyward.CodeOpenStates
	}
	p, err := s.keyCodes.CodeRequests(ctx, a, "", states, opt)
	if err != nil {
		return err
	}
	d.Rows, d.Links = p.Items, cursorLinks(r, p.Next)
	if keyward.Allowed(a.Role, keyward.ActCodeRequest) {
		codes, err := s.keyCodes.ListKeyCodes(ctx, a, keyward.KeyCodeFilter{Disposed: "no"}, keyward.ListOptions{Limit: 500})
		if err != nil {
			return err
		}
		d.Codes = codes.Items
		if d.Fleets, err = s.keyCodes.Fleets(ctx, a); err != nil {
			return err
		}
	}
	var data any = d
	if ferr != nil {
		data = copyFormError(ferr, d)
	}
	return s.render(w, r, a, status, "code_requests", "Code requests", data)
}

var evidenceFields = []string{"channel", "requester_name", "id_type", "id_last4", "registration_ref", "agent_letter_ref", "fleet_id"}

func evidenceFrom(form map[string]string) keyward.CodeEvidenceInput {
	return keyward.CodeEvidenceInput{Channel: form["channel"], RequesterName: form["requester_name"], IDType: form["id_type"], IDLast4: form["id_last4"],
		RegistrationRef: form["registration_ref"], AgentLetterRef: form["agent_letter_ref"], FleetID: form["fleet_id"]}
}

func (s *Server) codeRequestCreate(w http.ResponseWriter, r *http.Request, a keyward.Actor) error {
	form := postedValues(r, append([]string{"key_code_id", "relationship", "reason"}, evidenceFields...)...)
	req, err := s.keyCodes.RequestCode(r.Context(), a, keyward.CodeRequestInput{KeyCodeID: form["key_code_id"], Relationship: form["relationship"],
		Reason: form["reason"], CodeEvidenceInput: evidenceFrom(form)})
	if err != nil {
		return formRefused(err, func(st int) error { return s.renderCodeRequests(w, r, a, st, form, err) })
	}
	return redirectFlash(w, r, "/code-requests/"+url.PathEscape(req.ID), "Request recorded: a manager who did not make it approves it next.")
}

// The job page.

type codeJobData struct {
	R         keyward.CodeRequest
	K         keyward.KeyCode
	State     string
	Checklist []keyward.CodeCheckItem
	// Next is the viewer's next step: "approve", "reveal", "evidence", or "".
	Next    string
	Waiting string
	Can     map[string]bool
	Reveals []keyward.CodeReveal
	IDTypes []option
	Fleets  []keyward.Fleet
	Chans   []option
	// MissingWords lists the evidence still needed, in words.
	MissingWords []string
	refusedForm
}

func (s *Server) codeRequestPage(w http.ResponseWriter, r *http.Request, a keyward.Actor) error {
	return s.renderCodeJob(w, r, a, http.StatusOK, "", nil, nil)
}

func (s *Server) renderCodeJob(w http.ResponseWriter, r *http.Request, a keyward.Actor, status int, failed string, form map[string]string, ferr error) error {
	ctx := r.Context()
	req, err := s.keyCodes.CodeRequest(ctx, a, r.PathValue("id"))
	if err != nil {
		return err
	}
	k, err := s.keyCodes.KeyCode(ctx, a, req.KeyCodeID)
	if err != nil {
		return err
	}
	all, err := s.keyCodes.Reveals(ctx, a, req.KeyCodeID)
	if err != nil {
		return err
	}
	d := codeJobData{R: *req, K: *k, State: codeStateLabel(req.State), Can: map[string]bool{}, IDTypes: idTypeOptions(), Chans: channelOptions,
		refusedForm: refusedForm{failed, form}}
	for _, rv := range all {
		if rv.RequestID == req.ID {
			d.Reveals = append(d.Reveals, rv)
		}
	}
	loc := s.zone(r)
	d.Checklist = keyward.CodeJobChecklist(keyward.CodeJobFacts{Request: req, Code: k, Reveals: d.Reveals,
		When: func(t time.Time) string { return t.In(loc).Format("2006-01-02 15:04 MST") }})
	for _, m := range req.Missing {
		d.MissingWords = append(d.MissingWords, keyward.EvidenceWords(m))
	}
	mine := req.RequestedBy == a.UserID
	set := keyward.CodeSettings{Evidence: map[string][]string{}}
	for _, step := range []string{keyward.CodeStepEvidence, keyward.CodeStepApprove, keyward.CodeStepDeny, keyward.CodeStepCancel, keyward.CodeStepClose} {
		d.Can[step] = keyward.CheckCodeStep(req, step, a, set) == nil
	}
	mayReveal := keyward.Allowed(a.Role, keyward.ActCodeReveal)
	switch {
	case req.State == keyward.CodeRequested && d.Can[keyward.CodeStepApprove]:
		d.Next = "approve"
	case req.State == keyward.CodeRequested && mine && keyward.Allowed(a.Role, keyward.ActCodeApprove):
		d.Waiting = "You made this request: another manager approves it."
	case req.State == keyward.CodeRequested && d.Can[keyward.CodeStepEvidence] && len(req.Missing) > 0:
		d.Next = "evidence"
	case req.State == keyward.CodeRequested:
		d.Waiting = "Waiting for a manager who did not make the request to approve it."
	case req.State == keyward.CodeApproved && mayReveal:
		d.Next = "reveal"
	case req.State == keyward.CodeApproved:
		d.Waiting = "Approved: a technician reveals the code at the workstation and records the service done."
	case req.State == keyward.CodeClosed && k.Disposal == nil:
		d.Waiting = "Service done. The code is " + k.RetentionWords
		if k.DisposalDue != nil {
			d.Waiting += ": on " + k.DisposalDue.In(loc).Format("2006-01-02")
		}
		d.Waiting += "."
	case req.State == keyward.CodeClosed:
		d.Waiting = "Service done, and the code has been disposed of."
	default:
		d.Waiting = "This request is " + strings.ToLower(d.State) + ": nothing more to do."
	}
	if d.Can[keyward.CodeStepEvidence] {
		if d.Fleets, err = s.keyCodes.Fleets(ctx, a); err != nil {
			return err
		}
	}
	var data any = d
	if ferr != nil {
		data = copyFormError(ferr, d)
	}
	return s.render(w, r, a, status, "code_request", "Code request for "+req.What, data)
}

// codeStepPost takes a step from the job page's forms.
func (s *Server) codeStepPost(step string) handler {
	return func(w http.ResponseWriter, r *http.Request, a keyward.Actor) error {
		ctx, id := r.Context(), r.PathValue("id")
		form := postedValues(r, append([]string{"note"}, evidenceFields...)...)
		note := keyward.CodeNoteInput{Note: form["note"]}
		var err error
		flash := ""
		switch step {
		case keyward.CodeStepApprove:
			_, err = s.keyCodes.ApproveCode(ctx, a, id)
			flash = "Approved: a technician may now reveal the code."
		case keyward.CodeStepDeny:
			_, err = s.keyCodes.DenyCode(ctx, a, id, note)
			flash = "Request denied."
		case keyward.CodeStepCancel:
			_, err = s.keyCodes.CancelCode(ctx, a, id, note)
			flash = "Request cancelled."
		case keyward.CodeStepClose:
			_, err = s.keyCodes.CloseCodeJob(ctx, a, id, note)
			flash = "Service recorded done: the job is closed and the code's retention has started."
		case keyward.CodeStepEvidence:
			_, err = s.keyCodes.AddEvidence(ctx, a, id, evidenceFrom(form))
			flash = "Evidence recorded."
		}
		if err != nil {
			return formRefused(err, func(st int) error { return s.renderCodeJob(w, r, a, st, step, form, err) })
		}
		return redirectFlash(w, r, "/code-requests/"+url.PathEscape(id), flash)
	}
}

// The reveal.

type codeRevealData struct {
	K         keyward.KeyCode
	RequestID string
	Code      string
	Viewer    string
	At        time.Time
	ExpiresAt time.Time
	Seconds   int
	Words     string
	// Watermark is the viewer's name and the time, repeated across the code.
	Watermark []string
}

// keyCodeReveal reveals a code from the job page. The answer to the POST
// shows it for the organization's reveal time with the viewer's name across
// it, then the page hides it (a script, and without one a refresh back to
// the job). It is not cached and the code is in no URL.
func (s *Server) keyCodeReveal(w http.ResponseWriter, r *http.Request, a keyward.Actor) error {
	ctx, id := r.Context(), r.PathValue("id")
	in := keyward.KeyCodeRevealInput{RequestID: r.PostFormValue("request_id"), Reason: r.PostFormValue("reason")}
	out, err := s.keyCodes.RevealKeyCode(ctx, a, id, in)
	if err != nil {
		if in.RequestID != "" && (Status(err) == http.StatusBadRequest || Status(err) == http.StatusConflict) {
			r.SetPathValue("id", in.RequestID)
			return s.renderCodeJob(w, r, a, Status(err), "reveal", postedValues(r, "reason"), err)
		}
		return err
	}
	k, err := s.keyCodes.KeyCode(ctx, a, id)
	if err != nil {
		return err
	}
	viewer := out.Reveal.ByName
	d := codeRevealData{K: *k, RequestID: in.RequestID, Code: out.Code.Reveal(), Viewer: viewer, At: out.Reveal.At, ExpiresAt: out.ExpiresAt,
		Seconds: int(out.ExpiresAt.Sub(out.Reveal.At).Seconds()), Words: out.Reveal.Words()}
	mark := viewer + " · " + out.Reveal.At.In(s.zone(r)).Format("2006-01-02 15:04")
	for range 12 {
		d.Watermark = append(d.Watermark, mark)
	}
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Refresh", strconv.Itoa(d.Seconds)+"; url=/code-requests/"+url.PathEscape(in.RequestID))
	return s.render(w, r, a, http.StatusOK, "code_reveal", "Key code", d)
}

// Fleets.

type fleetsData struct {
	Fleets []keyward.Fleet
	refusedForm
}

func (s *Server) fleetsPage(w http.ResponseWriter, r *http.Request, a keyward.Actor) error {
	return s.renderFleets(w, r, a, http.StatusOK, "", nil, nil)
}

func (s *Server) renderFleets(w http.ResponseWriter, r *http.Request, a keyward.Actor, status int, failed string, form map[string]string, ferr error) error {
	fl, err := s.keyCodes.Fleets(r.Context(), a)
	if err != nil {
		return err
	}
	d := fleetsData{Fleets: fl, refusedForm: refusedForm{failed, form}}
	var data any = d
	if ferr != nil {
		data = newFormError(ferr, d)
	}
	return s.render(w, r, a, status, "fleets", "Fleets", data)
}

func (s *Server) fleetCreate(w http.ResponseWriter, r *http.Request, a keyward.Actor) error {
	form := postedValues(r, "name", "authorization_ref")
	f, err := s.keyCodes.CreateFleet(r.Context(), a, keyward.FleetInput{Name: form["name"], AuthorizationRef: form["authorization_ref"]})
	if err != nil {
		return formRefused(err, func(st int) error { return s.renderFleets(w, r, a, st, "create", form, err) })
	}
	return redirectFlash(w, r, "/fleets#fleet-"+f.ID, "Fleet "+f.Name+" added: now list its vehicles.")
}

func (s *Server) fleetVehicleAdd(w http.ResponseWriter, r *http.Request, a keyward.Actor) error {
	form := postedValues(r, "vin")
	f, err := s.keyCodes.AddFleetVehicle(r.Context(), a, r.PathValue("id"), keyward.FleetVehicleInput{VIN: form["vin"]})
	if err != nil {
		return formRefused(err, func(st int) error { return s.renderFleets(w, r, a, st, "vehicle-"+r.PathValue("id"), form, err) })
	}
	msg := "Vehicle added to " + f.Name + "."
	if len(f.Warnings) > 0 {
		msg += " Note: the VIN's check digit does not match; check it against the vehicle."
	}
	return redirectFlash(w, r, "/fleets#fleet-"+f.ID, msg)
}

func (s *Server) fleetVehicleRemove(w http.ResponseWriter, r *http.Request, a keyward.Actor) error {
	f, err := s.keyCodes.RemoveFleetVehicle(r.Context(), a, r.PathValue("id"), r.PathValue("vin"))
	if err != nil {
		return err
	}
	return redirectFlash(w, r, "/fleets#fleet-"+f.ID, "Vehicle "+keyward.NormalizeVIN(r.PathValue("vin"))+" left "+f.Name+": its codes are disposed of after the retention.")
}

// The dashboard.

// codeWaitingRow is a code request on the dashboard, with who asks in words.
type codeWaitingRow struct {
	keyward.CodeRequest
	Who string
}

// codeRequesterWords says who asks: their name if recorded, and their relationship.
func codeRequesterWords(r keyward.CodeRequest) string {
	if r.Evidence.RequesterName != "" {
		return r.Evidence.RequesterName + ", " + keyward.RelationshipWords(r.Relationship)
	}
	return withArticle(keyward.RelationshipWords(r.Relationship))
}

// withArticle puts "a" or "an" before words.
func withArticle(words string) string {
	if words != "" && strings.ContainsAny(words[:1], "aeiouAEIOU") {
		return "an " + words
	}
	return "a " + words
}

// maxDashboardCodes bounds the requests the dashboard reads.
const maxDashboardCodes = 100

// dashboardCodes fills the code requests waiting for the viewer's approval:
// those keyward.CheckCodeStep lets them approve now (never their own, and
// only with the evidence the organization's rules need), oldest first.
func (s *Server) dashboardCodes(r *http.Request, a keyward.Actor, d *dashboardData) error {
	if s.keyCodes == nil || !keyward.MayTakeCodeStep(a.Role, keyward.CodeStepApprove) || !keyward.Allowed(a.Role, keyward.ActCodeRead) {
		return nil
	}
	set, err := s.keyCodes.CodeSettings(r.Context(), a)
	if err != nil {
		return err
	}
	p, err := s.keyCodes.CodeRequests(r.Context(), a, "", []string{keyward.CodeRequested}, keyward.ListOptions{Limit: maxDashboardCodes})
	if err != nil {
		return err
	}
	for i := len(p.Items) - 1; i >= 0; i-- {
		if req := p.Items[i]; keyward.CheckCodeStep(&req, keyward.CodeStepApprove, a, set) == nil {
			d.CodeApprovals = append(d.CodeApprovals, codeWaitingRow{CodeRequest: req, Who: codeRequesterWords(req)})
		}
	}
	return nil
}
