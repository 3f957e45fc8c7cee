package access

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"reflect"
	"slices"
	"testing"
)

// randomOp draws one op over small pools of ids, so that ops often collide:
// taken ids, unknown ids, other groups' locks, deleted keys. Most of the
// time it picks plausible members from the model (a manager as by, locks of
// its group, a key holding grants), so that grants and revokes succeed too.
func randomOp(r *rand.Rand, m *Model) Op {
	s := m.Snapshot()
	pick := func(ids []string, fallback func() string) string {
		if len(ids) == 0 || r.IntN(10) < 3 {
			return fallback()
		}
		return ids[r.IntN(len(ids))]
	}
	anyKey := func() string { return fmt.Sprintf("k%d", r.IntN(8)) }
	anyLock := func() string { return fmt.Sprintf("l%d", r.IntN(7)) }
	var managers, holders, keys []string
	for _, k := range s.Keys {
		keys = append(keys, k.ID)
		if k.Kind.Manages() && !k.Deleted {
			managers = append(managers, k.ID)
		}
	}
	for _, g := range s.Grants {
		holders = append(holders, g.Key)
	}
	by := pick(managers, anyKey)
	var own, locks []string
	if k, ok := m.FindKey(by); ok {
		for _, l := range s.Locks {
			if l.Owner == k.Group {
				own = append(own, l.ID)
			}
		}
	}
	for _, l := range s.Locks {
		locks = append(locks, l.ID)
	}
	list := func() []string {
		out := []string{}
		for range r.IntN(3) {
			out = append(out, pick(own, anyLock))
		}
		return out
	}
	names := []string{"master", "master", "lock", "lock", "serialize", "serialize", "unserialize", "backup", "backup",
		"sub", "sub", "grant", "grant", "grant", "revoke", "revoke", "revoke", "delete", "offline", "online",
		"can", "reaches", "acceptors", "exposures", "bogus"}
	op := Op{Op: names[r.IntN(len(names))]}
	switch op.Op {
	case "master", "reaches":
		op.Key = anyKey()
	case "lock", "offline", "online", "acceptors":
		op.Lock = pick(locks, anyLock)
	case "serialize", "unserialize":
		op.Lock, op.By = pick(locks, anyLock), by
	case "backup":
		op.Key, op.By = anyKey(), by
	case "delete":
		op.Key, op.By = pick(keys, anyKey), by
	case "sub":
		op.Key, op.By, op.Locks, op.Soft = anyKey(), by, list(), r.IntN(2) == 0
	case "grant":
		op.To, op.By, op.Locks = pick(keys, anyKey), by, list()
	case "revoke":
		op.From, op.By, op.Locks = pick(holders, anyKey), by, list()
	case "can":
		op.Key, op.Lock = pick(keys, anyKey), pick(locks, anyLock)
	}
	return op
}

func isQuery(op string) bool {
	return op == "can" || op == "reaches" || op == "acceptors" || op == "exposures"
}

// world is the property test's own view of the model: the records, and
// each lock's accepted set kept by the contract's sync rule from the
// answers of Acceptors, independently of the model's own bookkeeping.
type world struct {
	m        *Model
	accepted map[string]Set
}

// sync is §2: after an accepted change every online lock accepts its intended set.
func (w *world) sync(t *testing.T) {
	for _, l := range w.m.Snapshot().Locks {
		if l.Online {
			ks, _ := w.m.Acceptors(l.ID)
			w.accepted[l.ID] = SetOf(ks...)
		}
	}
}

