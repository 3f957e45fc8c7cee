package keyward

import (
	"context"
	"slices"
	"strings"
	"time"
)

// A lost key, end to end: what it opens the moment it is reported lost, the
// next step (a key system's rekey plan, or a work list of doors to rekey or
// replace for a key outside any key system), the work marked done with the
// keys that open each door afterwards, and the plan's steps in plain words.

// How a lost key reaches a door (LostDoor.How).
const (
	ReachIntended   = "intended"   // a key system cylinder is pinned for it (its key list holds it)
	ReachIncidental = "incidental" // its bitting operates a cylinder through master pins, though no record says so
	ReachSchedule   = "schedule"   // the hand-kept keying schedule lists it (or a key below it in its key system)
)

// LostReaches lists them, in the order a page shows them.
var LostReaches = []string{ReachIntended, ReachIncidental, ReachSchedule}

// The status of a rekey plan or a work list.
const (
	WorkOpen = "open"
	WorkDone = "done"
)

// The next step after a key is lost (LostKey.Next).
const (
	NextStartPlan        = "start_plan"         // its key system has no plan for it yet
	NextContinuePlan     = "continue_plan"      // a plan for its symbol is open
	NextPlanDone         = "plan_done"          // the plan for its symbol is finished
	NextStartWorkList    = "start_work_list"    // outside a key system, doors still list it
	NextContinueWorkList = "continue_work_list" // a work list for its symbol is open
	NextWorkListDone     = "work_list_done"     // the work list is finished and no door lists it now
	NextNothing          = "nothing"            // outside a key system, and no door on record lists it
)

// LostNextSteps lists them, for the API document.
var LostNextSteps = []string{NextStartPlan, NextContinuePlan, NextPlanDone, NextStartWorkList, NextContinueWorkList, NextWorkListDone, NextNothing}

// NextLostStep decides what to offer once a key is lost. A key of a key
// system is answered by the system's rekey plan (one per symbol: a second
// copy of a lost symbol is already answered); it is started even when the
// key opens no pinned door, because the plan also marks the symbol lost so it
// is never handed out again. A key outside key systems is answered by a
// work list while some door on record still lists it; once none does, a
// finished list (or nothing) is all there is to show.
func NextLostStep(inSystem bool, planStatus, workListStatus string, doors int) string {
	if inSystem {
		switch planStatus {
		case WorkOpen:
			return NextContinuePlan
		case WorkDone:
			return NextPlanDone
		}
		return NextStartPlan
	}
	switch {
	case workListStatus == WorkOpen:
		return NextContinueWorkList
	case doors > 0:
		return NextStartWorkList
	case workListStatus == WorkDone:
		return NextWorkListDone
	}
	return NextNothing
}

// LostDoor is a door a lost key opens, and how.
type LostDoor struct {
	OpeningID   string `json:"opening_id"`
	OpeningName string `json:"opening_name"`
	SiteID      string `json:"site_id"`
	SiteName    string `json:"site_name"`
	How         string `json:"how"` // ReachIntended, ReachIncidental or ReachSchedule
}

// LostKey is what a lost key opens now and the next step.
type LostKey struct {
	KeyID  string `json:"key_id"`
	Stamp  string `json:"stamp"`
	Symbol string `json:"symbol"`
	// SystemID and SystemName name the key system of its symbol, if any.
	SystemID   string `json:"system_id,omitempty"`
	SystemName string `json:"system_name,omitempty"`
	// Doors is every door the key opens now: intended and incidental within a
	// key system (the keying math over every pinned cylinder), and by the
	// keying schedule; by how, then site and door name.
	Doors []LostDoor `json:"doors"`
	// PlanID and PlanStatus are the latest rekey plan for its symbol.
	PlanID     string `json:"plan_id,omitempty"`
	PlanStatus string `json:"plan_status,omitempty"`
	// WorkListID and WorkListStatus are the open (else the latest) work list for its symbol.
	WorkListID     string `json:"work_list_id,omitempty"`
	WorkListStatus string `json:"work_list_status,omitempty"`
	// Next is the next step, decided by NextLostStep.
	Next string `json:"next"`
}

