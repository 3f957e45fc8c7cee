package keyward

import (
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode"
)

// The rules of key codes, each decided here once: what a VIN is, who may
// take which step on a code request, when a code may be revealed, when it is
// disposed of, and what the job's checklist ticks. The store asks them under
// the rows' locks; none reads a clock or a database.

// NormalizeVIN upper-cases a VIN and drops the spaces and dashes people type in it.
func NormalizeVIN(s string) string {
	// Every space and dash goes, wherever it stands: trimming the ends first
	// left a space that a dash had hidden ("…\v-"), so normalizing twice
	// gave another VIN.
	return strings.ToUpper(strings.Map(func(r rune) rune {
		if r == '-' || unicode.IsSpace(r) {
			return -1
		}
		return r
	}, s))
}

// RuleVIN is the rule a malformed VIN breaks.
const RuleVIN = "must be 17 characters of A-Z and 0-9, without I, O or Q"

// RuleVINCheckDigit is the warning of a well-formed VIN whose North-American check digit does not match.
const RuleVINCheckDigit = "the check digit (9th character) does not match the rest of the VIN: check it against the vehicle; accepted, as vehicles outside North America need not use it"

// CheckVIN checks a normalized VIN: 17 characters of A-Z0-9 without I, O,
// Q, else a field error on v. wellFormed says it passed; warning is
// RuleVINCheckDigit when its check digit does not match.
func CheckVIN(v *Validator, field, vin string) (warning string, wellFormed bool) {
	if !VINWellFormed(vin) {
		v.Check(false, field, RuleVIN)
		return "", false
	}
	if !VINCheckDigitOK(vin) {
		return RuleVINCheckDigit, true
	}
	return "", true
}

// VINWellFormed reports whether vin is 17 characters of A-Z0-9 without I, O, Q.
func VINWellFormed(vin string) bool {
	if len(vin) != 17 {
		return false
	}
	for i := 0; i < len(vin); i++ {
		c := vin[i]
		switch {
		case c >= '0' && c <= '9':
		case c >= 'A' && c <= 'Z' && c != 'I' && c != 'O' && c != 'Q':
		default:
			return false
		}
	}
	return true
}

var vinWeights = [17]int{8, 7, 6, 5, 4, 3, 2, 10, 0, 9, 8, 7, 6, 5, 4, 3, 2}

// vinValue is the North-American transliteration of a VIN character.
func vinValue(c byte) int {
	if c >= '0' && c <= '9' {
		return int(c - '0')
	}
	return [26]int{1, 2, 3, 4, 5, 6, 7, 8, 0, 1, 2, 3, 4, 5, 0, 7, 0, 9, 2, 3, 4, 5, 6, 7, 8, 9}[c-'A']
}

// VINCheckDigitOK reports whether a well-formed VIN's 9th character is the
// North-American check digit of the others (the weighted sum modulo 11; 10 is X).
func VINCheckDigitOK(vin string) bool {
	if !VINWellFormed(vin) {
		return false
	}
	sum := 0
	for i := 0; i < 17; i++ {
		sum += vinValue(vin[i]) * vinWeights[i]
	}
	want := byte('0' + sum%11)
	if sum%11 == 10 {
		want = 'X'
	}
	return vin[8] == want
}

// codeStepFrom lists the states each step can be taken from.
var codeStepFrom = map[string][]string{
	CodeStepEvidence: {CodeRequested},
	CodeStepApprove:  {CodeRequested},
	CodeStepDeny:     {CodeRequested},
	CodeStepCancel:   {CodeRequested, CodeApproved},
	CodeStepClose:    {CodeApproved},
}

// codeStepRoles are the roles that may take each step: the desk collects
// evidence, a manager (or above) decides, a technician records the service.
var codeStepRoles = map[string][]Role{
	CodeStepRequest:  {RoleOwner, RoleAdmin, RoleManager, RoleAdvisor},
	CodeStepEvidence: {RoleOwner, RoleAdmin, RoleManager, RoleAdvisor},
	CodeStepApprove:  {RoleOwner, RoleAdmin, RoleManager},
	CodeStepDeny:     {RoleOwner, RoleAdmin, RoleManager},
	CodeStepCancel:   {RoleOwner, RoleAdmin, RoleManager, RoleAdvisor},
	CodeStepClose:    {RoleOwner, RoleAdmin, RoleTechnician},
}

