package keyward

import (
	"context"
	"strings"
	"time"
)

// Lock sync: Keyward pushes each network or smart lock's intended state to
// it and follows what the lock acknowledged. The sets compared are of
// entries: a network key is "key:<id>", a PIN slot "pin:<n>".

// LockAdapters lists how a lock can be reached: Keyward's own protocol or zigbee2mqtt.
var LockAdapters = []string{"keyward", "zigbee2mqtt"}

// SyncLockInput adds a lock to lock sync.
type SyncLockInput struct {
	Name    string `json:"name"`
	Adapter string `json:"adapter"`          // "keyward" or "zigbee2mqtt"
	Device  string `json:"device,omitempty"` // the zigbee2mqtt friendly name
	// Slots is how many PIN slots the lock has (default 20).
	Slots int `json:"slots,omitempty"`
	// AccessLock links the lock to a network lock of the key hierarchy: the
	// network keys that may open that lock are pushed to this one.
	AccessLock string `json:"access_lock,omitempty"`
}

// SyncLock is one lock as lock sync sees it.
type SyncLock struct {
	ID           string     `json:"id"`
	Name         string     `json:"name"`
	Adapter      string     `json:"adapter"`
	Device       string     `json:"device,omitempty"`
	Slots        int        `json:"slots"`
	AccessLock   string     `json:"access_lock,omitempty"` // the key hierarchy's lock it follows
	Version      int64      `json:"version"`               // the desired state's version
	AckedVersion int64      `json:"acked_version"`         // the last version the lock acknowledged
	Online       bool       `json:"online"`
	LastSeen     *time.Time `json:"last_seen,omitempty"`
	// Exposed are entries the lock still accepts but should not; Pending
	// entries it should accept but has not acknowledged yet.
	Exposed []SyncEntry `json:"exposed"`
	Pending []SyncEntry `json:"pending"`
}

// InSync reports whether the lock accepts exactly what it should.
func (l SyncLock) InSync() bool { return len(l.Exposed) == 0 && len(l.Pending) == 0 }

// SyncEntry is one key or PIN slot in a lock's sets, with its words.
type SyncEntry struct {
	Entry string `json:"entry"` // "key:<id>" or "pin:<n>"
	// Label says what it is: the key's name, or "PIN slot 3 (Cleaner)".
	Label string `json:"label"`
}

// LockEventInput is an access event a lock reported.
type LockEventInput struct {
	At     time.Time
	Opened bool   // false: denied
	Method string // "key", "pin", "offline_code", "manual"
	Key    string // the network key, for method key
	Slot   int    // the PIN slot, for method pin
}

// Check names what is wrong with an event's fields.
func (e LockEventInput) Check() error {
	switch e.Method {
	case "key", "pin", "offline_code", "manual", "":
	default:
		return Invalid("method", "must be key, pin, offline_code or manual")
	}
	if e.Slot < 0 {
		return Invalid("slot", "must not be negative")
	}
	return nil
}

// LockEvent is one line of a lock's logbook.
type LockEvent struct {
	ID     string    `json:"id"`
	LockID string    `json:"lock_id"`
	At     time.Time `json:"at"`
	Opened bool      `json:"opened"`
	Method string    `json:"method"`
	Slot   int       `json:"slot,omitempty"`
	Key    string    `json:"key,omitempty"`
	// Who is the holder of the key or of the slot's code at the time, if known.
	Who string `json:"who,omitempty"`
}

// LockDesired is what the syncer needs to bring one lock to its intended state.
type LockDesired struct {
	Lock    string
	Adapter string
	Device  string
	Secret  Secret // the lock secret, hex
	Version int64
	Keys    []string
	Slots   []DesiredSlot
	// Held are the slots the lock last reported holding anything in;
	// Confirmed those holding the code Keyward put there.
	Held      []int
	Confirmed []int
	Online    bool
	InSync    bool
}

// DesiredSlot is one PIN slot of a desired state.
type DesiredSlot struct {
	N   int
	PIN Secret
}

