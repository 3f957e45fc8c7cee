package storetest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/keyward/keyward/internal/audit"
	"github.com/keyward/keyward/internal/keyward"
	"github.com/keyward/keyward/internal/store"
)

// Run runs the whole suite on one backend.
func Run(t *testing.T, b Backend) {
	tests := []struct {
		name string
		fn   func(*testing.T, Backend)
	}{
		{"Migrations", testMigrations},
		{"InitOnce", testInitOnce},
		{"Directory", testDirectory},
		{"DirectoryValidation", testDirectoryValidation},
		{"KeyCopies", testKeyCopies},
		{"CustodyStateMachine", testCustodyStateMachine},
		{"CheckoutNoPartialState", testCheckoutNoPartialState},
		{"ConcurrentCheckout", testConcurrentCheckout},
		{"HistoryPaging", testHistoryPaging},
		{"KeysPaging", testKeysPaging},
		{"SearchByStamp", testSearchByStamp},
		{"KeyReach", testKeyReach},
		{"Counts", testCounts},
		{"RolesEnforced", testRolesEnforced},
		{"AuditIntact", testAuditIntact},
		{"AuditTamper", testAuditTamper},
		{"AuditTwoProcesses", testAuditTwoProcesses},
		{"CustodyAuditRecords", testCustodyAuditRecords},
		{"Authenticate", testAuthenticate},
		{"SignInThrottle", testSignInThrottle},
		{"SignInAlertOnce", testSignInAlertOnce},
		{"Tokens", testTokens},
		{"Prune", testPrune},
		{"HolderLogbook", testHolderLogbook},
		{"DirectoryEdit", testDirectoryEdit},
		{"DirectoryRetire", testDirectoryRetire},
		{"RetiredOutOfReach", testRetiredOutOfReach},
		{"HolderMerge", testHolderMerge},
		{"CopyRestrictedWorkflow", testCopyRestrictedWorkflow},
		{"CopySignatories", testCopySignatories},
		{"CopyDecisions", testCopyDecisions},
		{"CopyOpenKeyway", testCopyOpenKeyway},
		{"CopyConcurrency", testCopyConcurrency},
		{"CopySelfService", testCopySelfService},
		{"KeyCreatePolicy", testKeyCreatePolicy},
		{"CopyCounts", testCopyCounts},
		{"UncontrolledCopies", testUncontrolledCopies},
		{"KeyCodeRetention", testKeyCodeRetention},
		{"KeyCodeDisposalOnce", testKeyCodeDisposalOnce},
		{"KeyCodeConcurrentReveals", testKeyCodeConcurrentReveals},
		{"CopyCountProperty", testCopyCountProperty},
		{"LockSyncInputs", testLockSyncInputs},
		{"TempCodes", testTempCodes},
		{"LockReports", testLockReports},
		{"OfflineCodes", testOfflineCodes},
		{"LockSyncNetworkKeys", testLockSyncNetworkKeys},
		{"NetAccessHierarchy", testNetAccessHierarchy},
		{"NetAccessRefusals", testNetAccessRefusals},
		{"NetAccessHolderAbuse", testNetAccessHolderAbuse},
		{"NetAccessLostKey", testNetAccessLostKey},
		{"VehicleSpare", testVehicleSpare},
		{"VehicleSpareRefusals", testVehicleSpareRefusals},
		{"LostVehicleKey", testLostVehicleKey},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) { tc.fn(t, b) })
	}
}

var ctx = context.Background()

// fixture is an initialized database with an owner.
type fixture struct {
	env   *Env
	db    *store.DB
	owner keyward.Actor
}

func setup(t *testing.T, b Backend) *fixture {
	t.Helper()
	env := b(t)
	db := env.Open(t)
	u, _, err := db.Accounts(env.Vault).Init(ctx, store.InitInput{Org: "Acme Property", Email: "owner@acme.test", Password: "correct horse battery"})
	if err != nil {
		t.Fatal(err)
	}
	return &fixture{env: env, db: db, owner: keyward.Actor{UserID: u.ID, Email: u.Email, Role: u.Role}}
}

func wantCode(t *testing.T, err error, code keyward.Code) {
	t.Helper()
	if got := keyward.ErrorCode(err); got != code {
		t.Fatalf("error code = %q (%v), want %q", got, err, code)
	}
}

