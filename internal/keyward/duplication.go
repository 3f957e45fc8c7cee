package keyward

import (
	"context"
	"crypto/subtle"
	"slices"
	"strings"
	"time"
)

// Duplication policies of a keyway: who may get a new copy of its keys.
const (
	DupOpen       = "open"       // any staff role records a copy; approved at once, still counted
	DupDND        = "dnd"        // "Do Not Duplicate": a reason and a manager's approval
	DupRestricted = "restricted" // patented or contract keyway: a registered signatory, photo ID, the card, then approval
)

// Copy request states, in the order a request moves through them.
const (
	CopyRequested        = "requested"
	CopyEvidenceAccepted = "evidence_accepted" // restricted: signatory, photo ID and card checked
	CopyEscalated        = "escalated"         // authorization unclear: only the owner decides
	CopyApproved         = "approved"
	CopyDenied           = "denied"
	CopyProduced         = "produced" // new stamped copies are in storage
	CopyHandedOver       = "handed_over"
	CopyCancelled        = "cancelled"
)

// CopyStates lists every state, in workflow order.
var CopyStates = []string{CopyRequested, CopyEvidenceAccepted, CopyEscalated, CopyApproved, CopyDenied, CopyProduced, CopyHandedOver, CopyCancelled}

// CopyPendingStates are the states a request waits in for a person to act.
var CopyPendingStates = []string{CopyRequested, CopyEvidenceAccepted, CopyEscalated, CopyApproved}

// Steps a person takes on a copy request.
const (
	// CopyStepRequest opens a request; it is the first line of its history
	// and no step CheckCopyStep takes.
	CopyStepRequest  = "request"
	CopyStepEvidence = "evidence"
	CopyStepApprove  = "approve"
	CopyStepDeny     = "deny"
	CopyStepEscalate = "escalate"
	CopyStepProduce  = "produce"
	CopyStepHandOver = "hand_over"
	CopyStepCancel   = "cancel"
)

// Bounds of one request.
const (
	MinCopies = 1
	MaxCopies = 20
	// MaxCopyApprovals bounds the approvals an organization can require.
	MaxCopyApprovals = 3
)

// IDTypes are the kinds of photo ID a counter checks.
var IDTypes = []string{"driving_licence", "passport", "national_id", "residence_permit", "other"}

// idTypeSpellings are other common spellings of IDTypes, as a counter or
// another system may send them; NormalizeIDType maps them to ours.
var idTypeSpellings = map[string]string{
	"driving_license":  "driving_licence",
	"driver_license":   "driving_licence",
	"driver_licence":   "driving_licence",
	"drivers_license":  "driving_licence",
	"drivers_licence":  "driving_licence",
	"driver's_license": "driving_licence",
	"national_id_card": "national_id",
	"id_card":          "national_id",
	"residence_card":   "residence_permit",
}

// NormalizeIDType returns the IDTypes value s names: itself, or one of its
// common spellings ("driver_license", "Drivers-License"), case, spaces and
// dashes aside. An ID type it does not know is returned as given, for
// Validate to refuse.
func NormalizeIDType(s string) string {
	k := strings.ToLower(strings.TrimSpace(s))
	k = strings.NewReplacer("-", "_", " ", "_").Replace(k)
	if slices.Contains(IDTypes, k) {
		return k
	}
	if v, ok := idTypeSpellings[k]; ok {
		return v
	}
	return s
}

// CardMatches reports whether the authorization card number given matches
// the one on file, ignoring case, spaces and dashes (a card printed
// "MC-0042 17" is read back as "mc004217"); the comparison takes the same
// time wherever the two differ. An empty card matches nothing.
func CardMatches(onFile, given Secret) bool {
	a, b := cardDigits(onFile.Reveal()), cardDigits(given.Reveal())
	if a == "" || b == "" {
		return false
	}
	return subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1
}

func cardDigits(s string) string {
	return strings.ToUpper(strings.NewReplacer(" ", "", "-", "", "\t", "").Replace(s))
}

// Key origins: how a copy came under control.
const (
	OriginRegistered = "registered" // an existing copy entered by an owner or admin
	OriginImported   = "imported"   // an existing copy entered by an import
	OriginProduced   = "produced"   // cut for an approved copy request
)

