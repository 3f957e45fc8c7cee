package keyward

import (
	"context"
	"slices"
	"strings"
	"time"
)

// Key codes: a key-cutting code of a vehicle (named by its VIN) or of a lock
// (named by its opening). Anyone with a code-cutting machine can make a
// working key from one, so Keyward keeps it as a password vault keeps a
// password: sealed, revealed only to a technician holding an approved request
// for a reason, every reveal recorded, disposed of when its retention ends.
// The rules are in keycodes_rules.go.

// Where a code came from.
const (
	CodeSourceInternal     = "internal"     // the organization's own records
	CodeSourceService      = "code_service" // a third-party key code service
	CodeSourceManufacturer = "manufacturer" // the manufacturer's authorized channel
)

// CodeSources lists the sources.
var CodeSources = []string{CodeSourceInternal, CodeSourceService, CodeSourceManufacturer}

// Who is asking, relative to the vehicle or lock.
const (
	RelOwner = "owner" // the registered owner
	RelAgent = "agent" // an authorized agent, with the owner's letter
	RelFleet = "fleet" // a fleet account, under its standing authorization
)

// CodeRelationships lists the relationships.
var CodeRelationships = []string{RelOwner, RelAgent, RelFleet}

// Where the request was taken: the evidence rules are the same on each.
const (
	ChannelCounter = "counter"
	ChannelPhone   = "phone"
	ChannelField   = "field"
)

// CodeChannels lists the channels.
var CodeChannels = []string{ChannelCounter, ChannelPhone, ChannelField}

// Evidence an organization may require before a code request is approved.
const (
	EvidenceIDChecked    = "id_checked"            // the requester's photo ID seen (type, last four)
	EvidenceRegistration = "registration_document" // the vehicle's registration document
	EvidenceAgentLetter  = "agent_letter"          // the owner's letter authorizing the agent
	EvidenceFleet        = "fleet_authorization"   // a fleet's standing authorization that lists the vehicle
)

// EvidenceItems lists the evidence items.
var EvidenceItems = []string{EvidenceIDChecked, EvidenceRegistration, EvidenceAgentLetter, EvidenceFleet}

// RecommendedEvidence is what the service reference asks for each
// relationship: a registered owner shows ID and the registration document;
// an agent the owner's letter and their own ID; a fleet its standing
// authorization listing the vehicle.
var RecommendedEvidence = map[string][]string{
	RelOwner: {EvidenceIDChecked, EvidenceRegistration},
	RelAgent: {EvidenceAgentLetter, EvidenceIDChecked},
	RelFleet: {EvidenceFleet},
}

// Code request states.
const (
	CodeRequested = "requested" // evidence collected, waiting for a manager
	CodeApproved  = "approved"  // a technician may reveal the code until it expires or is used up
	CodeDenied    = "denied"
	CodeCancelled = "cancelled"
	CodeClosed    = "closed" // the technician recorded the service done: the job is closed
)

// CodeOpenStates are the states of a job still open: it keeps its code from disposal.
var CodeOpenStates = []string{CodeRequested, CodeApproved}

// CodeRequestStates lists the states in workflow order.
var CodeRequestStates = []string{CodeRequested, CodeApproved, CodeDenied, CodeCancelled, CodeClosed}

// Steps a person takes on a code request.
const (
	CodeStepRequest  = "request"
	CodeStepEvidence = "evidence"
	CodeStepApprove  = "approve"
	CodeStepDeny     = "deny"
	CodeStepCancel   = "cancel"
	CodeStepClose    = "close" // service done
)

// Bounds of the organization's code settings.
const (
	MinApprovalHours, MaxApprovalHours = 1, 168
	MinCodeReveals, MaxCodeReveals     = 1, 10
	MinRevealSeconds, MaxRevealSeconds = 10, 600
	MaxRetentionDays                   = 3650
	// MaxKeyCode bounds a key code's length.
	MaxKeyCode = 64
)