// RevealRoles may reveal a key code: a technician, an admin, the owner;
// never the advisor who collected the evidence or the manager who approved.
var RevealRoles = []Role{RoleOwner, RoleAdmin, RoleTechnician}

// MayTakeCodeStep reports whether role may take step at all (CheckCodeStep decides on a request).
func MayTakeCodeStep(role Role, step string) bool {
	return role == RoleSystem || slices.Contains(codeStepRoles[step], role)
}

// MissingEvidence lists the items the organization's rules need for r's
// relationship that r's evidence does not have.
func MissingEvidence(r *CodeRequest, s CodeSettings) []string {
	have := r.Evidence.Has(r.FleetCovers)
	missing := []string{}
	for _, it := range s.Evidence[r.Relationship] {
		if !slices.Contains(have, it) {
			missing = append(missing, it)
		}
	}
	return missing
}

// CheckCodeStep is the one rule of the code request workflow: whether a may
// take step on r now. The requester never approves or denies their own
// request (EFORBIDDEN); an approval needs the evidence the organization's
// rules require for the relationship (ECONFLICT, naming what is missing).
func CheckCodeStep(r *CodeRequest, step string, a Actor, s CodeSettings) error {
	from, ok := codeStepFrom[step]
	if !ok {
		return Errorf(EINVALID, "unknown step %q", step)
	}
	if !MayTakeCodeStep(a.Role, step) {
		return Errorf(EFORBIDDEN, "role %s may not %s a code request", a.Role, codeStepWords(step))
	}
	if (step == CodeStepApprove || step == CodeStepDeny) && a.UserID == r.RequestedBy {
		return Errorf(EFORBIDDEN, "you made this request; another manager must %s it", step)
	}
	if !slices.Contains(from, r.State) {
		return Errorf(ECONFLICT, "this request is %s; it cannot be %s", CodeStateWords(r.State), codeStepPast(step))
	}
	if step == CodeStepApprove {
		if m := MissingEvidence(r, s); len(m) > 0 {
			words := make([]string, len(m))
			for i, it := range m {
				words[i] = EvidenceWords(it)
			}
			return Errorf(ECONFLICT, "the organization's rules need more evidence for a %s before approval: %s", RelationshipWords(r.Relationship), strings.Join(words, ", "))
		}
	}
	return nil
}

// ApprovalEnds is when an approval given at now stops allowing reveals.
func ApprovalEnds(now time.Time, s CodeSettings) time.Time {
	return now.Add(time.Duration(max(s.ApprovalHours, MinApprovalHours)) * time.Hour)
}

// RevealFacts are what a reveal is decided on, read under the code's lock.
type RevealFacts struct {
	Actor Actor
	Code  *KeyCode
	// Request is the request the reveal names; nil when it names none of this code.
	Request *CodeRequest
	Now     time.Time
}

// CheckReveal decides a reveal: a technician (or an admin or the owner),
// a code not disposed of and under no open incident, and an approved
// request for this code that has not expired or been used up. EFORBIDDEN
// for the role, ECONFLICT for the rest; the message never holds the code.
func CheckReveal(f RevealFacts) error {
	if f.Actor.Role != RoleSystem && !slices.Contains(RevealRoles, f.Actor.Role) {
		return Errorf(EFORBIDDEN, "role %s may not reveal key codes: a technician reveals them, once a manager has approved the request", f.Actor.Role)
	}
	switch {
	case f.Code.Disposal != nil:
		return Errorf(ECONFLICT, "this code was disposed of on %s: it no longer exists", f.Code.Disposal.At.UTC().Format("2006-01-02"))
	case f.Code.IncidentID != "":
		return Errorf(ECONFLICT, "a suspected disclosure of this code is open: no reveal until the incident is closed")
	case f.Request == nil || f.Request.KeyCodeID != f.Code.ID:
		return Errorf(ECONFLICT, "a reveal needs an approved request for this code (request_id)")
	case f.Request.State != CodeApproved:
		return Errorf(ECONFLICT, "the request is %s: a reveal needs an approved request", CodeStateWords(f.Request.State))
	case f.Request.ExpiresAt != nil && !f.Now.Before(*f.Request.ExpiresAt):
		return Errorf(ECONFLICT, "the approval expired at %s: ask a manager to approve a new request", f.Request.ExpiresAt.UTC().Format("2006-01-02 15:04 UTC"))
	case f.Request.MaxReveals > 0 && f.Request.Reveals >= f.Request.MaxReveals:
		return Errorf(ECONFLICT, "the approval is used up: it allowed %d reveals", f.Request.MaxReveals)
	}
	return nil
}