// SortLostDoors orders doors by how (LostReaches), site, then door name as
// people read it (Unit 2 before Unit 10).
func SortLostDoors(doors []LostDoor) {
	slices.SortFunc(doors, func(x, y LostDoor) int {
		if c := slices.Index(LostReaches, x.How) - slices.Index(LostReaches, y.How); c != 0 {
			return c
		}
		if c := strings.Compare(x.SiteName, y.SiteName); c != 0 {
			return c
		}
		if c := CompareStamps(x.OpeningName, 0, y.OpeningName, 0); c != 0 {
			return c
		}
		return strings.Compare(x.OpeningID, y.OpeningID)
	})
}

// WorkListInput makes a work list for a lost key outside any key system,
// or for a copy of such a key found outside Keyward (an uncontrolled copy
// opens what a lost key of its symbol opens): KeyID names the lost key,
// or UncontrolledID the copy found; one of them, not both.
type WorkListInput struct {
	KeyID          string `json:"key_id,omitempty"`
	UncontrolledID string `json:"uncontrolled_copy_id,omitempty"`
	Note           string `json:"note,omitempty"`
}

func (in *WorkListInput) Validate() error {
	var v Validator
	in.KeyID = strings.TrimSpace(in.KeyID)
	in.UncontrolledID = strings.TrimSpace(in.UncontrolledID)
	in.Note = strings.TrimSpace(in.Note)
	v.Check(in.KeyID != "" || in.UncontrolledID != "", "key_id", "is required: name the lost key (or, for a copy found outside Keyward, uncontrolled_copy_id)")
	v.Check(in.KeyID == "" || in.UncontrolledID == "", "uncontrolled_copy_id", "must be empty when key_id names the lost key")
	checkText(&v, "note", in.Note, MaxNote, false)
	return v.Err()
}

// WorkList is the tracked answer to a lost key outside any key system: one
// item per door that lists its symbol, each done when the door is rekeyed or
// its cylinder replaced, with the keys that open it afterwards.
type WorkList struct {
	ID string `json:"id"`
	// KeyID and Stamp name the lost key; both are empty for a list that
	// answers a copy found outside Keyward (Uncontrolled).
	KeyID        string            `json:"key_id"`
	Stamp        string            `json:"stamp"`
	Uncontrolled *UncontrolledCopy `json:"uncontrolled_copy,omitempty"`
	LostSymbol   string            `json:"lost_symbol"`
	Status       string            `json:"status"` // open, done
	Note         string            `json:"note"`
	Items        []WorkItem        `json:"items"`
	CreatedBy    string            `json:"created_by"`
	CreatedAt    time.Time         `json:"created_at"`
	ClosedAt     *time.Time        `json:"closed_at,omitempty"`
}

// WorkItem is one door of a work list.
type WorkItem struct {
	ID          string `json:"id"`
	Seq         int    `json:"seq"`
	OpeningID   string `json:"opening_id"`
	OpeningName string `json:"opening_name"`
	SiteID      string `json:"site_id"`
	SiteName    string `json:"site_name"`
	Done        bool   `json:"done"`
	// Method, NewKeys and DoneNote are recorded when the door is done.
	Method   string     `json:"method,omitempty"`
	NewKeys  []string   `json:"new_keys"`
	DoneNote string     `json:"done_note,omitempty"`
	DoneAt   *time.Time `json:"done_at,omitempty"`
	DoneBy   string     `json:"done_by,omitempty"`
}

// OpenWork is an open rekey plan or work list, for the dashboard.
type OpenWork struct {
	Kind       string    `json:"kind"` // "plan" or "work_list"
	ID         string    `json:"id"`
	SystemID   string    `json:"system_id,omitempty"`
	SystemName string    `json:"system_name,omitempty"`
	LostSymbol string    `json:"lost_symbol"`
	Stamp      string    `json:"stamp,omitempty"` // the lost copy, for a work list (empty for a copy found outside Keyward)
	ItemsLeft  int       `json:"items_left"`
	Items      int       `json:"items"`
	CreatedAt  time.Time `json:"created_at"`
}

