// Package access is the network-lock key hierarchy: master, backup, sub and
// soft keys, the locks they are serialized to, the grants between groups, the
// access check that explains itself, and which keys each lock accepts as of
// its last sync. It is pure: no I/O, no clock, nothing of ours imported. The
// product (the store and the pages), the `keyward access eval` command and
// lock sync all use this one implementation, so they cannot disagree.
//
// # The model
//
// A Model holds keys, locks and grants. Every key has a Kind and belongs to a
// group: a master founds the group named by its own id; a backup, sub or soft
// key belongs to the group of the key that created it. A lock has an owning
// group ("" until it is serialized) and an online flag. A lock's owning group
// may grant that lock to a sub or soft key of the same group or to the master
// of another group. Key ids and lock ids are two separate name spaces.
//
// Key K may open lock L exactly when L has an owning group G, K is not
// deleted, and (first match is the Via): K is G's master (ViaOwner), K is a
// backup in G (ViaBackup), or G granted L to K (ViaGrant). A grant to a master
// is not copied to that master's backups, and a master cannot pass it on.
//
// # Building and changing a model
//
//	m := access.New()                       // empty
//	m, err := access.Restore(state)         // from stored records (validated)
//	st := m.Snapshot()                      // the records, sorted
//
// Changes are the management ops; each returns the Effect to persist, or a
// *Refusal naming the first rule it broke (the order of the contract) and
// then changes nothing:
//
//	m.NewMaster(key)              m.NewLock(lock)
//	m.Serialize(lock, by)         m.Unserialize(lock, by)
//	m.NewBackup(key, by)          m.NewSub(key, by, locks, soft)
//	m.Grant(to, locks, by)        m.Revoke(from, locks, by)
//	m.Delete(key, by)             m.Offline(lock)   m.Online(lock)
//	m.Apply(op)                   // the same, from an Op value
//
// # Questions
//
//	m.Can(key, lock)   → Decision{Allow, Via, Accepts, Denial, …}; d.Reason() in words
//	m.Reaches(key)     → every lock the key may open, sorted
//	m.Acceptors(lock)  → every key that may open the lock (its intended set), sorted
//	m.Intended(lock), m.Accepted(lock) → the two sets of one lock
//	m.FindKey(id), m.FindLock(id), m.Grants(key), m.GrantedTo(lock) → records
//	m.Exposures()      → exposed and pending pairs over every lock
//	m.Tree(master)     → a group's keys and what each reaches, with reasons
//	m.MayRename(key, by) → whether by may rename key (a master or backup of its group)
//	(*Refusal).Words   → a refusal in plain words, with names
//
// # Sync and exposures
//
// Each lock accepts a set of keys as of its last sync. After every accepted
// change, every online lock's accepted set becomes its intended set; an
// offline lock keeps the set it had when it went offline until Online. The
// pure function Exposures(intended, acknowledged) compares two such maps of
// sets: exposed = acknowledged − intended (keys a lock still opens for but
// should not), pending = intended − acknowledged (keys not yet accepted).
// Model.Exposures uses it with the model's own accepted sets; lock sync calls
// it with the sets the locks acknowledged.
//
// Every list this package returns is sorted in code-point order (by lock,
// then key for pairs). A Model is not safe for concurrent use; guard it or
// give each goroutine its own.
package access

import (
	"fmt"
	"slices"
)

// Kind is what a key is in the hierarchy.
type Kind string

const (
	Master Kind = "master"
	Backup Kind = "backup"
	Sub    Kind = "sub"
	Soft   Kind = "soft" // the software form of a sub key; behaves exactly as one
)

// Valid reports whether k is one of the four kinds.
func (k Kind) Valid() bool { return k == Master || k == Backup || k == Sub || k == Soft }

// Manages reports whether a key of this kind may create, serialize, grant or delete.
func (k Kind) Manages() bool { return k == Master || k == Backup }

// Via is why an allowed key may open a lock; "" when it may not.
type Via string

const (
	ViaOwner  Via = "owner"  // the key is the master of the lock's group
	ViaBackup Via = "backup" // the key is a backup in the lock's group
	ViaGrant  Via = "grant"  // the lock's group granted the lock to the key
)

// Rule names a refusal, exactly as the contract spells it.
type Rule string