// DisposalFacts are what the retention rule decides on.
type DisposalFacts struct {
	Disposed bool
	// InFleet: the code's vehicle is in a fleet now.
	InFleet bool
	// LeftFleetAt: when the vehicle last left a fleet, if it did.
	LeftFleetAt *time.Time
	// OpenJobs counts its requests waiting or approved.
	OpenJobs int
	// LastClosedAt: when its last job was closed, if one was.
	LastClosedAt *time.Time
}

// CodeDisposalDue is the retention rule: a code is kept while its vehicle is
// in a fleet and while a job on it is open; otherwise it is due
// RetentionDays after the later of its last job closing and its vehicle
// leaving a fleet. A code no job has closed yet, never in a fleet, has no
// due date. words says which applies.
func CodeDisposalDue(f DisposalFacts, s CodeSettings) (due *time.Time, words string) {
	days := fmt.Sprintf("%d days", s.RetentionDays)
	if s.RetentionDays == 1 {
		days = "1 day"
	}
	switch {
	case f.Disposed:
		return nil, "disposed of"
	case f.InFleet:
		return nil, "kept while the vehicle is in the fleet"
	case f.OpenJobs > 0:
		return nil, "kept while a job on it is open"
	}
	var base *time.Time
	words = days + " after the job is closed"
	if f.LastClosedAt != nil {
		base = f.LastClosedAt
	}
	if f.LeftFleetAt != nil && (base == nil || f.LeftFleetAt.After(*base)) {
		base, words = f.LeftFleetAt, days+" after the vehicle left the fleet"
	}
	if base == nil {
		return nil, "disposed of " + days + " after the job it is used for is closed"
	}
	at := base.Add(time.Duration(s.RetentionDays) * 24 * time.Hour)
	return &at, "disposed of " + words
}

// DisposalDueNow reports whether the retention rule has disposed of the code by now.
func DisposalDueNow(f DisposalFacts, s CodeSettings, now time.Time) bool {
	due, _ := CodeDisposalDue(f, s)
	return due != nil && !now.Before(*due)
}

// CodeCheckItem is one line of a job's service checklist.
type CodeCheckItem struct {
	Label  string `json:"label"`
	Done   bool   `json:"done"`
	Detail string `json:"detail"`
}

// CodeJobFacts are the records a job's checklist is ticked from.
type CodeJobFacts struct {
	Request *CodeRequest
	Code    *KeyCode
	// Reveals are the reveals made under the request, each with its audit record.
	Reveals []CodeReveal
	// When formats a time for the page.
	When func(time.Time) string
}

