package keyward

import (
	"context"
	"slices"
	"strings"
	"time"
)

// Storage kinds: where a key lives when nobody has it.
const (
	StorageCabinet  = "cabinet"  // a managed cabinet with numbered hooks
	StorageLockbox  = "lockbox"  // its code is a secret, sealed by the vault
	StorageEnvelope = "envelope" // a sealed envelope with a numbered seal
	StorageHolder   = "holder"   // a designated key holder keeping a spare
)

// StorageKinds lists the kinds of storage place.
var StorageKinds = []string{StorageCabinet, StorageLockbox, StorageEnvelope, StorageHolder}

// MaxHooks bounds the hooks of one cabinet.
const MaxHooks = 2000

// StoragePlace is a cabinet, lockbox, envelope or designated holder.
type StoragePlace struct {
	ID       string `json:"id"`
	Kind     string `json:"kind"`
	Name     string `json:"name"`
	SiteID   string `json:"site_id,omitempty"`
	Location string `json:"location,omitempty"`
	// Hooks is the number of hooks of a cabinet, numbered 1..Hooks.
	Hooks int `json:"hooks,omitempty"`
	// HasCode says a lockbox has a sealed code; the code itself is only revealed.
	HasCode bool `json:"has_code,omitempty"`
	// SealNumber is the envelope's current seal.
	SealNumber string `json:"seal_number,omitempty"`
	// HolderID is the designated holder of a holder place.
	HolderID       string     `json:"holder_id,omitempty"`
	AcknowledgedAt *time.Time `json:"acknowledged_at,omitempty"`
	RetiredAt      *time.Time `json:"retired_at,omitempty"`
	CreatedAt      time.Time  `json:"created_at"`
	// CodeDiscardedAt is when a lockbox's sealed code was discarded, at its
	// retirement (see lockbox_code.go); CodeLastRevealedAt is when its code
	// was last shown (detail views only).
	CodeDiscardedAt    *time.Time `json:"code_discarded_at,omitempty"`
	CodeLastRevealedAt *time.Time `json:"code_last_revealed_at,omitempty"`
	// Keys are the keys whose home this place is (detail views only).
	Keys []StoredKey `json:"keys,omitempty"`
}

// StoredKey is a key whose home is a storage place.
type StoredKey struct {
	KeyID    string `json:"key_id"`
	Stamp    string `json:"stamp"`
	Symbol   string `json:"symbol"`
	Status   string `json:"status"`
	HolderID string `json:"holder_id,omitempty"`
	Hook     int    `json:"hook,omitempty"`
}

// KeyHome is where a key belongs when it is in storage.
type KeyHome struct {
	KeyID       string `json:"key_id"`
	StorageID   string `json:"storage_id"`
	StorageName string `json:"storage_name"`
	StorageKind string `json:"storage_kind"`
	Hook        int    `json:"hook,omitempty"`
	// SealNumber is the envelope's current seal, for a key kept in an envelope.
	SealNumber string `json:"seal_number,omitempty"`
}

// Where says where a key is in words: on its hook, or with its holder.
func (h *KeyHome) Where() string {
	if h == nil {
		return ""
	}
	if h.Hook > 0 {
		return h.StorageName + ", hook " + itoa(h.Hook)
	}
	return h.StorageName
}

// StorageEvent is one line of a storage place's logbook.
type StorageEvent struct {
	ID        string    `json:"id"`
	StorageID string    `json:"storage_id"`
	Action    string    `json:"action"`
	At        time.Time `json:"at"`
	Actor     string    `json:"actor"`
	ActorRole Role      `json:"actor_role"`
	Note      string    `json:"note,omitempty"`
}

// StorageInput creates a storage place; which fields apply depends on Kind.
type StorageInput struct {
	Kind     string `json:"kind"`
	Name     string `json:"name"`
	SiteID   string `json:"site_id,omitempty"`
	Location string `json:"location,omitempty"`
	Hooks    int    `json:"hooks,omitempty"`
	Code     Secret `json:"code,omitempty"`
	// SealNumber is required for an envelope.
	SealNumber     string     `json:"seal_number,omitempty"`
	HolderID       string     `json:"holder_id,omitempty"`
	AcknowledgedAt *time.Time `json:"acknowledged_at,omitempty"`
}