// KeyOrigins lists the origins.
var KeyOrigins = []string{OriginRegistered, OriginImported, OriginProduced}

// CopySettings are the organization's duplication rules beyond the keyway policy.
type CopySettings struct {
	// ApprovalsRequired is how many different managers approve a dnd or
	// restricted request (1 to MaxCopyApprovals; 1 by default).
	ApprovalsRequired int `json:"approvals_required"`
	// TwoPersonRule: whoever checked the ID does not also approve (off by default).
	TwoPersonRule bool `json:"two_person_rule"`
}

// Validate checks the settings.
func (s *CopySettings) Validate() error {
	var v Validator
	v.Check(s.ApprovalsRequired >= 1 && s.ApprovalsRequired <= MaxCopyApprovals, "approvals_required", "must be 1, 2 or 3")
	return v.Err()
}

// DefaultCopySettings are the settings of a new organization.
func DefaultCopySettings() CopySettings { return CopySettings{ApprovalsRequired: 1} }

// CopyRequestInput asks for Count new copies of a key's symbol and keyway.
// ForHolderID names who will receive them (a holder's own request names
// themselves; empty means they go to storage).
type CopyRequestInput struct {
	KeyID       string `json:"key_id"`
	Count       int    `json:"count"`
	Reason      string `json:"reason"`
	ForHolderID string `json:"for_holder_id,omitempty"`
}

// Validate checks the shape; the keyway's policy decides the rest (a dnd or
// restricted request needs a reason, see CheckCopyRequest).
func (in *CopyRequestInput) Validate() error {
	var v Validator
	in.Reason = strings.TrimSpace(in.Reason)
	v.Check(in.KeyID != "", "key_id", "is required")
	v.Check(in.Count >= MinCopies && in.Count <= MaxCopies, "count", "must be a whole number from 1 to 20")
	checkText(&v, "reason", in.Reason, MaxNote, false)
	return v.Err()
}

// CheckCopyRequest applies the keyway policy to a new request.
func CheckCopyRequest(policy string, in CopyRequestInput) error {
	if policy != DupOpen && in.Reason == "" {
		return Invalid("reason", "is required: copies of a "+PolicyWords(policy)+" key need a reason")
	}
	return nil
}

// CopyEvidenceInput is what the counter checked for a restricted keyway.
// AuthorizationCard is compared with the keyway's sealed card and never stored
// or returned.
type CopyEvidenceInput struct {
	SignatoryHolderID string `json:"signatory_holder_id"`
	IDType            string `json:"id_type"`
	IDLast4           string `json:"id_last4"`
	AuthorizationCard Secret `json:"authorization_card"`
}

// Validate checks the shape; the store checks the signatory and the card.
func (in *CopyEvidenceInput) Validate() error {
	var v Validator
	in.IDLast4 = strings.ToUpper(strings.TrimSpace(in.IDLast4))
	in.IDType = NormalizeIDType(in.IDType)
	v.Check(in.SignatoryHolderID != "", "signatory_holder_id", "is required")
	v.Check(slices.Contains(IDTypes, in.IDType), "id_type", "must be one of "+strings.Join(IDTypes, ", "))
	v.Check(validLast4(in.IDLast4), "id_last4", "must be the last 4 letters or digits of the ID")
	v.Check(strings.TrimSpace(in.AuthorizationCard.Reveal()) != "", "authorization_card", "is required")
	return v.Err()
}

func validLast4(s string) bool {
	if len(s) != 4 {
		return false
	}
	for _, r := range s {
		if !(r >= '0' && r <= '9' || r >= 'A' && r <= 'Z') {
			return false
		}
	}
	return true
}

// CopyDecisionInput carries the reason of a denial, an escalation or a cancellation.
type CopyDecisionInput struct {
	Reason string `json:"reason"`
}

// Validate requires the reason.
func (in *CopyDecisionInput) Validate() error {
	var v Validator
	in.Reason = strings.TrimSpace(in.Reason)
	checkText(&v, "reason", in.Reason, MaxNote, true)
	return v.Err()
}

// HandOverInput issues the produced copies to a holder.
type HandOverInput struct {
	HolderID string `json:"holder_id"`
	Note     string `json:"note,omitempty"`
}

// Validate requires the holder.
func (in *HandOverInput) Validate() error {
	var v Validator
	v.Check(in.HolderID != "", "holder_id", "is required")
	checkText(&v, "note", in.Note, MaxNote, false)
	return v.Err()
}