// CodeSettings are the organization's key code rules.
type CodeSettings struct {
	// ApprovalHours: an approval allows reveals for this long (default 24).
	ApprovalHours int `json:"approval_hours"`
	// MaxReveals: an approval allows this many reveals (default 3).
	MaxReveals int `json:"max_reveals"`
	// RevealSeconds: the reveal page shows the code this long (default 60).
	RevealSeconds int `json:"reveal_seconds"`
	// RetentionDays: a code is disposed of this many days after its last
	// job closed (default 30); a fleet vehicle's code is kept while the
	// vehicle is in the fleet.
	RetentionDays int `json:"retention_days"`
	// Evidence is what each relationship must show before approval: items
	// of EvidenceItems. None by default; RecommendedEvidence is the
	// reference's advice.
	Evidence map[string][]string `json:"evidence"`
}

// DefaultCodeSettings are the settings of a new organization.
func DefaultCodeSettings() CodeSettings {
	return CodeSettings{ApprovalHours: 24, MaxReveals: 3, RevealSeconds: 60, RetentionDays: 30, Evidence: map[string][]string{}}
}

// Validate checks the bounds and the evidence lists, and orders each list
// as EvidenceItems does.
func (s *CodeSettings) Validate() error {
	var v Validator
	v.Check(s.ApprovalHours >= MinApprovalHours && s.ApprovalHours <= MaxApprovalHours, "approval_hours", "must be a whole number of hours from 1 to 168")
	v.Check(s.MaxReveals >= MinCodeReveals && s.MaxReveals <= MaxCodeReveals, "max_reveals", "must be a whole number from 1 to 10")
	v.Check(s.RevealSeconds >= MinRevealSeconds && s.RevealSeconds <= MaxRevealSeconds, "reveal_seconds", "must be a whole number of seconds from 10 to 600")
	v.Check(s.RetentionDays >= 0 && s.RetentionDays <= MaxRetentionDays, "retention_days", "must be a whole number of days from 0 to 3650")
	if s.Evidence == nil {
		s.Evidence = map[string][]string{}
	}
	for rel, items := range s.Evidence {
		if !slices.Contains(CodeRelationships, rel) {
			v.Check(false, "evidence", "must name relationships among "+strings.Join(CodeRelationships, ", "))
			continue
		}
		var ordered []string
		for _, it := range EvidenceItems {
			if slices.Contains(items, it) {
				ordered = append(ordered, it)
			}
		}
		for _, it := range items {
			if !slices.Contains(EvidenceItems, it) {
				v.Check(false, "evidence", "must list items among "+strings.Join(EvidenceItems, ", "))
				break
			}
		}
		if len(ordered) == 0 {
			delete(s.Evidence, rel)
		} else {
			s.Evidence[rel] = ordered
		}
	}
	return v.Err()
}

// KeyCodeInput records a key code: of a vehicle (VIN) or of a lock
// (OpeningID), never both. Code is sealed at once and never returned but by
// an authorized reveal.
type KeyCodeInput struct {
	VIN         string `json:"vin,omitempty"`
	OpeningID   string `json:"opening_id,omitempty"`
	Code        Secret `json:"code"`
	Source      string `json:"source"`
	SourceRef   string `json:"source_ref,omitempty"`
	Description string `json:"description,omitempty"`
}

