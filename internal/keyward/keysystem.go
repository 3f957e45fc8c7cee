package keyward

import (
	"context"
	"strings"
	"time"
)

// Key system tiers, top to bottom. The top is the TMK (AA, A or GGM).
const (
	TierTop    = "top"
	TierGrand  = "grand"
	TierMaster = "master"
	TierChange = "change"
)

// Key symbol statuses: a lost symbol's bitting is compromised; a retired one
// was replaced by a rekey. Neither is ever assigned again.
const (
	SymbolActive  = "active"
	SymbolLost    = "lost"
	SymbolRetired = "retired"
)

// Rekey plan item kinds, in the order the work is done.
const (
	PlanCut             = "cut"              // cut the new keys
	PlanRekey           = "rekey"            // re-pin the cylinder for its new key list
	PlanReplaceCylinder = "replace_cylinder" // no unused key fits: the cylinder leaves the system
	PlanReissue         = "reissue"          // hand out the new keys, collect the old ones
)

// KeySpec is a key section's keying specification (keying.md §2).
type KeySpec struct {
	Name                    string `json:"name,omitempty"`
	Positions               int    `json:"positions"`
	MinDepth                int    `json:"min_depth"`
	MaxDepth                int    `json:"max_depth"`
	MACS                    int    `json:"macs"`
	Step                    int    `json:"step"`
	MinMasterPin            int    `json:"min_master_pin,omitempty"`
	MaxMasterPinsPerChamber *int   `json:"max_master_pins_per_chamber,omitempty"`
	MaxMasterPinsTotal      *int   `json:"max_master_pins_total,omitempty"`
}

// KeySystemLevel is one level of a key system: the positions it progresses
// and optional explicit columns (position → depths).
type KeySystemLevel struct {
	Level    string           `json:"level"`
	Sequence []int            `json:"sequence"`
	Columns  map[string][]int `json:"columns,omitempty"`
}

// KeySystemInput creates a key system. Exactly one of Manufacturer (the spec
// name of a manufacturer row, e.g. "schlage_sc4", or else of an organization
// keying spec) and Spec is given. An empty TMK lets Keyward pick a random
// MACS-valid one. MastersNeeded and ChangeKeysNeeded (per master; in a
// 2-level system the change keys of the top master) are the size the system
// must reach: 0 asks for nothing, more MACS-valid keys than the progression
// gives is refused.
type KeySystemInput struct {
	Name             string           `json:"name"`
	Manufacturer     string           `json:"manufacturer,omitempty"`
	Spec             *KeySpec         `json:"spec,omitempty"`
	TMK              Secret           `json:"tmk,omitempty"`
	Levels           []KeySystemLevel `json:"levels"`
	TopSymbol        string           `json:"top_symbol,omitempty"`
	MastersNeeded    int              `json:"masters_needed,omitempty"`
	ChangeKeysNeeded int              `json:"change_keys_needed,omitempty"`
}

// Validate checks the shape; the keying rules are checked by the keying math.
func (in *KeySystemInput) Validate() error {
	var v Validator
	in.Name = strings.TrimSpace(in.Name)
	in.TopSymbol = strings.TrimSpace(in.TopSymbol)
	checkText(&v, "name", in.Name, MaxName, true)
	v.Check(in.Manufacturer == "" || in.Spec == nil, "spec", "give a manufacturer or a spec, not both")
	v.Check(in.Manufacturer != "" || in.Spec != nil, "spec", "is required (or name a manufacturer)")
	v.Check(len(in.Levels) >= 1 && len(in.Levels) <= 3, "levels", "must list 1 to 3 levels: [change], [master, change] or [grand, master, change]")
	if in.TopSymbol != "" {
		ValidSymbol(&v, "top_symbol", in.TopSymbol)
	}
	v.Check(len(in.TMK.Reveal()) <= 64, "tmk", "must be at most 64 digits")
	v.Check(in.MastersNeeded >= 0, "masters_needed", "must not be negative")
	v.Check(in.ChangeKeysNeeded >= 0, "change_keys_needed", "must not be negative")
	return v.Err()
}

// KeySystemSummary is a key system in a list.
type KeySystemSummary struct {
	ID        string    `json:"id"`
	Name      string    `json:"name"`
	Levels    int       `json:"levels"`
	TopSymbol string    `json:"top_symbol"`
	Symbols   int       `json:"symbols"`
	Cylinders int       `json:"cylinders"`
	CreatedAt time.Time `json:"created_at"`
}