// Validate names every field that is wrong for the kind.
func (in *StorageInput) Validate(now time.Time) error {
	var v Validator
	in.Name = strings.TrimSpace(in.Name)
	in.SealNumber = strings.TrimSpace(in.SealNumber)
	v.Check(slices.Contains(StorageKinds, in.Kind), "kind", "must be one of "+strings.Join(StorageKinds, ", "))
	checkText(&v, "name", in.Name, MaxName, true)
	checkText(&v, "location", in.Location, MaxName, false)
	if in.Kind == StorageCabinet {
		v.Check(in.Hooks >= 1 && in.Hooks <= MaxHooks, "hooks", "must be between 1 and "+itoa(MaxHooks)+" for a cabinet")
	} else {
		v.Check(in.Hooks == 0, "hooks", "only a cabinet has hooks")
	}
	if in.Kind == StorageLockbox {
		CheckCode(&v, "code", in.Code, true)
	} else {
		v.Check(in.Code == "", "code", "only a lockbox has a code")
	}
	if in.Kind == StorageEnvelope {
		CheckSeal(&v, "seal_number", in.SealNumber)
	} else {
		v.Check(in.SealNumber == "", "seal_number", "only an envelope has a seal")
	}
	if in.Kind == StorageHolder {
		v.Check(in.HolderID != "", "holder_id", "is required for a designated holder")
		if in.AcknowledgedAt != nil {
			v.Check(!in.AcknowledgedAt.After(now), "acknowledged_at", "must not be in the future")
		}
	} else {
		v.Check(in.HolderID == "", "holder_id", "only a designated-holder place has a holder")
		v.Check(in.AcknowledgedAt == nil, "acknowledged_at", "only a designated-holder place is acknowledged")
	}
	return v.Err()
}

// CheckCode checks a lockbox code: 1-32 printable characters.
func CheckCode(v *Validator, field string, code Secret, required bool) {
	c := code.Reveal()
	if c == "" {
		v.Check(!required, field, "is required")
		return
	}
	ok := len(c) <= 32
	for _, r := range c {
		if r < 0x20 || r > 0x7e {
			ok = false
		}
	}
	v.Check(ok, field, "must be 1-32 printable ASCII characters")
}

// CheckSeal checks a seal number.
func CheckSeal(v *Validator, field, s string) {
	if s == "" {
		v.Check(false, field, "is required")
		return
	}
	checkText(v, field, s, 64, true)
}

// HookInput gives a key its home in a storage place (a hook for a cabinet).
// Putting the key into a sealed envelope, or taking it out of one, needs the
// envelope's new seal and the reason it was opened (PlanHome).
type HookInput struct {
	KeyID         string `json:"key_id"`
	Hook          int    `json:"hook,omitempty"`
	NewSealNumber string `json:"new_seal_number,omitempty"`
	Reason        string `json:"reason,omitempty"`
}

func (in *HookInput) Validate() error {
	var v Validator
	v.Check(in.KeyID != "", "key_id", "is required")
	v.Check(in.Hook >= 0, "hook", "must be a hook number from 1")
	return v.Err()
}

// Reseal is the seal part of the input.
func (in *HookInput) Reseal() ResealInput {
	return ResealInput{NewSealNumber: in.NewSealNumber, Reason: in.Reason}
}

// BreakSealInput records an envelope opened: why, and the new seal put on it.
type BreakSealInput struct {
	Reason        string `json:"reason"`
	NewSealNumber string `json:"new_seal_number"`
}

func (in *BreakSealInput) Validate(current string) error {
	var v Validator
	in.Reason = strings.TrimSpace(in.Reason)
	in.NewSealNumber = strings.TrimSpace(in.NewSealNumber)
	checkText(&v, "reason", in.Reason, MaxNote, true)
	CheckSeal(&v, "new_seal_number", in.NewSealNumber)
	if in.NewSealNumber != "" {
		v.Check(in.NewSealNumber != current, "new_seal_number", "must differ from the broken seal "+current)
	}
	return v.Err()
}

// CodeRevealInput is the optional reason for a reveal.
type CodeRevealInput struct {
	Reason string `json:"reason,omitempty"`
}

// Validate requires a reason: every reveal of a secret says why in the audit log.
func (in *CodeRevealInput) Validate() error {
	var v Validator
	in.Reason = strings.TrimSpace(in.Reason)
	checkText(&v, "reason", in.Reason, MaxNote, true)
	return v.Err()
}

// SymbolInput adds a key symbol to an opening's keying schedule.
type SymbolInput struct {
	Symbol string `json:"symbol"`
}

func (in *SymbolInput) Validate() error {
	var v Validator
	in.Symbol = strings.TrimSpace(in.Symbol)
	ValidSymbol(&v, "symbol", in.Symbol)
	return v.Err()
}

// OpeningKey is a key that operates an opening, and where it is right now.
type OpeningKey struct {
	Key
	HolderName string   `json:"holder_name,omitempty"`
	Home       *KeyHome `json:"home,omitempty"`
	// Where is where the key is now, in words.
	Where string `json:"where"`
}