func must[T any](t *testing.T) func(T, error) T {
	return func(v T, err error) T {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
}

func auditCount(t *testing.T, f *fixture) int64 {
	t.Helper()
	sum, _, err := f.db.VerifyAudit(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	return sum.Records
}

// stock creates a keyway, a holder and one key.
func (f *fixture) stock(t *testing.T) (*keyward.Keyway, *keyward.Holder, *keyward.Key) {
	t.Helper()
	kw := must[*keyward.Keyway](t)(f.db.Directory().CreateKeyway(ctx, f.owner, keyward.KeywayInput{Name: "Schlage SC1", Manufacturer: "Schlage", DuplicationPolicy: "restricted"}))
	h := must[*keyward.Holder](t)(f.db.Directory().CreateHolder(ctx, f.owner, keyward.HolderInput{Name: "Dana Ruiz", Email: "dana@acme.test"}))
	k := must[*keyward.Key](t)(f.db.Custody().CreateKey(ctx, f.owner, keyward.KeyInput{KeywayID: kw.ID, Symbol: "AA1"}))
	return kw, h, k
}

func testMigrations(t *testing.T, b Backend) {
	env := b(t)
	env.Open(t)
	// A second open finds the schema current and changes nothing.
	db := env.Open(t)
	if _, err := db.Accounts(env.Vault).Org(ctx); keyward.ErrorCode(err) != keyward.ENOTFOUND {
		t.Fatalf("fresh database has an org: %v", err)
	}
}

func testInitOnce(t *testing.T, b Backend) {
	f := setup(t, b)
	_, _, err := f.db.Accounts(f.env.Vault).Init(ctx, store.InitInput{Org: "Other", Email: "x@y.test"})
	wantCode(t, err, keyward.ECONFLICT)
	org := must[*keyward.Org](t)(f.db.Accounts(f.env.Vault).Org(ctx))
	if org.Name != "Acme Property" {
		t.Fatalf("org = %q", org.Name)
	}
	// Bad init input names the field.
	env := b(t)
	_, _, err = env.Open(t).Accounts(env.Vault).Init(ctx, store.InitInput{Org: "", Email: "not-an-email"})
	var e *keyward.Error
	if !errors.As(err, &e) || len(e.Fields) != 2 || e.Fields[0].Field != "org" || e.Fields[1].Field != "admin_email" {
		t.Fatalf("init validation = %#v", err)
	}
}

func testDirectory(t *testing.T, b Backend) {
	f := setup(t, b)
	dir := f.db.Directory()
	site := must[*keyward.Site](t)(dir.CreateSite(ctx, f.owner, keyward.SiteInput{Name: "  Harbour Office  "}))
	if site.Name != "Harbour Office" || site.ID == "" {
		t.Fatalf("site = %+v", site)
	}
	got := must[*keyward.Site](t)(dir.Site(ctx, f.owner, site.ID))
	if got.Name != site.Name || !got.CreatedAt.Equal(f.env.Clock.Now()) {
		t.Fatalf("read back %+v", got)
	}
	o := must[*keyward.Opening](t)(dir.CreateOpening(ctx, f.owner, keyward.OpeningInput{SiteID: site.ID, Name: "Room 101", Kind: "door"}))
	if o.SiteID != site.ID {
		t.Fatal("opening lost its site")
	}
	_, err := dir.CreateOpening(ctx, f.owner, keyward.OpeningInput{SiteID: "site_nope", Name: "X", Kind: "door"})
	wantCode(t, err, keyward.EINVALID)
	_, err = dir.Site(ctx, f.owner, "site_nope")
	wantCode(t, err, keyward.ENOTFOUND)
	kw := must[*keyward.Keyway](t)(dir.CreateKeyway(ctx, f.owner, keyward.KeywayInput{Name: "KW1", DuplicationPolicy: "open"}))
	_, err = dir.CreateKeyway(ctx, f.owner, keyward.KeywayInput{Name: "KW1", DuplicationPolicy: "dnd"})
	wantCode(t, err, keyward.ECONFLICT)
	if k := must[*keyward.Keyway](t)(dir.Keyway(ctx, f.owner, kw.ID)); k.DuplicationPolicy != "open" {
		t.Fatalf("keyway = %+v", k)
	}
	h := must[*keyward.Holder](t)(dir.CreateHolder(ctx, f.owner, keyward.HolderInput{Name: "Sam", Email: "Sam@Acme.test", Signatory: true}))
	if h.Email != "sam@acme.test" || !h.Signatory || h.Kind != "staff" {
		t.Fatalf("holder = %+v", h)
	}
	_, err = dir.CreateHolder(ctx, f.owner, keyward.HolderInput{Name: "Sam 2", Email: "sam@acme.test"})
	wantCode(t, err, keyward.ECONFLICT)
}

func testDirectoryValidation(t *testing.T, b Backend) {
	f := setup(t, b)
	before := auditCount(t, f)
	dir := f.db.Directory()
	long := make([]byte, keyward.MaxName+1)
	for i := range long {
		long[i] = 'x'
	}
	cases := []struct {
		name  string
		err   error
		field string
	}{
		{"empty site", second(dir.CreateSite(ctx, f.owner, keyward.SiteInput{Name: "  "})), "name"},
		{"long site", second(dir.CreateSite(ctx, f.owner, keyward.SiteInput{Name: string(long)})), "name"},
		{"bad kind", second(dir.CreateOpening(ctx, f.owner, keyward.OpeningInput{SiteID: "x", Name: "A", Kind: "window"})), "kind"},
		{"bad policy", second(dir.CreateKeyway(ctx, f.owner, keyward.KeywayInput{Name: "A", DuplicationPolicy: "maybe"})), "duplication_policy"},
		{"bad email", second(dir.CreateHolder(ctx, f.owner, keyward.HolderInput{Name: "A", Email: "nope"})), "email"},
		{"bad symbol", second(f.db.Custody().CreateKey(ctx, f.owner, keyward.KeyInput{KeywayID: "x", Symbol: "A A"})), "symbol"},
	}
	for _, c := range cases {
		var e *keyward.Error
		if !errors.As(c.err, &e) || e.Code != keyward.EINVALID || len(e.Fields) == 0 || e.Fields[0].Field != c.field {
			t.Errorf("%s: got %v, want EINVALID on %s", c.name, c.err, c.field)
		}
	}
	if after := auditCount(t, f); after != before {
		t.Fatalf("rejected input wrote %d audit records", after-before)
	}
}

func second[T any](_ T, err error) error { return err }

func testKeyCopies(t *testing.T, b Backend) {
	f := setup(t, b)
	kw, _, k1 := f.stock(t)
	if k1.CopyNumber != 1 || k1.Status != keyward.StatusInStorage || k1.Stamp != "AA1-1" {
		t.Fatalf("first copy = %+v", k1)
	}
	k2 := must[*keyward.Key](t)(f.db.Custody().CreateKey(ctx, f.owner, keyward.KeyInput{KeywayID: kw.ID, Symbol: "AA1"}))
	if k2.CopyNumber != 2 {
		t.Fatalf("second copy number = %d", k2.CopyNumber)
	}
	other := must[*keyward.Key](t)(f.db.Custody().CreateKey(ctx, f.owner, keyward.KeyInput{KeywayID: kw.ID, Symbol: "AA2"}))
	if other.CopyNumber != 1 {
		t.Fatalf("copy numbers are per symbol, got %d", other.CopyNumber)
	}
	_, err := f.db.Custody().CreateKey(ctx, f.owner, keyward.KeyInput{KeywayID: kw.ID, Symbol: "AA1", CopyNumber: 2})
	wantCode(t, err, keyward.ECONFLICT)
	_, err = f.db.Custody().CreateKey(ctx, f.owner, keyward.KeyInput{KeywayID: "kwy_nope", Symbol: "AA1"})
	wantCode(t, err, keyward.EINVALID)
}

func testCustodyStateMachine(t *testing.T, b Backend) {
	f := setup(t, b)
	_, h, k := f.stock(t)
	c := f.db.Custody()
	due := f.env.Clock.Now().Add(24 * time.Hour)
	_, err := c.Checkin(ctx, f.owner, k.ID, keyward.CheckinInput{})
	wantCode(t, err, keyward.ECONFLICT)
	if err.(*keyward.Error).Message == "" {
		t.Fatal("conflict must name the current state")
	}
	_, err = c.Checkout(ctx, f.owner, k.ID, keyward.CheckoutInput{HolderID: h.ID, DueAt: f.env.Clock.Now()})
	wantCode(t, err, keyward.EINVALID)
	out := must[*keyward.Key](t)(c.Checkout(ctx, f.owner, k.ID, keyward.CheckoutInput{HolderID: h.ID, DueAt: due}))
	if out.Status != keyward.StatusCheckedOut || out.HolderID != h.ID || !out.DueAt.Equal(due) {
		t.Fatalf("after checkout %+v", out)
	}
	held := must[[]keyward.Key](t)(c.HolderKeys(ctx, f.owner, h.ID))
	if len(held) != 1 || held[0].ID != k.ID {
		t.Fatalf("holder keys = %+v", held)
	}
	_, err = c.Checkout(ctx, f.owner, k.ID, keyward.CheckoutInput{HolderID: h.ID, DueAt: due})
	wantCode(t, err, keyward.ECONFLICT)
	in := must[*keyward.Key](t)(c.Checkin(ctx, f.owner, k.ID, keyward.CheckinInput{}))
	if in.Status != keyward.StatusInStorage || in.HolderID != "" || in.DueAt != nil {
		t.Fatalf("after checkin %+v", in)
	}
	must[*keyward.Key](t)(c.Move(ctx, f.owner, k.ID, keyward.CustodyIssue, keyward.CustodyInput{HolderID: h.ID}))
	h2 := must[*keyward.Holder](t)(f.db.Directory().CreateHolder(ctx, f.owner, keyward.HolderInput{Name: "Lee", Email: "lee@acme.test"}))
	_, err = c.Move(ctx, f.owner, k.ID, keyward.CustodyTransfer, keyward.CustodyInput{HolderID: "hld_nope"})
	wantCode(t, err, keyward.EINVALID)
	tr := must[*keyward.Key](t)(c.Move(ctx, f.owner, k.ID, keyward.CustodyTransfer, keyward.CustodyInput{HolderID: h2.ID}))
	if tr.HolderID != h2.ID || tr.Status != keyward.StatusIssued {
		t.Fatalf("after transfer %+v", tr)
	}
	lost := must[*keyward.Key](t)(c.Move(ctx, f.owner, k.ID, keyward.CustodyLost, keyward.CustodyInput{Note: "left on the bus"}))
	if lost.Status != keyward.StatusLost {
		t.Fatalf("after lost %+v", lost)
	}
	if held := must[[]keyward.Key](t)(c.HolderKeys(ctx, f.owner, h2.ID)); len(held) != 0 {
		t.Fatalf("a lost key is not held: %+v", held)
	}
	_, err = c.Checkout(ctx, f.owner, k.ID, keyward.CheckoutInput{HolderID: h.ID, DueAt: due})
	wantCode(t, err, keyward.ECONFLICT)
	must[*keyward.Key](t)(c.Move(ctx, f.owner, k.ID, keyward.CustodyFound, keyward.CustodyInput{}))
	must[*keyward.Key](t)(c.Move(ctx, f.owner, k.ID, keyward.CustodyDestroy, keyward.CustodyInput{Note: "worn"}))
	_, err = c.Move(ctx, f.owner, k.ID, keyward.CustodyFound, keyward.CustodyInput{})
	wantCode(t, err, keyward.ECONFLICT)
	hist := must[*keyward.Page[keyward.Event]](t)(c.History(ctx, f.owner, k.ID, keyward.ListOptions{}))
	var actions []string
	for _, e := range hist.Items {
		actions = append(actions, e.Action)
	}
	want := "[create checkout checkin issue transfer lost found destroy]"
	if fmt.Sprint(actions) != want {
		t.Fatalf("history = %v, want %s", actions, want)
	}
	if hist.Items[1].Actor != "owner@acme.test" || hist.Items[1].HolderID != h.ID {
		t.Fatalf("checkout event = %+v", hist.Items[1])
	}
}

func testCheckoutNoPartialState(t *testing.T, b Backend) {
	f := setup(t, b)
	_, _, k := f.stock(t)
	before := auditCount(t, f)
	_, err := f.db.Custody().Checkout(ctx, f.owner, k.ID, keyward.CheckoutInput{HolderID: "hld_nope", DueAt: f.env.Clock.Now().Add(time.Hour)})
	wantCode(t, err, keyward.EINVALID)
	got := must[*keyward.Key](t)(f.db.Custody().Key(ctx, f.owner, k.ID))
	if got.Status != keyward.StatusInStorage || got.HolderID != "" {
		t.Fatalf("failed checkout changed the key: %+v", got)
	}
	if after := auditCount(t, f); after != before {
		t.Fatalf("failed checkout wrote %d audit records", after-before)
	}
	_, err = f.db.Custody().Checkout(ctx, f.owner, "key_nope", keyward.CheckoutInput{HolderID: "x", DueAt: f.env.Clock.Now().Add(time.Hour)})
	wantCode(t, err, keyward.ENOTFOUND)
}

// testConcurrentCheckout: 20 check-outs of one key, from two database handles
// (two server processes), give exactly one success and 19 conflicts.
func testConcurrentCheckout(t *testing.T, b Backend) {
	f := setup(t, b)
	_, h, k := f.stock(t)
	dbs := []*store.DB{f.db, f.env.Open(t)}
	due := f.env.Clock.Now().Add(time.Hour)
	var wg sync.WaitGroup
	errs := make([]error, 20)
	for i := range errs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, errs[i] = dbs[i%2].Custody().Checkout(ctx, f.owner, k.ID, keyward.CheckoutInput{HolderID: h.ID, DueAt: due})
		}()
	}
	wg.Wait()
	ok, conflict := 0, 0
	for _, err := range errs {
		switch keyward.ErrorCode(err) {
		case "":
			ok++
		case keyward.ECONFLICT:
			conflict++
		default:
			t.Errorf("unexpected error: %v", err)
		}
	}
	if ok != 1 || conflict != 19 {
		t.Fatalf("%d successes, %d conflicts; want 1 and 19", ok, conflict)
	}
	hist := must[*keyward.Page[keyward.Event]](t)(f.db.Custody().History(ctx, f.owner, k.ID, keyward.ListOptions{}))
	if len(hist.Items) != 2 {
		t.Fatalf("history has %d events, want create + one checkout", len(hist.Items))
	}
}

