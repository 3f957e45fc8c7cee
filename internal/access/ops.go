package access

import "slices"

// Op is one management op as a value (the names of the contract's §3).
// Apply runs it; the typed methods do the same.
type Op struct {
	Op    string // master, lock, serialize, unserialize, backup, sub, grant, revoke, delete, offline, online
	Key   string
	Lock  string
	By    string
	To    string
	From  string
	Locks []string
	Soft  bool
}

// ManagementOps lists the ops that change the model, in the contract's order.
var ManagementOps = []string{"master", "lock", "serialize", "unserialize", "backup", "sub",
	"grant", "revoke", "delete", "offline", "online"}

// Owner is a lock's new owning group ("" when it lost its owner).
type Owner struct {
	Lock  string
	Owner string
}

// Online is a lock going online or offline. A lock going offline keeps
// Accepted (what it accepted at its last sync) until it comes back.
type Online struct {
	Lock     string
	Online   bool
	Accepted []string
}

// Effect is what an accepted op changed, for a store to persist: new keys and
// locks, owners, grants added (only those not already there) and removed, keys
// deleted, locks going online or offline. Affected lists the locks whose
// intended set or online state may have changed, which lock sync pushes.
type Effect struct {
	Op       string
	NewKeys  []Key
	NewLocks []Lock
	Owners   []Owner
	Granted  []Grant
	Revoked  []Grant
	Deleted  []string
	Online   []Online
	Affected []string
}

// Apply runs one management op. An unknown op is refused RuleUnknownOp.
func (m *Model) Apply(op Op) (Effect, error) {
	switch op.Op {
	case "master":
		return m.NewMaster(op.Key)
	case "lock":
		return m.NewLock(op.Lock)
	case "serialize":
		return m.Serialize(op.Lock, op.By)
	case "unserialize":
		return m.Unserialize(op.Lock, op.By)
	case "backup":
		return m.NewBackup(op.Key, op.By)
	case "sub":
		return m.NewSub(op.Key, op.By, op.Locks, op.Soft)
	case "grant":
		return m.Grant(op.To, op.Locks, op.By)
	case "revoke":
		return m.Revoke(op.From, op.Locks, op.By)
	case "delete":
		return m.Delete(op.Key, op.By)
	case "offline":
		return m.Offline(op.Lock)
	case "online":
		return m.Online(op.Lock)
	}
	return Effect{}, &Refusal{Rule: RuleUnknownOp}
}

// --- the checks, each returning the refusal of its rule or nil ---

// actor is check 1 for `by`: it must be a key that is not deleted.
func (m *Model) actor(by string) (*key, *Refusal) {
	k := m.keys[by]
	if k == nil || k.deleted {
		return nil, &Refusal{Rule: RuleUnknownKey, Key: by}
	}
	return k, nil
}

// liveKey is check 1 for another key the op names (to, from, delete's key).
func (m *Model) liveKey(id string) (*key, *Refusal) { return m.actor(id) }

// existingLocks is check 2 for a list of locks, in list order.
func (m *Model) existingLocks(ids ...string) ([]*lock, *Refusal) {
	out := make([]*lock, 0, len(ids))
	for _, id := range ids {
		l := m.locks[id]
		if l == nil {
			return nil, &Refusal{Rule: RuleUnknownLock, Lock: id}
		}
		out = append(out, l)
	}
	return out, nil
}

// manager is check 3.
func manager(by *key) *Refusal {
	if !by.kind.Manages() {
		return &Refusal{Rule: RuleSubCannotManage, Key: by.id}
	}
	return nil
}

// freshKey and freshLock are check 4.
func (m *Model) freshKey(id string) *Refusal {
	if _, taken := m.keys[id]; taken {
		return &Refusal{Rule: RuleDuplicateID, Key: id}
	}
	return nil
}

func (m *Model) freshLock(id string) *Refusal {
	if _, taken := m.locks[id]; taken {
		return &Refusal{Rule: RuleDuplicateID, Lock: id}
	}
	return nil
}

// owned is check 5 (not_owner) for a list of locks, in list order.
func owned(ls []*lock, g *group) *Refusal {
	for _, l := range ls {
		if l.owner != g {
			return &Refusal{Rule: RuleNotOwner, Lock: l.id}
		}
	}
	return nil
}

// grantTarget is check 6: a group may grant its locks to its own sub and
// soft keys and to the masters of other groups, to nobody else.
func grantTarget(to *key, g *group) *Refusal {
	ok := false
	switch to.kind {
	case Master:
		ok = to.group != g
	case Sub, Soft:
		ok = to.group == g
	}
	if !ok {
		return &Refusal{Rule: RuleGrantTarget, Key: to.id}
	}
	return nil
}

// first returns the first non-nil refusal as an error, or nil.
func first(rs ...*Refusal) error {
	for _, r := range rs {
		if r != nil {
			return r
		}
	}
	return nil
}

// --- the ops ---