// OpeningAccess answers "who can open this, and where is every key now?"
type OpeningAccess struct {
	Opening Opening `json:"opening"`
	// Symbols is the opening's hand-edited keying schedule.
	Symbols []string `json:"symbols"`
	// Operating is every symbol whose keys operate the opening: the
	// schedule's, the masters above them in a key system, and the key list of
	// the opening's current cylinder pinning. Keys are the keys of these.
	Operating   []OperatingSymbol `json:"operating_symbols"`
	Keys        []OpeningKey      `json:"keys"`
	Credentials []Credential      `json:"credentials"`
}

// Why a symbol operates an opening.
const (
	OperatesBySchedule = "schedule" // entered in the opening's keying schedule
	OperatesByPinning  = "pinning"  // in the key list of its current cylinder pinning
	OperatesAsMaster   = "master"   // a master above a scheduled symbol in its key system
)

// OperatingSymbol is a key symbol whose keys operate an opening, and why.
type OperatingSymbol struct {
	Symbol string `json:"symbol"`
	// Tier is the symbol's place in its key system (top, grand, master,
	// change); empty for a symbol outside any key system.
	Tier   string `json:"tier,omitempty"`
	Source string `json:"source"`
	// System names the key system the symbol belongs to, if any.
	System string `json:"system,omitempty"`
}

// Credential kinds.
const (
	CredentialPIN  = "pin"
	CredentialCard = "card"
	CredentialFob  = "fob"
)

var CredentialKinds = []string{CredentialPIN, CredentialCard, CredentialFob}

// Credential statuses, derived from the validity window and revocation.
const (
	CredentialActive  = "active"
	CredentialPending = "pending" // valid_from in the future
	CredentialExpired = "expired"
	CredentialRevoked = "revoked"
)

// Credential is a PIN code, card or fob held by a holder for a set of openings.
type Credential struct {
	ID           string     `json:"id"`
	Kind         string     `json:"kind"`
	Label        string     `json:"label,omitempty"`
	Number       string     `json:"number,omitempty"`
	HasPIN       bool       `json:"has_pin,omitempty"`
	HolderID     string     `json:"holder_id"`
	OpeningIDs   []string   `json:"opening_ids"`
	ValidFrom    time.Time  `json:"valid_from"`
	ValidUntil   *time.Time `json:"valid_until,omitempty"`
	Status       string     `json:"status"`
	RevokedAt    *time.Time `json:"revoked_at,omitempty"`
	RevokeReason string     `json:"revoke_reason,omitempty"`
	CreatedAt    time.Time  `json:"created_at"`
}

// CredentialStatus derives the status at now.
func CredentialStatus(c *Credential, now time.Time) string {
	switch {
	case c.RevokedAt != nil:
		return CredentialRevoked
	case c.ValidUntil != nil && !now.Before(*c.ValidUntil):
		return CredentialExpired
	case now.Before(c.ValidFrom):
		return CredentialPending
	}
	return CredentialActive
}

// CredentialInput issues a credential.
type CredentialInput struct {
	Kind       string     `json:"kind"`
	Label      string     `json:"label,omitempty"`
	Number     string     `json:"number,omitempty"`
	PIN        Secret     `json:"pin,omitempty"`
	HolderID   string     `json:"holder_id"`
	OpeningIDs []string   `json:"opening_ids"`
	ValidFrom  *time.Time `json:"valid_from,omitempty"`
	ValidUntil *time.Time `json:"valid_until,omitempty"`
}

func (in *CredentialInput) Validate(now time.Time) error {
	var v Validator
	in.Label = strings.TrimSpace(in.Label)
	in.Number = strings.TrimSpace(in.Number)
	v.Check(slices.Contains(CredentialKinds, in.Kind), "kind", "must be one of "+strings.Join(CredentialKinds, ", "))
	checkText(&v, "label", in.Label, MaxName, false)
	v.Check(in.HolderID != "", "holder_id", "is required")
	switch in.Kind {
	case CredentialPIN:
		p := in.PIN.Reveal()
		ok := len(p) >= 4 && len(p) <= 12
		for _, r := range p {
			ok = ok && r >= '0' && r <= '9'
		}
		v.Check(ok, "pin", "must be 4-12 digits")
		v.Check(in.Number == "", "number", "a PIN credential has no card number")
	case CredentialCard, CredentialFob:
		v.Check(in.PIN == "", "pin", "only a PIN credential has a PIN")
		if in.Number == "" {
			v.Check(false, "number", "is required for a "+in.Kind)
		} else {
			checkText(&v, "number", in.Number, 64, true)
		}
	}
	v.Check(len(in.OpeningIDs) > 0 && len(in.OpeningIDs) <= 500, "opening_ids", "must list 1 to 500 openings")
	seen := map[string]bool{}
	for _, id := range in.OpeningIDs {
		if id == "" || seen[id] {
			v.Check(false, "opening_ids", "must not repeat or hold an empty id")
			break
		}
		seen[id] = true
	}
	if in.ValidUntil != nil {
		if in.ValidFrom != nil {
			v.Check(in.ValidUntil.After(*in.ValidFrom), "valid_until", "must be after valid_from")
		}
		v.Check(in.ValidUntil.After(now), "valid_until", "must be in the future")
	}
	return v.Err()
}