// KeySymbol is one key of the tree, without its bitting.
type KeySymbol struct {
	ID       string   `json:"id"`
	Symbol   string   `json:"symbol"`
	Parent   string   `json:"parent,omitempty"`
	Tier     string   `json:"tier"`
	Status   string   `json:"status"`
	Copies   int      `json:"copies"`   // stamped copies in circulation (in storage, issued, checked out)
	Openings []string `json:"openings"` // opening ids whose cylinder is keyed to this symbol
}

// KeySystem is the key tree, the keying schedule and the latest audit.
type KeySystem struct {
	ID           string           `json:"id"`
	Name         string           `json:"name"`
	Spec         KeySpec          `json:"spec"`
	Levels       []KeySystemLevel `json:"levels"`
	TopSymbol    string           `json:"top_symbol"`
	Symbols      []KeySymbol      `json:"symbols"` // generation order, parents before children
	MACSRejected int              `json:"macs_rejected"`
	Cylinders    []Cylinder       `json:"cylinders"`
	Audit        *KeyAudit        `json:"audit,omitempty"`
	Plans        []RekeyPlan      `json:"plans"`
	LostReports  []LostReport     `json:"lost_reports"` // stamped copies reported lost, newest first
	CreatedAt    time.Time        `json:"created_at"`
}

// Cylinder is an opening keyed in the system: its current pinning and its history.
type Cylinder struct {
	OpeningID       string    `json:"opening_id"`
	OpeningName     string    `json:"opening_name"`
	Symbol          string    `json:"symbol"`
	CrossKeys       []string  `json:"cross_keys"`
	KeyList         []string  `json:"key_list"` // symbols: the keyed symbol, its masters, the TMK, cross keys and theirs
	PinnedAt        time.Time `json:"pinned_at"`
	TotalMasterPins int       `json:"total_master_pins"`
	OperatingCount  int64     `json:"operating_count"`
	PinProblems     []string  `json:"pin_problems"` // rules of warnings and broken limits
	History         []Pinning `json:"history,omitempty"`
}

// Pinning is one pinning of a cylinder, current or past.
type Pinning struct {
	ID       string     `json:"id"`
	Symbol   string     `json:"symbol"`
	KeyList  []string   `json:"key_list"`
	Reason   string     `json:"reason"`
	PinnedAt time.Time  `json:"pinned_at"`
	EndedAt  *time.Time `json:"ended_at,omitempty"`
}

// PinChamber is one chamber of a pinning chart. Sizes are depth units. The
// chart reveals the bittings, so it is shown only through an audited reveal.
type PinChamber struct {
	Position    int   `json:"position"`
	ShearDepths []int `json:"shear_depths"`
	BottomPin   int   `json:"bottom_pin"`
	MasterPins  []int `json:"master_pins"`
}

// PinningChart is a revealed pinning with the bittings of its key list.
type PinningChart struct {
	Cylinder
	SystemName string            `json:"system_name"`
	Bittings   []RevealedBitting `json:"bittings"`
	Chambers   []PinChamber      `json:"chambers"`
}

// RevealedBitting is a symbol with its plaintext bitting.
type RevealedBitting struct {
	Symbol  string `json:"symbol"`
	Bitting string `json:"bitting"`
}

// RevealInput asks for bittings; no symbols means every symbol of the system.
type RevealInput struct {
	Symbols []string `json:"symbols,omitempty"`
	Reason  string   `json:"reason,omitempty"`
}

func (in *RevealInput) Validate() error {
	var v Validator
	v.Check(len(in.Symbols) <= 10000, "symbols", "must list at most 10000 symbols")
	in.Reason = strings.TrimSpace(in.Reason)
	checkText(&v, "reason", in.Reason, MaxNote, true)
	return v.Err()
}

// PinningRevealInput asks for a cylinder's pinning chart, which shows the
// bittings of its key list: like every reveal, it says why.
type PinningRevealInput struct {
	Reason string `json:"reason"`
	// PDF says the chart is printed, so the audit record can tell a printed
	// copy from one shown on screen.
	PDF bool `json:"-"`
}

func (in *PinningRevealInput) Validate() error {
	var v Validator
	in.Reason = strings.TrimSpace(in.Reason)
	checkText(&v, "reason", in.Reason, MaxNote, true)
	return v.Err()
}

// AssignInput keys an opening to a symbol; it pins (or re-pins) the cylinder.
// CrossKeys are further symbols that also operate the cylinder (cross keying,
// e.g. a common entrance); their masters join the key list too.
type AssignInput struct {
	OpeningID string   `json:"opening_id"`
	Symbol    string   `json:"symbol"`
	CrossKeys []string `json:"cross_keys,omitempty"`
}