// Validate checks the shape; a VIN is upper-cased first. It returns the
// warnings of a well-formed VIN whose North-American check digit does not
// match: such a VIN is accepted (many countries do not use the digit).
func (in *KeyCodeInput) Validate() ([]FieldError, error) {
	var v Validator
	in.VIN = NormalizeVIN(in.VIN)
	in.OpeningID = strings.TrimSpace(in.OpeningID)
	in.Source = strings.TrimSpace(in.Source)
	in.SourceRef = strings.TrimSpace(in.SourceRef)
	in.Description = strings.TrimSpace(in.Description)
	var warnings []FieldError
	switch {
	case in.VIN == "" && in.OpeningID == "":
		v.Check(false, "vin", "is required: give the vehicle's vin or the lock's opening_id")
	case in.VIN != "" && in.OpeningID != "":
		v.Check(false, "opening_id", "must be left out when vin is given: a code is of one vehicle or one lock")
	case in.VIN != "":
		if w, ok := CheckVIN(&v, "vin", in.VIN); ok && w != "" {
			warnings = append(warnings, FieldError{Field: "vin", Rule: w})
		}
	}
	code := in.Code.Reveal()
	v.Check(strings.TrimSpace(code) != "", "code", "is required")
	v.Check(len(code) <= MaxKeyCode, "code", "must be at most 64 characters")
	v.Check(printable(code), "code", "must be letters, digits and punctuation on one line")
	v.Check(slices.Contains(CodeSources, in.Source), "source", "must be one of "+strings.Join(CodeSources, ", "))
	checkText(&v, "source_ref", in.SourceRef, MaxName, false)
	checkText(&v, "description", in.Description, MaxName, false)
	if err := v.Err(); err != nil {
		return nil, err
	}
	return warnings, nil
}

func printable(s string) bool {
	for _, r := range s {
		if r < 0x20 || r == 0x7f {
			return false
		}
	}
	return true
}

// CodeEvidenceInput is what the desk checked, at the counter, on the phone
// or in the field. Each item is optional; the organization's rules say which
// an approval needs.
type CodeEvidenceInput struct {
	Channel       string `json:"channel,omitempty"`
	RequesterName string `json:"requester_name,omitempty"`
	// IDType and IDLast4: the requester's photo ID (the owner's, or the agent's).
	IDType  string `json:"id_type,omitempty"`
	IDLast4 string `json:"id_last4,omitempty"`
	// RegistrationRef names the registration document seen (its number, or how it was checked).
	RegistrationRef string `json:"registration_ref,omitempty"`
	// AgentLetterRef names the owner's letter authorizing the agent.
	AgentLetterRef string `json:"agent_letter_ref,omitempty"`
	// FleetID names the fleet whose standing authorization covers the vehicle.
	FleetID string `json:"fleet_id,omitempty"`
}

// Validate checks the shape of the items given.
func (in *CodeEvidenceInput) Validate() error {
	var v Validator
	in.validate(&v)
	return v.Err()
}

func (in *CodeEvidenceInput) validate(v *Validator) {
	in.Channel = strings.ToLower(strings.TrimSpace(in.Channel))
	in.RequesterName = strings.TrimSpace(in.RequesterName)
	in.IDLast4 = strings.ToUpper(strings.TrimSpace(in.IDLast4))
	in.RegistrationRef = strings.TrimSpace(in.RegistrationRef)
	in.AgentLetterRef = strings.TrimSpace(in.AgentLetterRef)
	in.FleetID = strings.TrimSpace(in.FleetID)
	v.Check(in.Channel == "" || slices.Contains(CodeChannels, in.Channel), "channel", "must be one of "+strings.Join(CodeChannels, ", "))
	checkText(v, "requester_name", in.RequesterName, MaxName, false)
	if in.IDType != "" || in.IDLast4 != "" {
		in.IDType = NormalizeIDType(in.IDType)
		v.Check(slices.Contains(IDTypes, in.IDType), "id_type", "must be one of "+strings.Join(IDTypes, ", "))
		v.Check(validLast4(in.IDLast4), "id_last4", "must be the last 4 letters or digits of the ID")
	}
	checkText(v, "registration_ref", in.RegistrationRef, MaxName, false)
	checkText(v, "agent_letter_ref", in.AgentLetterRef, MaxName, false)
}

// Empty reports whether no evidence item is given (a channel alone is not evidence).
func (in *CodeEvidenceInput) Empty() bool {
	return in.RequesterName == "" && in.IDType == "" && in.IDLast4 == "" && in.RegistrationRef == "" && in.AgentLetterRef == "" && in.FleetID == ""
}

