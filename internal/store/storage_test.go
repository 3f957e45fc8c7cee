package store_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/keyward/keyward/internal/keyward"
	"github.com/keyward/keyward/internal/store"
	"github.com/keyward/keyward/internal/store/storetest"
)

func TestStorage(t *testing.T) { storetest.Each(t, runStorage) }

func runStorage(t *testing.T, b storetest.Backend) {
	for _, tc := range []struct {
		name string
		fn   func(*testing.T, *storageFixture)
	}{
		{"CabinetHooks", testCabinetHooks},
		{"ConcurrentHook", testConcurrentHook},
		{"LockboxCode", testLockboxCode},
		{"EnvelopeSeal", testEnvelopeSeal},
		{"DesignatedHolder", testDesignatedHolder},
		{"ScheduleAndAccess", testScheduleAndAccess},
		{"Credentials", testCredentials},
		{"Offboarding", testOffboarding},
		{"KeysOutSeries", testKeysOutSeries},
		{"KeysOutOrgDays", testKeysOutOrgDays},
	} {
		t.Run(tc.name, func(t *testing.T) { tc.fn(t, newStorageFixture(t, b)) })
	}
}

type storageFixture struct {
	env     *storetest.Env
	db      *store.DB
	st      *store.Storage
	owner   keyward.Actor
	tech    keyward.Actor
	advisor keyward.Actor
	kw      *keyward.Keyway
	holder  *keyward.Holder
	holder2 *keyward.Holder
	site    *keyward.Site
}

func newStorageFixture(t *testing.T, b storetest.Backend) *storageFixture {
	env := b(t)
	db := env.Open(t)
	f := &storageFixture{env: env, db: db, st: db.Storage(env.Vault),
		owner:   keyward.Actor{UserID: "usr_owner", Email: "owner@acme.test", Role: keyward.RoleOwner},
		tech:    keyward.Actor{UserID: "usr_tech", Email: "tech@acme.test", Role: keyward.RoleTechnician},
		advisor: keyward.Actor{UserID: "usr_adv", Email: "advisor@acme.test", Role: keyward.RoleAdvisor},
	}
	ctx, d := context.Background(), db.Directory()
	var err error
	if f.kw, err = d.CreateKeyway(ctx, f.owner, keyward.KeywayInput{Name: "SC1", DuplicationPolicy: "open"}); err != nil {
		t.Fatal(err)
	}
	if f.holder, err = d.CreateHolder(ctx, f.owner, keyward.HolderInput{Name: "Dana Ruiz", Email: "dana@acme.test"}); err != nil {
		t.Fatal(err)
	}
	if f.holder2, err = d.CreateHolder(ctx, f.owner, keyward.HolderInput{Name: "Sam Okafor", Email: "sam@acme.test"}); err != nil {
		t.Fatal(err)
	}
	if f.site, err = d.CreateSite(ctx, f.owner, keyward.SiteInput{Name: "Harbour Point"}); err != nil {
		t.Fatal(err)
	}
	return f
}

// keysOut reads the owner's keys-out series and its counts as "[n n n]".
func (f *storageFixture) keysOut(t *testing.T, days int) ([]keyward.DayCount, string) {
	t.Helper()
	series, err := f.db.KeysOut(context.Background(), f.owner, days)
	if err != nil {
		t.Fatal(err)
	}
	var got []int
	for _, p := range series {
		got = append(got, p.N)
	}
	return series, fmt.Sprint(got)
}

// events reads a place's whole logbook two events a page, so every caller
// also checks that the pages follow on without a gap or a repeat.
func (f *storageFixture) events(t *testing.T, placeID string) []keyward.StorageEvent {
	t.Helper()
	var out []keyward.StorageEvent
	seen := map[string]bool{}
	opt := keyward.ListOptions{Limit: 2}
	for {
		p, err := f.st.Events(context.Background(), f.owner, placeID, opt)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range p.Items {
			if seen[e.ID] {
				t.Fatalf("event %s on two pages", e.ID)
			}
			seen[e.ID] = true
		}
		out = append(out, p.Items...)
		if p.Next == "" {
			return out
		}
		opt.Cursor = p.Next
	}
}