func (in *AssignInput) Validate() error {
	var v Validator
	in.Symbol = strings.TrimSpace(in.Symbol)
	v.Check(in.OpeningID != "", "opening_id", "is required")
	ValidSymbol(&v, "symbol", in.Symbol)
	v.Check(len(in.CrossKeys) <= 50, "cross_keys", "must list at most 50 symbols")
	for i, c := range in.CrossKeys {
		ValidSymbol(&v, "cross_keys["+itoa(i)+"]", c)
	}
	return v.Err()
}

// KeyAudit is the cross-key audit of a whole system: every cylinder against
// every key in use (stamped copies in circulation and every key of a key list).
type KeyAudit struct {
	At        time.Time      `json:"at"`
	Cylinders int            `json:"cylinders"`
	Keys      int            `json:"keys"`
	Findings  []AuditFinding `json:"findings"`
}

// AuditFinding is one unintended opening: the key's bitting operates the
// cylinder, but it is not in the key list. Chambers are the positions where
// the key rides a shear line of another key (a master pin), which causes it.
type AuditFinding struct {
	OpeningID   string `json:"opening_id"`
	OpeningName string `json:"opening_name"`
	Symbol      string `json:"symbol"`
	Chambers    []int  `json:"chambers"`
}

// LostKeyInput reports a key symbol of the system lost.
type LostKeyInput struct {
	Symbol string `json:"symbol"`
	KeyID  string `json:"key_id,omitempty"`
	Note   string `json:"note,omitempty"`
}

func (in *LostKeyInput) Validate() error {
	var v Validator
	in.Symbol = strings.TrimSpace(in.Symbol)
	ValidSymbol(&v, "symbol", in.Symbol)
	checkText(&v, "note", in.Note, MaxNote, false)
	return v.Err()
}

// LostReport is a stamped key of a system symbol reported lost through the
// custody flow. PlanID is empty until a rekey plan answers it.
type LostReport struct {
	KeyID      string    `json:"key_id"`
	Stamp      string    `json:"stamp"`
	Symbol     string    `json:"symbol"`
	ReportedAt time.Time `json:"reported_at"`
	PlanID     string    `json:"plan_id,omitempty"`
}

// RekeyPlan is the tracked answer to a lost key: what the lost bitting opens
// and the work that makes it open nothing.
type RekeyPlan struct {
	ID         string     `json:"id"`
	SystemID   string     `json:"system_id"`
	LostSymbol string     `json:"lost_symbol"`
	Status     string     `json:"status"`     // open, done
	Intended   []string   `json:"intended"`   // opening ids whose key list holds the lost bitting
	Incidental []string   `json:"incidental"` // opening ids it opens although no record says so
	Items      []PlanItem `json:"items"`
	// LostOperates is set when the plan closes: the openings the lost bitting
	// still operates after the work (empty when the plan succeeded).
	LostOperates []string   `json:"lost_operates"`
	CreatedAt    time.Time  `json:"created_at"`
	ClosedAt     *time.Time `json:"closed_at,omitempty"`
}

// PlanItem is one step of a rekey plan.
type PlanItem struct {
	ID          string   `json:"id"`
	Seq         int      `json:"seq"`
	Kind        string   `json:"kind"`
	OpeningID   string   `json:"opening_id,omitempty"`
	OpeningName string   `json:"opening_name,omitempty"`
	SiteID      string   `json:"site_id,omitempty"`
	SiteName    string   `json:"site_name,omitempty"`
	FromSymbol  string   `json:"from_symbol,omitempty"`
	ToSymbol    string   `json:"to_symbol,omitempty"`
	CrossKeys   []string `json:"cross_keys,omitempty"` // rekey: the new cross keys
	Copies      int      `json:"copies,omitempty"`
	Note        string   `json:"note"`
	// NewKeys are the keys that open the door after the step: for a rekey,
	// the key list it is re-pinned for; for a replaced cylinder, the keys
	// recorded when it was marked done.
	NewKeys  []string   `json:"new_keys,omitempty"`
	Done     bool       `json:"done"`
	DoneAt   *time.Time `json:"done_at,omitempty"`
	DoneBy   string     `json:"done_by,omitempty"`
	DoneNote string     `json:"done_note,omitempty"`
}