// CodeJobChecklist is the service checklist of a code request: requester
// identity, relationship to the vehicle or lock, code source, access
// logged, disposal after service — each ticked from the records, never by hand.
func CodeJobChecklist(f CodeJobFacts) []CodeCheckItem {
	when := f.When
	if when == nil {
		when = func(t time.Time) string { return t.UTC().Format("2006-01-02 15:04 UTC") }
	}
	r, k, ev := f.Request, f.Code, f.Request.Evidence
	out := make([]CodeCheckItem, 0, 5)

	id := CodeCheckItem{Label: "Requester identity", Detail: "no photo ID recorded yet"}
	switch {
	case ev.IDType != "" && ev.IDLast4 != "":
		id.Done = true
		id.Detail = strings.ReplaceAll(ev.IDType, "_", " ") + " ending " + ev.IDLast4
		if ev.RequesterName != "" {
			id.Detail = ev.RequesterName + ": " + id.Detail
		}
		if ev.CheckedByName != "" {
			id.Detail += ", checked by " + ev.CheckedByName
		}
	case r.Relationship == RelFleet && r.FleetCovers && ev.RequesterName != "":
		id.Done = true
		id.Detail = ev.RequesterName + ", for fleet " + ev.FleetName
	}
	out = append(out, id)

	thing := "vehicle"
	if k.VIN == "" {
		thing = "lock"
	}
	rel := CodeCheckItem{Label: "Relationship to the " + thing, Detail: RelationshipWords(r.Relationship) + ": "}
	switch r.Relationship {
	case RelOwner:
		rel.Done = ev.RegistrationRef != ""
		rel.Detail += or(ev.RegistrationRef, "registration document", "no registration document recorded yet")
	case RelAgent:
		rel.Done = ev.AgentLetterRef != ""
		rel.Detail += or(ev.AgentLetterRef, "owner's letter", "no letter from the owner recorded yet")
	case RelFleet:
		rel.Done = r.FleetCovers
		switch {
		case r.FleetCovers:
			rel.Detail += "fleet " + ev.FleetName + " lists this vehicle under its standing authorization"
		case ev.FleetID != "":
			rel.Detail += "fleet " + ev.FleetName + " does not list this vehicle"
		default:
			rel.Detail += "no fleet recorded yet"
		}
	}
	out = append(out, rel)

	src := CodeCheckItem{Label: "Code source", Done: k.Source != "", Detail: "retrieved from " + CodeSourceWords(k.Source)}
	if k.SourceRef != "" {
		src.Detail += " (" + k.SourceRef + ")"
	}
	out = append(out, src)

	logged := CodeCheckItem{Label: "Access logged", Detail: "no reveal yet"}
	if len(f.Reveals) > 0 {
		logged.Done = len(f.Reveals) == r.Reveals
		last := f.Reveals[len(f.Reveals)-1]
		logged.Detail = plural(len(f.Reveals), "reveal") + " logged; last revealed to " + last.ByName + " at " + when(last.At)
	}
	out = append(out, logged)

	disp := CodeCheckItem{Label: "Disposal after service"}
	switch {
	case k.Disposal != nil:
		disp.Done = true
		disp.Detail = "disposed of " + when(k.Disposal.At) + " by " + k.Disposal.By
	case r.State != CodeClosed:
		disp.Detail = "after the service is recorded done"
	case k.DisposalDue != nil:
		disp.Detail = "due " + when(*k.DisposalDue)
	default:
		disp.Detail = k.RetentionWords
	}
	out = append(out, disp)
	return out
}

func or(v, label, empty string) string {
	if v == "" {
		return empty
	}
	return label + " " + v
}

// CodeStateWords says a request state in words.
func CodeStateWords(state string) string {
	switch state {
	case CodeRequested:
		return "waiting for a manager's approval"
	case CodeApproved:
		return "approved"
	case CodeDenied:
		return "denied"
	case CodeCancelled:
		return "cancelled"
	case CodeClosed:
		return "closed (service done)"
	}
	return state
}

func codeStepWords(step string) string {
	switch step {
	case CodeStepEvidence:
		return "record evidence for"
	case CodeStepClose:
		return "close"
	}
	return step
}

func codeStepPast(step string) string {
	switch step {
	case CodeStepEvidence:
		return "given more evidence"
	case CodeStepApprove:
		return "approved"
	case CodeStepDeny:
		return "denied"
	case CodeStepCancel:
		return "cancelled"
	case CodeStepClose:
		return "closed"
	}
	return step
}

// NextCodeState is the state after step succeeds.
func NextCodeState(state, step string) string {
	switch step {
	case CodeStepApprove:
		return CodeApproved
	case CodeStepDeny:
		return CodeDenied
	case CodeStepCancel:
		return CodeCancelled
	case CodeStepClose:
		return CodeClosed
	}
	return state
}