func testHistoryPaging(t *testing.T, b Backend) {
	f := setup(t, b)
	_, h, k := f.stock(t)
	c := f.db.Custody()
	for range 6 {
		f.env.Clock.Advance(time.Minute)
		must[*keyward.Key](t)(c.Checkout(ctx, f.owner, k.ID, keyward.CheckoutInput{HolderID: h.ID, DueAt: f.env.Clock.Now().Add(time.Hour)}))
		must[*keyward.Key](t)(c.Checkin(ctx, f.owner, k.ID, keyward.CheckinInput{}))
	}
	var all []keyward.Event
	cursor := ""
	for pages := 0; ; pages++ {
		p := must[*keyward.Page[keyward.Event]](t)(c.History(ctx, f.owner, k.ID, keyward.ListOptions{Cursor: cursor, Limit: 5}))
		all = append(all, p.Items...)
		if p.Next == "" {
			break
		}
		cursor = p.Next
		if pages > 10 {
			t.Fatal("paging does not end")
		}
	}
	if len(all) != 13 {
		t.Fatalf("%d events, want 13", len(all))
	}
	for i := 1; i < len(all); i++ {
		if all[i].At.Before(all[i-1].At) {
			t.Fatalf("history not oldest first at %d", i)
		}
	}
	if all[0].Action != "create" || all[12].Action != "checkin" {
		t.Fatalf("first %s last %s", all[0].Action, all[12].Action)
	}
	_, err := c.History(ctx, f.owner, k.ID, keyward.ListOptions{Cursor: "garbage"})
	wantCode(t, err, keyward.EINVALID)
}