const (
	RuleUnknownKey      Rule = "unknown_key"
	RuleUnknownLock     Rule = "unknown_lock"
	RuleSubCannotManage Rule = "sub_cannot_manage"
	RuleDuplicateID     Rule = "duplicate_id"
	RuleLockOwned       Rule = "lock_owned"
	RuleNotOwner        Rule = "not_owner"
	RuleGrantTarget     Rule = "grant_target"
	RuleNotGranted      Rule = "not_granted"
	RuleSelf            Rule = "self"
	RuleUnknownOp       Rule = "unknown_op"
)

// Rules lists every refusal in the order an op is checked.
var Rules = []Rule{RuleUnknownKey, RuleUnknownLock, RuleSubCannotManage, RuleDuplicateID,
	RuleLockOwned, RuleNotOwner, RuleGrantTarget, RuleNotGranted, RuleSelf, RuleUnknownOp}

// Refusal is why an op was refused. Key or Lock names what broke the rule
// (the id the op gave), so a page can say it in words.
type Refusal struct {
	Rule Rule
	Key  string // the key named by the failing check, if any
	Lock string // the lock named by the failing check, if any
}

func (r *Refusal) Error() string {
	switch {
	case r.Lock != "" && r.Key != "":
		return fmt.Sprintf("%s (key %q, lock %q)", r.Rule, r.Key, r.Lock)
	case r.Lock != "":
		return fmt.Sprintf("%s (lock %q)", r.Rule, r.Lock)
	case r.Key != "":
		return fmt.Sprintf("%s (key %q)", r.Rule, r.Key)
	}
	return string(r.Rule)
}

// Key is one key as stored. Group is the id of the master that founded its
// group (a master's Group is its own ID).
type Key struct {
	ID      string
	Kind    Kind
	Group   string
	Deleted bool
}

// Lock is one lock as stored. Owner is the owning group ("" when not
// serialized). Accepted is what an offline lock accepts (kept since it went
// offline); an online lock accepts its intended set, so Accepted is nil.
type Lock struct {
	ID       string
	Owner    string
	Online   bool
	Accepted []string
}

// Grant is one lock granted to one key by the lock's owning group.
type Grant struct {
	Lock string
	Key  string
}

// Pair is one (lock, key) of an exposure list.
type Pair struct {
	Lock string `json:"lock"`
	Key  string `json:"key"`
}

// State is a whole model as records, e.g. to store or to compare.
type State struct {
	Keys   []Key
	Locks  []Lock
	Grants []Grant
}

type key struct {
	id      string
	kind    Kind
	group   *group
	deleted bool
	grants  map[string]struct{} // locks granted to this key
}

type lock struct {
	id       string
	owner    *group
	online   bool
	grants   map[string]struct{} // keys this lock is granted to
	accepted map[string]struct{} // only while offline
}

type group struct {
	id      string
	master  *key
	backups map[string]*key
	subs    map[string]*key     // sub and soft keys
	locks   map[string]struct{} // locks owned by the group
}

// Model is the hierarchy. The zero value is not usable; call New or Restore.
type Model struct {
	keys   map[string]*key
	locks  map[string]*lock
	groups map[string]*group
}

// New returns an empty model.
func New() *Model {
	return &Model{keys: map[string]*key{}, locks: map[string]*lock{}, groups: map[string]*group{}}
}

func filter[T any](xs []T, keep func(T) bool) []T {
	var out []T
	for _, x := range xs {
		if keep(x) {
			out = append(out, x)
		}
	}
	return out
}

func newGroup(master *key) *group {
	return &group{id: master.id, master: master, backups: map[string]*key{}, subs: map[string]*key{}, locks: map[string]struct{}{}}
}

