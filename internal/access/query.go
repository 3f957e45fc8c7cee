package access

import (
	"fmt"
	"slices"
)

// Denial is why a key may not open a lock; "" when it may.
type Denial string

const (
	DenyUnowned        Denial = "unowned"          // the lock is serialized to no group
	DenyDeleted        Denial = "deleted"          // the key is deleted (lost or retired)
	DenyGrantNotCopied Denial = "grant_not_copied" // a backup; the lock was granted to its master only
	DenyNotGranted     Denial = "not_granted"      // the lock's group did not grant it to the key
)

// Decision is the answer of Can: whether Key may open Lock, by which path
// (Via) or why not (Denial), and whether the lock accepts the key now
// (as of its last sync). Group is the lock's owning group ("" if none);
// Grantee is, for DenyGrantNotCopied, the master the lock was granted to.
type Decision struct {
	Key     string
	Lock    string
	Allow   bool
	Via     Via
	Denial  Denial
	Accepts bool
	Group   string
	Grantee string
}

// Reason is the decision in words, naming keys and locks by id.
func (d Decision) Reason() string {
	id := func(s string) string { return s }
	return d.Explain(id, id)
}

// Explain is the decision in words; keyName and lockName turn ids into the
// names a person knows (a group is named by its master).
func (d Decision) Explain(keyName, lockName func(string) string) string {
	k, l, g := keyName(d.Key), lockName(d.Lock), keyName(d.Group)
	switch {
	case d.Via == ViaOwner:
		return fmt.Sprintf("master %s, which owns lock %s", k, l)
	case d.Via == ViaBackup:
		return fmt.Sprintf("backup of master %s, which owns lock %s", g, l)
	case d.Via == ViaGrant:
		return fmt.Sprintf("granted lock %s by master %s, which owns it", l, g)
	case d.Denial == DenyUnowned:
		return fmt.Sprintf("lock %s is not serialized to any master", l)
	case d.Denial == DenyDeleted:
		return fmt.Sprintf("key %s is deleted", k)
	case d.Denial == DenyGrantNotCopied:
		return fmt.Sprintf("master %s granted lock %s to master %s only: a grant to a master is not copied to its backups", g, l, keyName(d.Grantee))
	}
	return fmt.Sprintf("lock %s belongs to master %s, who has not granted it to %s", l, g, k)
}

// decide is the access rule, for a key and a lock that exist.
func decide(k *key, l *lock) Decision {
	d := Decision{Key: k.id, Lock: l.id}
	if l.owner != nil {
		d.Group = l.owner.id
	}
	switch {
	case l.owner == nil:
		d.Denial = DenyUnowned
	case k.deleted:
		d.Denial = DenyDeleted
	case k.kind == Master && k.group == l.owner:
		d.Allow, d.Via = true, ViaOwner
	case k.kind == Backup && k.group == l.owner:
		d.Allow, d.Via = true, ViaBackup
	default:
		if _, ok := l.grants[k.id]; ok {
			d.Allow, d.Via = true, ViaGrant
		} else if m := k.group.master; k.kind == Backup && m != nil && !m.deleted && has(l.grants, m.id) {
			d.Denial, d.Grantee = DenyGrantNotCopied, m.id
		} else {
			d.Denial = DenyNotGranted
		}
	}
	return d
}

func has(s map[string]struct{}, id string) bool { _, ok := s[id]; return ok }

// Can answers whether key may open lock, why, and whether the lock accepts
// it now. A deleted key may be asked about (it is denied); a key or lock
// that does not exist is refused RuleUnknownKey or RuleUnknownLock.
func (m *Model) Can(keyID, lockID string) (Decision, error) {
	k := m.keys[keyID]
	if k == nil {
		return Decision{}, &Refusal{Rule: RuleUnknownKey, Key: keyID}
	}
	l := m.locks[lockID]
	if l == nil {
		return Decision{}, &Refusal{Rule: RuleUnknownLock, Lock: lockID}
	}
	d := decide(k, l)
	if l.online {
		d.Accepts = d.Allow
	} else {
		d.Accepts = has(l.accepted, k.id)
	}
	return d, nil
}

