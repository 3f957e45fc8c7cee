package keyward

import (
	"errors"
	"fmt"
	"net/mail"
	"slices"
	"strings"
	"time"
	"unicode/utf8"
)

// Limits on free text, so one request cannot fill the database.
const (
	MaxName  = 200
	MaxNote  = 2000
	MaxEmail = 254
)

// Org is the organization that owns the database.
type Org struct {
	ID       string `json:"id"`
	Name     string `json:"name"`
	TimeZone string `json:"time_zone"`
	// RequireTOTP asks everyone who can see secrets (TOTPRequired) for an
	// authenticator app; RequireTOTPSince is when it was switched on, and a
	// user has TOTPGraceDays from then, or from their account's making, to
	// set one up (TOTPGraceDeadline).
	RequireTOTP      bool       `json:"require_totp"`
	RequireTOTPSince *time.Time `json:"require_totp_since,omitempty"`
	TOTPGraceDays    int        `json:"totp_grace_days"`
	CreatedAt        time.Time  `json:"created_at"`
}

type Site struct {
	ID        string    `json:"id"`
	Name      string    `json:"name"`
	Address   string    `json:"address,omitempty"`
	CreatedAt time.Time `json:"created_at"`
	// RetiredAt is set while the site is retired (hidden from lists, kept).
	RetiredAt *time.Time `json:"retired_at,omitempty"`
}

var OpeningKinds = []string{"door", "gate", "cabinet", "vehicle", "other"}

type Opening struct {
	ID        string     `json:"id"`
	SiteID    string     `json:"site_id"`
	Name      string     `json:"name"`
	Kind      string     `json:"kind"`
	CreatedAt time.Time  `json:"created_at"`
	RetiredAt *time.Time `json:"retired_at,omitempty"`
}

var DuplicationPolicies = []string{"open", "dnd", "restricted"}

type Keyway struct {
	ID                string     `json:"id"`
	Name              string     `json:"name"`
	Manufacturer      string     `json:"manufacturer"`
	DuplicationPolicy string     `json:"duplication_policy"`
	CreatedAt         time.Time  `json:"created_at"`
	RetiredAt         *time.Time `json:"retired_at,omitempty"`
}

var HolderKinds = []string{"staff", "tenant", "contractor", "family", "neighbour", "other"}

type Holder struct {
	ID               string     `json:"id"`
	Name             string     `json:"name"`
	Email            string     `json:"email"`
	Phone            string     `json:"phone,omitempty"`
	Kind             string     `json:"kind"`
	Signatory        bool       `json:"signatory"`
	EmergencyContact bool       `json:"emergency_contact"`
	CreatedAt        time.Time  `json:"created_at"`
	RetiredAt        *time.Time `json:"retired_at,omitempty"`
	// MergedInto names the holder this one was merged into (then retired).
	MergedInto string `json:"merged_into,omitempty"`
}

// Key statuses: an explicit state machine (see custody.go).
const (
	StatusInStorage  = "in_storage"
	StatusIssued     = "issued"
	StatusCheckedOut = "checked_out"
	StatusLost       = "lost"
	StatusDestroyed  = "destroyed"
)

// KeyStatuses are all key statuses, in the order lists offer them.
var KeyStatuses = []string{StatusInStorage, StatusCheckedOut, StatusIssued, StatusLost, StatusDestroyed}

// Key is one physical stamped copy, e.g. AA1-3.
type Key struct {
	ID         string     `json:"id"`
	KeywayID   string     `json:"keyway_id"`
	Symbol     string     `json:"symbol"`
	CopyNumber int        `json:"copy_number"`
	Stamp      string     `json:"stamp"`
	Status     string     `json:"status"`
	HolderID   string     `json:"holder_id,omitempty"`
	DueAt      *time.Time `json:"due_at,omitempty"`
	CreatedAt  time.Time  `json:"created_at"`
	// Origin is how the copy came under control: registered, imported or
	// produced (see OriginRegistered…); CopyRequestID names the request a
	// produced copy was cut for.
	Origin        string `json:"origin,omitempty"`
	CopyRequestID string `json:"copy_request_id,omitempty"`
}

// Event is one line of a key's logbook.
type Event struct {
	ID        string     `json:"id"`
	KeyID     string     `json:"key_id"`
	Action    string     `json:"action"`
	At        time.Time  `json:"at"`
	Actor     string     `json:"actor"`
	ActorRole Role       `json:"actor_role"`
	HolderID  string     `json:"holder_id,omitempty"`
	DueAt     *time.Time `json:"due_at,omitempty"`
	Note      string     `json:"note,omitempty"`
	// FromHolderID is who gave the key in a transfer (HolderID received it).
	FromHolderID string `json:"from_holder_id,omitempty"`
	// Stamp is the key's stamp, in logbooks that span keys (a holder's).
	Stamp string `json:"stamp,omitempty"`
}