func testKeysPaging(t *testing.T, b Backend) {
	f := setup(t, b)
	kw, _, _ := f.stock(t)
	for _, s := range []string{"AA2", "AB1", "AA2", "AA10"} {
		must[*keyward.Key](t)(f.db.Custody().CreateKey(ctx, f.owner, keyward.KeyInput{KeywayID: kw.ID, Symbol: s}))
	}
	var stamps []string
	cursor := ""
	for {
		p := must[*keyward.Page[keyward.Key]](t)(f.db.Custody().Keys(ctx, f.owner, keyward.KeyFilter{ListOptions: keyward.ListOptions{Cursor: cursor, Limit: 2}}))
		for _, k := range p.Items {
			stamps = append(stamps, k.Stamp)
		}
		if p.Next == "" {
			break
		}
		cursor = p.Next
	}
	if fmt.Sprint(stamps) != "[AA1-1 AA10-1 AA2-1 AA2-2 AB1-1]" {
		t.Fatalf("stamps = %v", stamps)
	}
	for _, q := range []string{"AA", "aa"} {
		p := must[*keyward.Page[keyward.Key]](t)(f.db.Custody().Keys(ctx, f.owner, keyward.KeyFilter{Query: q}))
		if len(p.Items) != 4 {
			t.Fatalf("search %q found %d keys, want the 4 AA keys", q, len(p.Items))
		}
	}
	res := must[*keyward.SearchResult](t)(f.db.Search(ctx, f.owner, "AA2-2", 10))
	if len(res.Keys) != 1 || res.Keys[0].Stamp != "AA2-2" {
		t.Fatalf("stamp search = %+v", res.Keys)
	}
	p := must[*keyward.Page[keyward.Key]](t)(f.db.Custody().Keys(ctx, f.owner, keyward.KeyFilter{Symbol: "AA2"}))
	if len(p.Items) != 2 || p.Next != "" {
		t.Fatalf("symbol filter = %+v", p)
	}
	// A symbol stamped in lower case is found whichever case the search is typed in.
	must[*keyward.Key](t)(f.db.Custody().CreateKey(ctx, f.owner, keyward.KeyInput{KeywayID: kw.ID, Symbol: "bb7"}))
	for _, q := range []string{"BB", "bb", "Bb"} {
		p := must[*keyward.Page[keyward.Key]](t)(f.db.Custody().Keys(ctx, f.owner, keyward.KeyFilter{Query: q}))
		if len(p.Items) != 1 || p.Items[0].Stamp != "bb7-1" {
			t.Fatalf("search %q = %+v, want bb7-1", q, p.Items)
		}
	}
	_, err := f.db.Custody().Keys(ctx, f.owner, keyward.KeyFilter{Status: "bogus"})
	var e *keyward.Error
	if !errors.As(err, &e) || e.Code != keyward.EINVALID || len(e.Fields) != 1 || e.Fields[0].Field != "status" {
		t.Fatalf("unknown status filter: %v, want a 400 naming status", err)
	}
}