// CopyEvidence is what was checked, by whom and when; never the card.
type CopyEvidence struct {
	SignatoryHolderID string    `json:"signatory_holder_id"`
	SignatoryName     string    `json:"signatory_name"`
	IDType            string    `json:"id_type"`
	IDLast4           string    `json:"id_last4"`
	CardMatched       bool      `json:"card_matched"`
	CheckedBy         string    `json:"checked_by"` // user id
	CheckedByName     string    `json:"checked_by_name"`
	CheckedAt         time.Time `json:"checked_at"`
}

// CopyApproval is one manager's approval.
type CopyApproval struct {
	By     string    `json:"by"` // user id
	ByName string    `json:"by_name"`
	At     time.Time `json:"at"`
}

// CopyRequest is a request for new copies of one symbol of one keyway.
type CopyRequest struct {
	ID            string         `json:"id"`
	State         string         `json:"state"`
	KeyID         string         `json:"key_id"` // the key shown as the pattern
	Stamp         string         `json:"stamp"`
	KeywayID      string         `json:"keyway_id"`
	KeywayName    string         `json:"keyway_name"`
	Policy        string         `json:"policy"` // the keyway's policy when requested
	Symbol        string         `json:"symbol"`
	Count         int            `json:"count"`
	Reason        string         `json:"reason"`
	ForHolderID   string         `json:"for_holder_id,omitempty"`
	ForHolderName string         `json:"for_holder_name,omitempty"`
	RequestedBy   string         `json:"requested_by"` // user id
	RequesterName string         `json:"requester_name"`
	Evidence      *CopyEvidence  `json:"evidence,omitempty"`
	Approvals     []CopyApproval `json:"approvals"`
	// ApprovalsRequired is fixed when the request is made.
	ApprovalsRequired int `json:"approvals_required"`
	// DecisionReason is why it was denied, escalated or cancelled.
	DecisionReason string    `json:"decision_reason,omitempty"`
	DecidedBy      string    `json:"decided_by,omitempty"`
	Keys           []Key     `json:"keys"` // the produced copies
	CreatedAt      time.Time `json:"created_at"`
	UpdatedAt      time.Time `json:"updated_at"`
	// History is the request's own logbook, oldest first (detail views only).
	History []CopyRequestEvent `json:"history,omitempty"`
}

// CopyRequestEvent is one step taken on a request.
type CopyRequestEvent struct {
	Step   string    `json:"step"`
	State  string    `json:"state"` // the state after the step
	By     string    `json:"by"`
	ByName string    `json:"by_name"`
	At     time.Time `json:"at"`
	Note   string    `json:"note,omitempty"`
}

// Signatory is a holder registered to authorize copies of a restricted keyway.
type Signatory struct {
	KeywayID    string     `json:"keyway_id"`
	HolderID    string     `json:"holder_id"`
	HolderName  string     `json:"holder_name"`
	AddedBy     string     `json:"added_by"`
	AddedByName string     `json:"added_by_name"`
	AddedAt     time.Time  `json:"added_at"`
	Until       *time.Time `json:"until,omitempty"`
	RemovedAt   *time.Time `json:"removed_at,omitempty"`
}

// Current reports whether the signatory may authorize copies at now.
func (s *Signatory) Current(now time.Time) bool {
	return s.RemovedAt == nil && (s.Until == nil || now.Before(*s.Until))
}

// SignatoryInput registers a signatory; Until is optional.
type SignatoryInput struct {
	HolderID string     `json:"holder_id"`
	Until    *time.Time `json:"until,omitempty"`
}

// Validate requires the holder and an Until in the future.
func (in *SignatoryInput) Validate(now time.Time) error {
	var v Validator
	v.Check(in.HolderID != "", "holder_id", "is required")
	v.Check(in.Until == nil || in.Until.After(now), "until", "must be in the future")
	return v.Err()
}

// CardInput sets a keyway's authorization card number.
type CardInput struct {
	Number Secret `json:"number"`
}

// Validate checks the card number: 1 to 64 printable characters.
func (in *CardInput) Validate() error {
	var v Validator
	n := strings.TrimSpace(in.Number.Reveal())
	v.Check(n != "", "number", "is required")
	v.Check(len(n) <= 64, "number", "must be at most 64 characters")
	return v.Err()
}