// CodeRequestInput asks for a key code to be revealed for a job. The
// evidence may come with it, or later (CodeEvidenceInput).
type CodeRequestInput struct {
	KeyCodeID    string `json:"key_code_id"`
	Relationship string `json:"relationship"`
	Reason       string `json:"reason"`
	CodeEvidenceInput
}

// Validate checks the shape.
func (in *CodeRequestInput) Validate() error {
	var v Validator
	in.KeyCodeID = strings.TrimSpace(in.KeyCodeID)
	in.Relationship = strings.ToLower(strings.TrimSpace(in.Relationship))
	in.Reason = strings.TrimSpace(in.Reason)
	v.Check(in.KeyCodeID != "", "key_code_id", "is required")
	v.Check(slices.Contains(CodeRelationships, in.Relationship), "relationship", "must be one of "+strings.Join(CodeRelationships, ", "))
	checkText(&v, "reason", in.Reason, MaxNote, true)
	in.validate(&v)
	return v.Err()
}

// KeyCodeRevealInput reveals a code under an approved request, for a reason.
type KeyCodeRevealInput struct {
	RequestID string `json:"request_id"`
	Reason    string `json:"reason"`
}

// Validate requires the reason; a missing or wrong request is the
// reveal's refusal (ECONFLICT), not bad input.
func (in *KeyCodeRevealInput) Validate() error {
	var v Validator
	in.RequestID = strings.TrimSpace(in.RequestID)
	in.Reason = strings.TrimSpace(in.Reason)
	checkText(&v, "reason", in.Reason, MaxNote, true)
	return v.Err()
}

// CodeNoteInput is the note of a step that needs one: a denial, a
// cancellation, the service done, an incident, its closing, an exposure resolved.
type CodeNoteInput struct {
	Note string `json:"note"`
}

// Validate requires the note.
func (in *CodeNoteInput) Validate() error {
	var v Validator
	in.Note = strings.TrimSpace(in.Note)
	checkText(&v, "note", in.Note, MaxNote, true)
	return v.Err()
}

// KeyCode is a key code's record: never the code.
type KeyCode struct {
	ID          string `json:"id"`
	VIN         string `json:"vin,omitempty"`
	OpeningID   string `json:"opening_id,omitempty"`
	OpeningName string `json:"opening_name,omitempty"`
	SiteName    string `json:"site_name,omitempty"`
	Description string `json:"description,omitempty"`
	Source      string `json:"source"`
	SourceRef   string `json:"source_ref,omitempty"`
	// FleetName names the fleet the vehicle is in now, if any.
	FleetName     string    `json:"fleet_name,omitempty"`
	CreatedBy     string    `json:"created_by"`
	CreatedByName string    `json:"created_by_name"`
	CreatedAt     time.Time `json:"created_at"`
	// Reveals counts the reveals of the code.
	Reveals int `json:"reveals"`
	// Disposal is set once the code is destroyed.
	Disposal *CodeDisposal `json:"disposal,omitempty"`
	// IncidentID names the open incident, if any: reveals wait until it is closed.
	IncidentID string `json:"incident_id,omitempty"`
	// DisposalDue is when the retention rule disposes of the code, if it is known yet.
	DisposalDue *time.Time `json:"disposal_due,omitempty"`
	// RetentionWords says in words what keeps or disposes of the code.
	RetentionWords string `json:"retention,omitempty"`
	// Warnings, in the answer to recording it: a VIN whose check digit does not match.
	Warnings []FieldError `json:"warnings,omitempty"`
}

// What names the vehicle or lock in words.
func (k KeyCode) What() string {
	if k.VIN != "" {
		if k.Description != "" {
			return k.Description + " (VIN " + k.VIN + ")"
		}
		return "vehicle VIN " + k.VIN
	}
	name := k.OpeningName
	if k.SiteName != "" {
		name += " at " + k.SiteName
	}
	if k.Description != "" {
		name += " (" + k.Description + ")"
	}
	return "lock of " + name
}