// NewMaster creates a master founding the group named id.
func (m *Model) NewMaster(id string) (Effect, error) {
	if r := m.freshKey(id); r != nil {
		return Effect{}, r
	}
	k := &key{id: id, kind: Master}
	k.group = newGroup(k)
	m.keys[id] = k
	m.groups[id] = k.group
	return Effect{Op: "master", NewKeys: []Key{{ID: id, Kind: Master, Group: id}}, Affected: []string{}}, nil
}

// NewLock creates a lock, unowned and online.
func (m *Model) NewLock(id string) (Effect, error) {
	if r := m.freshLock(id); r != nil {
		return Effect{}, r
	}
	m.locks[id] = &lock{id: id, online: true}
	return Effect{Op: "lock", NewLocks: []Lock{{ID: id, Online: true}}, Affected: []string{id}}, nil
}

// Serialize gives an unowned lock to by's group.
func (m *Model) Serialize(lockID, by string) (Effect, error) {
	b, r := m.actor(by)
	if r != nil {
		return Effect{}, r
	}
	ls, r := m.existingLocks(lockID)
	if r != nil {
		return Effect{}, r
	}
	if r := manager(b); r != nil {
		return Effect{}, r
	}
	l := ls[0]
	if l.owner != nil {
		return Effect{}, &Refusal{Rule: RuleLockOwned, Lock: l.id}
	}
	l.owner = b.group
	b.group.locks[l.id] = struct{}{}
	return Effect{Op: "serialize", Owners: []Owner{{Lock: l.id, Owner: b.group.id}}, Affected: []string{l.id}}, nil
}

// Unserialize takes a lock from by's group, with every grant on it.
func (m *Model) Unserialize(lockID, by string) (Effect, error) {
	b, r := m.actor(by)
	if r != nil {
		return Effect{}, r
	}
	ls, r := m.existingLocks(lockID)
	if r != nil {
		return Effect{}, r
	}
	if err := first(manager(b), owned(ls, b.group)); err != nil {
		return Effect{}, err
	}
	l := ls[0]
	e := Effect{Op: "unserialize", Owners: []Owner{{Lock: l.id}}, Revoked: []Grant{}, Affected: []string{l.id}}
	for _, kid := range sortedSet(l.grants) {
		delete(m.keys[kid].grants, l.id)
		e.Revoked = append(e.Revoked, Grant{Lock: l.id, Key: kid})
	}
	l.grants = map[string]struct{}{}
	delete(l.owner.locks, l.id)
	l.owner = nil
	return e, nil
}

// NewBackup creates a backup in by's group.
func (m *Model) NewBackup(id, by string) (Effect, error) {
	b, r := m.actor(by)
	if r != nil {
		return Effect{}, r
	}
	if err := first(manager(b), m.freshKey(id)); err != nil {
		return Effect{}, err
	}
	g := b.group
	k := &key{id: id, kind: Backup, group: g}
	m.keys[id] = k
	g.backups[id] = k
	return Effect{Op: "backup", NewKeys: []Key{{ID: id, Kind: Backup, Group: g.id}}, Affected: sortedSet(g.locks)}, nil
}

// NewSub creates a sub key (a soft key when soft) in by's group, granted
// each listed lock.
func (m *Model) NewSub(id, by string, locks []string, soft bool) (Effect, error) {
	b, r := m.actor(by)
	if r != nil {
		return Effect{}, r
	}
	ls, r := m.existingLocks(locks...)
	if r != nil {
		return Effect{}, r
	}
	if err := first(manager(b), m.freshKey(id)); err != nil {
		return Effect{}, err
	}
	if r := owned(ls, b.group); r != nil {
		return Effect{}, r
	}
	kind := Sub
	if soft {
		kind = Soft
	}
	k := &key{id: id, kind: kind, group: b.group}
	m.keys[id] = k
	b.group.subs[id] = k
	e := Effect{Op: "sub", NewKeys: []Key{{ID: id, Kind: kind, Group: b.group.id}}, Granted: []Grant{}}
	e.Granted = m.grant(k, ls)
	e.Affected = grantLocks(e.Granted)
	return e, nil
}

// grant adds the grants not already there and returns them, sorted by lock.
func (m *Model) grant(k *key, ls []*lock) []Grant {
	out := []Grant{}
	for _, l := range ls {
		if _, has := l.grants[k.id]; has {
			continue
		}
		if l.grants == nil {
			l.grants = map[string]struct{}{}
		}
		l.grants[k.id] = struct{}{}
		if k.grants == nil {
			k.grants = map[string]struct{}{}
		}
		k.grants[l.id] = struct{}{}
		out = append(out, Grant{Lock: l.id, Key: k.id})
	}
	slices.SortFunc(out, func(a, b Grant) int { return compareStr(a.Lock, b.Lock) })
	return out
}

func grantLocks(gs []Grant) []string {
	out := make([]string, 0, len(gs))
	for _, g := range gs {
		out = append(out, g.Lock)
	}
	slices.Sort(out)
	return slices.Compact(out)
}

