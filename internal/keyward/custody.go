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
	CustodyIssue    = "issue"
	CustodyReturn   = "return"
	CustodyTransfer = "transfer"
	CustodyCheckout = "checkout"
	CustodyCheckin  = "checkin"
	CustodyLost     = "lost"
	CustodyFound    = "found"
	CustodyDestroy  = "destroy"
)

// transitions is the custody state machine: action → statuses it may start from → status after.
var transitions = map[string]struct {
	from []string
	to   string // "" keeps the current status
}{
	CustodyIssue:    {[]string{StatusInStorage}, StatusIssued},
	CustodyReturn:   {[]string{StatusIssued}, StatusInStorage},
	CustodyTransfer: {[]string{StatusIssued, StatusCheckedOut}, ""},
	CustodyCheckout: {[]string{StatusInStorage}, StatusCheckedOut},
	CustodyCheckin:  {[]string{StatusCheckedOut}, StatusInStorage},
	CustodyLost:     {[]string{StatusInStorage, StatusIssued, StatusCheckedOut}, StatusLost},
	CustodyFound:    {[]string{StatusLost}, StatusInStorage},
	CustodyDestroy:  {[]string{StatusInStorage, StatusIssued, StatusCheckedOut, StatusLost}, StatusDestroyed},
}

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
}

// Custody is the logbook of physical keys.
type Custody interface {
	// CreateKey stamps a new copy. EINVALID, ECONFLICT if the copy number is taken.
	CreateKey(ctx context.Context, a Actor, in KeyInput) (*Key, error)
	// Key: ENOTFOUND.
	Key(ctx context.Context, a Actor, id string) (*Key, error)
	Keys(ctx context.Context, a Actor, f KeyFilter) (*Page[Key], error)
	// HolderKeys lists the keys a holder has now. ENOTFOUND for an unknown holder.
	HolderKeys(ctx context.Context, a Actor, holderID string) ([]Key, error)
	// Checkout lends a stored key. EINVALID (due_at, holder_id), ECONFLICT if the key is not in storage.
	Checkout(ctx context.Context, a Actor, keyID string, in CheckoutInput) (*Key, error)
	// Checkin: ECONFLICT if the key is not checked out.
	Checkin(ctx context.Context, a Actor, keyID string, in NoteInput) (*Key, error)
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
