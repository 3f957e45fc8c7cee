package keyward

import (
	"context"
	"slices"
	"strings"
	"time"
)

// Custody actions, the verbs of the logbook.
const (
	CustodyCreate   = "create"
	CustodyImport   = "import" // created by an import, one line per key
	CustodyIssue    = "issue"
	CustodyReturn   = "return"
	CustodyTransfer = "transfer"
	CustodyCheckout = "checkout"
	CustodyCheckin  = "checkin"
	CustodyLost     = "lost"
	CustodyFound    = "found"
	CustodyDestroy  = "destroy"
)

// Who a move hands the key to.
const (
	toNobody    = iota // the key goes back (or out of circulation): no holder_id allowed
	toRecipient        // holder_id is required and names who receives the key
)

// What a move does with the holder, the due time and the check-out id.
const (
	clear = iota // no holder, no due time, no check-out id
	keep         // as before the move
	set          // the recipient; the due time asked for; a new check-out id
)

// rule is one custody action: which statuses it may start from, the status
// after it, and what it does with the key's holder, due time and check-out.
type rule struct {
	from      []string
	to        string // "" keeps the current status
	recipient int    // toNobody or toRecipient
	holder    int    // clear, keep (the logbook keeps who lost it) or set
	due       int    // clear, keep or set
	checkout  int    // clear, keep (a transfer keeps its reminder) or set
	policy    Action // the policy row that allows it; ActCustody when empty
}

// transitions is the custody state machine, the one place a custody rule is
// written: the store's guarded update, the UI's buttons and every 409 come
// from it.
var transitions = map[string]rule{
	CustodyIssue:    {from: []string{StatusInStorage}, to: StatusIssued, recipient: toRecipient, holder: set},
	CustodyReturn:   {from: []string{StatusIssued}, to: StatusInStorage},
	CustodyTransfer: {from: []string{StatusIssued, StatusCheckedOut}, recipient: toRecipient, holder: set, due: keep, checkout: keep},
	CustodyCheckout: {from: []string{StatusInStorage}, to: StatusCheckedOut, recipient: toRecipient, holder: set, due: set, checkout: set},
	CustodyCheckin:  {from: []string{StatusCheckedOut}, to: StatusInStorage},
	CustodyLost:     {from: []string{StatusInStorage, StatusIssued, StatusCheckedOut}, to: StatusLost, holder: keep, policy: ActKeyReportLost},
	CustodyFound:    {from: []string{StatusLost}, to: StatusInStorage},
	CustodyDestroy:  {from: []string{StatusInStorage, StatusIssued, StatusCheckedOut, StatusLost}, to: StatusDestroyed},
}

// statusRules says, per key status, whether a holder has the key, whether
// the copy is in circulation (its whereabouts known: in storage or held) and
// whether it still opens its locks (a lost key does, a destroyed one not).
var statusRules = []struct {
	status                   string
	held, circulating, opens bool
}{
	{StatusInStorage, false, true, true},
	{StatusIssued, true, true, true},
	{StatusCheckedOut, true, true, true},
	{StatusLost, false, false, true},
	{StatusDestroyed, false, false, false},
}

func statusesWhere(f func(held, circulating, opens bool) bool) []string {
	var out []string
	for _, r := range statusRules {
		if f(r.held, r.circulating, r.opens) {
			out = append(out, r.status)
		}
	}
	return out
}

var (
	// HeldStatuses: a holder has the key. A holder's key list, an
	// offboarding's outstanding keys and the keys-out count use them.
	HeldStatuses = statusesWhere(func(held, _, _ bool) bool { return held })
	// CirculatingStatuses: copies in circulation, in storage or held; what a
	// key system counts as its cut copies.
	CirculatingStatuses = statusesWhere(func(_, circulating, _ bool) bool { return circulating })
	// OpeningStatuses: copies that still open their locks, lost ones
	// included; what an opening lists as the keys that operate it.
	OpeningStatuses = statusesWhere(func(_, _, opens bool) bool { return opens })
)

// HeldAfter reports whether a key is with a holder after action. changes is
// false when the action keeps the key's status (a transfer) or is no move of
// the state machine (create, import: there the key's holder says it).
func HeldAfter(action string) (held, changes bool) {
	t, ok := transitions[action]
	if !ok || t.to == "" {
		return false, false
	}
	return Held(t.to), true
}

// Held reports whether a key in status is with a holder.
func Held(status string) bool { return slices.Contains(HeldStatuses, status) }