// Reaches returns every lock key may open, sorted; a deleted key reaches none.
func (m *Model) Reaches(keyID string) ([]string, error) {
	k := m.keys[keyID]
	if k == nil {
		return nil, &Refusal{Rule: RuleUnknownKey, Key: keyID}
	}
	return m.reaches(k), nil
}

func (m *Model) reaches(k *key) []string {
	out := []string{}
	if k.deleted {
		return out
	}
	if k.kind.Manages() {
		out = append(out, sortedSet(k.group.locks)...)
	}
	if len(k.grants) > 0 {
		out = append(out, sortedSet(k.grants)...)
		slices.Sort(out)
		out = slices.Compact(out)
	}
	return out
}

// Acceptors returns every key that may open lock (its intended set), sorted.
func (m *Model) Acceptors(lockID string) ([]string, error) {
	l := m.locks[lockID]
	if l == nil {
		return nil, &Refusal{Rule: RuleUnknownLock, Lock: lockID}
	}
	return m.acceptors(l), nil
}

func (m *Model) acceptors(l *lock) []string {
	g := l.owner
	if g == nil {
		return []string{}
	}
	out := make([]string, 0, 1+len(g.backups)+len(l.grants))
	if !g.master.deleted {
		out = append(out, g.master.id)
	}
	for id, b := range g.backups {
		if !b.deleted {
			out = append(out, id)
		}
	}
	for id := range l.grants { // grants to deleted keys are gone with them
		out = append(out, id)
	}
	slices.Sort(out)
	return out
}

// Intended is Acceptors as a set; nil for a lock that does not exist.
func (m *Model) Intended(lockID string) Set {
	l := m.locks[lockID]
	if l == nil {
		return nil
	}
	return SetOf(m.acceptors(l)...)
}

// Accepted is the set a lock accepts as of its last sync; nil for a lock
// that does not exist.
func (m *Model) Accepted(lockID string) Set {
	l := m.locks[lockID]
	if l == nil {
		return nil
	}
	if l.online {
		return SetOf(m.acceptors(l)...)
	}
	out := make(Set, len(l.accepted))
	for k := range l.accepted {
		out[k] = struct{}{}
	}
	return out
}

// Exposures compares every lock's intended set with what it accepts. Only an
// offline lock can differ, so only those are compared.
func (m *Model) Exposures() (exposed, pending []Pair) {
	intended, accepted := map[string]Set{}, map[string]Set{}
	for id, l := range m.locks {
		if !l.online {
			intended[id] = SetOf(m.acceptors(l)...)
			accepted[id] = l.accepted
		}
	}
	return Exposures(intended, accepted)
}

// Set is a set of ids.
type Set = map[string]struct{}

// SetOf returns the set of the given ids.
func SetOf(ids ...string) Set {
	s := make(Set, len(ids))
	for _, id := range ids {
		s[id] = struct{}{}
	}
	return s
}

// Exposures compares, lock by lock, what a lock should accept (intended) with
// what it has acknowledged: exposed are the keys it acknowledged but should
// not accept (acknowledged − intended: a deleted or revoked key still opens
// it), pending the keys it should accept but has not acknowledged yet
// (intended − acknowledged). A lock missing from one map counts as an empty
// set there. Both lists are sorted by lock, then key, and never nil.
func Exposures(intended, acknowledged map[string]Set) (exposed, pending []Pair) {
	exposed, pending = diff(acknowledged, intended), diff(intended, acknowledged)
	return exposed, pending
}

// diff is every (lock, key) in a but not in b.
func diff(a, b map[string]Set) []Pair {
	out := []Pair{}
	for l, ks := range a {
		other := b[l]
		for k := range ks {
			if !has(other, k) {
				out = append(out, Pair{Lock: l, Key: k})
			}
		}
	}
	slices.SortFunc(out, func(x, y Pair) int {
		if c := compareStr(x.Lock, y.Lock); c != 0 {
			return c
		}
		return compareStr(x.Key, y.Key)
	})
	return out
}