// Restore builds a model from stored records and checks that they could have
// come from the ops: every key's group has its master, grants are on owned
// locks to a sub or soft key of the owning group or to another group's master,
// deleted keys hold no grants.
func Restore(s State) (*Model, error) {
	m := &Model{keys: make(map[string]*key, len(s.Keys)), locks: make(map[string]*lock, len(s.Locks)), groups: map[string]*group{}}
	// masters first, so every group exists before its members
	masters := func(k Key) bool { return k.Kind == Master }
	others := func(k Key) bool { return k.Kind != Master }
	for _, k := range slices.Concat(filter(s.Keys, masters), filter(s.Keys, others)) {
		if !k.Kind.Valid() {
			return nil, fmt.Errorf("access: key %q has no valid kind (%q)", k.ID, k.Kind)
		}
		if _, dup := m.keys[k.ID]; dup {
			return nil, fmt.Errorf("access: key %q twice", k.ID)
		}
		nk := &key{id: k.ID, kind: k.Kind, deleted: k.Deleted}
		if k.Kind == Master {
			if k.Group != k.ID {
				return nil, fmt.Errorf("access: master %q must found group %q, not %q", k.ID, k.ID, k.Group)
			}
			nk.group = newGroup(nk)
			m.groups[k.ID] = nk.group
		} else {
			g := m.groups[k.Group]
			if g == nil {
				return nil, fmt.Errorf("access: key %q is in group %q, which has no master", k.ID, k.Group)
			}
			nk.group = g
			if k.Kind == Backup {
				g.backups[k.ID] = nk
			} else {
				g.subs[k.ID] = nk
			}
		}
		m.keys[k.ID] = nk
	}
	for _, l := range s.Locks {
		if _, dup := m.locks[l.ID]; dup {
			return nil, fmt.Errorf("access: lock %q twice", l.ID)
		}
		nl := &lock{id: l.ID, online: l.Online}
		if l.Owner != "" {
			g := m.groups[l.Owner]
			if g == nil {
				return nil, fmt.Errorf("access: lock %q is owned by group %q, which has no master", l.ID, l.Owner)
			}
			nl.owner = g
			g.locks[l.ID] = struct{}{}
		}
		if !l.Online {
			nl.accepted = map[string]struct{}{}
			for _, k := range l.Accepted {
				if m.keys[k] == nil {
					return nil, fmt.Errorf("access: lock %q accepts key %q, which does not exist", l.ID, k)
				}
				nl.accepted[k] = struct{}{}
			}
		}
		m.locks[l.ID] = nl
	}
	for _, g := range s.Grants {
		l, k := m.locks[g.Lock], m.keys[g.Key]
		switch {
		case l == nil || k == nil:
			return nil, fmt.Errorf("access: grant of lock %q to key %q names what does not exist", g.Lock, g.Key)
		case l.owner == nil:
			return nil, fmt.Errorf("access: lock %q is granted to %q but has no owner", g.Lock, g.Key)
		case k.deleted:
			return nil, fmt.Errorf("access: lock %q is granted to deleted key %q", g.Lock, g.Key)
		case grantTarget(k, l.owner) != nil:
			return nil, fmt.Errorf("access: lock %q of group %q cannot be granted to %s key %q", g.Lock, l.owner.id, k.kind, g.Key)
		}
		if l.grants == nil {
			l.grants = map[string]struct{}{}
		}
		l.grants[k.id] = struct{}{}
		if k.grants == nil {
			k.grants = map[string]struct{}{}
		}
		k.grants[l.id] = struct{}{}
	}
	return m, nil
}

// Snapshot returns the model as records, each list sorted by id.
func (m *Model) Snapshot() State {
	var s State
	for _, id := range sortedKeys(m.keys) {
		k := m.keys[id]
		s.Keys = append(s.Keys, Key{ID: k.id, Kind: k.kind, Group: k.group.id, Deleted: k.deleted})
	}
	for _, id := range sortedKeys(m.locks) {
		l := m.locks[id]
		rec := Lock{ID: l.id, Online: l.online}
		if l.owner != nil {
			rec.Owner = l.owner.id
		}
		if !l.online {
			rec.Accepted = sortedSet(l.accepted)
		}
		s.Locks = append(s.Locks, rec)
		for _, k := range sortedSet(l.grants) {
			s.Grants = append(s.Grants, Grant{Lock: l.id, Key: k})
		}
	}
	return s
}

// FindKey returns one key's record.
func (m *Model) FindKey(id string) (Key, bool) {
	k := m.keys[id]
	if k == nil {
		return Key{}, false
	}
	return Key{ID: k.id, Kind: k.kind, Group: k.group.id, Deleted: k.deleted}, true
}

// FindLock returns one lock's record.
func (m *Model) FindLock(id string) (Lock, bool) {
	l := m.locks[id]
	if l == nil {
		return Lock{}, false
	}
	rec := Lock{ID: l.id, Online: l.online}
	if l.owner != nil {
		rec.Owner = l.owner.id
	}
	if !l.online {
		rec.Accepted = sortedSet(l.accepted)
	}
	return rec, true
}

// Grants returns the locks granted to a key, sorted.
func (m *Model) Grants(keyID string) []string {
	k := m.keys[keyID]
	if k == nil {
		return []string{}
	}
	return sortedSet(k.grants)
}

// GrantedTo returns the keys a lock is granted to, sorted.
func (m *Model) GrantedTo(lockID string) []string {
	l := m.locks[lockID]
	if l == nil {
		return []string{}
	}
	return sortedSet(l.grants)
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

func sortedSet(m map[string]struct{}) []string { return sortedKeys(m) }