// KeywayControl is a keyway's duplication control: its signatories and
// whether an authorization card is on file (never the number).
type KeywayControl struct {
	KeywayID    string      `json:"keyway_id"`
	Policy      string      `json:"policy"`
	HasCard     bool        `json:"has_card"`
	CardSetAt   *time.Time  `json:"card_set_at,omitempty"`
	Signatories []Signatory `json:"signatories"` // current first, then past
}

// UncontrolledCopyInput records a copy found outside the system: one nobody made through Keyward.
type UncontrolledCopyInput struct {
	KeywayID string `json:"keyway_id"`
	Symbol   string `json:"symbol"`
	// Where it was found, and what happened to it.
	Where string `json:"where"`
	Note  string `json:"note,omitempty"`
	// InHand: the copy was taken back (and is kept or destroyed); otherwise it is still out there.
	InHand bool `json:"in_hand"`
}

// Validate checks the shape.
func (in *UncontrolledCopyInput) Validate() error {
	var v Validator
	in.KeywayID = strings.TrimSpace(in.KeywayID)
	in.Symbol = strings.TrimSpace(in.Symbol)
	in.Where = strings.TrimSpace(in.Where)
	in.Note = strings.TrimSpace(in.Note)
	v.Check(in.KeywayID != "", "keyway_id", "is required")
	ValidSymbol(&v, "symbol", in.Symbol)
	checkText(&v, "where", in.Where, MaxName, true)
	checkText(&v, "note", in.Note, MaxNote, false)
	return v.Err()
}

// UncontrolledCopy is a copy found that Keyward never made or registered.
type UncontrolledCopy struct {
	ID          string    `json:"id"`
	KeywayID    string    `json:"keyway_id"`
	Symbol      string    `json:"symbol"`
	Where       string    `json:"where"`
	Note        string    `json:"note,omitempty"`
	InHand      bool      `json:"in_hand"`
	FoundBy     string    `json:"found_by"` // user id
	FoundByName string    `json:"found_by_name"`
	FoundAt     time.Time `json:"found_at"`
	// Exposure is, in the answer to recording it, what the copy opens and
	// the next step: the same as for a lost key of its symbol.
	Exposure *LostKey `json:"exposure,omitempty"`
}

// SymbolCopy is one copy of a symbol and where it is now.
type SymbolCopy struct {
	Key
	// HolderName names who has it (issued, checked out) or last had it (lost).
	HolderName string `json:"holder_name,omitempty"`
	// Home is its storage place, if it has one.
	Home *KeyHome `json:"home,omitempty"`
	// LostAt is when a lost copy was reported lost.
	LostAt *time.Time `json:"lost_at,omitempty"`
}

// CopyCount is every copy of one symbol of one keyway: the ones under
// control (registered, imported or produced and not destroyed; lost ones
// count until found or destroyed) and the uncontrolled ones found.
type CopyCount struct {
	KeywayID   string `json:"keyway_id"`
	KeywayName string `json:"keyway_name"`
	Policy     string `json:"policy"`
	Symbol     string `json:"symbol"`
	Controlled int    `json:"controlled"`
	// ByStatus counts the controlled copies in each of ControlledStatuses
	// (every one present, zeros included); they add up to Controlled.
	ByStatus map[string]int `json:"by_status"`
	// Destroyed counts the copies written off; they are not under control.
	Destroyed int `json:"destroyed"`
	// Copies is, in the detail view, each copy (destroyed ones too) and
	// where it is now, by copy number.
	Copies []SymbolCopy `json:"copies,omitempty"`
	// Uncontrolled are the copies found outside Keyward, newest first.
	Uncontrolled []UncontrolledCopy `json:"uncontrolled"`
	// Exposure is, in the detail view of a symbol with uncontrolled copies,
	// what such a copy opens and the next step, as for a lost key.
	Exposure *LostKey `json:"exposure,omitempty"`
}