// CodeDisposal is the record of a code destroyed.
type CodeDisposal struct {
	At time.Time `json:"at"`
	By string    `json:"by"` // a person's name, or "Keyward (scheduler)"
	// Rule says why: the retention rule that made it due, or the reason given.
	Rule string `json:"rule"`
}

// CodeEvidence is what was checked, by whom and when.
type CodeEvidence struct {
	Channel         string     `json:"channel"`
	RequesterName   string     `json:"requester_name,omitempty"`
	IDType          string     `json:"id_type,omitempty"`
	IDLast4         string     `json:"id_last4,omitempty"`
	RegistrationRef string     `json:"registration_ref,omitempty"`
	AgentLetterRef  string     `json:"agent_letter_ref,omitempty"`
	FleetID         string     `json:"fleet_id,omitempty"`
	FleetName       string     `json:"fleet_name,omitempty"`
	CheckedBy       string     `json:"checked_by,omitempty"`
	CheckedByName   string     `json:"checked_by_name,omitempty"`
	CheckedAt       *time.Time `json:"checked_at,omitempty"`
}

// Has lists the evidence items recorded. A fleet's authorization counts
// only when the fleet lists the vehicle now (fleetCovers).
func (e *CodeEvidence) Has(fleetCovers bool) []string {
	var out []string
	if e.IDType != "" && e.IDLast4 != "" {
		out = append(out, EvidenceIDChecked)
	}
	if e.RegistrationRef != "" {
		out = append(out, EvidenceRegistration)
	}
	if e.AgentLetterRef != "" {
		out = append(out, EvidenceAgentLetter)
	}
	if e.FleetID != "" && fleetCovers {
		out = append(out, EvidenceFleet)
	}
	return out
}

// CodeRequest is a request to reveal a key code for one job.
type CodeRequest struct {
	ID           string       `json:"id"`
	State        string       `json:"state"`
	KeyCodeID    string       `json:"key_code_id"`
	What         string       `json:"what"` // the vehicle or lock in words
	VIN          string       `json:"vin,omitempty"`
	Source       string       `json:"source"`
	Relationship string       `json:"relationship"`
	Reason       string       `json:"reason"`
	Evidence     CodeEvidence `json:"evidence"`
	// FleetCovers: the evidence's fleet listed the vehicle when the request
	// was approved, or lists it now for a request not approved yet.
	FleetCovers bool `json:"fleet_covers,omitempty"`
	// Missing lists the evidence the organization's rules need that is not recorded.
	Missing         []string   `json:"missing"`
	RequestedBy     string     `json:"requested_by"`
	RequestedByName string     `json:"requested_by_name"`
	CreatedAt       time.Time  `json:"created_at"`
	ApprovedBy      string     `json:"approved_by,omitempty"`
	ApprovedByName  string     `json:"approved_by_name,omitempty"`
	ApprovedAt      *time.Time `json:"approved_at,omitempty"`
	// ExpiresAt ends the approval; MaxReveals bounds its reveals.
	ExpiresAt      *time.Time `json:"expires_at,omitempty"`
	MaxReveals     int        `json:"max_reveals,omitempty"`
	Reveals        int        `json:"reveals"`
	ClosedByName   string     `json:"closed_by_name,omitempty"`
	ClosedAt       *time.Time `json:"closed_at,omitempty"`
	DecisionReason string     `json:"decision_reason,omitempty"`
	DecidedByName  string     `json:"decided_by_name,omitempty"`
	UpdatedAt      time.Time  `json:"updated_at"`
	// History is the request's own logbook, oldest first (detail views only).
	History []CodeRequestEvent `json:"history,omitempty"`
	// Checklist is the job's service checklist, ticked from the records (detail views only).
	Checklist []CodeCheckItem `json:"checklist,omitempty"`
}