// Transition returns the statuses action may start from and the status after it.
// ok is false for an unknown action.
func Transition(action string) (from []string, to string, ok bool) {
	t, ok := transitions[action]
	return t.from, t.to, ok
}

// TransitionConflict is the 409 for a key whose status does not allow action.
// k is the key as it is now: a store whose guarded update changed no row reads
// it again, since the status it read first may be stale. If k still shows a
// status action may start from, the key was changed (and perhaps changed back)
// while the request ran, and the message says that instead of contradicting
// itself ("is checked_out; checkin needs a key that is checked_out").
func TransitionConflict(k *Key, action string) error {
	from, _, _ := Transition(action)
	if slices.Contains(from, k.Status) {
		return Errorf(ECONFLICT, "key %s changed while this request ran; reload it and try again", k.Stamp)
	}
	return Errorf(ECONFLICT, "key %s is %s; %s needs a key that is %s",
		k.Stamp, k.Status, action, strings.Join(from, " or "))
}

// CustodyPolicy is the policy action that allows a custody action: holders
// may report their own keys lost, every other move is staff's.
func CustodyPolicy(action string) Action {
	if p := transitions[action].policy; p != "" {
		return p
	}
	return ActCustody
}

// Request is the move asked for by action with in.
func (in CustodyInput) Request(action string) MoveRequest {
	return MoveRequest{Action: action, HolderID: in.HolderID, Note: in.Note, NewSealNumber: in.NewSealNumber}
}

// MoveRequest is one custody move as asked for.
type MoveRequest struct {
	Action   string
	HolderID string     // who receives the key (issue, transfer, check-out)
	DueAt    *time.Time // when a check-out is due back
	Note     string
	// NewSealNumber is the new seal of the envelope the move opens, if its
	// home is a sealed envelope (PlanMoveSeal).
	NewSealNumber string
	// CollectFrom, instead of an action, takes the key back from this leaving
	// holder: CollectAction picks the move.
	CollectFrom string
}

// Validate checks the request before any key is read: the holder is given
// exactly when the action hands the key to someone.
func (r *MoveRequest) Validate() error {
	if r.CollectFrom == "" {
		t, ok := transitions[r.Action]
		if !ok || r.Action == CustodyCreate {
			return Invalid("action", "is not a custody action")
		}
		var v Validator
		if t.recipient == toRecipient {
			v.Check(r.HolderID != "", "holder_id", "is required")
		} else {
			v.Check(r.HolderID == "", "holder_id", "must be empty for "+r.Action)
		}
		if err := v.Err(); err != nil {
			return err
		}
	}
	return (&NoteInput{Note: r.Note}).Validate()
}

// Move is a custody move the rules allowed: the store makes it with one
// guarded update (the key still in one of From, still with the holder the
// plan was made on) and writes the logbook line and audit record it names.
type Move struct {
	Action string
	// From and PrevHolder are the race guard: the statuses the move may start
	// from, and the holder the key had when it was read.
	From       []string
	PrevHolder string
	// Was is the key's status when read, before the move.
	Was string
	// Key is the key after the move.
	Key Key
	// Recipient is the holder the key goes to ("" for none); the store checks
	// with MayReceive that they may receive it before asking for the plan.
	Recipient string
	// Checkout: NewCheckout gives the key a fresh check-out id (its overdue
	// reminder is sent once per check-out); KeepCheckout keeps the one it has.
	// Any other move clears it.
	NewCheckout, KeepCheckout bool
	// The logbook line: the holder it is filed under (who receives the key,
	// else who it leaves) and, for a transfer, who gave it.
	LineHolder, Giver string
	DueAt             *time.Time // as asked, for the logbook and the audit record
	Note              string
}