// KeySystems is master keying in the product: the key tree, the keying
// schedule, pinnings, the cross-key audit and lost-key rekey plans.
type KeySystems interface {
	// CreateKeySystem generates the tree and seals every bitting. EINVALID
	// naming the keying rule, ECONFLICT when a symbol is used by another system.
	CreateKeySystem(ctx context.Context, a Actor, in KeySystemInput) (*KeySystem, error)
	// KeySystems lists the organization's key systems.
	KeySystems(ctx context.Context, a Actor) ([]KeySystemSummary, error)
	// KeySystem: ENOTFOUND. Never holds a bitting.
	KeySystem(ctx context.Context, a Actor, id string) (*KeySystem, error)
	// Reveal returns bittings after its audit record commits. EFORBIDDEN (recorded).
	Reveal(ctx context.Context, a Actor, id string, in RevealInput) ([]RevealedBitting, error)
	// Assign keys an opening to a symbol and pins its cylinder. EINVALID, ECONFLICT.
	Assign(ctx context.Context, a Actor, id string, in AssignInput) (*Cylinder, error)
	// Cylinder is an opening's pinning summary and history. ENOTFOUND.
	Cylinder(ctx context.Context, a Actor, id, openingID string) (*Cylinder, error)
	// RevealPinning is the pinning chart, audited like Reveal.
	RevealPinning(ctx context.Context, a Actor, id, openingID string, in PinningRevealInput) (*PinningChart, error)
	// RunAudit checks every cylinder against every key in use and stores the result.
	RunAudit(ctx context.Context, a Actor, id string) (*KeyAudit, error)
	// ReportLost computes what the lost bitting opens and the rekey plan. ECONFLICT if already lost.
	ReportLost(ctx context.Context, a Actor, id string, in LostKeyInput) (*RekeyPlan, error)
	// Plan returns one rekey plan with its items. ENOTFOUND.
	Plan(ctx context.Context, a Actor, id, planID string) (*RekeyPlan, error)
	// CompleteItem marks one plan item done, confirmed and recording what
	// DoneRecords asks (a rekey applies its pinning; a replaced cylinder
	// records the keys of the new one in the door's keying schedule); the
	// last one closes the plan. EINVALID naming the field; ECONFLICT if it is
	// already done.
	CompleteItem(ctx context.Context, a Actor, id, planID, itemID string, in ItemDoneInput) (*RekeyPlan, error)
}

// Sources of a keying spec in the spec list.
const (
	SpecSourceManufacturer = "manufacturer" // a row of the published table (keying.md §7)
	SpecSourceOrganization = "organization" // the organization's own house rules
)

// MaxSpecName bounds the name of an organization keying spec.
const MaxSpecName = 64

// KeyingSpecInput adds an organization keying spec: a locksmith's house rules
// for a key section, e.g. Schlage SC4 with at most one master pin per chamber.
// Key-system creation accepts Name where it accepts a manufacturer spec name.
type KeyingSpecInput struct {
	Name string  `json:"name"`
	Note string  `json:"note,omitempty"`
	Spec KeySpec `json:"spec"` // spec.name is ignored: Name is the spec's name
}

// Validate checks the shape; the spec's rules are the keying math's (keying.md §2).
func (in *KeyingSpecInput) Validate() error {
	var v Validator
	in.Name = strings.TrimSpace(in.Name)
	in.Note = strings.TrimSpace(in.Note)
	checkText(&v, "name", in.Name, MaxSpecName, true)
	checkText(&v, "note", in.Note, MaxNote, false)
	return v.Err()
}

// KeyingSpec is one spec a key system can be generated from: a manufacturer
// row with its confidence note, or one of the organization's own.
type KeyingSpec struct {
	Name       string     `json:"name"`   // what KeySystemInput.Manufacturer names
	Label      string     `json:"label"`  // the key section, or the organization spec's name
	Source     string     `json:"source"` // SpecSourceManufacturer or SpecSourceOrganization
	Spec       KeySpec    `json:"spec"`
	Modeled    bool       `json:"modeled"`              // false: a key system cannot use it (Medeco, unknown depths)
	Confidence string     `json:"confidence,omitempty"` // manufacturer rows: high, single, unverified, conflict
	Note       string     `json:"note"`
	Pins       []int      `json:"pins,omitempty"` // manufacturer rows: pin counts offered
	ID         string     `json:"id,omitempty"`   // organization specs
	CreatedAt  *time.Time `json:"created_at,omitempty"`
}

// KeyingSpecs lists and adds the specs key systems are generated from.
type KeyingSpecs interface {
	// KeyingSpecs lists the manufacturer table, then the organization's specs by name.
	KeyingSpecs(ctx context.Context, a Actor) ([]KeyingSpec, error)
	// CreateKeyingSpec adds an organization spec. EINVALID naming the spec
	// member and rule, ECONFLICT when the name is taken (a manufacturer spec's too).
	CreateKeyingSpec(ctx context.Context, a Actor, in KeyingSpecInput) (*KeyingSpec, error)
}