// CodeRequestEvent is one step taken on a code request.
type CodeRequestEvent struct {
	Step   string    `json:"step"`
	State  string    `json:"state"`
	ByName string    `json:"by_name"`
	At     time.Time `json:"at"`
	Note   string    `json:"note,omitempty"`
}

// CodeReveal is one reveal of a code: who, when, why, under which request.
type CodeReveal struct {
	ID        string    `json:"id"`
	KeyCodeID string    `json:"key_code_id"`
	RequestID string    `json:"request_id"`
	By        string    `json:"by"` // user id
	ByName    string    `json:"by_name"`
	Role      Role      `json:"role"`
	At        time.Time `json:"at"`
	Reason    string    `json:"reason"`
	// Source is where the code was retrieved from.
	Source string `json:"source"`
}

// Words is the reveal as the log tells it: never the code.
func (r *CodeReveal) Words() string {
	return "code retrieved from " + CodeSourceWords(r.Source) + ", revealed to " + r.ByName + " at " + r.At.UTC().Format("2006-01-02 15:04 UTC")
}

// RevealedCode is the answer to an authorized reveal: the one place the code is.
type RevealedCode struct {
	Code      Secret     `json:"-"`
	ExpiresAt time.Time  `json:"expires_at"`
	Reveal    CodeReveal `json:"-"`
}

// CodeIncident is a suspected disclosure of a code.
type CodeIncident struct {
	ID           string     `json:"id"`
	KeyCodeID    string     `json:"key_code_id"`
	What         string     `json:"what"`
	Note         string     `json:"note"`
	OpenedByName string     `json:"opened_by_name"`
	OpenedAt     time.Time  `json:"opened_at"`
	ClosedByName string     `json:"closed_by_name,omitempty"`
	ClosedAt     *time.Time `json:"closed_at,omitempty"`
	CloseNote    string     `json:"close_note,omitempty"`
	// Reveals is every reveal of the code, oldest first.
	Reveals []CodeReveal `json:"reveals"`
	// Exposure is the re-program or rekey item the incident raised.
	Exposure *CodeExposure `json:"exposure,omitempty"`
}

// Remedies of an exposed code.
const (
	RemedyReprogram = "reprogram" // a vehicle: re-program its keys (and change the lock if the code is mechanical)
	RemedyRekey     = "rekey"     // a lock: rekey the cylinder
)

// CodeExposure is a vehicle or lock whose code may be out: it stays open
// until someone records it re-programmed or rekeyed.
type CodeExposure struct {
	ID             string     `json:"id"`
	KeyCodeID      string     `json:"key_code_id"`
	IncidentID     string     `json:"incident_id"`
	What           string     `json:"what"`
	Remedy         string     `json:"remedy"`
	OpenedAt       time.Time  `json:"opened_at"`
	ResolvedByName string     `json:"resolved_by_name,omitempty"`
	ResolvedAt     *time.Time `json:"resolved_at,omitempty"`
	ResolveNote    string     `json:"resolve_note,omitempty"`
}

// RemedyFor is the remedy of an exposed code: a vehicle is re-programmed, a lock rekeyed.
func RemedyFor(k *KeyCode) string {
	if k.VIN != "" {
		return RemedyReprogram
	}
	return RemedyRekey
}

// FleetInput creates a fleet account with its standing authorization.
type FleetInput struct {
	Name             string `json:"name"`
	AuthorizationRef string `json:"authorization_ref"`
}

// Validate requires both.
func (in *FleetInput) Validate() error {
	var v Validator
	in.Name = strings.TrimSpace(in.Name)
	in.AuthorizationRef = strings.TrimSpace(in.AuthorizationRef)
	checkText(&v, "name", in.Name, MaxName, true)
	checkText(&v, "authorization_ref", in.AuthorizationRef, MaxName, true)
	return v.Err()
}

// FleetVehicleInput adds a vehicle to a fleet.
type FleetVehicleInput struct {
	VIN string `json:"vin"`
}