// Kinds of OpenWork.
const (
	OpenWorkPlan     = "plan"
	OpenWorkWorkList = "work_list"
)

// LostKeys answers lost keys: what each opens and the next step, and the
// work lists of keys outside key systems. Rekey plans stay with KeySystems.
type LostKeys interface {
	// LostKey is what a lost key opens now and the next step. ENOTFOUND;
	// ECONFLICT if the key is not lost.
	LostKey(ctx context.Context, a Actor, keyID string) (*LostKey, error)
	// CreateWorkList makes the work list of a lost key outside any key
	// system, or of a copy of one found outside Keyward: one item per door
	// that lists its symbol. EINVALID (key_id or uncontrolled_copy_id of
	// nothing); ECONFLICT if the key is not lost, the symbol is in a key
	// system, opens no door on record, or a work list for it is open.
	CreateWorkList(ctx context.Context, a Actor, in WorkListInput) (*WorkList, error)
	// WorkList is one work list with its items. ENOTFOUND.
	WorkList(ctx context.Context, a Actor, id string) (*WorkList, error)
	// WorkLists lists work lists, newest first; status "" is every one. EINVALID.
	WorkLists(ctx context.Context, a Actor, status string) ([]WorkList, error)
	// CompleteWorkItem marks one door done and changes its keying schedule
	// (the lost symbol off, the new keys on) with its audit record; the last
	// door closes the list. EINVALID naming the field; ENOTFOUND; ECONFLICT
	// if the door is already done.
	CompleteWorkItem(ctx context.Context, a Actor, id, itemID string, in ItemDoneInput) (*WorkList, error)
	// OpenWork lists the open rekey plans and work lists, oldest first.
	OpenWork(ctx context.Context, a Actor) ([]OpenWork, error)
}

// How a work-list door was made safe (ItemDoneInput.Method).
const (
	MethodRekey   = "rekey"   // its cylinder was re-pinned for new keys
	MethodReplace = "replace" // its cylinder or lock was replaced
)

// WorkMethods lists them.
var WorkMethods = []string{MethodRekey, MethodReplace}

// WorkDoor is the kind of a work-list item, as DoneRecords reads it.
const WorkDoor = "door"

// MaxNewKeys bounds the keys one door records.
const MaxNewKeys = 20

// ItemDoneInput marks a rekey plan item or a work-list door done. Confirm
// must be true: marking done changes what opens a door. A door that would
// otherwise be left with no keys on record names the keys that open it now.
type ItemDoneInput struct {
	Confirm bool     `json:"confirm"`
	Method  string   `json:"method,omitempty"`
	NewKeys []string `json:"new_keys,omitempty"`
	Note    string   `json:"note,omitempty"`
}

// Normalize trims the input, before the store looks its keys up.
func (in *ItemDoneInput) Normalize() {
	in.Method, in.Note = strings.TrimSpace(in.Method), strings.TrimSpace(in.Note)
	for i, k := range in.NewKeys {
		in.NewKeys[i] = strings.TrimSpace(k)
	}
}

// DoneRecord is what marking an item done must record.
type DoneRecord struct {
	NewKeys bool // the symbols of the keys that open the door afterwards
	Method  bool // whether the door was rekeyed or its cylinder replaced
}

// DoneRecords decides what marking an item of kind done must record. A
// cylinder replaced because no key of its system fits leaves the system: its
// pinning ends, so without the keys of the new cylinder the door would have
// no keys on record. A work-list door loses the lost symbol from its
// schedule, likewise. A rekey is re-pinned for the keys the plan chose, and
// cutting or handing out keys changes no door: those record nothing more.
func DoneRecords(kind string) DoneRecord {
	switch kind {
	case PlanReplaceCylinder:
		return DoneRecord{NewKeys: true}
	case WorkDoor:
		return DoneRecord{NewKeys: true, Method: true}
	}
	return DoneRecord{}
}