// User is an account that signs in.
type User struct {
	ID          string `json:"id"`
	Email       string `json:"email"`
	Name        string `json:"name"`
	Role        Role   `json:"role"`
	HolderID    string `json:"holder_id,omitempty"`
	TOTPEnabled bool   `json:"totp_enabled"`
	Disabled    bool   `json:"disabled"`
	// MustChangePassword: the account has not chosen its own password yet
	// (it was given one, or was invited and has not used the link).
	MustChangePassword bool      `json:"must_change_password"`
	CreatedAt          time.Time `json:"created_at"`
}

// AuditRecord is one entry of the tamper-evident log.
type AuditRecord struct {
	Seq         int64     `json:"seq"`
	ID          string    `json:"id"`
	At          time.Time `json:"at"`
	Actor       string    `json:"actor"`
	ActorRole   Role      `json:"actor_role"`
	Action      string    `json:"action"`
	SubjectType string    `json:"subject_type"`
	SubjectID   string    `json:"subject_id"`
	Details     string    `json:"details"` // JSON object, secrets already redacted
	PrevHash    string    `json:"prev_hash"`
	Hash        string    `json:"hash"`
}

// Page is one page of a list; Next is the cursor of the following page, empty at the end.
type Page[T any] struct {
	Items []T    `json:"items"`
	Next  string `json:"next"` // empty on the last page
}

// ListOptions is what every list accepts.
type ListOptions struct {
	Cursor string
	Limit  int
	// IncludeRetired: lists that hide retired records show them too.
	IncludeRetired bool
}

// Inputs. Each Validate names the field and the rule that failed.

type SiteInput struct {
	Name    string `json:"name"`
	Address string `json:"address,omitempty"`
}

func (in *SiteInput) Validate() error {
	var v Validator
	in.Name = strings.TrimSpace(in.Name)
	checkText(&v, "name", in.Name, MaxName, true)
	checkText(&v, "address", in.Address, MaxNote, false)
	return v.Err()
}

type OpeningInput struct {
	SiteID string `json:"site_id"`
	Name   string `json:"name"`
	Kind   string `json:"kind"`
}

func (in *OpeningInput) Validate() error {
	var v Validator
	in.Name = strings.TrimSpace(in.Name)
	v.Check(in.SiteID != "", "site_id", "is required")
	checkText(&v, "name", in.Name, MaxName, true)
	v.Check(slices.Contains(OpeningKinds, in.Kind), "kind", "must be one of "+strings.Join(OpeningKinds, ", "))
	return v.Err()
}

type KeywayInput struct {
	Name              string `json:"name"`
	Manufacturer      string `json:"manufacturer"`
	DuplicationPolicy string `json:"duplication_policy"`
}

func (in *KeywayInput) Validate() error {
	var v Validator
	in.Name = strings.TrimSpace(in.Name)
	checkText(&v, "name", in.Name, MaxName, true)
	checkText(&v, "manufacturer", in.Manufacturer, MaxName, false)
	v.Check(slices.Contains(DuplicationPolicies, in.DuplicationPolicy), "duplication_policy", "must be one of "+strings.Join(DuplicationPolicies, ", "))
	return v.Err()
}

type HolderInput struct {
	Name             string `json:"name"`
	Email            string `json:"email"`
	Phone            string `json:"phone,omitempty"`
	Kind             string `json:"kind,omitempty"`
	Signatory        bool   `json:"signatory,omitempty"`
	EmergencyContact bool   `json:"emergency_contact,omitempty"`
}

func (in *HolderInput) Validate() error {
	var v Validator
	in.Name = strings.TrimSpace(in.Name)
	in.Email = strings.TrimSpace(in.Email)
	if in.Kind == "" {
		in.Kind = "staff"
	}
	checkText(&v, "name", in.Name, MaxName, true)
	CheckEmail(&v, "email", in.Email, false)
	checkText(&v, "phone", in.Phone, 40, false)
	v.Check(slices.Contains(HolderKinds, in.Kind), "kind", "must be one of "+strings.Join(HolderKinds, ", "))
	return v.Err()
}

type KeyInput struct {
	KeywayID string `json:"keyway_id"`
	Symbol   string `json:"symbol"`
	// CopyNumber is optional: zero takes the next free number for the symbol.
	CopyNumber int `json:"copy_number,omitempty"`
	// NewKeyway, instead of keyway_id, makes the key's keyway with it, in
	// the same transaction.
	NewKeyway *KeywayInput `json:"new_keyway,omitempty"`
	// OpeningIDs are the doors the key opens: its symbol joins each one's
	// keying schedule (if not there yet), in the same transaction.
	OpeningIDs []string `json:"opening_ids,omitempty"`
}

// MaxKeyOpenings bounds the doors one new key is listed on.
const MaxKeyOpenings = 100