// LockReport is one report from a lock, decoded by the syncer.
type LockReport struct {
	Lock string
	// Exactly one of these.
	Ack          *LockAck
	Slots        []ReportedSlot
	Availability *bool
	Event        *LockEventInput
}

// LockAck is a lock's acknowledgement of a version and the set it applied.
type LockAck struct {
	Version int64
	Keys    []string
	Slots   []int
}

// ReportedSlot is what a lock says one of its PIN slots holds.
type ReportedSlot struct {
	N       int
	Enabled bool
	PIN     Secret
}

// LockSyncFeed is the store side of the syncer: system calls, not a user's.
type LockSyncFeed interface {
	// ChangeMark is a number that changes whenever anything that may change
	// a desired state changed (the audit chain's length).
	ChangeMark(ctx context.Context) (int64, error)
	// RefreshDesired recomputes each lock's intended set at now, gives every
	// lock whose set changed a new version (with its audit record), and
	// returns every lock's desired state.
	RefreshDesired(ctx context.Context, now time.Time) ([]LockDesired, error)
	// ApplyReports applies what locks reported, in one transaction: an ack
	// older than the last one is ignored, events land in the lock's logbook.
	// It returns the locks whose state changed because of the reports.
	ApplyReports(ctx context.Context, reports []LockReport) ([]string, error)
}

// LockSync is lock sync as people use it.
type LockSync interface {
	// AddSyncLock adds a lock, with a new lock secret. EINVALID.
	AddSyncLock(ctx context.Context, a Actor, in SyncLockInput) (*SyncLock, error)
	// SyncLocks lists every lock with its exposures and pending entries at now.
	SyncLocks(ctx context.Context, a Actor, now time.Time) ([]SyncLock, error)
	// SyncLock is one lock. ENOTFOUND.
	SyncLock(ctx context.Context, a Actor, id string, now time.Time) (*SyncLock, error)
	// LockEvents is a lock's logbook, newest first.
	LockEvents(ctx context.Context, a Actor, lockID string, limit int) ([]LockEvent, error)
	// IssueOfflineCode derives an offline code covering from–until for a lock
	// (its audit record never holds the code). EINVALID.
	IssueOfflineCode(ctx context.Context, a Actor, lockID string, in OfflineCodeInput) (*OfflineCode, error)
	// LockSecret reveals a lock's secret for installing it at the lock (audited).
	LockSecret(ctx context.Context, a Actor, lockID string) (Secret, error)
	TempCodes
}

// OfflineCodeInput asks for an offline code.
type OfflineCodeInput struct {
	From  time.Time `json:"from"`
	Until time.Time `json:"until"`
	For   string    `json:"for"` // who it is for, in words
}

// OfflineCode is an issued offline code: it cannot be revoked before End.
type OfflineCode struct {
	Lock  string    `json:"lock"`
	Code  Secret    `json:"-"`
	Start time.Time `json:"start"`
	End   time.Time `json:"end"`
	For   string    `json:"for"`
}

// TempCodes are temporary PINs: a window, weekly hours or a use count.
type TempCodes interface {
	// IssueTempCode creates a temporary code on one or more locks, each in a
	// free slot (or the slot asked for: ECONFLICT when it is held). EINVALID.
	IssueTempCode(ctx context.Context, a Actor, in TempCodeInput) (*TempCode, error)
	// TempCodeList lists temporary codes, live ones first.
	TempCodeList(ctx context.Context, a Actor, now time.Time) ([]TempCode, error)
	// TempCode is one code without its PIN. ENOTFOUND.
	TempCode(ctx context.Context, a Actor, id string, now time.Time) (*TempCode, error)
	// RevokeTempCode ends a code now: its slots are cleared at the next sync. ECONFLICT if already revoked.
	RevokeTempCode(ctx context.Context, a Actor, id string) (*TempCode, error)
	// TempCodeByLink opens a code by the secret link its recipient was sent,
	// without an account, PIN included. ENOTFOUND for an unknown or revoked link.
	TempCodeByLink(ctx context.Context, token string, now time.Time) (*TempCode, error)
}