// DoneWork is the item being marked done, as Check reads it.
type DoneWork struct {
	Kind       string // a Plan* kind or WorkDoor
	LostSymbol string
	// InKeySystem holds those of the new keys that are symbols of a key
	// system (the store looks them up).
	InKeySystem map[string]bool
}

// Check decides whether in records what DoneRecords asks for w, naming each
// field and rule that fails. Call Normalize first.
func (in *ItemDoneInput) Check(w DoneWork) error {
	var v Validator
	need := DoneRecords(w.Kind)
	v.Check(in.Confirm, "confirm", "must be true: confirm that the work is done")
	if need.Method {
		v.Check(slices.Contains(WorkMethods, in.Method), "method", "must be rekey or replace")
	} else {
		v.Check(in.Method == "", "method", "must be empty: only a work-list door is rekeyed or replaced by choice")
	}
	switch {
	case !need.NewKeys:
		v.Check(len(in.NewKeys) == 0, "new_keys", "must be empty: the plan decides the keys of this step")
	case len(in.NewKeys) == 0:
		v.Check(false, "new_keys", "is required: name the key that opens the door now, so it is not left without keys")
	case len(in.NewKeys) > MaxNewKeys:
		v.Check(false, "new_keys", "must list at most "+itoa(MaxNewKeys)+" keys")
	default:
		seen := map[string]bool{}
		for i, k := range in.NewKeys {
			field := "new_keys[" + itoa(i) + "]"
			if k == "" || !symbolText(k) {
				ValidSymbol(&v, field, k)
				continue
			}
			v.Check(k != w.LostSymbol, field, "must not be the lost key "+w.LostSymbol+": it would still open the door")
			v.Check(!seen[k], field, "must not repeat a key")
			v.Check(!w.InKeySystem[k], field, "must be a key outside any key system: the new lock is keyed by hand")
			seen[k] = true
		}
	}
	checkText(&v, "note", in.Note, MaxNote, false)
	return v.Err()
}

// PlanWords is what DescribePlanItem needs besides the item.
type PlanWords struct {
	LostSymbol string
	Intended   []string          // opening ids the lost key was meant to open
	Tiers      map[string]string // symbol → tier
	Parents    map[string]string // symbol → its master ("" at the top)
}

// NewPlanWords reads them off a key system and one of its plans.
func NewPlanWords(ks *KeySystem, p *RekeyPlan) PlanWords {
	w := PlanWords{LostSymbol: p.LostSymbol, Intended: p.Intended, Tiers: map[string]string{}, Parents: map[string]string{}}
	for _, s := range ks.Symbols {
		w.Tiers[s.Symbol], w.Parents[s.Symbol] = s.Tier, s.Parent
	}
	return w
}

// StepText is a plan item in plain words: what to do, and why.
type StepText struct {
	Do  string
	Why string
}