func (in *KeyInput) Validate() error {
	var v Validator
	in.Symbol = strings.TrimSpace(in.Symbol)
	if in.NewKeyway != nil {
		v.Check(in.KeywayID == "", "keyway_id", "must be empty when new_keyway is given")
		if err := in.NewKeyway.Validate(); err != nil {
			var e *Error
			if errors.As(err, &e) {
				for _, f := range e.Fields {
					v.Check(false, "new_keyway."+f.Field, f.Rule)
				}
			}
		}
	} else {
		v.Check(in.KeywayID != "", "keyway_id", "is required")
	}
	ValidSymbol(&v, "symbol", in.Symbol)
	v.Check(in.CopyNumber >= 0 && in.CopyNumber <= 100000, "copy_number", "must be between 1 and 100000")
	v.Check(len(in.OpeningIDs) <= MaxKeyOpenings, "opening_ids", fmt.Sprintf("must name at most %d doors", MaxKeyOpenings))
	seen := map[string]bool{}
	ids := in.OpeningIDs[:0:0]
	for _, id := range in.OpeningIDs {
		id = strings.TrimSpace(id)
		v.Check(id != "", "opening_ids", "must not hold an empty id")
		if id != "" && !seen[id] {
			seen[id] = true
			ids = append(ids, id)
		}
	}
	in.OpeningIDs = ids
	return v.Err()
}

// ValidSymbol checks a stamped key symbol such as AA1, GGM or XAA1.
func ValidSymbol(v *Validator, field, s string) {
	if s == "" {
		v.Check(false, field, "is required")
		return
	}
	v.Check(symbolText(s), field, "must be 1-32 letters, digits, '.' or '_'")
}

type CheckoutInput struct {
	HolderID string    `json:"holder_id"`
	DueAt    time.Time `json:"due_at"`
	Note     string    `json:"note,omitempty"`
	// NewSealNumber is the new seal of the envelope the key is taken out of,
	// required when its home is a sealed envelope (see storage_rules.go).
	NewSealNumber string `json:"new_seal_number,omitempty"`
}

func (in *CheckoutInput) Validate(now time.Time) error {
	var v Validator
	v.Check(in.HolderID != "", "holder_id", "is required")
	v.Check(!in.DueAt.IsZero(), "due_at", "is required")
	if !in.DueAt.IsZero() {
		v.Check(in.DueAt.After(now), "due_at", "must be in the future")
	}
	checkText(&v, "note", in.Note, MaxNote, false)
	return v.Err()
}

type NoteInput struct {
	Note string `json:"note,omitempty"`
}

func (in *NoteInput) Validate() error {
	var v Validator
	checkText(&v, "note", in.Note, MaxNote, false)
	return v.Err()
}

// CheckinInput is a check-in (or a key collected from a leaving holder):
// an optional note, and the new seal of the envelope the key goes back into
// when its home is a sealed envelope.
type CheckinInput struct {
	Note          string `json:"note,omitempty"`
	NewSealNumber string `json:"new_seal_number,omitempty"`
}

func (in *CheckinInput) Validate() error { return (&NoteInput{Note: in.Note}).Validate() }

// CustodyInput carries the optional holder of an issue or transfer, and the
// new seal when the move opens the sealed envelope the key lives in.
type CustodyInput struct {
	HolderID      string `json:"holder_id,omitempty"`
	Note          string `json:"note,omitempty"`
	NewSealNumber string `json:"new_seal_number,omitempty"`
}

func checkText(v *Validator, field, s string, max int, required bool) {
	if required && s == "" {
		v.Check(false, field, "is required")
		return
	}
	v.Check(utf8.ValidString(s), field, "must be valid UTF-8")
	v.Check(utf8.RuneCountInString(s) <= max, field, "must be at most "+itoa(max)+" characters")
	v.Check(!strings.ContainsRune(s, 0), field, "must not contain NUL")
}

// CheckEmail validates an email address field.
func CheckEmail(v *Validator, field, s string, required bool) {
	if s == "" {
		v.Check(!required, field, "is required")
		return
	}
	a, err := mail.ParseAddress(s)
	v.Check(err == nil && a.Address == s && len(s) <= MaxEmail, field, "must be an email address")
}

func itoa(n int) string {
	if n == 0 {
		return "0"
	}
	var b [20]byte
	i := len(b)
	for n > 0 {
		i--
		b[i] = byte('0' + n%10)
		n /= 10
	}
	return string(b[i:])
}

// AuditFilter narrows the audit log.
type AuditFilter struct {
	Action    string // one action, or DeniedActions for every refusal
	Actor     string
	SubjectID string
	// SubjectType keeps the records about one kind of thing (key, holder, …).
	SubjectType string
	// From and To keep the records at or after From and before To.
	From, To *time.Time
	ListOptions
}

// SearchResult is what a text search finds.
type SearchResult struct {
	Keys     []Key     `json:"keys"`
	Holders  []Holder  `json:"holders"`
	Openings []Opening `json:"openings"`
	// Places are storage places in use whose name or location has the text,
	// or an envelope whose seal number it is ("4471", "#4471").
	Places []StoragePlace `json:"storage_places"`
	// Hooks are cabinet hooks named by a place and a number ("Cabinet A 12",
	// "cabinet a, hook 12") and the key on each.
	Hooks []HookMatch `json:"hooks"`
}

// HookMatch is a cabinet hook a search named, and the key whose home it is.
type HookMatch struct {
	StorageID   string `json:"storage_id"`
	StorageName string `json:"storage_name"`
	Hook        int    `json:"hook"`
	KeyID       string `json:"key_id"`
	Stamp       string `json:"stamp"`
}