func (f *storageFixture) key(t *testing.T, symbol string) *keyward.Key {
	t.Helper()
	k, err := f.db.Custody().CreateKey(context.Background(), f.owner, keyward.KeyInput{KeywayID: f.kw.ID, Symbol: symbol})
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func (f *storageFixture) count(t *testing.T, q string) int64 {
	t.Helper()
	n, err := f.env.SQL().Count(q)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func (f *storageFixture) audit(t *testing.T) int64 {
	t.Helper()
	sum, _, err := f.db.VerifyAudit(context.Background(), nil)
	if err != nil {
		t.Fatal(err)
	}
	return sum.Records
}

func wantCode(t *testing.T, err error, code keyward.Code) *keyward.Error {
	t.Helper()
	if keyward.ErrorCode(err) != code {
		t.Fatalf("got %v, want %s", err, code)
	}
	var e *keyward.Error
	errors.As(err, &e)
	return e
}

func wantField(t *testing.T, err error, field string) {
	t.Helper()
	e := wantCode(t, err, keyward.EINVALID)
	for _, fe := range e.Fields {
		if fe.Field == field && fe.Rule != "" {
			return
		}
	}
	t.Fatalf("error %v does not name field %q", err, field)
}

func testCabinetHooks(t *testing.T, f *storageFixture) {
	ctx := context.Background()
	_, err := f.st.Create(ctx, f.owner, keyward.StorageInput{Kind: "cabinet", Name: "Cabinet A"})
	wantField(t, err, "hooks")
	_, err = f.st.Create(ctx, f.owner, keyward.StorageInput{Kind: "cabinet", Name: "Cabinet A", Hooks: 10, Code: "1234"})
	wantField(t, err, "code")
	_, err = f.st.Create(ctx, f.owner, keyward.StorageInput{Kind: "drawer", Name: ""})
	wantField(t, err, "kind")
	wantField(t, err, "name")
	_, err = f.st.Create(ctx, f.advisor, keyward.StorageInput{Kind: "cabinet", Name: "Cabinet A", Hooks: 10})
	wantCode(t, err, keyward.EFORBIDDEN)

	cab, err := f.st.Create(ctx, f.owner, keyward.StorageInput{Kind: "cabinet", Name: "Cabinet A", Hooks: 10, SiteID: f.site.ID})
	if err != nil {
		t.Fatal(err)
	}
	k1, k2 := f.key(t, "AA1"), f.key(t, "AA2")
	home, err := f.st.Assign(ctx, f.owner, cab.ID, keyward.HookInput{KeyID: k1.ID, Hook: 3})
	if err != nil || home.Hook != 3 || home.StorageName != "Cabinet A" {
		t.Fatalf("assign: %+v %v", home, err)
	}
	// An occupied hook is a 409 naming the hook and its key; nothing changes.
	before := f.audit(t)
	_, err = f.st.Assign(ctx, f.owner, cab.ID, keyward.HookInput{KeyID: k2.ID, Hook: 3})
	e := wantCode(t, err, keyward.ECONFLICT)
	if !strings.Contains(e.Message, "hook 3") || !strings.Contains(e.Message, "AA1-1") {
		t.Fatalf("conflict message %q does not name the hook and its key", e.Message)
	}
	if f.audit(t) != before {
		t.Fatal("a refused assignment wrote an audit record")
	}
	if h, _ := f.st.KeyHome(ctx, f.owner, k2.ID); h != nil {
		t.Fatalf("refused assignment left a home: %+v", h)
	}
	// Hook out of range, hook on a non-cabinet, unknown key.
	_, err = f.st.Assign(ctx, f.owner, cab.ID, keyward.HookInput{KeyID: k2.ID, Hook: 11})
	wantField(t, err, "hook")
	_, err = f.st.Assign(ctx, f.owner, cab.ID, keyward.HookInput{KeyID: "key_nope", Hook: 4})
	wantField(t, err, "key_id")
	// Re-homing moves the key: the old hook is free again.
	if _, err := f.st.Assign(ctx, f.owner, cab.ID, keyward.HookInput{KeyID: k1.ID, Hook: 5}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.st.Assign(ctx, f.owner, cab.ID, keyward.HookInput{KeyID: k2.ID, Hook: 3}); err != nil {
		t.Fatal(err)
	}
	p, err := f.st.Place(ctx, f.owner, cab.ID)
	if err != nil || len(p.Keys) != 2 || p.Keys[0].Hook != 3 || p.Keys[0].Stamp != "AA2-1" || p.Keys[1].Hook != 5 {
		t.Fatalf("place keys: %+v %v", p, err)
	}
	if n := f.count(t, `SELECT COUNT(*) FROM key_homes`); n != 2 {
		t.Fatalf("%d homes, want 2", n)
	}
	if err := f.st.Unassign(ctx, f.owner, k2.ID, keyward.ResealInput{}); err != nil {
		t.Fatal(err)
	}
	wantCode(t, f.st.Unassign(ctx, f.owner, k2.ID, keyward.ResealInput{}), keyward.ENOTFOUND)
	evs := f.events(t, cab.ID)
	if len(evs) != 5 || evs[0].Action != "create" || evs[4].Action != "unassign" {
		t.Fatalf("events: %+v", evs)
	}
	// The place's logbook says which key went on which hook, and which came off.
	for _, e := range evs[1:4] {
		if e.Action != "assign" || !strings.HasPrefix(e.Note, "key AA") || !strings.Contains(e.Note, " on hook ") {
			t.Fatalf("assign line %+v does not name the key and hook", e)
		}
	}
	if evs[4].Note != "key AA2-1 taken off" {
		t.Fatalf("unassign line %+v does not name the key", evs[4])
	}
	// A destroyed key gives up its hook, and the place's logbook says why.
	if _, err := f.db.Custody().Move(ctx, f.owner, k1.ID, keyward.CustodyDestroy, keyward.CustodyInput{Note: "snapped in the lock"}); err != nil {
		t.Fatal(err)
	}
	if h, _ := f.st.KeyHome(ctx, f.owner, k1.ID); h != nil {
		t.Fatalf("a destroyed key keeps its home: %+v", h)
	}
	if _, err := f.st.Assign(ctx, f.owner, cab.ID, keyward.HookInput{KeyID: k2.ID, Hook: 5}); err != nil {
		t.Fatalf("the destroyed key's hook is not free: %v", err)
	}
	evs = f.events(t, cab.ID)
	if len(evs) != 7 || evs[5].Action != "unassign" || evs[5].Note != "key AA1-1 destroyed" {
		t.Fatalf("events after destroy: %+v", evs)
	}
}

func testConcurrentHook(t *testing.T, f *storageFixture) {
	ctx := context.Background()
	cab, err := f.st.Create(ctx, f.owner, keyward.StorageInput{Kind: "cabinet", Name: "Cabinet B", Hooks: 4})
	if err != nil {
		t.Fatal(err)
	}
	keys := []*keyward.Key{f.key(t, "B1"), f.key(t, "B2"), f.key(t, "B3"), f.key(t, "B4")}
	// Two server processes race for hook 1.
	dbs := []*store.DB{f.db, f.env.Open(t)}
	var wg sync.WaitGroup
	errs := make([]error, len(keys))
	for i, k := range keys {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, errs[i] = dbs[i%2].Storage(f.env.Vault).Assign(ctx, f.owner, cab.ID, keyward.HookInput{KeyID: k.ID, Hook: 1})
		}()
	}
	wg.Wait()
	ok := 0
	for _, err := range errs {
		switch keyward.ErrorCode(err) {
		case "":
			ok++
		case keyward.ECONFLICT:
		default:
			t.Fatalf("unexpected error: %v", err)
		}
	}
	if ok != 1 {
		t.Fatalf("%d assignments of one hook succeeded, want 1", ok)
	}
	if n := f.count(t, `SELECT COUNT(*) FROM key_homes`); n != 1 {
		t.Fatalf("%d homes, want 1", n)
	}
}

func testLockboxCode(t *testing.T, f *storageFixture) {
	ctx := context.Background()
	_, err := f.st.Create(ctx, f.owner, keyward.StorageInput{Kind: "lockbox", Name: "Gate lockbox"})
	wantField(t, err, "code")
	box, err := f.st.Create(ctx, f.owner, keyward.StorageInput{Kind: "lockbox", Name: "Gate lockbox", Code: "4711-XZ"})
	if err != nil {
		t.Fatal(err)
	}
	if !box.HasCode {
		t.Fatal("lockbox does not say it has a code")
	}
	// The code is not plaintext anywhere in the database.
	if n := f.count(t, `SELECT COUNT(*) FROM storage_places WHERE code_sealed LIKE '%4711%'`); n != 0 {
		t.Fatal("the lockbox code is stored in plaintext")
	}
	if n := f.count(t, `SELECT COUNT(*) FROM storage_places WHERE code_sealed LIKE 'v2:%'`); n != 1 {
		t.Fatal("the lockbox code is not sealed")
	}
	if n := f.count(t, `SELECT COUNT(*) FROM audit_log WHERE details LIKE '%4711%'`); n != 0 {
		t.Fatal("the lockbox code reached the audit log")
	}
	// An advisor is refused, and the refusal is recorded.
	before := f.count(t, `SELECT COUNT(*) FROM audit_log WHERE action = 'denied.secret.reveal' AND subject_id = '`+box.ID+`'`)
	_, err = f.st.RevealCode(ctx, f.advisor, box.ID, keyward.CodeRevealInput{})
	wantCode(t, err, keyward.EFORBIDDEN)
	if n := f.count(t, `SELECT COUNT(*) FROM audit_log WHERE action = 'denied.secret.reveal' AND subject_id = '`+box.ID+`'`); n != before+1 {
		t.Fatal("the refused reveal was not recorded")
	}
	// A technician gets the code, and the reveal is audited.
	code, err := f.st.RevealCode(ctx, f.tech, box.ID, keyward.CodeRevealInput{Reason: "contractor access"})
	if err != nil || code.Reveal() != "4711-XZ" {
		t.Fatalf("reveal: %v", err)
	}
	if n := f.count(t, `SELECT COUNT(*) FROM audit_log WHERE action = 'storage.code.reveal' AND actor = 'tech@acme.test' AND subject_id = '`+box.ID+`' AND details LIKE '%"reason":"contractor access"%'`); n != 1 {
		t.Fatalf("%d reveal records, want 1", n)
	}
	// Change the code; the old one is gone.
	if err := f.st.ChangeCode(ctx, f.owner, box.ID, keyward.CodeChangeInput{Code: "9090", Reason: "the old code was seen"}); err != nil {
		t.Fatal(err)
	}
	// Every reveal says why: without a reason it is refused, and nothing is recorded.
	reveals := f.count(t, `SELECT COUNT(*) FROM audit_log WHERE action = 'storage.code.reveal'`)
	_, err = f.st.RevealCode(ctx, f.owner, box.ID, keyward.CodeRevealInput{Reason: " "})
	wantField(t, err, "reason")
	if n := f.count(t, `SELECT COUNT(*) FROM audit_log WHERE action = 'storage.code.reveal'`); n != reveals {
		t.Fatal("a reveal without a reason was recorded")
	}
	if code, err := f.st.RevealCode(ctx, f.owner, box.ID, keyward.CodeRevealInput{Reason: "new tenant"}); err != nil || code.Reveal() != "9090" {
		t.Fatalf("reveal after change: %v", err)
	}
	// A cabinet has no code; an unknown place is not found.
	cab, _ := f.st.Create(ctx, f.owner, keyward.StorageInput{Kind: "cabinet", Name: "C", Hooks: 1})
	_, err = f.st.RevealCode(ctx, f.owner, cab.ID, keyward.CodeRevealInput{Reason: "check"})
	wantCode(t, err, keyward.ECONFLICT)
	_, err = f.st.RevealCode(ctx, f.owner, "sto_nope", keyward.CodeRevealInput{Reason: "check"})
	wantCode(t, err, keyward.ENOTFOUND)
}

func testEnvelopeSeal(t *testing.T, f *storageFixture) {
	ctx := context.Background()
	_, err := f.st.Create(ctx, f.owner, keyward.StorageInput{Kind: "envelope", Name: "Spare AA"})
	wantField(t, err, "seal_number")
	env, err := f.st.Create(ctx, f.owner, keyward.StorageInput{Kind: "envelope", Name: "Spare AA", SealNumber: "S-1001"})
	if err != nil {
		t.Fatal(err)
	}
	_, err = f.st.BreakSeal(ctx, f.owner, env.ID, keyward.BreakSealInput{})
	wantField(t, err, "reason")
	wantField(t, err, "new_seal_number")
	_, err = f.st.BreakSeal(ctx, f.owner, env.ID, keyward.BreakSealInput{Reason: "audit", NewSealNumber: "S-1001"})
	wantField(t, err, "new_seal_number")
	p, err := f.st.BreakSeal(ctx, f.tech, env.ID, keyward.BreakSealInput{Reason: "annual count", NewSealNumber: "S-1002"})
	if err != nil || p.SealNumber != "S-1002" {
		t.Fatalf("break seal: %+v %v", p, err)
	}
	evs := f.events(t, env.ID)
	if len(evs) != 2 || evs[1].Action != "seal.break" || evs[1].Note != "annual count" {
		t.Fatalf("events: %+v", evs)
	}
	if n := f.count(t, `SELECT COUNT(*) FROM audit_log WHERE action = 'storage.seal.break' AND details LIKE '%S-1001%' AND details LIKE '%S-1002%'`); n != 1 {
		t.Fatal("the broken and new seals are not in the audit record")
	}
	cab, _ := f.st.Create(ctx, f.owner, keyward.StorageInput{Kind: "cabinet", Name: "C", Hooks: 1})
	_, err = f.st.BreakSeal(ctx, f.owner, cab.ID, keyward.BreakSealInput{Reason: "x", NewSealNumber: "y"})
	wantCode(t, err, keyward.ECONFLICT)
}

func testDesignatedHolder(t *testing.T, f *storageFixture) {
	ctx := context.Background()
	_, err := f.st.Create(ctx, f.owner, keyward.StorageInput{Kind: "holder", Name: "Neighbour spare"})
	wantField(t, err, "holder_id")
	_, err = f.st.Create(ctx, f.owner, keyward.StorageInput{Kind: "holder", Name: "Neighbour spare", HolderID: "hld_nope"})
	wantField(t, err, "holder_id")
	future := f.env.Clock.Now().Add(48 * time.Hour)
	_, err = f.st.Create(ctx, f.owner, keyward.StorageInput{Kind: "holder", Name: "Neighbour spare", HolderID: f.holder.ID, AcknowledgedAt: &future})
	wantField(t, err, "acknowledged_at")
	p, err := f.st.Create(ctx, f.owner, keyward.StorageInput{Kind: "holder", Name: "Neighbour spare", HolderID: f.holder.ID})
	if err != nil || p.AcknowledgedAt != nil {
		t.Fatalf("create: %+v %v", p, err)
	}
	p, err = f.st.Acknowledge(ctx, f.owner, p.ID)
	if err != nil || p.AcknowledgedAt == nil || !p.AcknowledgedAt.Equal(f.env.Clock.Now()) {
		t.Fatalf("acknowledge: %+v %v", p, err)
	}
	k := f.key(t, "AA9")
	if _, err := f.st.Assign(ctx, f.owner, p.ID, keyward.HookInput{KeyID: k.ID, Hook: 1}); keyward.ErrorCode(err) != keyward.EINVALID {
		t.Fatalf("hook on a holder place: %v", err)
	}
	if _, err := f.st.Assign(ctx, f.owner, p.ID, keyward.HookInput{KeyID: k.ID}); err != nil {
		t.Fatal(err)
	}
	got, err := f.st.Places(ctx, f.owner, "holder", f.holder.ID, keyward.ListOptions{})
	if err != nil || len(got.Items) != 1 || got.Items[0].ID != p.ID {
		t.Fatalf("places: %+v %v", got, err)
	}
}

func (f *storageFixture) opening(t *testing.T, name string) *keyward.Opening {
	t.Helper()
	o, err := f.db.Directory().CreateOpening(context.Background(), f.owner, keyward.OpeningInput{SiteID: f.site.ID, Name: name, Kind: "door"})
	if err != nil {
		t.Fatal(err)
	}
	return o
}

func testScheduleAndAccess(t *testing.T, f *storageFixture) {
	ctx := context.Background()
	sch, cus := f.db.Schedule(), f.db.Custody()
	door := f.opening(t, "Front door")
	_, err := sch.AddSymbol(ctx, f.owner, door.ID, keyward.SymbolInput{Symbol: "AA 1"})
	wantField(t, err, "symbol")
	_, err = sch.AddSymbol(ctx, f.owner, "opn_nope", keyward.SymbolInput{Symbol: "AA1"})
	wantCode(t, err, keyward.ENOTFOUND)
	_, err = sch.AddSymbol(ctx, f.advisor, door.ID, keyward.SymbolInput{Symbol: "AA1"})
	wantCode(t, err, keyward.EFORBIDDEN)
	for _, s := range []string{"AA1", "AA", "GM"} {
		if _, err := sch.AddSymbol(ctx, f.owner, door.ID, keyward.SymbolInput{Symbol: s}); err != nil {
			t.Fatal(err)
		}
	}
	_, err = sch.AddSymbol(ctx, f.owner, door.ID, keyward.SymbolInput{Symbol: "AA1"})
	wantCode(t, err, keyward.ECONFLICT)
	if err := sch.RemoveSymbol(ctx, f.owner, door.ID, "GM"); err != nil {
		t.Fatal(err)
	}
	wantCode(t, sch.RemoveSymbol(ctx, f.owner, door.ID, "GM"), keyward.ENOTFOUND)

	cab, _ := f.st.Create(ctx, f.owner, keyward.StorageInput{Kind: "cabinet", Name: "Cabinet A", Hooks: 20})
	a1, a1b, aa, other := f.key(t, "AA1"), f.key(t, "AA1"), f.key(t, "AA"), f.key(t, "AB2")
	_ = other
	if _, err := f.st.Assign(ctx, f.owner, cab.ID, keyward.HookInput{KeyID: a1.ID, Hook: 7}); err != nil {
		t.Fatal(err)
	}
	if _, err := cus.Checkout(ctx, f.owner, a1b.ID, keyward.CheckoutInput{HolderID: f.holder.ID, DueAt: f.env.Clock.Now().Add(time.Hour)}); err != nil {
		t.Fatal(err)
	}
	if _, err := cus.Move(ctx, f.owner, aa.ID, keyward.CustodyLost, keyward.CustodyInput{}); err != nil {
		t.Fatal(err)
	}
	acc, err := sch.Access(ctx, f.owner, door.ID)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(acc.Symbols, ",") != "AA,AA1" {
		t.Fatalf("symbols: %v", acc.Symbols)
	}
	// Outside any key system, the schedule alone says what operates it.
	if want := []keyward.OperatingSymbol{{Symbol: "AA", Source: "schedule"}, {Symbol: "AA1", Source: "schedule"}}; !slices.Equal(acc.Operating, want) {
		t.Fatalf("operating symbols %+v, want %+v", acc.Operating, want)
	}
	where := map[string]string{}
	for _, k := range acc.Keys {
		where[k.Stamp] = k.Where
	}
	want := map[string]string{
		"AA-1":  "lost",
		"AA1-1": "in storage: Cabinet A, hook 7",
		"AA1-2": "checked out to Dana Ruiz",
	}
	if len(where) != len(want) {
		t.Fatalf("keys: %v", where)
	}
	for s, w := range want {
		if where[s] != w {
			t.Errorf("%s: where %q, want %q", s, where[s], w)
		}
	}
	_, err = sch.Access(ctx, f.owner, "opn_nope")
	wantCode(t, err, keyward.ENOTFOUND)
}

func testCredentials(t *testing.T, f *storageFixture) {
	ctx := context.Background()
	cr := f.db.Credentials(f.env.Vault)
	door, gate := f.opening(t, "Front door"), f.opening(t, "Gate")
	_, err := cr.Issue(ctx, f.owner, keyward.CredentialInput{Kind: "pin", PIN: "12", HolderID: f.holder.ID, OpeningIDs: []string{door.ID}})
	wantField(t, err, "pin")
	_, err = cr.Issue(ctx, f.owner, keyward.CredentialInput{Kind: "card", HolderID: f.holder.ID})
	wantField(t, err, "number")
	wantField(t, err, "opening_ids")
	_, err = cr.Issue(ctx, f.owner, keyward.CredentialInput{Kind: "fob", Number: "F1", HolderID: "hld_nope", OpeningIDs: []string{door.ID}})
	wantField(t, err, "holder_id")
	_, err = cr.Issue(ctx, f.owner, keyward.CredentialInput{Kind: "fob", Number: "F1", HolderID: f.holder.ID, OpeningIDs: []string{"opn_nope"}})
	wantField(t, err, "opening_ids")
	past := f.env.Clock.Now().Add(-time.Hour)
	_, err = cr.Issue(ctx, f.owner, keyward.CredentialInput{Kind: "fob", Number: "F1", HolderID: f.holder.ID, OpeningIDs: []string{door.ID}, ValidUntil: &past})
	// Without a valid_from the rule is about the future, not about a field the form lacks.
	if e := wantCode(t, err, keyward.EINVALID); len(e.Fields) != 1 || e.Fields[0].Field != "valid_until" || e.Fields[0].Rule != "must be in the future" {
		t.Fatalf("past valid_until: %+v", e.Fields)
	}
	if n := f.count(t, `SELECT COUNT(*) FROM credentials`); n != 0 {
		t.Fatal("a refused credential left a row")
	}

	until := f.env.Clock.Now().Add(30 * 24 * time.Hour)
	pin, err := cr.Issue(ctx, f.owner, keyward.CredentialInput{Kind: "pin", Label: "Gate PIN", PIN: "482916", HolderID: f.holder.ID,
		OpeningIDs: []string{gate.ID, door.ID}, ValidUntil: &until})
	if err != nil || pin.Status != keyward.CredentialActive || !pin.HasPIN || len(pin.OpeningIDs) != 2 {
		t.Fatalf("issue pin: %+v %v", pin, err)
	}
	if n := f.count(t, `SELECT COUNT(*) FROM credentials WHERE pin_sealed LIKE '%482916%'`); n != 0 {
		t.Fatal("the PIN is stored in plaintext")
	}
	if n := f.count(t, `SELECT COUNT(*) FROM audit_log WHERE details LIKE '%482916%'`); n != 0 {
		t.Fatal("the PIN reached the audit log")
	}
	_, err = cr.RevealPIN(ctx, f.advisor, pin.ID, keyward.CodeRevealInput{})
	wantCode(t, err, keyward.EFORBIDDEN)
	_, err = cr.RevealPIN(ctx, f.tech, pin.ID, keyward.CodeRevealInput{})
	wantField(t, err, "reason")
	if p, err := cr.RevealPIN(ctx, f.tech, pin.ID, keyward.CodeRevealInput{Reason: "holder forgot it"}); err != nil || p.Reveal() != "482916" {
		t.Fatalf("reveal pin: %v", err)
	}
	card, err := cr.Issue(ctx, f.owner, keyward.CredentialInput{Kind: "card", Number: "C-77", HolderID: f.holder.ID, OpeningIDs: []string{door.ID}})
	if err != nil {
		t.Fatal(err)
	}
	acc, _ := f.db.Schedule().Access(ctx, f.owner, door.ID)
	if len(acc.Credentials) != 2 {
		t.Fatalf("door credentials: %+v", acc.Credentials)
	}
	_, err = cr.Revoke(ctx, f.owner, card.ID, keyward.RevokeInput{})
	wantField(t, err, "reason")
	c, err := cr.Revoke(ctx, f.owner, card.ID, keyward.RevokeInput{Reason: "card lost"})
	if err != nil || c.Status != keyward.CredentialRevoked {
		t.Fatalf("revoke: %+v %v", c, err)
	}
	_, err = cr.Revoke(ctx, f.owner, card.ID, keyward.RevokeInput{Reason: "again"})
	wantCode(t, err, keyward.ECONFLICT)
	acc, _ = f.db.Schedule().Access(ctx, f.owner, door.ID)
	if len(acc.Credentials) != 1 || acc.Credentials[0].ID != pin.ID {
		t.Fatalf("door credentials after revoke: %+v", acc.Credentials)
	}
	// After the window the PIN is expired.
	f.env.Clock.Advance(31 * 24 * time.Hour)
	got, err := cr.Credential(ctx, f.owner, pin.ID)
	if err != nil || got.Status != keyward.CredentialExpired {
		t.Fatalf("after the window: %+v %v", got, err)
	}
	list, err := cr.List(ctx, f.owner, f.holder.ID, true, keyward.ListOptions{})
	if err != nil || len(list.Items) != 1 || list.Next != "" {
		t.Fatalf("active list: %+v %v", list, err)
	}

	// Lists page by a cursor: 7 fobs more, pages of 3, every credential once.
	for i := range 7 {
		if _, err := cr.Issue(ctx, f.owner, keyward.CredentialInput{Kind: "fob", Number: fmt.Sprint("P-", i), HolderID: f.holder.ID, OpeningIDs: []string{door.ID}}); err != nil {
			t.Fatal(err)
		}
	}
	all, err := cr.List(ctx, f.owner, "", false, keyward.ListOptions{Limit: 500})
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	opt := keyward.ListOptions{Limit: 3}
	for pages := 0; ; pages++ {
		p, err := cr.List(ctx, f.owner, "", false, opt)
		if err != nil || len(p.Items) > 3 || pages > len(all.Items) {
			t.Fatalf("page %d: %d items, %v", pages, len(p.Items), err)
		}
		for _, c := range p.Items {
			if seen[c.ID] {
				t.Fatalf("credential %s listed twice", c.ID)
			}
			seen[c.ID] = true
		}
		if p.Next == "" {
			break
		}
		opt.Cursor = p.Next
	}
	if len(seen) != len(all.Items) || len(all.Items) < 9 {
		t.Fatalf("paging saw %d of %d credentials", len(seen), len(all.Items))
	}
	_, err = cr.List(ctx, f.owner, "", false, keyward.ListOptions{Cursor: "not-a-cursor"})
	wantField(t, err, "cursor")
}

func testOffboarding(t *testing.T, f *storageFixture) {
	ctx := context.Background()
	ob, cus, cr := f.db.Offboarding(), f.db.Custody(), f.db.Credentials(f.env.Vault)
	door := f.opening(t, "Front door")
	k1, k2, k3 := f.key(t, "AA1"), f.key(t, "AA2"), f.key(t, "AA3")
	if _, err := cus.Checkout(ctx, f.owner, k1.ID, keyward.CheckoutInput{HolderID: f.holder.ID, DueAt: f.env.Clock.Now().Add(time.Hour)}); err != nil {
		t.Fatal(err)
	}
	if _, err := cus.Move(ctx, f.owner, k2.ID, keyward.CustodyIssue, keyward.CustodyInput{HolderID: f.holder.ID}); err != nil {
		t.Fatal(err)
	}
	if _, err := cus.Move(ctx, f.owner, k3.ID, keyward.CustodyIssue, keyward.CustodyInput{HolderID: f.holder2.ID}); err != nil {
		t.Fatal(err)
	}
	fob, err := cr.Issue(ctx, f.owner, keyward.CredentialInput{Kind: "fob", Number: "F-9", HolderID: f.holder.ID, OpeningIDs: []string{door.ID}})
	if err != nil {
		t.Fatal(err)
	}
	spare, err := f.st.Create(ctx, f.owner, keyward.StorageInput{Kind: "holder", Name: "Dana's spare", HolderID: f.holder.ID})
	if err != nil {
		t.Fatal(err)
	}
	k4 := f.key(t, "AA4")
	if _, err := f.st.Assign(ctx, f.owner, spare.ID, keyward.HookInput{KeyID: k4.ID}); err != nil {
		t.Fatal(err)
	}

	_, err = ob.Start(ctx, f.advisor, f.holder.ID, keyward.OffboardingInput{})
	wantCode(t, err, keyward.EFORBIDDEN)
	_, err = ob.Start(ctx, f.owner, "hld_nope", keyward.OffboardingInput{})
	wantCode(t, err, keyward.ENOTFOUND)
	o, err := ob.Start(ctx, f.owner, f.holder.ID, keyward.OffboardingInput{Note: "last day Friday"})
	if err != nil {
		t.Fatal(err)
	}
	if o.Outstanding != 4 || len(o.Keys) != 2 || len(o.Credentials) != 1 || len(o.Storage) != 1 {
		t.Fatalf("outstanding: %+v", o)
	}
	_, err = ob.Start(ctx, f.owner, f.holder.ID, keyward.OffboardingInput{})
	wantCode(t, err, keyward.ECONFLICT)
	// Nothing new for a leaver while the offboarding is open: no check-out,
	// issue, transfer or credential, and nothing written by the refusals.
	spareKey := f.key(t, "AA5")
	before := auditRecords(t, f)
	due := f.env.Clock.Now().Add(time.Hour)
	_, err = cus.Checkout(ctx, f.owner, spareKey.ID, keyward.CheckoutInput{HolderID: f.holder.ID, DueAt: due})
	if e := wantCode(t, err, keyward.ECONFLICT); !strings.Contains(e.Message, "Dana Ruiz is being offboarded") {
		t.Fatalf("check-out to a leaver: %q does not say why", e.Message)
	}
	_, err = cus.Move(ctx, f.owner, spareKey.ID, keyward.CustodyIssue, keyward.CustodyInput{HolderID: f.holder.ID})
	wantCode(t, err, keyward.ECONFLICT)
	_, err = cus.Move(ctx, f.owner, k3.ID, keyward.CustodyTransfer, keyward.CustodyInput{HolderID: f.holder.ID})
	wantCode(t, err, keyward.ECONFLICT)
	_, err = cr.Issue(ctx, f.owner, keyward.CredentialInput{Kind: "fob", Number: "F-10", HolderID: f.holder.ID, OpeningIDs: []string{door.ID}})
	wantCode(t, err, keyward.ECONFLICT)
	if after := auditRecords(t, f); after != before {
		t.Fatalf("refused hand-outs wrote %d audit records", after-before)
	}
	if k, _ := cus.Key(ctx, f.owner, spareKey.ID); k.Status != keyward.StatusInStorage {
		t.Fatalf("refused check-out changed the key: %+v", k)
	}
	if _, err := cus.Checkout(ctx, f.owner, spareKey.ID, keyward.CheckoutInput{HolderID: f.holder2.ID, DueAt: due}); err != nil {
		t.Fatalf("check-out to someone who is staying: %v", err)
	}
	if _, err := cus.Checkin(ctx, f.owner, spareKey.ID, keyward.CheckinInput{}); err != nil {
		t.Fatal(err)
	}
	open, err := ob.Open(ctx, f.owner)
	if err != nil || len(open) != 1 || open[0].HolderName != "Dana Ruiz" {
		t.Fatalf("open: %+v %v", open, err)
	}
	// Clearing with items outstanding names them.
	_, err = ob.Clear(ctx, f.owner, f.holder.ID)
	if e := wantCode(t, err, keyward.ECONFLICT); !strings.Contains(e.Message, "AA1-1") {
		t.Fatalf("clear refusal %q does not name the key", e.Message)
	}
	// Someone else's key cannot be collected here.
	_, err = ob.CollectKey(ctx, f.owner, f.holder.ID, k3.ID, keyward.CheckinInput{})
	wantCode(t, err, keyward.ECONFLICT)
	if k, _ := cus.Key(ctx, f.owner, k3.ID); k.Status != keyward.StatusIssued || k.HolderID != f.holder2.ID {
		t.Fatalf("refused collect changed the key: %+v", k)
	}
	if k, err := ob.CollectKey(ctx, f.owner, f.holder.ID, k1.ID, keyward.CheckinInput{}); err != nil || k.Status != keyward.StatusInStorage {
		t.Fatalf("collect checked-out key: %+v %v", k, err)
	}
	if k, err := ob.CollectKey(ctx, f.tech, f.holder.ID, k2.ID, keyward.CheckinInput{Note: "handed in"}); err != nil || k.Status != keyward.StatusInStorage {
		t.Fatalf("collect issued key: %+v %v", k, err)
	}
	h, _ := cus.History(ctx, f.owner, k2.ID, keyward.ListOptions{})
	if last := h.Items[len(h.Items)-1]; last.Action != keyward.CustodyReturn || last.Note != "handed in" {
		t.Fatalf("logbook of the collected key: %+v", last)
	}
	_, err = ob.CollectKey(ctx, f.owner, f.holder.ID, k1.ID, keyward.CheckinInput{})
	wantCode(t, err, keyward.ECONFLICT)
	if _, err := ob.RevokeCredential(ctx, f.owner, f.holder2.ID, fob.ID, ""); keyward.ErrorCode(err) != keyward.ECONFLICT {
		t.Fatalf("revoke another holder's credential: %v", err)
	}
	if c, err := ob.RevokeCredential(ctx, f.owner, f.holder.ID, fob.ID, ""); err != nil || c.RevokeReason != "holder offboarded" {
		t.Fatalf("revoke: %+v %v", c, err)
	}
	if p, err := ob.ReleaseStorage(ctx, f.owner, f.holder.ID, spare.ID); err != nil || p.RetiredAt == nil {
		t.Fatalf("release: %+v %v", p, err)
	}
	if h, _ := f.st.KeyHome(ctx, f.owner, k4.ID); h != nil {
		t.Fatalf("the spare still has its home in a retired place: %+v", h)
	}
	o, err = ob.Current(ctx, f.owner, f.holder.ID)
	if err != nil || o.Outstanding != 0 {
		t.Fatalf("after collecting: %+v %v", o, err)
	}
	if _, err := ob.Clear(ctx, f.owner, f.holder.ID); err != nil {
		t.Fatal(err)
	}
	if open, _ := ob.Open(ctx, f.owner); len(open) != 0 {
		t.Fatalf("still open after clear: %+v", open)
	}
	if _, err := cus.Checkout(ctx, f.owner, spareKey.ID, keyward.CheckoutInput{HolderID: f.holder.ID, DueAt: due}); err != nil {
		t.Fatalf("check-out after the offboarding was cleared: %v", err)
	}
	if _, err := cus.Checkin(ctx, f.owner, spareKey.ID, keyward.CheckinInput{}); err != nil {
		t.Fatal(err)
	}
	_, err = ob.Current(ctx, f.owner, f.holder.ID)
	wantCode(t, err, keyward.ENOTFOUND)
	// A new offboarding can start again later.
	if _, err := ob.Start(ctx, f.owner, f.holder.ID, keyward.OffboardingInput{}); err != nil {
		t.Fatal(err)
	}
	if _, _, err := f.db.VerifyAudit(ctx, nil); err != nil {
		t.Fatal(err)
	}
}

func testKeysOutSeries(t *testing.T, f *storageFixture) {
	ctx := context.Background()
	cus := f.db.Custody()
	k1, k2 := f.key(t, "AA1"), f.key(t, "AA2")
	// 2 March: both out; 3 March: one back; 5 March (today): the other lost.
	if _, err := cus.Checkout(ctx, f.owner, k1.ID, keyward.CheckoutInput{HolderID: f.holder.ID, DueAt: f.env.Clock.Now().Add(96 * time.Hour)}); err != nil {
		t.Fatal(err)
	}
	if _, err := cus.Move(ctx, f.owner, k2.ID, keyward.CustodyIssue, keyward.CustodyInput{HolderID: f.holder.ID}); err != nil {
		t.Fatal(err)
	}
	f.env.Clock.Advance(24 * time.Hour)
	if _, err := cus.Checkin(ctx, f.owner, k1.ID, keyward.CheckinInput{}); err != nil {
		t.Fatal(err)
	}
	f.env.Clock.Advance(48 * time.Hour)
	if _, err := cus.Move(ctx, f.owner, k2.ID, keyward.CustodyLost, keyward.CustodyInput{}); err != nil {
		t.Fatal(err)
	}
	series, err := f.db.KeysOut(ctx, f.owner, 5)
	if err != nil {
		t.Fatal(err)
	}
	var got []int
	for _, p := range series {
		got = append(got, p.N)
	}
	// Days: -4 (none), -3 (2 out), -2 (1), -1 (1), today (0).
	want := []int{0, 2, 1, 1, 0}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("keys out by day %v, want %v", got, want)
		}
	}
	if !series[4].Day.Equal(time.Date(2026, 3, 5, 0, 0, 0, 0, time.UTC)) {
		t.Fatalf("last day %v", series[4].Day)
	}
	_, err = f.db.KeysOut(ctx, f.advisor, 0)
	wantField(t, err, "days")

	// Finished days are kept: with the logbook of those days gone, the chart
	// still shows them; today is counted from the keys as they are now.
	if err := f.env.SQL().Exec(`DELETE FROM custody_events WHERE at < '2026-03-05'`); err != nil {
		t.Fatal(err)
	}
	if _, got := f.keysOut(t, 5); got != "[0 2 1 1 0]" {
		t.Fatalf("kept days %v, want [0 2 1 1 0]", got)
	}
	// Until a day is final, five minutes after midnight, its count is kept
	// as provisional: loads in those minutes show it without replaying the
	// logbook, and the first count after them replaces it.
	if _, err := cus.Move(ctx, f.owner, k2.ID, keyward.CustodyFound, keyward.CustodyInput{}); err != nil {
		t.Fatal(err)
	}
	if _, err := cus.Move(ctx, f.owner, k2.ID, keyward.CustodyIssue, keyward.CustodyInput{HolderID: f.holder.ID}); err != nil {
		t.Fatal(err)
	}
	now := f.env.Clock.Now()
	f.env.Clock.Advance(time.Date(now.Year(), now.Month(), now.Day()+1, 0, 1, 0, 0, time.UTC).Sub(now))
	if _, got := f.keysOut(t, 3); got != "[1 1 1]" {
		t.Fatalf("after midnight %v, want [1 1 1]", got)
	}
	if n, err := f.env.SQL().Count(`SELECT COUNT(*) FROM keys_out_days WHERE zone = 'UTC' AND day = '2026-03-05' AND n = 1 AND final = 0`); err != nil || n != 1 {
		t.Fatalf("5 March kept as provisional %d times one minute after it ended (%v), want 1", n, err)
	}
	// A transaction that began before midnight commits now: a return at 23:59:59.
	if err := f.env.SQL().Exec(`INSERT INTO custody_events (id, key_id, action, at, actor, actor_role, holder_id, due_at, note, audit_seq)
		VALUES ('evt_late', '` + k2.ID + `', 'return', '2026-03-05T23:59:59.000000000Z', 'owner@acme.test', 'owner', NULL, NULL, '', 1000000)`); err != nil {
		t.Fatal(err)
	}
	f.env.Clock.Advance(time.Minute)
	if _, got := f.keysOut(t, 3); got != "[1 1 1]" {
		t.Fatalf("a load within the five minutes replayed the logbook: %v, want the provisional [1 1 1]", got)
	}
	// The scheduler keeps every finished day of the 90-day window once final;
	// the late return is in 5 March's final count.
	f.env.Clock.Advance(10 * time.Minute)
	if err := f.db.KeepKeysOut(ctx); err != nil {
		t.Fatal(err)
	}
	if n, err := f.env.SQL().Count(`SELECT n FROM keys_out_days WHERE zone = 'UTC' AND day = '2026-03-05' AND final = 1`); err != nil || n != 0 {
		t.Fatalf("final count of 5 March = %d (%v), want 0", n, err)
	}
	if _, got := f.keysOut(t, 3); got != "[1 0 1]" {
		t.Fatalf("after the day is final %v, want [1 0 1]", got)
	}
	if n, err := f.env.SQL().Count(`SELECT COUNT(*) FROM keys_out_days WHERE zone = 'UTC' AND day >= '2025-12-07'`); err != nil || n != 89 {
		t.Fatalf("%d days kept (%v), want the 89 finished days of the window", n, err)
	}
}