func compareStr(a, b string) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// grantParties finds the parties of a grant or a revoke in the order their
// refusals are checked: the actor, then the key, then the locks.
func (m *Model) grantParties(keyID string, locks []string, by string) (b, k *key, ls []*lock, r *Refusal) {
	if b, r = m.actor(by); r != nil {
		return
	}
	if k, r = m.liveKey(keyID); r != nil {
		return
	}
	ls, r = m.existingLocks(locks...)
	return
}

// Grant grants each listed lock of by's group to a sub or soft key of the
// same group or to the master of another group.
func (m *Model) Grant(to string, locks []string, by string) (Effect, error) {
	b, t, ls, r := m.grantParties(to, locks, by)
	if r != nil {
		return Effect{}, r
	}
	if err := first(manager(b), owned(ls, b.group), grantTarget(t, b.group)); err != nil {
		return Effect{}, err
	}
	e := Effect{Op: "grant", Granted: m.grant(t, ls)}
	e.Affected = grantLocks(e.Granted)
	return e, nil
}

// Revoke removes the grant of each listed lock of by's group from a key.
func (m *Model) Revoke(from string, locks []string, by string) (Effect, error) {
	b, f, ls, r := m.grantParties(from, locks, by)
	if r != nil {
		return Effect{}, r
	}
	if err := first(manager(b), owned(ls, b.group)); err != nil {
		return Effect{}, err
	}
	for _, l := range ls {
		if _, has := l.grants[f.id]; !has {
			return Effect{}, &Refusal{Rule: RuleNotGranted, Key: f.id, Lock: l.id}
		}
	}
	e := Effect{Op: "revoke", Revoked: []Grant{}}
	for _, l := range ls {
		if _, has := l.grants[f.id]; !has {
			continue // listed twice
		}
		delete(l.grants, f.id)
		delete(f.grants, l.id)
		e.Revoked = append(e.Revoked, Grant{Lock: l.id, Key: f.id})
	}
	slices.SortFunc(e.Revoked, func(a, b Grant) int { return compareStr(a.Lock, b.Lock) })
	e.Affected = grantLocks(e.Revoked)
	return e, nil
}

// Delete deletes a key of by's group (lost or retired): it opens nothing,
// its grants are gone, its id stays taken. A key cannot delete itself.
func (m *Model) Delete(id, by string) (Effect, error) {
	b, r := m.actor(by)
	if r != nil {
		return Effect{}, r
	}
	k, r := m.liveKey(id)
	if r != nil {
		return Effect{}, r
	}
	if r := manager(b); r != nil {
		return Effect{}, r
	}
	if k.group != b.group {
		return Effect{}, &Refusal{Rule: RuleNotOwner, Key: k.id}
	}
	if k == b {
		return Effect{}, &Refusal{Rule: RuleSelf, Key: k.id}
	}
	affected := sortedSet(k.grants)
	if k.kind.Manages() {
		affected = append(affected, sortedSet(k.group.locks)...)
		slices.Sort(affected)
		affected = slices.Compact(affected)
	}
	e := Effect{Op: "delete", Deleted: []string{k.id}, Revoked: []Grant{}, Affected: affected}
	for _, lid := range sortedSet(k.grants) {
		delete(m.locks[lid].grants, k.id)
		e.Revoked = append(e.Revoked, Grant{Lock: lid, Key: k.id})
	}
	k.grants = nil
	k.deleted = true
	return e, nil
}

// Offline stops a lock syncing: it keeps accepting what it accepts now.
func (m *Model) Offline(lockID string) (Effect, error) {
	ls, r := m.existingLocks(lockID)
	if r != nil {
		return Effect{}, r
	}
	l := ls[0]
	e := Effect{Op: "offline", Affected: []string{l.id}}
	if l.online {
		l.accepted = map[string]struct{}{}
		for _, k := range m.acceptors(l) {
			l.accepted[k] = struct{}{}
		}
		l.online = false
		e.Online = []Online{{Lock: l.id, Online: false, Accepted: sortedSet(l.accepted)}}
	}
	return e, nil
}

// Online makes a lock sync now and after every later op.
func (m *Model) Online(lockID string) (Effect, error) {
	ls, r := m.existingLocks(lockID)
	if r != nil {
		return Effect{}, r
	}
	l := ls[0]
	e := Effect{Op: "online", Affected: []string{l.id}}
	if !l.online {
		l.online = true
		l.accepted = nil
		e.Online = []Online{{Lock: l.id, Online: true}}
	}
	return e, nil
}

// MayRename checks that key by may change the name of key id: by is a live
// master or backup of id's group (a key may rename itself). Refusals in the
// order of Delete: unknown_key (by, then id), sub_cannot_manage, not_owner.
func (m *Model) MayRename(id, by string) error {
	b, r := m.actor(by)
	if r != nil {
		return r
	}
	k, r := m.liveKey(id)
	if r != nil {
		return r
	}
	if r := manager(b); r != nil {
		return r
	}
	if k.group != b.group {
		return &Refusal{Rule: RuleNotOwner, Key: k.id}
	}
	return nil
}
