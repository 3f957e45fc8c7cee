package storetest

import (
	"fmt"
	"maps"
	"math/rand/v2"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/keyward/keyward/internal/keyward"
	"github.com/keyward/keyward/internal/store"
)

// countFixture is a fixture with the people and places of copy accounting.
type countFixture struct {
	*fixture
	dup                     *store.Duplication
	mgr, mgr2, advisor      keyward.Actor
	tech, auditor, holderAc keyward.Actor
	keyway                  *keyward.Keyway
	holder                  *keyward.Holder
}

func countSetup(t *testing.T, b Backend) *countFixture {
	t.Helper()
	f := &countFixture{fixture: setup(t, b)}
	f.dup = f.db.Duplication(f.env.Vault)
	d := f.db.Directory()
	f.keyway = must[*keyward.Keyway](t)(d.CreateKeyway(ctx, f.owner, keyward.KeywayInput{Name: "Schlage SC1", DuplicationPolicy: keyward.DupDND}))
	f.holder = must[*keyward.Holder](t)(d.CreateHolder(ctx, f.owner, keyward.HolderInput{Name: "Dana Ruiz", Email: "dana@acme.test"}))
	f.mgr = f.actor(t, "mia@acme.test", keyward.RoleManager, "")
	f.mgr2 = f.actor(t, "noor@acme.test", keyward.RoleManager, "")
	f.advisor = f.actor(t, "desk@acme.test", keyward.RoleAdvisor, "")
	f.tech = f.actor(t, "cutter@acme.test", keyward.RoleTechnician, "")
	f.auditor = f.actor(t, "audit@acme.test", keyward.RoleAuditor, "")
	f.holderAc = f.actor(t, "dana.user@acme.test", keyward.RoleHolder, f.holder.ID)
	return f
}

func (f *countFixture) key(t *testing.T, symbol string) *keyward.Key {
	t.Helper()
	return must[*keyward.Key](t)(f.db.Custody().CreateKey(ctx, f.owner, keyward.KeyInput{KeywayID: f.keyway.ID, Symbol: symbol}))
}

func (f *countFixture) move(t *testing.T, k *keyward.Key, action, holderID string) {
	t.Helper()
	must[*keyward.Key](t)(f.db.Custody().Move(ctx, f.owner, k.ID, action, keyward.CustodyInput{HolderID: holderID}))
}