// TempCodeInput issues a temporary code.
type TempCodeInput struct {
	For      string       `json:"for"`             // the recipient's name
	Email    string       `json:"email,omitempty"` // where to send it, optional
	Locks    []string     `json:"locks"`
	Schedule CodeSchedule `json:"schedule"`
	// Slot asks for a slot number (on every lock); 0 picks a free one.
	Slot int `json:"slot,omitempty"`
	// LinkBase is where the recipient's link starts (scheme://host); with an
	// Email, the link is emailed to them (never the PIN itself).
	LinkBase string `json:"-"`
}

// TempCodeLinkPath is the path of a temporary code's recipient link.
func TempCodeLinkPath(token string) string { return "/c/" + token }

// TempCode is a temporary code.
type TempCode struct {
	ID       string         `json:"id"`
	For      string         `json:"for"`
	Email    string         `json:"email,omitempty"`
	Schedule CodeSchedule   `json:"schedule"`
	Locks    []TempCodeLock `json:"locks"`
	Used     int            `json:"used"`
	Created  time.Time      `json:"created"`
	Revoked  *time.Time     `json:"revoked,omitempty"`
	Active   bool           `json:"active"` // opens now
	Ended    bool           `json:"ended"`  // never opens again
	// PIN is filled only when the code is issued or opened by its link.
	PIN Secret `json:"-"`
	// Link is the secret link's token, returned once when the code is issued.
	Link Secret `json:"-"`
	// Emailed: the link was queued for the recipient's email.
	Emailed bool `json:"emailed,omitempty"`
}

// TempCodeLock is one lock of a temporary code and its slot there.
type TempCodeLock struct {
	Lock string `json:"lock"`
	Name string `json:"name"`
	Slot int    `json:"slot"`
	// OnLock: the lock acknowledged holding the code; Exposed: it still
	// holds it though it should not.
	OnLock  bool `json:"on_lock"`
	Exposed bool `json:"exposed"`
}

// ValidLockDevice reports whether d can be a zigbee2mqtt friendly name in a
// topic: 1 to 128 bytes, no MQTT wildcard or NUL, no leading or trailing
// slash, not the bridge, and not ending in one of a device's sub-topics.
func ValidLockDevice(d string) bool {
	if d == "" || len(d) > 128 || strings.ContainsAny(d, "+#\x00") || strings.HasPrefix(d, "/") || strings.HasSuffix(d, "/") {
		return false
	}
	if d == "bridge" || strings.HasPrefix(d, "bridge/") {
		return false
	}
	for _, suf := range []string{"/set", "/get", "/availability"} {
		if strings.HasSuffix(d, suf) {
			return false
		}
	}
	return true
}

// Sync entries: a network key, a PIN slot holding Keyward's code, and a PIN
// slot holding a code Keyward did not set (a zigbee2mqtt lock reports it).
func KeyEntry(id string) string { return "key:" + id }
func PINEntry(n int) string     { return "pin:" + itoa(n) }
func ForeignEntry(n int) string { return "pin:" + itoa(n) + ":other" }

// EntrySlot reads a PIN entry's slot; foreign is true for a code Keyward did not set.
func EntrySlot(e string) (n int, foreign, ok bool) {
	rest, isPIN := strings.CutPrefix(e, "pin:")
	if !isPIN {
		return 0, false, false
	}
	rest, foreign = strings.CutSuffix(rest, ":other")
	n = 0
	for i := 0; i < len(rest); i++ {
		if rest[i] < '0' || rest[i] > '9' || i > 3 {
			return 0, false, false
		}
		n = n*10 + int(rest[i]-'0')
	}
	return n, foreign, rest != ""
}

// MaxCodeLocks bounds the locks of one temporary code (a building's doors).
const MaxCodeLocks = 2000