// Duplication is copy control: requests with evidence and approval,
// signatories and cards, and the count of every copy.
type Duplication interface {
	// RequestCopies opens a request. An open keyway's request is approved at
	// once. EINVALID (count, reason; key_id for an unknown key or a retired
	// keyway), EFORBIDDEN (a holder asking for a key they do not hold).
	RequestCopies(ctx context.Context, a Actor, in CopyRequestInput) (*CopyRequest, error)
	// CopyRequest returns one request with its history. ENOTFOUND (a holder
	// sees only the requests they made or that were made for them).
	CopyRequest(ctx context.Context, a Actor, id string) (*CopyRequest, error)
	// CopyRequests lists requests, newest first; states narrows the list.
	CopyRequests(ctx context.Context, a Actor, states []string, opt ListOptions) (Page[CopyRequest], error)
	// AcceptEvidence records the checked evidence of a restricted request.
	// EINVALID naming signatory_holder_id (not a current signatory) or
	// authorization_card (does not match); ECONFLICT in a state that does not take evidence.
	AcceptEvidence(ctx context.Context, a Actor, id string, in CopyEvidenceInput) (*CopyRequest, error)
	// Approve adds the actor's approval; the last one needed approves the
	// request. EFORBIDDEN (the requester; the ID checker under the two-person
	// rule; anyone but the owner when escalated), ECONFLICT (state).
	Approve(ctx context.Context, a Actor, id string) (*CopyRequest, error)
	// Deny closes the request with a reason. EFORBIDDEN, ECONFLICT.
	Deny(ctx context.Context, a Actor, id string, in CopyDecisionInput) (*CopyRequest, error)
	// Escalate hands an unclear authorization to the owner. ECONFLICT.
	Escalate(ctx context.Context, a Actor, id string, in CopyDecisionInput) (*CopyRequest, error)
	// Cancel closes a request before production. ECONFLICT after production.
	Cancel(ctx context.Context, a Actor, id string, in CopyDecisionInput) (*CopyRequest, error)
	// Produce creates the copies, in storage, with the next copy numbers; once. ECONFLICT unless approved.
	Produce(ctx context.Context, a Actor, id string) (*CopyRequest, error)
	// HandOver issues every produced copy to the holder. ECONFLICT unless produced.
	HandOver(ctx context.Context, a Actor, id string, in HandOverInput) (*CopyRequest, error)

	// KeywayControl returns a keyway's signatories and card state. ENOTFOUND.
	KeywayControl(ctx context.Context, a Actor, keywayID string) (*KeywayControl, error)
	// AddSignatory registers a holder for a restricted keyway. EINVALID, ECONFLICT (already current).
	AddSignatory(ctx context.Context, a Actor, keywayID string, in SignatoryInput) (*Signatory, error)
	// RemoveSignatory ends a signatory and cancels their pending requests. ENOTFOUND.
	RemoveSignatory(ctx context.Context, a Actor, keywayID, holderID string) error
	// SetCard seals the keyway's authorization card number. EINVALID.
	SetCard(ctx context.Context, a Actor, keywayID string, in CardInput) error

	// CopySettings returns the organization's duplication settings.
	CopySettings(ctx context.Context, a Actor) (CopySettings, error)
	// SetCopySettings changes them (owner only).
	SetCopySettings(ctx context.Context, a Actor, in CopySettings) error

	// CopyCounts lists every symbol that has copies, controlled, destroyed
	// or found outside Keyward, with its counts, by keyway name then symbol;
	// keywayID ("" for every keyway) narrows it to one keyway (EINVALID
	// naming keyway_id if there is no such keyway).
	CopyCounts(ctx context.Context, a Actor, keywayID string, opt ListOptions) (Page[CopyCount], error)
	// CopyCount is one symbol's count with each copy and where it is, and
	// for a symbol with uncontrolled copies their exposure. The symbol is
	// matched ignoring case. ENOTFOUND for an unknown keyway or a symbol
	// with no copy of that keyway.
	CopyCount(ctx context.Context, a Actor, keywayID, symbol string) (*CopyCount, error)
	// RecordUncontrolled records a copy found outside the system, in the
	// same transaction as its audit record; it opens the same exposure as a
	// lost key of that symbol, answered in Exposure. EINVALID (keyway_id of
	// no keyway, symbol, where).
	RecordUncontrolled(ctx context.Context, a Actor, in UncontrolledCopyInput) (*UncontrolledCopy, error)
}

// PolicyWords names a duplication policy in plain words.
func PolicyWords(policy string) string {
	switch policy {
	case DupDND:
		return "Do Not Duplicate"
	case DupRestricted:
		return "restricted"
	}
	return "freely copied"
}