// testCopyCounts: each symbol's copies by status, lost ones counted and
// destroyed ones not, where each copy is, paging, and the refusals.
func testCopyCounts(t *testing.T, b Backend) {
	f := countSetup(t, b)
	c := f.db.Custody()
	// AA1: one in storage on a hook, one issued, one checked out, one lost, one destroyed.
	place := must[*keyward.StoragePlace](t)(f.db.Storage(f.env.Vault).Create(ctx, f.owner, keyward.StorageInput{Kind: keyward.StorageCabinet, Name: "Cabinet A", Hooks: 20}))
	keys := make([]*keyward.Key, 5)
	for i := range keys {
		keys[i] = f.key(t, "AA1")
	}
	must[*keyward.KeyHome](t)(f.db.Storage(f.env.Vault).Assign(ctx, f.owner, place.ID, keyward.HookInput{KeyID: keys[0].ID, Hook: 12}))
	f.move(t, keys[1], keyward.CustodyIssue, f.holder.ID)
	must[*keyward.Key](t)(c.Checkout(ctx, f.owner, keys[2].ID, keyward.CheckoutInput{HolderID: f.holder.ID, DueAt: f.env.Clock.Now().Add(4 * time.Hour)}))
	f.move(t, keys[3], keyward.CustodyIssue, f.holder.ID)
	f.env.Clock.Advance(time.Hour)
	lostAt := f.env.Clock.Now()
	f.move(t, keys[3], keyward.CustodyLost, "")
	f.move(t, keys[4], keyward.CustodyDestroy, "")
	// AA2 on a keyway named later in the alphabet, and a second symbol of the first.
	other := must[*keyward.Keyway](t)(f.db.Directory().CreateKeyway(ctx, f.owner, keyward.KeywayInput{Name: "Yale Y2", DuplicationPolicy: keyward.DupOpen}))
	must[*keyward.Key](t)(c.CreateKey(ctx, f.owner, keyward.KeyInput{KeywayID: other.ID, Symbol: "BB1"}))
	f.key(t, "AA10")
	gone := f.key(t, "AA3")
	f.move(t, gone, keyward.CustodyDestroy, "")

	page := must[keyward.Page[keyward.CopyCount]](t)(f.dup.CopyCounts(ctx, f.auditor, "", keyward.ListOptions{}))
	var got []string
	for _, cc := range page.Items {
		got = append(got, fmt.Sprintf("%s/%s=%d(-%d)", cc.KeywayName, cc.Symbol, cc.Controlled, cc.Destroyed))
	}
	if want := "Schlage SC1/AA1=4(-1) Schlage SC1/AA10=1(-0) Schlage SC1/AA3=0(-1) Yale Y2/BB1=1(-0)"; strings.Join(got, " ") != want || page.Next != "" {
		t.Fatalf("counts = %s (next %q)\nwant     %s", strings.Join(got, " "), page.Next, want)
	}
	aa1 := page.Items[0]
	wantBy := map[string]int{keyward.StatusInStorage: 1, keyward.StatusIssued: 1, keyward.StatusCheckedOut: 1, keyward.StatusLost: 1}
	if !maps.Equal(aa1.ByStatus, wantBy) || aa1.Policy != keyward.DupDND || aa1.KeywayID != f.keyway.ID || aa1.Copies != nil || aa1.Uncontrolled == nil || aa1.Exposure != nil {
		t.Fatalf("AA1 in the list = %+v", aa1)
	}

	// Paging one at a time reads the same list.
	var paged []string
	opt := keyward.ListOptions{Limit: 1}
	for range 10 {
		p := must[keyward.Page[keyward.CopyCount]](t)(f.dup.CopyCounts(ctx, f.owner, "", opt))
		for _, cc := range p.Items {
			paged = append(paged, cc.Symbol)
		}
		if opt.Cursor = p.Next; p.Next == "" {
			break
		}
	}
	if strings.Join(paged, " ") != "AA1 AA10 AA3 BB1" {
		t.Fatalf("paged = %v", paged)
	}
	// One keyway.
	p := must[keyward.Page[keyward.CopyCount]](t)(f.dup.CopyCounts(ctx, f.owner, other.ID, keyward.ListOptions{}))
	if len(p.Items) != 1 || p.Items[0].Symbol != "BB1" {
		t.Fatalf("counts of %s = %+v", other.Name, p.Items)
	}
	_, err := f.dup.CopyCounts(ctx, f.owner, "kwy_nope", keyward.ListOptions{})
	wantField(t, err, "keyway_id")
	_, err = f.dup.CopyCounts(ctx, f.owner, "", keyward.ListOptions{Cursor: "not a cursor"})
	wantField(t, err, "cursor")

	// The detail: each copy and where it is now; the symbol in any case.
	d := must[*keyward.CopyCount](t)(f.dup.CopyCount(ctx, f.advisor, f.keyway.ID, "aa1"))
	if d.Symbol != "AA1" || d.Controlled != 4 || d.Destroyed != 1 || len(d.Copies) != 5 || d.Exposure != nil {
		t.Fatalf("AA1 = %+v", d)
	}
	var where []string
	for _, cp := range d.Copies {
		w := cp.Stamp + " " + cp.Status
		if cp.HolderName != "" {
			w += " with " + cp.HolderName
		}
		if cp.Home != nil {
			w += " in " + cp.Home.Where()
		}
		if cp.LostAt != nil {
			w += " since " + cp.LostAt.UTC().Format(time.Kitchen)
			if !cp.LostAt.Equal(lostAt) {
				t.Fatalf("lost at %v, want %v", cp.LostAt, lostAt)
			}
		}
		where = append(where, w)
	}
	want := "AA1-1 in_storage in Cabinet A, hook 12|AA1-2 issued with Dana Ruiz|AA1-3 checked_out with Dana Ruiz|AA1-4 lost with Dana Ruiz since 10:00AM|AA1-5 destroyed"
	if strings.Join(where, "|") != want {
		t.Fatalf("where:\n%s\nwant\n%s", strings.Join(where, "|"), want)
	}
	for _, c := range []struct {
		keyway, symbol string
		code           keyward.Code
		field          string
	}{
		{"kwy_nope", "AA1", keyward.ENOTFOUND, ""},
		{f.keyway.ID, "ZZ9", keyward.ENOTFOUND, ""},
		{other.ID, "AA1", keyward.ENOTFOUND, ""}, // AA1 has no copy of that keyway
		{f.keyway.ID, "AA 1", keyward.EINVALID, "symbol"},
		{f.keyway.ID, "", keyward.EINVALID, "symbol"},
	} {
		_, err := f.dup.CopyCount(ctx, f.owner, c.keyway, c.symbol)
		if c.field != "" {
			wantField(t, err, c.field)
		} else {
			wantCode(t, err, c.code)
		}
	}
	// Who may count: staff and auditors; not a holder.
	for _, a := range []keyward.Actor{f.mgr, f.advisor, f.tech, f.auditor} {
		if _, err := f.dup.CopyCounts(ctx, a, "", keyward.ListOptions{}); err != nil {
			t.Fatalf("%s counts: %v", a.Role, err)
		}
	}
	_, err = f.dup.CopyCounts(ctx, f.holderAc, "", keyward.ListOptions{})
	wantCode(t, err, keyward.EFORBIDDEN)
	_, err = f.dup.CopyCount(ctx, f.holderAc, f.keyway.ID, "AA1")
	wantCode(t, err, keyward.EFORBIDDEN)
}