func TestPropertiesOfRandomHistories(t *testing.T) {
	seeds := 300
	if testing.Short() {
		seeds = 40
	}
	for seed := range seeds {
		r := rand.New(rand.NewPCG(uint64(seed), 19))
		w := &world{m: New(), accepted: map[string]Set{}}
		for step := range 80 {
			op := randomOp(r, w.m)
			where := fmt.Sprintf("seed %d step %d %+v", seed, step, op)
			before := w.m.Snapshot()
			res := w.m.Run(op)
			after := w.m.Snapshot()
			if !isQuery(op.Op) {
				if !res.Ok {
					// a refused op changes nothing
					if !reflect.DeepEqual(before, after) {
						t.Fatalf("%s: refused %s but changed the model", where, res.Rule)
					}
				} else {
					w.sync(t)
					// the Effect is the whole change: applied to the records before, it gives the records after
					checkEffect(t, where, before, after, op, w)
				}
			} else if !reflect.DeepEqual(before, after) {
				t.Fatalf("%s: a query changed the model", where)
			}
			checkInvariants(t, where, w)
		}
	}
}

// checkEffect replays op on a model restored from before and compares
// the records its Effect describes with the records after.
func checkEffect(t *testing.T, where string, before, after State, op Op, w *world) {
	t.Helper()
	m, err := Restore(before)
	if err != nil {
		t.Fatalf("%s: Restore(before): %v", where, err)
	}
	e, err := m.Apply(op)
	if err != nil {
		t.Fatalf("%s: the replay was refused: %v", where, err)
	}
	got := applyEffect(before, e)
	if !reflect.DeepEqual(got, after) {
		t.Fatalf("%s: Effect %+v applied to the records gives\n%+v\nwant\n%+v", where, e, got, after)
	}
	// Affected holds every lock whose intended set or state changed
	for _, l := range after.Locks {
		var old Set
		if i := slices.IndexFunc(before.Locks, func(b Lock) bool { return b.ID == l.ID }); i >= 0 {
			mb, _ := Restore(before)
			old = mb.Intended(l.ID)
		}
		if !reflect.DeepEqual(old, w.m.Intended(l.ID)) && !slices.Contains(e.Affected, l.ID) {
			t.Fatalf("%s: lock %s changed its intended set but is not in Affected %v", where, l.ID, e.Affected)
		}
	}
}

// applyEffect is what a store does with an Effect, on records.
func applyEffect(s State, e Effect) State {
	keys := map[string]Key{}
	for _, k := range s.Keys {
		keys[k.ID] = k
	}
	locks := map[string]Lock{}
	for _, l := range s.Locks {
		locks[l.ID] = l
	}
	grants := map[Grant]bool{}
	for _, g := range s.Grants {
		grants[g] = true
	}
	for _, k := range e.NewKeys {
		keys[k.ID] = k
	}
	for _, l := range e.NewLocks {
		locks[l.ID] = l
	}
	for _, o := range e.Owners {
		l := locks[o.Lock]
		l.Owner = o.Owner
		locks[o.Lock] = l
	}
	for _, g := range e.Granted {
		grants[g] = true
	}
	for _, g := range e.Revoked {
		delete(grants, g)
	}
	for _, id := range e.Deleted {
		k := keys[id]
		k.Deleted = true
		keys[id] = k
	}
	for _, o := range e.Online {
		l := locks[o.Lock]
		l.Online, l.Accepted = o.Online, o.Accepted
		locks[o.Lock] = l
	}
	m, err := Restore(State{Keys: mapValues(keys), Locks: mapValues(locks), Grants: mapKeys(grants)})
	if err != nil {
		return State{}
	}
	return m.Snapshot()
}

func mapValues[V any](m map[string]V) []V {
	out := []V{}
	for _, k := range sortedKeys(m) {
		out = append(out, m[k])
	}
	return out
}

func mapKeys(m map[Grant]bool) []Grant {
	out := []Grant{}
	for g := range m {
		out = append(out, g)
	}
	return out
}