// PlanMove decides a custody move of k, as read, for actor a: EFORBIDDEN for
// a holder reporting someone else's key, EINVALID for a transfer to the
// current holder, ECONFLICT when the key's status does not allow the move
// (or, collecting, the key is not the leaving holder's).
func PlanMove(a Actor, k Key, r MoveRequest) (*Move, error) {
	if a.Role == RoleHolder && (a.HolderID == "" || k.HolderID != a.HolderID) {
		return nil, Errorf(EFORBIDDEN, "holders may only report their own keys")
	}
	action := r.Action
	if r.CollectFrom != "" {
		var err error
		if action, err = CollectAction(k, r.CollectFrom); err != nil {
			return nil, err
		}
	}
	t, ok := transitions[action]
	if !ok {
		return nil, Invalid("action", "is not a custody action")
	}
	if action == CustodyTransfer && r.HolderID == k.HolderID {
		return nil, Invalid("holder_id", "must differ from the current holder")
	}
	if !slices.Contains(t.from, k.Status) {
		return nil, TransitionConflict(&k, action)
	}
	m := &Move{Action: action, From: t.from, PrevHolder: k.HolderID, Was: k.Status, Key: k, DueAt: r.DueAt, Note: r.Note,
		NewCheckout: t.checkout == set, KeepCheckout: t.checkout == keep}
	if t.to != "" {
		m.Key.Status = t.to
	}
	if t.recipient == toRecipient {
		m.Recipient = r.HolderID
	}
	m.Key.HolderID = pick(t.holder, k.HolderID, r.HolderID)
	switch t.due {
	case clear:
		m.Key.DueAt = nil
	case set:
		m.Key.DueAt = r.DueAt
	}
	m.LineHolder = m.Recipient
	switch {
	case m.LineHolder == "":
		m.LineHolder = k.HolderID // a key taken back is in the logbook of who it leaves
	case action == CustodyTransfer:
		m.Giver = k.HolderID // and a transfer in the giver's too
	}
	return m, nil
}

func pick(how int, current, asked string) string {
	switch how {
	case keep:
		return current
	case set:
		return asked
	}
	return ""
}

// CollectAction is the move that takes k back from a leaving holder: a
// check-in of a checked-out key, a return of an issued one. ECONFLICT if the
// holder does not have it.
func CollectAction(k Key, holderID string) (string, error) {
	switch {
	case k.HolderID != holderID:
		return "", Errorf(ECONFLICT, "key %s is not held by this holder", k.Stamp)
	case k.Status == StatusCheckedOut:
		return CustodyCheckin, nil
	case k.Status == StatusIssued:
		return CustodyReturn, nil
	}
	return "", Errorf(ECONFLICT, "key %s is %s; only an issued or checked-out key can be collected", k.Stamp, k.Status)
}

// Recipient is what the rules need to know of a holder a key or credential
// is about to go to.
type Recipient struct {
	Found bool   // the holder exists
	Name  string // for the message
	// LeavingSince is when their open offboarding started; nil if none is open.
	LeavingSince *time.Time
	// RetiredAt is when the holder record was retired (or merged away); nil if active.
	RetiredAt *time.Time
}

// MayReceive: EINVALID on holder_id for an unknown holder; ECONFLICT for one
// being offboarded, since a new item would slip past the list of what they
// hold that a manager is working through.
func (r Recipient) MayReceive() error {
	switch {
	case !r.Found:
		return Invalid("holder_id", "must name an existing holder")
	case r.RetiredAt != nil:
		return Errorf(ECONFLICT, "%s was retired on %s: restore the holder before giving them a key", r.Name, r.RetiredAt.Format("2006-01-02"))
	case r.LeavingSince != nil:
		return Errorf(ECONFLICT, "%s is being offboarded (since %s): collect what they hold and clear the offboarding before giving them anything new",
			r.Name, r.LeavingSince.Format("2006-01-02"))
	}
	return nil
}

// Count sets o.Outstanding: every key, credential and storage place still
// with the leaving holder.
func (o *Offboarding) Count() {
	o.Outstanding = len(o.Keys) + len(o.Credentials) + len(o.Storage)
}

// MayClear: ECONFLICT naming every item still outstanding.
func (o *Offboarding) MayClear() error {
	o.Count()
	if o.Outstanding == 0 {
		return nil
	}
	var items []string
	for _, k := range o.Keys {
		items = append(items, "key "+k.Stamp)
	}
	for _, c := range o.Credentials {
		items = append(items, c.Kind+" "+c.ID)
	}
	for _, p := range o.Storage {
		items = append(items, "storage "+p.Name)
	}
	return Errorf(ECONFLICT, "%d items are still outstanding: %s", o.Outstanding, strings.Join(items, ", "))
}

// KeyFilter narrows a key list.
type KeyFilter struct {
	Symbol   string
	Status   string
	HolderID string
	Query    string
	ListOptions
}