// Validate upper-cases and checks the VIN; the warnings are those of KeyCodeInput.
func (in *FleetVehicleInput) Validate() ([]FieldError, error) {
	var v Validator
	in.VIN = NormalizeVIN(in.VIN)
	w, ok := CheckVIN(&v, "vin", in.VIN)
	if err := v.Err(); err != nil {
		return nil, err
	}
	if ok && w != "" {
		return []FieldError{{Field: "vin", Rule: w}}, nil
	}
	return nil, nil
}

// Fleet is a fleet account: a standing authorization and the vehicles it lists.
type Fleet struct {
	ID               string         `json:"id"`
	Name             string         `json:"name"`
	AuthorizationRef string         `json:"authorization_ref"`
	CreatedAt        time.Time      `json:"created_at"`
	Vehicles         []FleetVehicle `json:"vehicles"`
	Warnings         []FieldError   `json:"warnings,omitempty"`
}

// FleetVehicle is a vehicle in a fleet, or one that left it.
type FleetVehicle struct {
	VIN       string     `json:"vin"`
	AddedAt   time.Time  `json:"added_at"`
	RemovedAt *time.Time `json:"removed_at,omitempty"`
}

// KeyCodeFilter narrows the list of key codes.
type KeyCodeFilter struct {
	// VIN finds a vehicle's codes (upper-cased).
	VIN string
	// Disposed: "" every code, "no" the ones still held, "yes" the disposed ones.
	Disposed string
}