// testUncontrolledCopies: a copy found outside Keyward is recorded with its
// audit record, counted apart from the controlled ones, and answered with
// what it opens and the next step; bad input and the wrong roles leave
// nothing behind.
func testUncontrolledCopies(t *testing.T, b Backend) {
	f := countSetup(t, b)
	k := f.key(t, "AA1")
	site := must[*keyward.Site](t)(f.db.Directory().CreateSite(ctx, f.owner, keyward.SiteInput{Name: "Harbour House"}))
	door := must[*keyward.Opening](t)(f.db.Directory().CreateOpening(ctx, f.owner, keyward.OpeningInput{SiteID: site.ID, Name: "Flat 2", Kind: "door"}))
	must[[]string](t)(f.db.Schedule().AddSymbol(ctx, f.owner, door.ID, keyward.SymbolInput{Symbol: "AA1"}))

	audit := f.env.SQL().MustCount(t, `SELECT COUNT(*) FROM audit_log`)
	for _, c := range []struct {
		name  string
		in    keyward.UncontrolledCopyInput
		field string
	}{
		{"unknown keyway", keyward.UncontrolledCopyInput{KeywayID: "kwy_nope", Symbol: "AA1", Where: "x"}, "keyway_id"},
		{"no keyway", keyward.UncontrolledCopyInput{Symbol: "AA1", Where: "x"}, "keyway_id"},
		{"bad symbol", keyward.UncontrolledCopyInput{KeywayID: f.keyway.ID, Symbol: "AA 1!", Where: "x"}, "symbol"},
		{"empty where", keyward.UncontrolledCopyInput{KeywayID: f.keyway.ID, Symbol: "AA1", Where: "  "}, "where"},
	} {
		_, err := f.dup.RecordUncontrolled(ctx, f.advisor, c.in)
		if keyward.ErrorCode(err) != keyward.EINVALID || !strings.Contains(err.Error(), "["+c.field+":") {
			t.Fatalf("%s: %v, want a 400 naming %s", c.name, err, c.field)
		}
	}
	for _, a := range []keyward.Actor{f.auditor, f.holderAc} {
		_, err := f.dup.RecordUncontrolled(ctx, a, keyward.UncontrolledCopyInput{KeywayID: f.keyway.ID, Symbol: "AA1", Where: "x"})
		wantCode(t, err, keyward.EFORBIDDEN)
	}
	if n := f.env.SQL().MustCount(t, `SELECT COUNT(*) FROM uncontrolled_copies`); n != 0 {
		t.Fatalf("refused input left %d rows", n)
	}
	if n := f.env.SQL().MustCount(t, `SELECT COUNT(*) FROM audit_log`); n != audit+2 ||
		f.env.SQL().MustCount(t, `SELECT COUNT(*) FROM audit_log WHERE action = ?`, "denied."+string(keyward.ActCustody)) != 2 {
		t.Fatalf("refusals wrote %d audit records; want only the 2 denials of a role", n-audit)
	}

	// Found on a ring, typed in lower case: recorded as its copies spell it.
	u := must[*keyward.UncontrolledCopy](t)(f.dup.RecordUncontrolled(ctx, f.advisor, keyward.UncontrolledCopyInput{
		KeywayID: f.keyway.ID, Symbol: "aa1", Where: "on the old tenant's ring", Note: "stamped DND, cut at a kiosk", InHand: true}))
	if u.Symbol != "AA1" || u.FoundBy != f.advisor.UserID || u.FoundByName != "desk" || !u.InHand || !u.FoundAt.Equal(f.env.Clock.Now()) {
		t.Fatalf("recorded = %+v", u)
	}
	if x := u.Exposure; x == nil || x.Symbol != "AA1" || x.KeyID != "" || x.Next != keyward.NextStartWorkList || len(x.Doors) != 1 ||
		x.Doors[0].OpeningName != "Flat 2" || x.Doors[0].How != keyward.ReachSchedule {
		t.Fatalf("exposure = %+v", u.Exposure)
	}
	rec := lastAudit(t, f.fixture, "copy.uncontrolled", u.ID)
	if rec["symbol"] != "AA1" || rec["keyway_id"] != f.keyway.ID || rec["where"] != "on the old tenant's ring" || rec["in_hand"] != true {
		t.Fatalf("audit details = %v", rec)
	}
	// A symbol no controlled copy has is recorded too, and opens nothing on record.
	v := must[*keyward.UncontrolledCopy](t)(f.dup.RecordUncontrolled(ctx, f.mgr, keyward.UncontrolledCopyInput{KeywayID: f.keyway.ID, Symbol: "ZZ9", Where: "in the post"}))
	if v.Exposure == nil || v.Exposure.Next != keyward.NextNothing || len(v.Exposure.Doors) != 0 {
		t.Fatalf("ZZ9 exposure = %+v", v.Exposure)
	}

	// A symbol no copy has, typed in lower case, is spelled as the door's schedule spells it, so its door is found.
	must[[]string](t)(f.db.Schedule().AddSymbol(ctx, f.owner, door.ID, keyward.SymbolInput{Symbol: "QQ7"}))
	w := must[*keyward.UncontrolledCopy](t)(f.dup.RecordUncontrolled(ctx, f.mgr, keyward.UncontrolledCopyInput{KeywayID: f.keyway.ID, Symbol: "qq7", Where: "under the mat"}))
	if w.Symbol != "QQ7" || w.Exposure == nil || w.Exposure.Next != keyward.NextStartWorkList || len(w.Exposure.Doors) != 1 {
		t.Fatalf("qq7 = %+v, exposure %+v", w, w.Exposure)
	}

	// Counted apart: the controlled count does not change.
	d := must[*keyward.CopyCount](t)(f.dup.CopyCount(ctx, f.owner, f.keyway.ID, "AA1"))
	if d.Controlled != 1 || len(d.Uncontrolled) != 1 || d.Uncontrolled[0].ID != u.ID || d.Uncontrolled[0].Where != "on the old tenant's ring" ||
		d.Exposure == nil || d.Exposure.Next != keyward.NextStartWorkList {
		t.Fatalf("AA1 with a copy found = %+v", d)
	}
	zz := must[*keyward.CopyCount](t)(f.dup.CopyCount(ctx, f.owner, f.keyway.ID, "ZZ9"))
	if zz.Controlled != 0 || len(zz.Copies) != 0 || len(zz.Uncontrolled) != 1 {
		t.Fatalf("ZZ9 = %+v", zz)
	}
	// The same exposure as a lost key of the symbol.
	f.move(t, k, keyward.CustodyLost, "")
	lk := must[*keyward.LostKey](t)(f.db.LostKeys(f.env.Vault).LostKey(ctx, f.owner, k.ID))
	if lk.Next != d.Exposure.Next || fmt.Sprint(lk.Doors) != fmt.Sprint(d.Exposure.Doors) {
		t.Fatalf("lost key %+v, copy found %+v", lk, d.Exposure)
	}
	if _, _, err := f.db.VerifyAudit(ctx, nil); err != nil {
		t.Fatal(err)
	}
}