// copyStepFrom lists the states each step can be taken from.
var copyStepFrom = map[string][]string{
	CopyStepEvidence: {CopyRequested, CopyEvidenceAccepted},
	CopyStepApprove:  {CopyRequested, CopyEvidenceAccepted, CopyEscalated},
	CopyStepDeny:     {CopyRequested, CopyEvidenceAccepted, CopyEscalated},
	CopyStepEscalate: {CopyRequested, CopyEvidenceAccepted},
	CopyStepProduce:  {CopyApproved},
	CopyStepHandOver: {CopyProduced},
	CopyStepCancel:   {CopyRequested, CopyEvidenceAccepted, CopyEscalated, CopyApproved},
}

// copyStepRoles are the roles that may take each step (the holder's own
// cancel is allowed by CheckCopyStep).
var copyStepRoles = map[string][]Role{
	CopyStepEvidence: {RoleOwner, RoleAdmin, RoleManager, RoleAdvisor},
	CopyStepApprove:  {RoleOwner, RoleAdmin, RoleManager},
	CopyStepDeny:     {RoleOwner, RoleAdmin, RoleManager},
	CopyStepEscalate: {RoleOwner, RoleAdmin, RoleManager, RoleAdvisor},
	CopyStepProduce:  {RoleOwner, RoleAdmin, RoleManager, RoleTechnician},
	CopyStepHandOver: {RoleOwner, RoleAdmin, RoleManager, RoleAdvisor, RoleTechnician},
	CopyStepCancel:   {RoleOwner, RoleAdmin, RoleManager, RoleAdvisor},
}

// CheckCopyStep is the one rule of the copy workflow: whether actor a may
// take step on r now. It enforces separation of duties: the requester never
// approves or denies; under the two-person rule the ID checker does not
// approve; an escalated request is decided by the owner alone; one manager's
// approvals count once; a restricted request is approved only with accepted
// evidence. The store calls it under the row's lock.
func CheckCopyStep(r *CopyRequest, step string, a Actor, s CopySettings) error {
	from, ok := copyStepFrom[step]
	if !ok {
		return Errorf(EINVALID, "unknown step %q", step)
	}
	if !roleMayStep(r, step, a) {
		return Errorf(EFORBIDDEN, "role %s may not %s a copy request", a.Role, stepWords(step))
	}
	if !slices.Contains(from, r.State) {
		return Errorf(ECONFLICT, "this request is %s; it cannot be %s", stateWords(r.State), stepPast(step))
	}
	switch step {
	case CopyStepEvidence:
		if r.Policy != DupRestricted {
			return Errorf(ECONFLICT, "only requests for a restricted keyway take evidence")
		}
	case CopyStepApprove, CopyStepDeny:
		if a.UserID == r.RequestedBy {
			return Errorf(EFORBIDDEN, "you made this request; another manager must %s it", stepWords(step))
		}
		if r.State == CopyEscalated && a.Role != RoleOwner && a.Role != RoleSystem {
			return Errorf(EFORBIDDEN, "this request was escalated; only the owner decides it")
		}
		if step == CopyStepDeny {
			break
		}
		if r.Policy == DupRestricted && r.Evidence == nil {
			return Errorf(ECONFLICT, "the signatory's photo ID and authorization card must be checked before approval")
		}
		if s.TwoPersonRule && r.Evidence != nil && r.Evidence.CheckedBy == a.UserID {
			return Errorf(EFORBIDDEN, "you checked the ID; under the two-person rule another manager approves")
		}
		for _, ap := range r.Approvals {
			if ap.By == a.UserID {
				return Errorf(ECONFLICT, "you have already approved this request")
			}
		}
	}
	return nil
}

func roleMayStep(r *CopyRequest, step string, a Actor) bool {
	if a.Role == RoleSystem {
		return true
	}
	// A holder may cancel their own request before it is decided.
	if step == CopyStepCancel && a.Role == RoleHolder {
		return a.UserID == r.RequestedBy
	}
	return slices.Contains(copyStepRoles[step], a.Role)
}

// ApprovalsNeeded is how many approvals a new request of policy needs.
func ApprovalsNeeded(policy string, s CopySettings) int {
	if policy == DupOpen {
		return 0
	}
	return max(1, s.ApprovalsRequired)
}