func checkInvariants(t *testing.T, where string, w *world) {
	t.Helper()
	m := w.m
	s := m.Snapshot()
	owner := map[string]string{}
	for _, l := range s.Locks {
		owner[l.ID] = l.Owner
	}
	granted := map[Grant]bool{}
	for _, g := range s.Grants {
		granted[g] = true
	}
	masterOf := map[string]Key{}
	for _, k := range s.Keys {
		if k.Kind == Master {
			masterOf[k.ID] = k
		}
	}
	reachesOf := map[string][]string{}
	for _, k := range s.Keys {
		reaches, err := m.Reaches(k.ID)
		if err != nil || !slices.IsSorted(reaches) {
			t.Fatalf("%s: reaches(%s) = %v, %v", where, k.ID, reaches, err)
		}
		reachesOf[k.ID] = reaches
		var want []string
		switch {
		case k.Deleted: // deleted keys reach nothing
		case k.Kind == Master || k.Kind == Backup:
			for _, l := range s.Locks {
				if l.Owner == k.Group {
					want = append(want, l.ID)
				}
			}
			if k.Kind == Master {
				for g := range granted {
					if g.Key == k.ID {
						want = append(want, g.Lock)
					}
				}
			}
		default: // subs and soft keys reach only their grants, all of their own group
			for g := range granted {
				if g.Key == k.ID {
					want = append(want, g.Lock)
					if owner[g.Lock] != k.Group {
						t.Fatalf("%s: sub %s holds a grant of %s, owned by %q", where, k.ID, g.Lock, owner[g.Lock])
					}
				}
			}
		}
		slices.Sort(want)
		if want == nil {
			want = []string{}
		}
		if !reflect.DeepEqual(reaches, want) {
			t.Fatalf("%s: %s %s (deleted %v) reaches %v, want %v", where, k.Kind, k.ID, k.Deleted, reaches, want)
		}
		if k.Deleted {
			for g := range granted {
				if g.Key == k.ID {
					t.Fatalf("%s: deleted key %s still holds %s", where, k.ID, g.Lock)
				}
			}
		}
	}
	// a backup mirrors its master's own-group locks, never the master's grants
	for _, k := range s.Keys {
		if k.Kind != Backup || k.Deleted {
			continue
		}
		for _, l := range reachesOf[masterOf[k.Group].ID] {
			if owner[l] == k.Group && !slices.Contains(reachesOf[k.ID], l) {
				t.Fatalf("%s: backup %s does not reach %s of its group", where, k.ID, l)
			}
			if granted[Grant{Lock: l, Key: k.Group}] && slices.Contains(reachesOf[k.ID], l) {
				t.Fatalf("%s: backup %s reaches %s, granted to its master", where, k.ID, l)
			}
		}
	}
	// allow ⇔ lock ∈ reaches(key) ⇔ key ∈ acceptors(lock); via is the first path; accepts follows sync
	for _, l := range s.Locks {
		acc, err := m.Acceptors(l.ID)
		if err != nil || !slices.IsSorted(acc) {
			t.Fatalf("%s: acceptors(%s) = %v, %v", where, l.ID, acc, err)
		}
		for _, k := range s.Keys {
			d, err := m.Can(k.ID, l.ID)
			if err != nil {
				t.Fatalf("%s: can(%s, %s): %v", where, k.ID, l.ID, err)
			}
			inReach, inAcc := slices.Contains(reachesOf[k.ID], l.ID), slices.Contains(acc, k.ID)
			if d.Allow != inReach || d.Allow != inAcc {
				t.Fatalf("%s: can(%s, %s) = %v but in reaches %v, in acceptors %v", where, k.ID, l.ID, d.Allow, inReach, inAcc)
			}
			var via Via
			switch {
			case l.Owner == "" || k.Deleted:
			case k.Kind == Master && k.Group == l.Owner:
				via = ViaOwner
			case k.Kind == Backup && k.Group == l.Owner:
				via = ViaBackup
			case granted[Grant{Lock: l.ID, Key: k.ID}]:
				via = ViaGrant
			}
			if d.Via != via || d.Allow != (via != "") || (d.Allow == (d.Denial != "")) {
				t.Fatalf("%s: can(%s, %s) = %+v, want via %q", where, k.ID, l.ID, d, via)
			}
			if d.Accepts != has(w.accepted[l.ID], k.ID) {
				t.Fatalf("%s: can(%s, %s).accepts = %v, the lock's last sync says %v", where, k.ID, l.ID, d.Accepts, !d.Accepts)
			}
		}
	}
	// exposures = accepted − intended, pending = intended − accepted, over every lock
	intended := map[string]Set{}
	for _, l := range s.Locks {
		intended[l.ID] = m.Intended(l.ID)
	}
	ex, pe := m.Exposures()
	wantEx, wantPe := []Pair{}, []Pair{}
	for _, l := range s.Locks {
		for _, k := range s.Keys {
			in, ac := has(intended[l.ID], k.ID), has(w.accepted[l.ID], k.ID)
			if ac && !in {
				wantEx = append(wantEx, Pair{l.ID, k.ID})
			}
			if in && !ac {
				wantPe = append(wantPe, Pair{l.ID, k.ID})
			}
		}
	}
	if !reflect.DeepEqual(ex, wantEx) || !reflect.DeepEqual(pe, wantPe) {
		t.Fatalf("%s: exposures %v / %v, want %v / %v", where, ex, pe, wantEx, wantPe)
	}
	// the records round-trip
	m2, err := Restore(s)
	if err != nil {
		t.Fatalf("%s: Restore(Snapshot()): %v", where, err)
	}
	if !reflect.DeepEqual(m2.Snapshot(), s) {
		t.Fatalf("%s: Restore(Snapshot()) differs", where)
	}
}