// RevokeInput revokes a credential.
type RevokeInput struct {
	Reason string `json:"reason"`
}

func (in *RevokeInput) Validate() error {
	var v Validator
	in.Reason = strings.TrimSpace(in.Reason)
	checkText(&v, "reason", in.Reason, MaxNote, true)
	return v.Err()
}

// Offboarding is "this person is leaving": everything they hold, until cleared.
type Offboarding struct {
	ID         string     `json:"id"`
	HolderID   string     `json:"holder_id"`
	HolderName string     `json:"holder_name"`
	Note       string     `json:"note,omitempty"`
	StartedAt  time.Time  `json:"started_at"`
	StartedBy  string     `json:"started_by"`
	ClearedAt  *time.Time `json:"cleared_at,omitempty"`
	// The outstanding items: keys to collect, credentials to revoke, storage
	// places to release.
	Keys        []Key          `json:"keys"`
	Credentials []Credential   `json:"credentials"`
	Storage     []StoragePlace `json:"storage"`
	Outstanding int            `json:"outstanding"`
}

// OffboardingInput starts an offboarding.
type OffboardingInput struct {
	Note string `json:"note,omitempty"`
}

func (in *OffboardingInput) Validate() error {
	var v Validator
	checkText(&v, "note", in.Note, MaxNote, false)
	return v.Err()
}

// DayCount is one point of a daily series.
type DayCount struct {
	Day time.Time `json:"day"`
	N   int       `json:"n"`
}

// Storage keeps the places keys live in when nobody has them: cabinets,
// lockboxes, sealed envelopes and designated holders.
type Storage interface {
	// Create adds a storage place, sealing a lockbox code. EINVALID names the field.
	Create(ctx context.Context, a Actor, in StorageInput) (*StoragePlace, error)
	// Place returns a storage place with the keys whose home it is. ENOTFOUND.
	Place(ctx context.Context, a Actor, id string) (*StoragePlace, error)
	// Places lists storage places by name; kind and holderID narrow the list.
	// Retired places are left out unless opt.IncludeRetired.
	Places(ctx context.Context, a Actor, kind, holderID string, opt ListOptions) (*Page[StoragePlace], error)
	// Events is a storage place's logbook, oldest first.
	Events(ctx context.Context, a Actor, id string, opt ListOptions) (*Page[StorageEvent], error)
	// Assign makes the place a key's home (PlanHome): ECONFLICT for a key not
	// in storage, a retired place, an occupied hook (naming its key); EINVALID
	// on new_seal_number and reason when a sealed envelope is opened.
	Assign(ctx context.Context, a Actor, storageID string, in HookInput) (*KeyHome, error)
	// Unassign removes a key's home. ENOTFOUND if the key has none; taking a
	// key in storage out of a sealed envelope needs in's new seal and reason.
	Unassign(ctx context.Context, a Actor, keyID string, in ResealInput) error
	// KeyHome returns where a key belongs, or nil when it has no storage place.
	KeyHome(ctx context.Context, a Actor, keyID string) (*KeyHome, error)
	// RevealCode returns a lockbox code after its audit record commits. EFORBIDDEN (recorded).
	RevealCode(ctx context.Context, a Actor, id string, in CodeRevealInput) (Secret, error)
	// ChangeCode seals a new lockbox code, audited with its reason and never the code. ECONFLICT for anything but a lockbox in use.
	ChangeCode(ctx context.Context, a Actor, id string, in CodeChangeInput) error
	// Update edits name, site, location or a cabinet's hooks. EINVALID names the field.
	Update(ctx context.Context, a Actor, id string, in StoragePatch) (*StoragePlace, error)
	// RetireEmpty retires a place no key calls home; ECONFLICT names the keys that still do.
	RetireEmpty(ctx context.Context, a Actor, id string) (*StoragePlace, error)
	// Restore puts a retired place back in use. ECONFLICT if it is not retired.
	Restore(ctx context.Context, a Actor, id string) (*StoragePlace, error)
	// BreakSeal records an envelope opened and its new seal. ECONFLICT for anything but an envelope.
	BreakSeal(ctx context.Context, a Actor, id string, in BreakSealInput) (*StoragePlace, error)
	// Acknowledge records the owner's acknowledgement of a designated holder now.
	Acknowledge(ctx context.Context, a Actor, id string) (*StoragePlace, error)
	// Retire takes a storage place out of use; the keys homed there lose their home.
	Retire(ctx context.Context, a Actor, id string) (*StoragePlace, error)
}