// NextCopyState is the state after step succeeds on r (CheckCopyStep passed).
// An approval moves the request to approved only when it is the last one needed.
func NextCopyState(r *CopyRequest, step string) string {
	switch step {
	case CopyStepEvidence:
		return CopyEvidenceAccepted
	case CopyStepApprove:
		if len(r.Approvals)+1 >= max(1, r.ApprovalsRequired) || r.State == CopyEscalated {
			return CopyApproved
		}
		return r.State
	case CopyStepDeny:
		return CopyDenied
	case CopyStepEscalate:
		return CopyEscalated
	case CopyStepProduce:
		return CopyProduced
	case CopyStepHandOver:
		return CopyHandedOver
	case CopyStepCancel:
		return CopyCancelled
	}
	return r.State
}

// MayCreateKeyDirectly says whether a plain key create (not a copy request)
// is allowed: for an open keyway anyone with key.create; for dnd and
// restricted only an owner or admin, registering a copy that already exists.
// The refusal names keyway_id, so a form shows it beside the keyway.
func MayCreateKeyDirectly(role Role, policy string) error {
	if policy == DupOpen || role == RoleOwner || role == RoleAdmin || role == RoleSystem {
		return nil
	}
	return &Error{Code: EFORBIDDEN,
		Message: "keys of a " + PolicyWords(policy) + " keyway are copied only through a copy request; an owner or admin may register copies that already exist",
		Fields:  []FieldError{{Field: "keyway_id", Rule: RuleCopyThroughRequest}}}
}

// RuleCopyThroughRequest is the rule a plain create or an import row of a
// dnd or restricted keyway breaks when a manager makes it.
const RuleCopyThroughRequest = "new copies of this keyway need a copy request; only an owner or admin may register copies that already exist"

// MayRequestCopies decides who a new request is for and whether actor a may
// make it. A holder asks only for copies of a key they hold now, and only
// for themselves (ForHolderID becomes theirs); staff may name any holder.
// held says whether k is with a holder (one of HeldStatuses).
func MayRequestCopies(a Actor, k Key, held bool, in *CopyRequestInput) error {
	if a.Role != RoleHolder {
		return nil
	}
	if a.HolderID == "" || !held || k.HolderID != a.HolderID {
		return Errorf(EFORBIDDEN, "you may ask for copies only of a key you hold")
	}
	if in.ForHolderID != "" && in.ForHolderID != a.HolderID {
		return Errorf(EFORBIDDEN, "you may ask for copies only for yourself")
	}
	in.ForHolderID = a.HolderID
	return nil
}

// VisibleTo reports whether actor a may see request r: whoever reads copy
// requests sees every one; a holder sees the ones they made and the ones
// made for them.
func (r *CopyRequest) VisibleTo(a Actor) bool {
	if a.Role == RoleHolder {
		return r.RequestedBy == a.UserID || (a.HolderID != "" && r.ForHolderID == a.HolderID)
	}
	return Allowed(a.Role, ActCopyRead)
}

// CheckHandOver decides whether r's copies may be issued to holderID: a
// request made for a holder hands its copies to that holder only.
func CheckHandOver(r *CopyRequest, holderID string) error {
	if r.ForHolderID != "" && holderID != r.ForHolderID {
		name := r.ForHolderName
		if name == "" {
			name = "the holder they were requested for"
		}
		return Invalid("holder_id", "must be "+name+": the copies were requested for them")
	}
	return nil
}

func stepWords(step string) string {
	switch step {
	case CopyStepHandOver:
		return "hand over"
	case CopyStepEvidence:
		return "record evidence for"
	}
	return step
}

func stepPast(step string) string {
	switch step {
	case CopyStepEvidence:
		return "given evidence"
	case CopyStepApprove:
		return "approved"
	case CopyStepDeny:
		return "denied"
	case CopyStepEscalate:
		return "escalated"
	case CopyStepProduce:
		return "produced"
	case CopyStepHandOver:
		return "handed over"
	case CopyStepCancel:
		return "cancelled"
	}
	return step
}

func stateWords(state string) string {
	switch state {
	case CopyEvidenceAccepted:
		return "waiting for approval (evidence accepted)"
	case CopyRequested:
		return "waiting for a decision"
	case CopyHandedOver:
		return "handed over"
	}
	return state
}