func testRolesEnforced(t *testing.T, b Backend) {
	f := setup(t, b)
	_, h, k := f.stock(t)
	acc := f.db.Accounts(f.env.Vault)
	mk := func(email string, role keyward.Role, holder string) keyward.Actor {
		u, _, err := acc.CreateUser(ctx, f.owner, store.UserInput{Email: email, Role: role, HolderID: holder})
		if err != nil {
			t.Fatal(err)
		}
		return keyward.Actor{UserID: u.ID, Email: u.Email, Role: u.Role, HolderID: u.HolderID}
	}
	auditor := mk("audit@acme.test", keyward.RoleAuditor, "")
	holder := mk("dana.user@acme.test", keyward.RoleHolder, h.ID)
	before := auditCount(t, f)
	_, err := f.db.Custody().Checkout(ctx, auditor, k.ID, keyward.CheckoutInput{HolderID: h.ID, DueAt: f.env.Clock.Now().Add(time.Hour)})
	wantCode(t, err, keyward.EFORBIDDEN)
	if after := auditCount(t, f); after != before+1 {
		t.Fatalf("a denial must be recorded: %d new records", after-before)
	}
	page := must[*keyward.Page[keyward.AuditRecord]](t)(f.db.Audit(ctx, f.owner, keyward.AuditFilter{Action: "denied.key.custody"}))
	if len(page.Items) != 1 || page.Items[0].Actor != "audit@acme.test" {
		t.Fatalf("denial record = %+v", page.Items)
	}
	if got := must[*keyward.Key](t)(f.db.Custody().Key(ctx, f.owner, k.ID)); got.Status != keyward.StatusInStorage {
		t.Fatal("denied checkout changed the key")
	}
	_, err = f.db.Audit(ctx, holder, keyward.AuditFilter{})
	wantCode(t, err, keyward.EFORBIDDEN)
	_, err = f.db.Custody().Keys(ctx, holder, keyward.KeyFilter{})
	wantCode(t, err, keyward.EFORBIDDEN)
	// A holder sees their own keys and may report them lost, nobody else's.
	must[*keyward.Key](t)(f.db.Custody().Move(ctx, f.owner, k.ID, keyward.CustodyIssue, keyward.CustodyInput{HolderID: h.ID}))
	if got := must[[]keyward.Key](t)(f.db.Custody().HolderKeys(ctx, holder, h.ID)); len(got) != 1 {
		t.Fatalf("holder sees %d own keys", len(got))
	}
	must[*keyward.Key](t)(f.db.Custody().Move(ctx, holder, k.ID, keyward.CustodyLost, keyward.CustodyInput{}))
	_, _, err = acc.CreateUser(ctx, mk("admin@acme.test", keyward.RoleAdmin, ""), store.UserInput{Email: "o2@acme.test", Role: keyward.RoleOwner})
	wantCode(t, err, keyward.EFORBIDDEN)
}

func testAuditIntact(t *testing.T, b Backend) {
	f := setup(t, b)
	f.stock(t)
	sum, _, err := f.db.VerifyAudit(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	if sum.Records < 5 {
		t.Fatalf("only %d records", sum.Records)
	}
	page := must[*keyward.Page[keyward.AuditRecord]](t)(f.db.Audit(ctx, f.owner, keyward.AuditFilter{ListOptions: keyward.ListOptions{Limit: 2}}))
	if len(page.Items) != 2 || page.Items[0].Seq != sum.Records || page.Next == "" {
		t.Fatalf("newest first page = %+v", page)
	}
	next := must[*keyward.Page[keyward.AuditRecord]](t)(f.db.Audit(ctx, f.owner, keyward.AuditFilter{ListOptions: keyward.ListOptions{Cursor: page.Next, Limit: 2}}))
	if next.Items[0].Seq != sum.Records-2 {
		t.Fatalf("second page starts at %d", next.Items[0].Seq)
	}
}

// testAuditTamper edits, deletes, reorders and inserts rows behind the store's
// back and checks that verification names the first bad record.
func testAuditTamper(t *testing.T, b Backend) {
	cases := []struct {
		name    string
		tamper  []string
		wantSeq int64
	}{
		{"edited", []string{`UPDATE audit_log SET details = '{"name":"Evil"}' WHERE seq = 3`}, 3},
		{"deleted", []string{`DELETE FROM audit_log WHERE seq = 4`}, 5},
		{"deleted last", []string{`DELETE FROM audit_log WHERE seq = (SELECT MAX(seq) FROM audit_log)`}, 5},
		{"reordered", []string{
			`UPDATE audit_log SET seq = 1000 WHERE seq = 3`,
			`UPDATE audit_log SET seq = 3 WHERE seq = 4`,
			`UPDATE audit_log SET seq = 4 WHERE seq = 1000`,
		}, 3},
		{"inserted", []string{
			`UPDATE audit_log SET seq = seq + 100 WHERE seq >= 3`,
			`UPDATE audit_log SET seq = seq - 99 WHERE seq >= 103`,
			`INSERT INTO audit_log (seq, id, at, actor, actor_role, action, subject_type, subject_id, details, prev_hash, hash)
			 SELECT 3, 'aud_fake', at, actor, actor_role, 'key.destroy', subject_type, subject_id, details, prev_hash, hash FROM audit_log WHERE seq = 4`,
		}, 3},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := setup(t, b)
			f.stock(t) // 5 records: org, owner, keyway, holder, key
			if n := auditCount(t, f); n != 5 {
				t.Fatalf("fixture has %d records, the cases assume 5", n)
			}
			for _, q := range tc.tamper {
				if err := f.env.SQL().Exec(q); err != nil {
					t.Fatal(err)
				}
			}
			_, _, err := f.db.VerifyAudit(ctx, nil)
			var bad *audit.BadRecord
			if !errors.As(err, &bad) {
				t.Fatalf("verify = %v, want a bad record", err)
			}
			if bad.Seq != tc.wantSeq {
				t.Fatalf("first bad record = %d (%s), want %d", bad.Seq, bad.Reason, tc.wantSeq)
			}
		})
	}
}