// KeyCodes keeps key codes and their requests, reveals, incidents and disposal.
type KeyCodes interface {
	// CreateKeyCode seals and records a code. EINVALID naming vin, opening_id,
	// code, source; a VIN with a bad check digit answers Warnings.
	CreateKeyCode(ctx context.Context, a Actor, in KeyCodeInput) (*KeyCode, error)
	// KeyCode returns a code's record (never the code). ENOTFOUND.
	KeyCode(ctx context.Context, a Actor, id string) (*KeyCode, error)
	// ListKeyCodes lists codes, newest first.
	ListKeyCodes(ctx context.Context, a Actor, f KeyCodeFilter, opt ListOptions) (Page[KeyCode], error)
	// Reveals lists every reveal of a code, oldest first. ENOTFOUND.
	Reveals(ctx context.Context, a Actor, id string) ([]CodeReveal, error)

	// RequestCode opens a request, with what evidence is given. EINVALID.
	RequestCode(ctx context.Context, a Actor, in CodeRequestInput) (*CodeRequest, error)
	// CodeRequest returns a request with its history. ENOTFOUND.
	CodeRequest(ctx context.Context, a Actor, id string) (*CodeRequest, error)
	// CodeRequests lists requests, newest first; states narrows them; keyCodeID ("" all) too.
	CodeRequests(ctx context.Context, a Actor, keyCodeID string, states []string, opt ListOptions) (Page[CodeRequest], error)
	// AddEvidence records more evidence on a request waiting for approval. ECONFLICT after.
	AddEvidence(ctx context.Context, a Actor, id string, in CodeEvidenceInput) (*CodeRequest, error)
	// ApproveCode approves a request. EFORBIDDEN for the requester (recorded),
	// ECONFLICT for a state that does not allow it or missing evidence.
	ApproveCode(ctx context.Context, a Actor, id string) (*CodeRequest, error)
	// DenyCode, CancelCode end a request with a note.
	DenyCode(ctx context.Context, a Actor, id string, in CodeNoteInput) (*CodeRequest, error)
	CancelCode(ctx context.Context, a Actor, id string, in CodeNoteInput) (*CodeRequest, error)
	// CloseCodeJob records the service done: the job closes and retention starts.
	CloseCodeJob(ctx context.Context, a Actor, id string, in CodeNoteInput) (*CodeRequest, error)

	// RevealKeyCode opens the code for a technician under an approved,
	// unexpired request with reveals left, writing the reveal and its audit
	// record in the same transaction. EFORBIDDEN (role), ECONFLICT (no such
	// approved request, disposed, incident open); each refusal is recorded.
	RevealKeyCode(ctx context.Context, a Actor, id string, in KeyCodeRevealInput) (*RevealedCode, error)

	// OpenIncident records a suspected disclosure: reveals wait until it is
	// closed, the owners are told, and an exposure is raised. ECONFLICT if one is open.
	OpenIncident(ctx context.Context, a Actor, keyCodeID string, in CodeNoteInput) (*CodeIncident, error)
	// Incident returns an incident with every reveal of its code. ENOTFOUND.
	Incident(ctx context.Context, a Actor, id string) (*CodeIncident, error)
	// Incidents lists a code's incidents ("" every code), newest first.
	Incidents(ctx context.Context, a Actor, keyCodeID string) ([]CodeIncident, error)
	// CloseIncident closes it: reveals may go on. ECONFLICT if closed.
	CloseIncident(ctx context.Context, a Actor, id string, in CodeNoteInput) (*CodeIncident, error)
	// Exposures lists exposures, open first (openOnly: only those).
	Exposures(ctx context.Context, a Actor, openOnly bool) ([]CodeExposure, error)
	// ResolveExposure records the vehicle re-programmed or the lock rekeyed. ECONFLICT if resolved.
	ResolveExposure(ctx context.Context, a Actor, id string, in CodeNoteInput) (*CodeExposure, error)

	// DisposeKeyCode destroys a code now, for a reason. ECONFLICT if disposed
	// or a request is approved and not closed.
	DisposeKeyCode(ctx context.Context, a Actor, id string, in CodeNoteInput) (*KeyCode, error)
	// Disposals lists the disposal records, newest first: the disposal report.
	Disposals(ctx context.Context, a Actor, opt ListOptions) (Page[KeyCode], error)

	// CreateFleet, Fleet, Fleets, AddFleetVehicle, RemoveFleetVehicle keep fleet accounts.
	CreateFleet(ctx context.Context, a Actor, in FleetInput) (*Fleet, error)
	Fleet(ctx context.Context, a Actor, id string) (*Fleet, error)
	Fleets(ctx context.Context, a Actor) ([]Fleet, error)
	AddFleetVehicle(ctx context.Context, a Actor, fleetID string, in FleetVehicleInput) (*Fleet, error)
	RemoveFleetVehicle(ctx context.Context, a Actor, fleetID, vin string) (*Fleet, error)

	// CodeSettings returns the organization's key code settings.
	CodeSettings(ctx context.Context, a Actor) (CodeSettings, error)
	// SetCodeSettings changes them (owner only).
	SetCodeSettings(ctx context.Context, a Actor, in CodeSettings) (CodeSettings, error)
}

// CodeDisposer is the scheduler's side: dispose of the codes whose retention
// has ended. Every server may run it at once; each code is disposed of once.
type CodeDisposer interface {
	DisposeDueCodes(ctx context.Context) (int, error)
}

// CodeSourceWords says a source in words.
func CodeSourceWords(source string) string {
	switch source {
	case CodeSourceInternal:
		return "our own records"
	case CodeSourceService:
		return "a key code service"
	case CodeSourceManufacturer:
		return "the manufacturer"
	}
	return source
}

// RelationshipWords says a relationship in words.
func RelationshipWords(rel string) string {
	switch rel {
	case RelOwner:
		return "registered owner"
	case RelAgent:
		return "authorized agent"
	case RelFleet:
		return "fleet account"
	}
	return rel
}

// EvidenceWords says an evidence item in words.
func EvidenceWords(item string) string {
	switch item {
	case EvidenceIDChecked:
		return "photo ID checked"
	case EvidenceRegistration:
		return "registration document"
	case EvidenceAgentLetter:
		return "owner's letter authorizing the agent"
	case EvidenceFleet:
		return "fleet's standing authorization listing the vehicle"
	}
	return item
}