// Directory is the inventory of sites, openings, keyways and holders.
type Directory interface {
	// CreateSite: EINVALID.
	CreateSite(ctx context.Context, a Actor, in SiteInput) (*Site, error)
	// Site: ENOTFOUND.
	Site(ctx context.Context, a Actor, id string) (*Site, error)
	Sites(ctx context.Context, a Actor, opt ListOptions) (*Page[Site], error)
	// CreateOpening: EINVALID, ENOTFOUND for an unknown site (reported as EINVALID on site_id).
	CreateOpening(ctx context.Context, a Actor, in OpeningInput) (*Opening, error)
	Opening(ctx context.Context, a Actor, id string) (*Opening, error)
	Openings(ctx context.Context, a Actor, siteID string, opt ListOptions) (*Page[Opening], error)
	// CreateKeyway: EINVALID, ECONFLICT if the name is taken.
	CreateKeyway(ctx context.Context, a Actor, in KeywayInput) (*Keyway, error)
	Keyway(ctx context.Context, a Actor, id string) (*Keyway, error)
	Keyways(ctx context.Context, a Actor, opt ListOptions) (*Page[Keyway], error)
	// CreateHolder: EINVALID, ECONFLICT if the email is taken.
	CreateHolder(ctx context.Context, a Actor, in HolderInput) (*Holder, error)
	Holder(ctx context.Context, a Actor, id string) (*Holder, error)
	Holders(ctx context.Context, a Actor, opt ListOptions) (*Page[Holder], error)

	// Edits validate the record after the patch like a create: EINVALID,
	// ENOTFOUND, ECONFLICT (a keyway name or holder email taken).
	UpdateSite(ctx context.Context, a Actor, id string, p SitePatch) (*Site, error)
	UpdateOpening(ctx context.Context, a Actor, id string, p OpeningPatch) (*Opening, error)
	UpdateKeyway(ctx context.Context, a Actor, id string, p KeywayPatch) (*Keyway, error)
	UpdateHolder(ctx context.Context, a Actor, id string, p HolderPatch) (*Holder, error)
	// Retire hides a record of kind (RetireKinds) from the default lists;
	// Restore brings it back. Both are idempotent. ENOTFOUND; ECONFLICT when
	// MayRetireSite, MayRetireKeyway or MayRetireHolder refuses.
	Retire(ctx context.Context, a Actor, kind, id string) error
	Restore(ctx context.Context, a Actor, kind, id string) error
	// MergeHolders moves every key, logbook line, credential, storage place,
	// offboarding and account of holder id to in.Into and retires id, with one
	// audit record. ENOTFOUND for id; EINVALID on into; ECONFLICT when both
	// have an open offboarding.
	MergeHolders(ctx context.Context, a Actor, id string, in MergeInput) (*Merged, error)
}

// The kinds of directory record that retire.
const (
	KindSite    = "site"
	KindOpening = "opening"
	KindKeyway  = "keyway"
	KindHolder  = "holder"
)

// RetireKinds are the directory records that retire.
var RetireKinds = []string{KindSite, KindOpening, KindKeyway, KindHolder}

// Custody is the logbook of physical keys.
type Custody interface {
	// CreateKey stamps a new copy. EINVALID, ECONFLICT if the copy number is taken.
	CreateKey(ctx context.Context, a Actor, in KeyInput) (*Key, error)
	// Key: ENOTFOUND.
	Key(ctx context.Context, a Actor, id string) (*Key, error)
	Keys(ctx context.Context, a Actor, f KeyFilter) (*Page[Key], error)
	// UpdateKey edits a key's keyway; never its stamp (EINVALID with RuleStamped).
	UpdateKey(ctx context.Context, a Actor, id string, in KeyPatch) (*Key, error)
	// HolderKeys lists the keys a holder has now. ENOTFOUND for an unknown holder.
	HolderKeys(ctx context.Context, a Actor, holderID string) ([]Key, error)
	// Checkout lends a stored key. EINVALID (due_at, holder_id), ECONFLICT if the key is not in storage.
	Checkout(ctx context.Context, a Actor, keyID string, in CheckoutInput) (*Key, error)
	// Checkin: ECONFLICT if the key is not checked out.
	// A new seal is required when the key goes back into a sealed envelope (EINVALID on new_seal_number).
	Checkin(ctx context.Context, a Actor, keyID string, in CheckinInput) (*Key, error)
	// Move applies issue, return, transfer, lost, found or destroy. ECONFLICT names the current state.
	Move(ctx context.Context, a Actor, keyID, action string, in CustodyInput) (*Key, error)
	// History is the key's logbook, oldest first.
	History(ctx context.Context, a Actor, keyID string, opt ListOptions) (*Page[Event], error)
}

// Now is the clock type passed to everything that needs the time.
type Now func() time.Time

// Overdue reports whether k is checked out past its due time at now.
func Overdue(k Key, now time.Time) bool {
	return k.Status == StatusCheckedOut && k.DueAt != nil && k.DueAt.Before(now)
}

// KeyCounts is how many keys are in each status, and how many check-outs are past due.
type KeyCounts struct {
	ByStatus map[string]int `json:"by_status"`
	Overdue  int            `json:"overdue"`
}