// testKeysOutOrgDays: the chart's days are the organization's, midnight to
// midnight in its zone (Los Angeles here), including the 23-hour day when
// daylight saving time starts; a UTC day would count these events differently.
func testKeysOutOrgDays(t *testing.T, f *storageFixture) {
	ctx := context.Background()
	if _, _, err := f.db.Accounts(f.env.Vault).Init(ctx, store.InitInput{Org: "Acme", Email: "o@acme.test", Password: "correct horse battery", TimeZone: "America/Los_Angeles"}); err != nil {
		t.Fatal(err)
	}
	la, err := time.LoadLocation("America/Los_Angeles")
	if err != nil {
		t.Fatal(err)
	}
	cus := f.db.Custody()
	k1, k2 := f.key(t, "AA1"), f.key(t, "AA2")
	at := func(utc time.Time) {
		t.Helper()
		f.env.Clock.Advance(utc.Sub(f.env.Clock.Now()))
	}
	// 2 March 01:00 in Los Angeles: k1 out. 21:00 the same local day (5:00
	// UTC on 3 March): k1 back. 3 March 02:00 local: k2 issued.
	if _, err := cus.Checkout(ctx, f.owner, k1.ID, keyward.CheckoutInput{HolderID: f.holder.ID, DueAt: f.env.Clock.Now().Add(time.Hour)}); err != nil {
		t.Fatal(err)
	}
	at(time.Date(2026, 3, 3, 5, 0, 0, 0, time.UTC))
	if _, err := cus.Checkin(ctx, f.owner, k1.ID, keyward.CheckinInput{}); err != nil {
		t.Fatal(err)
	}
	at(time.Date(2026, 3, 3, 10, 0, 0, 0, time.UTC))
	if _, err := cus.Move(ctx, f.owner, k2.ID, keyward.CustodyIssue, keyward.CustodyInput{HolderID: f.holder.ID}); err != nil {
		t.Fatal(err)
	}
	at(time.Date(2026, 3, 5, 20, 0, 0, 0, time.UTC))
	series, got := f.keysOut(t, 4)
	// UTC days would give [1 1 1 1]: k1 was still out at UTC midnight.
	if got != "[0 1 1 1]" {
		t.Fatalf("keys out by Los Angeles day %s, want [0 1 1 1]", got)
	}
	if first := time.Date(2026, 3, 2, 0, 0, 0, 0, la); !series[0].Day.Equal(first) {
		t.Fatalf("first day %v, want %v", series[0].Day, first)
	}
	if n, err := f.env.SQL().Count(`SELECT COUNT(*) FROM keys_out_days WHERE zone = 'America/Los_Angeles' AND day IN ('2026-03-02', '2026-03-03', '2026-03-04')`); err != nil || n != 3 {
		t.Fatalf("%d Los Angeles days kept (%v), want 3", n, err)
	}
	if n, err := f.env.SQL().Count(`SELECT n FROM keys_out_days WHERE zone = 'America/Los_Angeles' AND day = '2026-03-02'`); err != nil || n != 0 {
		t.Fatalf("kept count of 2 March = %d (%v), want 0", n, err)
	}
	// Daylight saving time starts on 8 March: that day has 23 hours, and
	// 00:30 on 9 March (7:30 UTC) belongs to 9 March, not to a 24-hour 8 March.
	at(time.Date(2026, 3, 9, 7, 30, 0, 0, time.UTC))
	if _, err := cus.Move(ctx, f.owner, k2.ID, keyward.CustodyReturn, keyward.CustodyInput{}); err != nil {
		t.Fatal(err)
	}
	at(time.Date(2026, 3, 10, 12, 0, 0, 0, time.UTC))
	series, got = f.keysOut(t, 3)
	if got != "[1 0 0]" {
		t.Fatalf("keys out over the change to summer time %s, want [1 0 0]", got)
	}
	if d := series[1].Day.Sub(series[0].Day); d != 23*time.Hour {
		t.Fatalf("8 March lasted %v, want 23h", d)
	}
}

// auditRecords verifies the audit chain and returns its length.
func auditRecords(t *testing.T, f *storageFixture) int64 {
	t.Helper()
	sum, _, err := f.db.VerifyAudit(context.Background(), nil)
	if err != nil {
		t.Fatal(err)
	}
	return sum.Records
}