// Every refusal rule shows up in random histories, so the properties above
// are checked on refused ops of every kind.
func TestRandomHistoriesMeetEveryRule(t *testing.T) {
	seen := map[Rule]bool{}
	for seed := range 50 {
		r := rand.New(rand.NewPCG(uint64(seed), 19))
		m := New()
		for range 80 {
			_, err := m.Apply(randomOp(r, m))
			var ref *Refusal
			if errors.As(err, &ref) {
				seen[ref.Rule] = true
			}
		}
	}
	for _, rule := range Rules {
		if !seen[rule] {
			t.Errorf("no random history met %s", rule)
		}
	}
}

func TestRestoreRefusesImpossibleRecords(t *testing.T) {
	base := func() State {
		return State{Keys: []Key{{ID: "M", Kind: Master, Group: "M"}, {ID: "S", Kind: Sub, Group: "M"}, {ID: "N", Kind: Master, Group: "N"}},
			Locks: []Lock{{ID: "L", Owner: "M", Online: true}}}
	}
	if _, err := Restore(base()); err != nil {
		t.Fatalf("a valid state: %v", err)
	}
	for name, change := range map[string]func(*State){
		"bad kind":             func(s *State) { s.Keys[1].Kind = "guest" },
		"master of another":    func(s *State) { s.Keys[0].Group = "N" },
		"group without master": func(s *State) { s.Keys[1].Group = "X" },
		"key twice":            func(s *State) { s.Keys = append(s.Keys, s.Keys[1]) },
		"lock of no group":     func(s *State) { s.Locks[0].Owner = "X" },
		"grant to own master":  func(s *State) { s.Grants = []Grant{{Lock: "L", Key: "M"}} },
		"grant to deleted":     func(s *State) { s.Keys[1].Deleted = true; s.Grants = []Grant{{Lock: "L", Key: "S"}} },
		"grant on unowned":     func(s *State) { s.Locks[0].Owner = ""; s.Grants = []Grant{{Lock: "L", Key: "S"}} },
		"accepts unknown key":  func(s *State) { s.Locks[0].Online = false; s.Locks[0].Accepted = []string{"Q"} },
	} {
		s := base()
		change(&s)
		if _, err := Restore(s); err == nil {
			t.Errorf("%s: restored", name)
		}
	}
}
