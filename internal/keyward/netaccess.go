package keyward

import (
	"context"
	"time"
)

// Network locks and their keys: the master / backup / sub / soft hierarchy
// (the rules are in internal/access, which the store runs every op through).
// A master founds a group; its backups mirror it; sub and soft keys open only
// the locks granted to them. Keys and locks have names people read; their ids
// never show on a page.

// Network key kinds.
const (
	NetMaster = "master"
	NetBackup = "backup"
	NetSub    = "sub"
	NetSoft   = "soft"
)

// NetKey is one key of the hierarchy. GroupID is the master whose group it
// belongs to (a master's own id).
type NetKey struct {
	ID        string     `json:"id"`
	Name      string     `json:"name"`
	Kind      string     `json:"kind" enum:"master,backup,sub,soft"`
	GroupID   string     `json:"group_id"`
	HolderID  string     `json:"holder_id,omitempty"`
	Deleted   bool       `json:"deleted"`
	CreatedAt time.Time  `json:"created_at"`
	DeletedAt *time.Time `json:"deleted_at,omitempty"`
}

// NetLock is one network lock. OwnerID is the master whose group it is
// serialized to ("" when none); OpeningID the door it is fitted to.
type NetLock struct {
	ID        string    `json:"id"`
	Name      string    `json:"name"`
	OpeningID string    `json:"opening_id,omitempty"`
	OwnerID   string    `json:"owner_id,omitempty"`
	Online    bool      `json:"online"`
	CreatedAt time.Time `json:"created_at"`
}

// NetGrant is one lock granted to one key by the lock's group.
type NetGrant struct {
	LockID string `json:"lock_id"`
	KeyID  string `json:"key_id"`
}

// NetHierarchy is every network key, lock and grant (keys and locks sorted
// by name), with the exposures: keys an offline lock still accepts but should
// not (Exposed) and keys it should accept once it is back online (Pending).
// SingleKey lists the masters whose group only one live master or backup can
// manage: losing that key orphans its locks.
type NetHierarchy struct {
	Keys      []NetKey   `json:"keys"`
	Locks     []NetLock  `json:"locks"`
	Grants    []NetGrant `json:"grants"`
	Exposed   []NetGrant `json:"exposed"`
	Pending   []NetGrant `json:"pending"`
	SingleKey []string   `json:"single_key"`
}

// NetOp is one management op of the hierarchy. Op is one of master, lock,
// serialize, unserialize, backup, sub, grant, revoke, delete, offline,
// online. By is the key the change is made with (a master or backup); Name
// names a new key or lock; Key, Lock, To, From and Locks name existing ones by id.
type NetOp struct {
	Op        string   `json:"op" enum:"master,lock,serialize,unserialize,backup,sub,grant,revoke,delete,offline,online"`
	Name      string   `json:"name,omitempty"`
	Key       string   `json:"key,omitempty"`
	Lock      string   `json:"lock,omitempty"`
	By        string   `json:"by,omitempty"`
	To        string   `json:"to,omitempty"`
	From      string   `json:"from,omitempty"`
	Locks     []string `json:"locks,omitempty"`
	Soft      bool     `json:"soft,omitempty"`
	HolderID  string   `json:"holder_id,omitempty"`
	OpeningID string   `json:"opening_id,omitempty"`
}

// NetOpResult is what an accepted op did. Reached lists, for a deleted key,
// every lock it could open just before.
type NetOpResult struct {
	Op      string     `json:"op"`
	Key     *NetKey    `json:"key,omitempty"`
	Lock    *NetLock   `json:"lock,omitempty"`
	Granted []NetGrant `json:"granted"`
	Revoked []NetGrant `json:"revoked"`
	Reached []string   `json:"reached"`
}

// NetDecision is whether a key may open a lock, by which path (Via: owner,
// backup or grant; "" when denied), whether the lock accepts the key now, and
// the reason in words with the names of the keys and locks.
type NetDecision struct {
	KeyID   string `json:"key_id"`
	LockID  string `json:"lock_id"`
	Allow   bool   `json:"allow"`
	Via     string `json:"via,omitempty"`
	Accepts bool   `json:"accepts"`
	Reason  string `json:"reason"`
}

// NetMember is one key of a group with every lock it opens and why.
type NetMember struct {
	Key     NetKey        `json:"key"`
	Reaches []NetDecision `json:"reaches"`
}

// NetTree is a master's group: the master, its backups, its sub and soft keys,
// each with the locks it opens and why; the locks the group owns; the locks
// other masters granted the master. SingleKey flags a group only one master
// or backup can manage: losing that key orphans its locks.
type NetTree struct {
	Master    NetMember   `json:"master"`
	Backups   []NetMember `json:"backups"`
	Subs      []NetMember `json:"subs"`
	Locks     []NetLock   `json:"locks"`
	Granted   []NetLock   `json:"granted"`
	SingleKey bool        `json:"single_key"`
}

// NetKeyView is one key: the locks it opens and why; for a deleted key, the
// locks it opened when it was deleted (Reached) and the offline locks that
// still accept it until they come back online (StillAccepted).
type NetKeyView struct {
	Key           NetKey        `json:"key"`
	Reaches       []NetDecision `json:"reaches"`
	Reached       []NetLock     `json:"reached"`
	StillAccepted []NetLock     `json:"still_accepted"`
}

// NetRename changes a key's name, made with key By (a master or backup of the key's group).
type NetRename struct {
	Name string `json:"name"`
	By   string `json:"by"`
}

// NetworkAccess is the network-lock hierarchy.
type NetworkAccess interface {
	// Hierarchy returns every key, lock and grant, and the exposures.
	Hierarchy(ctx context.Context, a Actor) (*NetHierarchy, error)
	// Apply runs one management op. A refusal of the hierarchy's rules is
	// EUNPROCESSABLE with Extra["rule"] (the contract's rule name) and the
	// reason in words; EINVALID names a bad field; nothing changes then.
	Apply(ctx context.Context, a Actor, in NetOp) (*NetOpResult, error)
	// Rename renames a key. The same refusals as Apply.
	Rename(ctx context.Context, a Actor, keyID string, in NetRename) (*NetKey, error)
	// Check says whether a key may open a lock, and why. ENOTFOUND.
	Check(ctx context.Context, a Actor, keyID, lockID string) (*NetDecision, error)
	// Tree returns the group of a master. ENOTFOUND.
	Tree(ctx context.Context, a Actor, masterID string) (*NetTree, error)
	// KeyView returns one key and what it opens (or opened). ENOTFOUND.
	KeyView(ctx context.Context, a Actor, keyID string) (*NetKeyView, error)
}

// MayActWithNetKey is who may make a change with a network key: staff who
// manage credentials with any key; a key holder only with a key they hold
// themselves, and only for ops made with a key (not creating masters or
// locks, nor taking locks on- or offline).
func MayActWithNetKey(a Actor, op string, byHolderID string) error {
	if a.Role != RoleHolder {
		return Authorize(a, ActNetAccess)
	}
	switch op {
	case NetMaster, "lock", "offline", "online":
		return Errorf(EFORBIDDEN, "a key holder may not %s: ask whoever manages the network keys", op)
	}
	if a.HolderID == "" || byHolderID != a.HolderID {
		return Errorf(EFORBIDDEN, "you may make changes only with a network key you hold")
	}
	return nil
}