// DescribePlanItem says a rekey plan item in words a landlord and a
// locksmith read without knowing Keyward's rule names. The plan page and the
// work order both use it.
func DescribePlanItem(it PlanItem, w PlanWords) StepText {
	door := it.OpeningName
	if door == "" {
		door = "the door"
	}
	switch it.Kind {
	case PlanCut:
		n := max(it.Copies, 1)
		do := "Cut " + itoa(n) + " new " + w.keyNoun(it.ToSymbol, n) + " " + it.ToSymbol
		var why string
		switch {
		case it.FromSymbol == w.LostSymbol:
			why = "They replace the lost " + w.keyNoun(it.FromSymbol, 1) + " " + it.FromSymbol + "."
		case w.under(it.FromSymbol, w.LostSymbol):
			why = "They replace " + it.FromSymbol + ", which is under the lost " + w.keyNoun(w.LostSymbol, 1) + " " + w.LostSymbol + "."
		default:
			why = "They replace " + it.FromSymbol + ": the lost key " + w.LostSymbol + " also opens its door, which moves to " + it.ToSymbol + "."
		}
		return StepText{Do: do, Why: why}
	case PlanRekey:
		if it.ToSymbol == it.FromSymbol && len(it.CrossKeys) == 0 {
			return StepText{Do: "Re-pin the cylinder at " + door + " for its own key " + it.ToSymbol + ", so the lost key no longer opens it", Why: w.reach(it)}
		}
		keys := append([]string{it.ToSymbol}, it.CrossKeys...)
		verb := " opens it"
		if len(keys) > 1 {
			verb = " open it"
		}
		do := "Rekey the cylinder at " + door + " so that " + andList(keys) + verb
		if m := w.masters(keys); len(m) > 0 {
			do += " (with the master key" + pluralS(len(m)) + " " + andList(m) + ")"
		}
		return StepText{Do: do, Why: w.reach(it)}
	case PlanReplaceCylinder:
		return StepText{Do: "Replace the cylinder at " + door,
			Why: w.reach(it) + " No unused key of the key system fits without the lost key opening it too, so the new cylinder leaves the key system: record the keys that open it."}
	case PlanReissue:
		if it.FromSymbol == w.LostSymbol {
			return StepText{Do: "Hand out the new " + it.ToSymbol + " keys in place of the lost " + it.FromSymbol,
				Why: "The lost " + it.FromSymbol + " opens nothing once its doors are rekeyed."}
		}
		do := "Hand out the new " + it.ToSymbol + " keys to the holders of " + it.FromSymbol + " and collect their " + it.FromSymbol + " keys"
		why := it.FromSymbol + " no longer opens its doors once they are rekeyed."
		switch {
		case it.Copies == 1:
			why = "1 copy of " + it.FromSymbol + " is in use; " + why
		case it.Copies > 1:
			why = itoa(it.Copies) + " copies of " + it.FromSymbol + " are in use; " + why
		}
		return StepText{Do: do, Why: why}
	}
	return StepText{Do: it.Kind + " " + door, Why: it.Note}
}

// keyNoun names a symbol's kind of key: "master key", "keys", …
func (w PlanWords) keyNoun(symbol string, n int) string {
	noun := map[string]string{TierTop: "top master key", TierGrand: "grand master key", TierMaster: "master key"}[w.Tiers[symbol]]
	if noun == "" {
		noun = "key"
	}
	return noun + pluralS(n)
}

// under reports whether symbol is below master in the key tree.
func (w PlanWords) under(symbol, master string) bool {
	for s, n := w.Parents[symbol], 0; s != "" && n < 64; s, n = w.Parents[s], n+1 {
		if s == master {
			return true
		}
	}
	return false
}

// masters are the keys above the given ones, nearest first, each once.
func (w PlanWords) masters(keys []string) []string {
	var out []string
	for _, k := range keys {
		for s, n := w.Parents[k], 0; s != "" && n < 64; s, n = w.Parents[s], n+1 {
			if !slices.Contains(out, s) && !slices.Contains(keys, s) {
				out = append(out, s)
			}
		}
	}
	return out
}

// reach says why a door is in the plan.
func (w PlanWords) reach(it PlanItem) string {
	if slices.Contains(w.Intended, it.OpeningID) {
		return "The lost " + w.keyNoun(w.LostSymbol, 1) + " " + w.LostSymbol + " opens this door."
	}
	return "The lost " + w.keyNoun(w.LostSymbol, 1) + " " + w.LostSymbol + " also opens this door by accident, through its master pins."
}

// pluralS is the ending of a noun counted n times.
func pluralS(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}

// andList writes a, b and c.
func andList(xs []string) string {
	switch len(xs) {
	case 0:
		return ""
	case 1:
		return xs[0]
	}
	return strings.Join(xs[:len(xs)-1], ", ") + " and " + xs[len(xs)-1]
}