// testAuditTwoProcesses appends from two handles at once; the chain stays one.
// testAuditTwoProcesses: two database handles (two server processes) append
// at once, through generic transactions and through custody moves (one
// statement on PostgreSQL), and the log is still one intact chain.
func testAuditTwoProcesses(t *testing.T, b Backend) {
	f := setup(t, b)
	kw, h, k0 := f.stock(t)
	k1 := must[*keyward.Key](t)(f.db.Custody().CreateKey(ctx, f.owner, keyward.KeyInput{KeywayID: kw.ID, Symbol: "AA2"}))
	keys := []*keyward.Key{k0, k1}
	before := auditCount(t, f)
	dbs := []*store.DB{f.db, f.env.Open(t)}
	due := f.env.Clock.Now().Add(time.Hour)
	var wg sync.WaitGroup
	for i := range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c := dbs[i].Custody()
			for j := range 25 {
				if _, err := dbs[i].Directory().CreateSite(ctx, f.owner, keyward.SiteInput{Name: fmt.Sprintf("site %d-%d", i, j)}); err != nil {
					t.Error(err)
					return
				}
				if _, err := c.Checkout(ctx, f.owner, keys[i].ID, keyward.CheckoutInput{HolderID: h.ID, DueAt: due}); err != nil {
					t.Error(err)
					return
				}
				if _, err := c.Checkin(ctx, f.owner, keys[i].ID, keyward.CheckinInput{}); err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	sum, _, err := dbs[1].VerifyAudit(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	if want := before + 2*25*3; sum.Records != want {
		t.Fatalf("%d records, want %d", sum.Records, want)
	}
}

// testCustodyAuditRecords: a check-out and a check-in write audit records
// whose details name the key's stamp, state, holder, due time and note exactly,
// whatever the note holds, and the chain verifies across them.
func testCustodyAuditRecords(t *testing.T, b Backend) {
	f := setup(t, b)
	_, h, k := f.stock(t)
	c := f.db.Custody()
	due := f.env.Clock.Now().Add(2 * time.Hour).Truncate(time.Second)
	notes := []string{"", `said "back by 5" \ ok`, "line\nbreak \u2028 <b>&</b> 🔑", "STAMP.MARK_ in a note"}
	for _, note := range notes {
		must[*keyward.Key](t)(c.Checkout(ctx, f.owner, k.ID, keyward.CheckoutInput{HolderID: h.ID, DueAt: due, Note: note}))
		must[*keyward.Key](t)(c.Checkin(ctx, f.owner, k.ID, keyward.CheckinInput{Note: note}))
		// A record from the generic path between the moves.
		must[*keyward.Site](t)(f.db.Directory().CreateSite(ctx, f.owner, keyward.SiteInput{Name: "Site " + fmt.Sprint(len(note))}))
	}
	auditCount(t, f) // the chain verifies
	page := must[*keyward.Page[keyward.AuditRecord]](t)(f.db.Audit(ctx, f.owner, keyward.AuditFilter{SubjectID: k.ID, ListOptions: keyward.ListOptions{Limit: 500}}))
	var moves []map[string]any
	for i := len(page.Items) - 1; i >= 0; i-- {
		r := page.Items[i]
		if r.Action != "key.checkout" && r.Action != "key.checkin" {
			continue
		}
		var d map[string]any
		if err := json.Unmarshal([]byte(r.Details), &d); err != nil {
			t.Fatalf("record %d details %q: %v", r.Seq, r.Details, err)
		}
		d["action"] = r.Action
		moves = append(moves, d)
	}
	if len(moves) != 2*len(notes) {
		t.Fatalf("%d custody audit records, want %d", len(moves), 2*len(notes))
	}
	for i, note := range notes {
		out, in := moves[2*i], moves[2*i+1]
		wantOut := map[string]any{"action": "key.checkout", "stamp": "AA1-1", "status": "checked_out", "holder_id": h.ID, "due_at": due.UTC().Format(time.RFC3339)}
		wantIn := map[string]any{"action": "key.checkin", "stamp": "AA1-1", "status": "in_storage"}
		if note != "" {
			wantOut["note"], wantIn["note"] = note, note
		}
		if fmt.Sprint(out) != fmt.Sprint(wantOut) || fmt.Sprint(in) != fmt.Sprint(wantIn) {
			t.Fatalf("note %q:\n out %v\nwant %v\n  in %v\nwant %v", note, out, wantOut, in, wantIn)
		}
	}
}

func testAuthenticate(t *testing.T, b Backend) {
	f := setup(t, b)
	acc := f.db.Accounts(f.env.Vault)
	u, err := acc.Authenticate(ctx, "OWNER@acme.test", "correct horse battery", "10.0.0.1")
	if err != nil || u.Role != keyward.RoleOwner {
		t.Fatalf("sign-in: %v", err)
	}
	for range 5 {
		_, err = acc.Authenticate(ctx, "owner@acme.test", "wrong password", "10.0.0.1")
		wantCode(t, err, keyward.EUNAUTHORIZED)
	}
	// That address waits now, even with the right password, from a second process too.
	_, err = f.env.Open(t).Accounts(f.env.Vault).Authenticate(ctx, "owner@acme.test", "correct horse battery", "10.0.0.1")
	wantCode(t, err, keyward.ETOOMANY)
	// Another address does not.
	if _, err := acc.Authenticate(ctx, "owner@acme.test", "correct horse battery", "10.0.0.2"); err != nil {
		t.Fatalf("another address: %v", err)
	}
	f.env.Clock.Advance(time.Second)
	if _, err := acc.Authenticate(ctx, "owner@acme.test", "correct horse battery", "10.0.0.1"); err != nil {
		t.Fatalf("after the wait: %v", err)
	}
	sid, err := acc.CreateSession(ctx, u, true)
	if err != nil {
		t.Fatal(err)
	}
	a, mfa, err := acc.Session(ctx, sid)
	if err != nil || a.UserID != u.ID || !mfa {
		t.Fatalf("session = %+v %v %v", a, mfa, err)
	}
	f.env.Clock.Advance(store.SessionTTL + time.Minute)
	_, _, err = acc.Session(ctx, sid)
	wantCode(t, err, keyward.EUNAUTHORIZED)
}

func testTokens(t *testing.T, b Backend) {
	f := setup(t, b)
	acc := f.db.Accounts(f.env.Vault)
	tok, err := acc.CreateToken(ctx, keyward.SystemActor("cli"), "owner@acme.test", "ci")
	if err != nil {
		t.Fatal(err)
	}
	a, err := acc.TokenActor(ctx, tok)
	if err != nil || a.Email != "owner@acme.test" || a.Role != keyward.RoleOwner {
		t.Fatalf("token actor = %+v, %v", a, err)
	}
	_, err = acc.TokenActor(ctx, tok+"x")
	wantCode(t, err, keyward.EUNAUTHORIZED)
	_, err = acc.CreateToken(ctx, keyward.SystemActor("cli"), "nobody@acme.test", "x")
	wantCode(t, err, keyward.ENOTFOUND)
	// Tokens are stored hashed: the plaintext is nowhere in the database.
	if n, err := f.env.SQL().Count(`SELECT COUNT(*) FROM api_tokens WHERE token_hash = '` + tok + `'`); err != nil || n != 0 {
		t.Fatalf("plaintext token stored (%d, %v)", n, err)
	}
}

func testCounts(t *testing.T, b Backend) {
	f := setup(t, b)
	kw, h, k1 := f.stock(t)
	c := f.db.Custody()
	k2 := must[*keyward.Key](t)(c.CreateKey(ctx, f.owner, keyward.KeyInput{KeywayID: kw.ID, Symbol: "AA1"}))
	k3 := must[*keyward.Key](t)(c.CreateKey(ctx, f.owner, keyward.KeyInput{KeywayID: kw.ID, Symbol: "AA2"}))
	now := f.env.Clock.Now()
	must[*keyward.Key](t)(c.Checkout(ctx, f.owner, k1.ID, keyward.CheckoutInput{HolderID: h.ID, DueAt: now.Add(time.Hour)}))
	must[*keyward.Key](t)(c.Checkout(ctx, f.owner, k2.ID, keyward.CheckoutInput{HolderID: h.ID, DueAt: now.Add(2 * time.Hour)}))
	must[*keyward.Key](t)(c.Move(ctx, f.owner, k3.ID, keyward.CustodyLost, keyward.CustodyInput{}))
	later := now.Add(90 * time.Minute)
	counts := must[*keyward.KeyCounts](t)(f.db.KeyCounts(ctx, f.owner, later))
	if counts.ByStatus[keyward.StatusCheckedOut] != 2 || counts.ByStatus[keyward.StatusLost] != 1 || counts.Overdue != 1 {
		t.Fatalf("counts = %+v", counts)
	}
	late := must[[]keyward.Key](t)(f.db.OverdueKeys(ctx, f.owner, later, 10))
	if len(late) != 1 || late[0].ID != k1.ID || !keyward.Overdue(late[0], later) {
		t.Fatalf("overdue = %+v", late)
	}
}

// testPrune: expired sessions, old failed sign-ins and old idempotency keys
// go, in batches, and nothing that is still in use goes with them.
func testPrune(t *testing.T, b Backend) {
	f := setup(t, b)
	acc := f.db.Accounts(f.env.Vault)
	u, err := acc.Authenticate(ctx, "owner@acme.test", "correct horse battery", "10.0.0.1")
	if err != nil {
		t.Fatal(err)
	}
	t0 := f.env.Clock.Now()
	stamp := func(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000000000Z") }
	// 1,203 failed sign-ins from eight days ago (more than two batches) and one from now.
	if err := f.env.SQL().Exec(`WITH RECURSIVE n (i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 1203)
		INSERT INTO login_failures (id, email, addr, at) SELECT 'lf_old' || i, 'owner@acme.test', '10.0.0.9', '` + stamp(t0.Add(-8*24*time.Hour)) + `' FROM n`); err != nil {
		t.Fatal(err)
	}
	if err := f.env.SQL().Exec(`INSERT INTO login_failures (id, email, addr, at) VALUES ('lf_new', 'owner@acme.test', '10.0.0.9', '` + stamp(t0) + `')`); err != nil {
		t.Fatal(err)
	}
	if claimed, _, err := f.db.ClaimIdempotency(ctx, u.ID, "old", "h1"); err != nil || !claimed {
		t.Fatalf("claim old: %v %v", claimed, err)
	}
	expired, err := acc.CreateSession(ctx, u, true)
	if err != nil {
		t.Fatal(err)
	}
	f.env.Clock.Advance(20 * time.Hour)
	live, err := acc.CreateSession(ctx, u, true)
	if err != nil {
		t.Fatal(err)
	}
	f.env.Clock.Advance(5 * time.Hour)
	if claimed, _, err := f.db.ClaimIdempotency(ctx, u.ID, "new", "h2"); err != nil || !claimed {
		t.Fatalf("claim new: %v %v", claimed, err)
	}

	got, err := f.db.Prune(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if want := (store.Pruned{Sessions: 1, LoginFailures: 1203, IdempotencyKeys: 1}); got != want {
		t.Fatalf("pruned %+v, want %+v", got, want)
	}
	if _, _, err := acc.Session(ctx, live); err != nil {
		t.Fatalf("the live session was pruned: %v", err)
	}
	if n, err := f.env.SQL().Count(`SELECT COUNT(*) FROM sessions WHERE expires_at < '` + stamp(f.env.Clock.Now()) + `'`); err != nil || n != 0 {
		t.Fatalf("%d expired sessions left (%v)", n, err)
	}
	_, _, err = acc.Session(ctx, expired)
	wantCode(t, err, keyward.EUNAUTHORIZED)
	if n, err := f.env.SQL().Count(`SELECT COUNT(*) FROM login_failures WHERE id = 'lf_new'`); err != nil || n != 1 {
		t.Fatalf("the recent failed sign-in was pruned (%d, %v)", n, err)
	}
	// The old key is forgotten and may act again; the new one still answers with its first request.
	if claimed, _, err := f.db.ClaimIdempotency(ctx, u.ID, "old", "h3"); err != nil || !claimed {
		t.Fatalf("old key after pruning: claimed %v, %v", claimed, err)
	}
	if claimed, prev, err := f.db.ClaimIdempotency(ctx, u.ID, "new", "h2"); err != nil || claimed || prev.RequestHash != "h2" {
		t.Fatalf("new key after pruning: claimed %v, %+v, %v", claimed, prev, err)
	}
	if got, err := f.db.Prune(ctx); err != nil || got.Total() != 0 {
		t.Fatalf("second prune deleted %+v (%v), want nothing", got, err)
	}
}

// testHolderLogbook: a holder's logbook has every move of a key they held,
// the ones that take it back too (check-in, return, lost).
func testHolderLogbook(t *testing.T, b Backend) {
	f := setup(t, b)
	_, h, k := f.stock(t)
	other := must[*keyward.Holder](t)(f.db.Directory().CreateHolder(ctx, f.owner, keyward.HolderInput{Name: "Sam Okafor", Email: "sam@acme.test"}))
	cus := f.db.Custody()
	must[*keyward.Key](t)(cus.Checkout(ctx, f.owner, k.ID, keyward.CheckoutInput{HolderID: h.ID, DueAt: f.env.Clock.Now().Add(time.Hour)}))
	must[*keyward.Key](t)(cus.Checkin(ctx, f.owner, k.ID, keyward.CheckinInput{}))
	must[*keyward.Key](t)(cus.Move(ctx, f.owner, k.ID, keyward.CustodyIssue, keyward.CustodyInput{HolderID: h.ID}))
	must[*keyward.Key](t)(cus.Move(ctx, f.owner, k.ID, keyward.CustodyReturn, keyward.CustodyInput{}))
	must[*keyward.Key](t)(cus.Move(ctx, f.owner, k.ID, keyward.CustodyIssue, keyward.CustodyInput{HolderID: h.ID}))
	must[*keyward.Key](t)(cus.Move(ctx, f.owner, k.ID, keyward.CustodyTransfer, keyward.CustodyInput{HolderID: other.ID}))
	must[*keyward.Key](t)(cus.Move(ctx, f.owner, k.ID, keyward.CustodyTransfer, keyward.CustodyInput{HolderID: h.ID}))
	must[*keyward.Key](t)(cus.Move(ctx, f.owner, k.ID, keyward.CustodyLost, keyward.CustodyInput{}))
	actions := func(holderID string) string {
		t.Helper()
		// Two a page, newest first across pages.
		var evs []keyward.Event
		opt := keyward.ListOptions{Limit: 2}
		for {
			p := must[*keyward.Page[keyward.Event]](t)(f.db.HolderEvents(ctx, f.owner, holderID, opt))
			evs = append(evs, p.Items...)
			if p.Next == "" {
				break
			}
			opt.Cursor = p.Next
		}
		var out []string
		for _, e := range evs {
			if e.HolderID != holderID && e.FromHolderID != holderID {
				t.Fatalf("an event of holder %s in the logbook of %s: %+v", e.HolderID, holderID, e)
			}
			out = append(out, e.Action)
		}
		return fmt.Sprint(out)
	}
	// Both transfers are in both logbooks: each holder gave the key once and got it once.
	if got, want := actions(h.ID), "[lost transfer transfer issue return issue checkin checkout]"; got != want {
		t.Fatalf("holder logbook, newest first: %s, want %s", got, want)
	}
	if got, want := actions(other.ID), "[transfer transfer]"; got != want {
		t.Fatalf("the other holder's logbook: %s, want %s", got, want)
	}
	third := must[*keyward.Holder](t)(f.db.Directory().CreateHolder(ctx, f.owner, keyward.HolderInput{Name: "Kim Park", Email: "kim@acme.test"}))
	if got := actions(third.ID); got != "[]" {
		t.Fatalf("a holder who never held it: %s, want none", got)
	}
}

// A stamp is found as it is written on the key, whatever the case and dashes;
// a text that reads two ways shows both; nothing that does not match is shown.
func testSearchByStamp(t *testing.T, b Backend) {
	f := setup(t, b)
	kw, _, _ := f.stock(t) // AA1-1, holder Dana Ruiz
	create := func(sym string, copyNo int) {
		must[*keyward.Key](t)(f.db.Custody().CreateKey(ctx, f.owner, keyward.KeyInput{KeywayID: kw.ID, Symbol: sym, CopyNumber: copyNo}))
	}
	create("AA2", 0)  // AA2-1
	create("AA2", 0)  // AA2-2
	create("AA21", 0) // AA21-1
	create("AA20", 0) // AA20-1
	create("AA", 21)  // AA-21
	create("aa3", 0)  // aa3-1, stamped in lower case
	create("GGM", 0)  // GGM-1
	must[*keyward.Holder](t)(f.db.Directory().CreateHolder(ctx, f.owner, keyward.HolderInput{Name: "Jane Tenant", Email: "Jane.T@Example.org", Phone: "+1 555 0100"}))
	stamps := func(q string) string {
		t.Helper()
		res := must[*keyward.SearchResult](t)(f.db.Search(ctx, f.owner, q, 50))
		var out []string
		for _, k := range res.Keys {
			out = append(out, k.Stamp)
		}
		return strings.Join(out, " ")
	}
	for _, c := range []struct{ q, want string }{
		{"AA-2", "AA2-1 AA2-2"},         // AA copy 2 does not exist
		{"aa2", "AA2-1 AA2-2"},          // case
		{"AA2-1", "AA-21 AA2-1 AA21-1"}, // three readings, each exists
		{"AA21", "AA-21 AA2-1 AA21-1"},
		{"aa2-2", "AA2-2"},
		{"AA3", "aa3-1"},
		{"ggm-1", "GGM-1"},
		{"AA9", ""},
		{"A", ""}, // no prefix matches
	} {
		if got := stamps(c.q); got != c.want {
			t.Errorf("search %q found keys [%s], want [%s]", c.q, got, c.want)
		}
	}
	holders := func(q string) int {
		t.Helper()
		return len(must[*keyward.SearchResult](t)(f.db.Search(ctx, f.owner, q, 50)).Holders)
	}
	for _, c := range []struct {
		q    string
		want int
	}{{"tenant", 1}, {"jane.t@example", 1}, {"555 0100", 1}, {"ruiz", 1}, {"nobody", 0}, {"e", 2}} {
		if got := holders(c.q); got != c.want {
			t.Errorf("search %q found %d holders, want %d", c.q, got, c.want)
		}
	}
}