// copyModel is what the property test expects: each key's keyway, symbol
// and status, and the copies found outside Keyward by keyway and symbol.
type copyModel struct {
	keys   map[string]*modelKey
	order  []string // key ids, in creation order
	found  map[[2]string]int
	counts map[[2]string]bool // every keyway and symbol that has a copy
}

type modelKey struct {
	id, keyway, symbol, status, holder string
}

func (m *copyModel) add(k *keyward.Key) {
	m.keys[k.ID] = &modelKey{id: k.ID, keyway: k.KeywayID, symbol: k.Symbol, status: k.Status, holder: k.HolderID}
	m.order = append(m.order, k.ID)
	m.counts[[2]string{k.KeywayID, k.Symbol}] = true
}

// pick is a random key in one of statuses, or nil.
func (m *copyModel) pick(rnd *rand.Rand, statuses ...string) *modelKey {
	var in []*modelKey
	for _, id := range m.order {
		if k := m.keys[id]; slices.Contains(statuses, k.status) {
			in = append(in, k)
		}
	}
	if len(in) == 0 {
		return nil
	}
	return in[rnd.IntN(len(in))]
}

// propertyRequest is a copy request the property test walks.
type propertyRequest struct {
	id, policy, state string
	keys              []string
}

// testCopyCountProperty runs random sequences of copy requests through to
// production and hand-over, registrations, losses, finds, destructions,
// custody moves and copies found outside Keyward. After every step, each
// symbol's controlled count equals the count its keys' logbooks give
// (creations minus destructions), its counts by status add up to it and
// match every key's status as the test moved it, and its uncontrolled
// copies are the ones found. KEYWARD_COPY_SEED replays a seed.
func testCopyCountProperty(t *testing.T, b Backend) {
	seed := uint64(time.Now().UnixNano())
	if s := os.Getenv("KEYWARD_COPY_SEED"); s != "" {
		n, err := strconv.ParseUint(s, 10, 64)
		if err != nil {
			t.Fatalf("KEYWARD_COPY_SEED=%q: %v", s, err)
		}
		seed = n
	}
	t.Logf("seed %d (replay with KEYWARD_COPY_SEED=%d)", seed, seed)
	rnd := rand.New(rand.NewPCG(seed, 0x636f70795f636e74))
	f := countSetup(t, b)
	dir, cust := f.db.Directory(), f.db.Custody()
	kwOpen := must[*keyward.Keyway](t)(dir.CreateKeyway(ctx, f.owner, keyward.KeywayInput{Name: "Yale Y1", DuplicationPolicy: keyward.DupOpen}))
	kwRestr := must[*keyward.Keyway](t)(dir.CreateKeyway(ctx, f.owner, keyward.KeywayInput{Name: "Medeco M3", DuplicationPolicy: keyward.DupRestricted}))
	if err := f.dup.SetCard(ctx, f.owner, kwRestr.ID, keyward.CardInput{Number: copyCard}); err != nil {
		t.Fatal(err)
	}
	must[*keyward.Signatory](t)(f.dup.AddSignatory(ctx, f.owner, kwRestr.ID, keyward.SignatoryInput{HolderID: f.holder.ID}))
	holders := []string{f.holder.ID}
	for _, name := range []string{"Ivo Brandt", "Rosa Vega"} {
		h := must[*keyward.Holder](t)(dir.CreateHolder(ctx, f.owner, keyward.HolderInput{Name: name}))
		holders = append(holders, h.ID)
	}
	symbols := [][2]string{{kwOpen.ID, "OP1"}, {kwOpen.ID, "OP2"}, {f.keyway.ID, "DN1"}, {kwRestr.ID, "RS1"}}
	m := &copyModel{keys: map[string]*modelKey{}, found: map[[2]string]int{}, counts: map[[2]string]bool{}}
	for _, s := range symbols {
		m.add(must[*keyward.Key](t)(cust.CreateKey(ctx, f.owner, keyward.KeyInput{KeywayID: s[0], Symbol: s[1]})))
	}
	var requests []*propertyRequest
	step, what := 0, "setup"
	fail := func(format string, args ...any) {
		t.Helper()
		t.Fatalf("seed %d, step %d (%s): %s", seed, step, what, fmt.Sprintf(format, args...))
	}
	ok := func(err error) {
		t.Helper()
		if err != nil {
			fail("%v", err)
		}
	}
	setStatus := func(k *keyward.Key) { m.keys[k.ID].status, m.keys[k.ID].holder = k.Status, k.HolderID }
	later := func() time.Time { return f.env.Clock.Now().Add(8 * time.Hour) }

	ops := []struct {
		name   string
		weight int
		do     func()
	}{
		{"register", 2, func() {
			s := symbols[rnd.IntN(len(symbols))]
			k, err := cust.CreateKey(ctx, f.owner, keyward.KeyInput{KeywayID: s[0], Symbol: s[1]})
			ok(err)
			m.add(k)
		}},
		{"request", 3, func() {
			k := m.pick(rnd, keyward.KeyStatuses...)
			r, err := f.dup.RequestCopies(ctx, f.mgr, keyward.CopyRequestInput{KeyID: k.id, Count: 1 + rnd.IntN(3), Reason: "spares"})
			ok(err)
			requests = append(requests, &propertyRequest{id: r.ID, policy: r.Policy, state: r.State})
		}},
		{"advance a request", 6, func() {
			if len(requests) == 0 {
				return
			}
			i := rnd.IntN(len(requests))
			p := requests[i]
			var r *keyward.CopyRequest
			var err error
			switch p.state {
			case keyward.CopyRequested:
				if p.policy == keyward.DupRestricted {
					r, err = f.dup.AcceptEvidence(ctx, f.advisor, p.id, keyward.CopyEvidenceInput{SignatoryHolderID: f.holder.ID, IDType: "passport", IDLast4: "4821", AuthorizationCard: copyCard})
				} else {
					r, err = f.dup.Approve(ctx, f.mgr2, p.id)
				}
			case keyward.CopyEvidenceAccepted:
				r, err = f.dup.Approve(ctx, f.mgr2, p.id)
			case keyward.CopyApproved:
				r, err = f.dup.Produce(ctx, f.tech, p.id)
				ok(err)
				for _, k := range r.Keys {
					m.add(&k)
					p.keys = append(p.keys, k.ID)
				}
			case keyward.CopyProduced:
				// Hand-over issues every copy, or none when one has moved since.
				free := true
				for _, id := range p.keys {
					free = free && m.keys[id].status == keyward.StatusInStorage
				}
				to := holders[rnd.IntN(len(holders))]
				r, err = f.dup.HandOver(ctx, f.advisor, p.id, keyward.HandOverInput{HolderID: to})
				if !free {
					if keyward.ErrorCode(err) != keyward.ECONFLICT {
						fail("hand-over of moved copies: %v, want a conflict", err)
					}
					requests = slices.Delete(requests, i, i+1)
					return
				}
				ok(err)
				for _, k := range r.Keys {
					setStatus(&k)
				}
			}
			ok(err)
			p.state = r.State
			if p.state == keyward.CopyHandedOver {
				requests = slices.Delete(requests, i, i+1)
			}
		}},
		{"deny or cancel a request", 1, func() {
			if len(requests) == 0 {
				return
			}
			i := rnd.IntN(len(requests))
			p := requests[i]
			var err error
			switch p.state {
			case keyward.CopyRequested, keyward.CopyEvidenceAccepted:
				_, err = f.dup.Deny(ctx, f.mgr2, p.id, keyward.CopyDecisionInput{Reason: "not now"})
			case keyward.CopyApproved:
				_, err = f.dup.Cancel(ctx, f.advisor, p.id, keyward.CopyDecisionInput{Reason: "not needed"})
			default:
				_, err = f.dup.Cancel(ctx, f.advisor, p.id, keyward.CopyDecisionInput{Reason: "too late"})
				if keyward.ErrorCode(err) != keyward.ECONFLICT {
					fail("cancel after production: %v, want a conflict", err)
				}
				return
			}
			ok(err)
			requests = slices.Delete(requests, i, i+1)
		}},
		{"lose", 2, func() {
			if k := m.pick(rnd, keyward.StatusInStorage, keyward.StatusIssued, keyward.StatusCheckedOut); k != nil {
				got, err := cust.Move(ctx, f.advisor, k.id, keyward.CustodyLost, keyward.CustodyInput{Note: "gone"})
				ok(err)
				setStatus(got)
			}
		}},
		{"find", 2, func() {
			if k := m.pick(rnd, keyward.StatusLost); k != nil {
				got, err := cust.Move(ctx, f.advisor, k.id, keyward.CustodyFound, keyward.CustodyInput{})
				ok(err)
				setStatus(got)
			}
		}},
		{"destroy", 1, func() {
			if k := m.pick(rnd, keyward.ControlledStatuses...); k != nil {
				got, err := cust.Move(ctx, f.mgr, k.id, keyward.CustodyDestroy, keyward.CustodyInput{})
				ok(err)
				setStatus(got)
			}
		}},
		{"hand over", 4, func() {
			k := m.pick(rnd, keyward.StatusInStorage, keyward.StatusIssued, keyward.StatusCheckedOut)
			if k == nil {
				return
			}
			to := holders[rnd.IntN(len(holders))]
			var got *keyward.Key
			var err error
			switch {
			case k.status == keyward.StatusInStorage && rnd.IntN(2) == 0:
				got, err = cust.Checkout(ctx, f.advisor, k.id, keyward.CheckoutInput{HolderID: to, DueAt: later()})
			case k.status == keyward.StatusInStorage:
				got, err = cust.Move(ctx, f.advisor, k.id, keyward.CustodyIssue, keyward.CustodyInput{HolderID: to})
			case k.status == keyward.StatusCheckedOut:
				got, err = cust.Checkin(ctx, f.advisor, k.id, keyward.CheckinInput{})
			case to != k.holder && rnd.IntN(2) == 0:
				got, err = cust.Move(ctx, f.advisor, k.id, keyward.CustodyTransfer, keyward.CustodyInput{HolderID: to})
			default:
				got, err = cust.Move(ctx, f.advisor, k.id, keyward.CustodyReturn, keyward.CustodyInput{})
			}
			ok(err)
			setStatus(got)
		}},
		{"copy found outside", 1, func() {
			s := symbols[rnd.IntN(len(symbols))]
			if rnd.IntN(4) == 0 {
				s[1] = "XX" + strconv.Itoa(rnd.IntN(3)) // a symbol no controlled copy has
			}
			_, err := f.dup.RecordUncontrolled(ctx, f.advisor, keyward.UncontrolledCopyInput{KeywayID: s[0], Symbol: s[1], Where: "found at step " + strconv.Itoa(step)})
			ok(err)
			m.found[s]++
			m.counts[s] = true
		}},
	}
	total := 0
	for _, op := range ops {
		total += op.weight
	}
	check := func() {
		t.Helper()
		// The logbooks: creations minus destructions, by keyway and symbol.
		fromLog := map[[2]string]int{}
		rows, err := f.env.SQL().Query(`SELECT k.keyway_id, k.symbol, e.action, COUNT(*) FROM custody_events e JOIN keys k ON k.id = e.key_id
			WHERE e.action IN (?, ?, ?) GROUP BY k.keyway_id, k.symbol, e.action`, keyward.CustodyCreate, "import", keyward.CustodyDestroy)
		ok(err)
		for rows.Next() {
			var s [2]string
			var action string
			var n int
			ok(rows.Scan(&s[0], &s[1], &action, &n))
			if action == keyward.CustodyDestroy {
				n = -n
			}
			fromLog[s] += n
		}
		ok(rows.Err())
		rows.Close()
		page, err := f.dup.CopyCounts(ctx, f.auditor, "", keyward.ListOptions{Limit: 500})
		ok(err)
		if len(page.Items) != len(m.counts) || page.Next != "" {
			fail("%d symbols counted, want %d", len(page.Items), len(m.counts))
		}
		for _, c := range page.Items {
			s := [2]string{c.KeywayID, c.Symbol}
			if !m.counts[s] {
				fail("%s is counted and has no copy", c.Symbol)
			}
			if c.Controlled != fromLog[s] {
				fail("%s: %d controlled, the logbooks say %d", c.Symbol, c.Controlled, fromLog[s])
			}
			want, destroyed, sum := map[string]int{}, 0, 0
			for _, st := range keyward.ControlledStatuses {
				want[st] = 0
			}
			for _, k := range m.keys {
				if k.keyway == c.KeywayID && k.symbol == c.Symbol {
					if k.status == keyward.StatusDestroyed {
						destroyed++
					} else {
						want[k.status]++
					}
				}
			}
			for _, n := range c.ByStatus {
				sum += n
			}
			if sum != c.Controlled || !maps.Equal(c.ByStatus, want) || c.Destroyed != destroyed {
				fail("%s: by status %v (adds to %d), destroyed %d; controlled %d, want %v and %d destroyed", c.Symbol, c.ByStatus, sum, c.Destroyed, c.Controlled, want, destroyed)
			}
			if len(c.Uncontrolled) != m.found[s] {
				fail("%s: %d uncontrolled, want %d", c.Symbol, len(c.Uncontrolled), m.found[s])
			}
		}
	}
	steps := 60
	if testing.Short() {
		steps = 20
	}
	for step = 1; step <= steps; step++ {
		n := rnd.IntN(total)
		for _, op := range ops {
			if n -= op.weight; n < 0 {
				what = op.name
				op.do()
				break
			}
		}
		check()
	}
	// One symbol's detail agrees with the list, copy by copy.
	what = "detail"
	for _, s := range symbols {
		d, err := f.dup.CopyCount(ctx, f.owner, s[0], s[1])
		ok(err)
		for _, cp := range d.Copies {
			if mk := m.keys[cp.ID]; mk == nil || mk.status != cp.Status {
				fail("%s is %s, the test moved it to %+v", cp.Stamp, cp.Status, mk)
			}
		}
	}
	if _, _, err := f.db.VerifyAudit(ctx, nil); err != nil {
		fail("audit: %v", err)
	}
}
