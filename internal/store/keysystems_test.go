package store_test

import (
	"context"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/keyward/keyward/internal/keyward"
	"github.com/keyward/keyward/internal/store"
	"github.com/keyward/keyward/internal/store/storetest"
)

type ksFixture struct {
	env     *storetest.Env
	db      *store.DB
	ks      *store.KeySystems
	owner   keyward.Actor
	manager keyward.Actor
	doors   map[string]string // name → opening id
}

func newKSFixture(t *testing.T, b storetest.Backend) *ksFixture {
	t.Helper()
	ctx := context.Background()
	env := b(t)
	db := env.Open(t)
	acc := db.Accounts(env.Vault)
	u, _, err := acc.Init(ctx, store.InitInput{Org: "Acme Property", Email: "owner@acme.test", Password: "correct horse battery"})
	if err != nil {
		t.Fatal(err)
	}
	m, _, err := acc.CreateUser(ctx, keyward.SystemActor("test"), store.UserInput{Email: "manager@acme.test", Role: keyward.RoleManager})
	if err != nil {
		t.Fatal(err)
	}
	f := &ksFixture{env: env, db: db, ks: db.KeySystems(env.Vault), doors: map[string]string{},
		owner:   keyward.Actor{UserID: u.ID, Email: u.Email, Role: u.Role},
		manager: keyward.Actor{UserID: m.ID, Email: m.Email, Role: m.Role}}
	site, err := db.Directory().CreateSite(ctx, f.owner, keyward.SiteInput{Name: "HQ"})
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"Office 1", "Office 2", "Office 3", "Lobby", "Storage"} {
		o, err := db.Directory().CreateOpening(ctx, f.owner, keyward.OpeningInput{SiteID: site.ID, Name: name, Kind: "door"})
		if err != nil {
			t.Fatal(err)
		}
		f.doors[name] = o.ID
	}
	return f
}

// threeLevel is Schlage 6-pin, TMK 555555: masters progress position 1
// (AA 155555, AB 355555, AC 755555, AD 955555), change keys positions 2 and 3.
func threeLevel(name string) keyward.KeySystemInput {
	return keyward.KeySystemInput{Name: name, Manufacturer: "schlage_sc4", TMK: "555555", Levels: []keyward.KeySystemLevel{
		{Level: "master", Sequence: []int{1}}, {Level: "change", Sequence: []int{2, 3}}}}
}

func (f *ksFixture) assign(t *testing.T, id, door, symbol string, cross ...string) *keyward.Cylinder {
	t.Helper()
	c, err := f.ks.Assign(context.Background(), f.owner, id, keyward.AssignInput{OpeningID: f.doors[door], Symbol: symbol, CrossKeys: cross})
	if err != nil {
		t.Fatalf("assign %s → %s: %v", door, symbol, err)
	}
	return c
}

func (f *ksFixture) auditActions(t *testing.T, action string) []keyward.AuditRecord {
	t.Helper()
	p, err := f.db.Audit(context.Background(), f.owner, keyward.AuditFilter{Action: action, ListOptions: keyward.ListOptions{Limit: 500}})
	if err != nil {
		t.Fatal(err)
	}
	return p.Items
}

func (f *ksFixture) completeAll(t *testing.T, id string, plan *keyward.RekeyPlan) *keyward.RekeyPlan {
	t.Helper()
	ctx := context.Background()
	for _, it := range plan.Items {
		var err error
		plan, err = f.ks.CompleteItem(ctx, f.owner, id, plan.ID, it.ID, doneInput(it))
		if err != nil {
			t.Fatalf("complete item %d (%s): %v", it.Seq, it.Kind, err)
		}
	}
	return plan
}

// doneInput confirms an item, naming a new key for a replaced cylinder.
func doneInput(it keyward.PlanItem) keyward.ItemDoneInput {
	in := keyward.ItemDoneInput{Confirm: true}
	if keyward.DoneRecords(it.Kind).NewKeys {
		in.NewKeys = []string{"NEW" + strconv.Itoa(it.Seq)}
	}
	return in
}

func TestKeySystems(t *testing.T) {
	storetest.Each(t, testKeySystems)
}

func testKeySystems(t *testing.T, b storetest.Backend) {
	ctx := context.Background()
	f := newKSFixture(t, b)
	sys, err := f.ks.CreateKeySystem(ctx, f.owner, threeLevel("HQ system"))
	if err != nil {
		t.Fatal(err)
	}
	if sys.Symbols[0].Symbol != "A" || sys.Symbols[0].Tier != keyward.TierTop || sys.Symbols[1].Symbol != "AA" || sys.Symbols[2].Symbol != "AA1" {
		t.Fatalf("tree starts %+v", sys.Symbols[:3])
	}
	masters := 0
	for _, s := range sys.Symbols {
		if s.Tier == keyward.TierMaster {
			masters++
		}
	}
	if masters != 4 {
		t.Fatalf("masters = %d, want 4", masters)
	}

	// Bittings are sealed at rest: no plaintext in the table.
	if n, err := f.env.SQL().Count(`SELECT COUNT(*) FROM key_symbols WHERE bitting_sealed LIKE '%555555%' OR bitting_sealed NOT LIKE 'v2:%'`); err != nil || n != 0 {
		t.Fatalf("plaintext bittings in key_symbols: %d %v", n, err)
	}
	if n := f.env.SQL().MustCount(t, `SELECT COUNT(*) FROM audit_log WHERE details LIKE '%555555%'`); n != 0 {
		t.Fatalf("the TMK is in %d audit records", n)
	}

	// Reveal: audited for the owner, refused and recorded for a manager.
	got, err := f.ks.Reveal(ctx, f.owner, sys.ID, keyward.RevealInput{Symbols: []string{"A", "AA", "AA1"}, Reason: "cut keys"})
	if err != nil {
		t.Fatal(err)
	}
	if want := []keyward.RevealedBitting{{Symbol: "A", Bitting: "555555"}, {Symbol: "AA", Bitting: "155555"}, {Symbol: "AA1", Bitting: "111555"}}; !slices.Equal(got, want) {
		t.Fatalf("reveal = %v, want %v", got, want)
	}
	if recs := f.auditActions(t, "bitting.reveal"); len(recs) != 1 || recs[0].Actor != "owner@acme.test" {
		t.Fatalf("reveal records = %+v", recs)
	}
	if _, err := f.ks.Reveal(ctx, f.manager, sys.ID, keyward.RevealInput{}); keyward.ErrorCode(err) != keyward.EFORBIDDEN {
		t.Fatalf("manager reveal: %v", err)
	}
	if recs := f.auditActions(t, "denied.bitting.reveal"); len(recs) != 1 || recs[0].Actor != "manager@acme.test" {
		t.Fatalf("denial records = %+v", recs)
	}

	// The keying schedule. The lobby is a common-entrance cylinder: AA3 cross-keyed to AB2.
	f.assign(t, sys.ID, "Office 1", "AA1")
	f.assign(t, sys.ID, "Office 2", "AA2")
	f.assign(t, sys.ID, "Office 3", "AB1")
	lobby := f.assign(t, sys.ID, "Lobby", "AA3", "AB2")
	f.assign(t, sys.ID, "Storage", "AC1")
	if !slices.Equal(lobby.KeyList, []string{"AA3", "AA", "A", "AB2", "AB"}) {
		t.Fatalf("lobby key list = %v", lobby.KeyList)
	}
	// A pinning chart shows bittings: without a reason it is refused and nothing is recorded.
	reveals := len(f.auditActions(t, "bitting.reveal"))
	if _, err := f.ks.RevealPinning(ctx, f.owner, sys.ID, f.doors["Office 1"], keyward.PinningRevealInput{Reason: "  "}); !hasRule(err, "reason", "is required") {
		t.Fatalf("pinning chart without a reason: %v", err)
	}
	if n := len(f.auditActions(t, "bitting.reveal")); n != reveals {
		t.Fatalf("a refused chart reveal was recorded (%d records, want %d)", n, reveals)
	}
	chart, err := f.ks.RevealPinning(ctx, f.owner, sys.ID, f.doors["Office 1"], keyward.PinningRevealInput{Reason: "rekey Office 1"})
	if err != nil {
		t.Fatal(err)
	}
	if recs := f.auditActions(t, "bitting.reveal"); len(recs) != reveals+1 || !strings.Contains(recs[0].Details, "rekey Office 1") {
		t.Fatalf("the chart reveal's record does not carry its reason: %+v", recs)
	}
	// AA1 111555 + AA 155555 + A 555555: chamber 1 shear 1,5; 2 and 3: 1,5.
	if c := chart.Chambers[0]; c.BottomPin != 1 || !slices.Equal(c.MasterPins, []int{4}) || chart.TotalMasterPins != 3 {
		t.Fatalf("chart = %+v", chart)
	}

	// The automatic audit after the last pinning: AA2 (Office 2) opens the lobby,
	// riding AB2's cut in chamber 2... or AA3's: the closest key differs in one chamber.
	sys, err = f.ks.KeySystem(ctx, f.owner, sys.ID)
	if err != nil {
		t.Fatal(err)
	}
	if sys.Audit == nil || len(sys.Audit.Findings) != 1 || sys.Audit.Findings[0].Symbol != "AA2" || sys.Audit.Findings[0].OpeningName != "Lobby" ||
		len(sys.Audit.Findings[0].Chambers) != 1 {
		t.Fatalf("audit = %+v", sys.Audit)
	}

	// Bad input names the keying rule and leaves nothing behind.
	bad := threeLevel("Bad")
	bad.TMK = "191919"
	if _, err := f.ks.CreateKeySystem(ctx, f.owner, bad); !hasRule(err, "tmk", "tmk_macs") {
		t.Fatalf("MACS-failing TMK: %v", err)
	}
	bad = threeLevel("Bad")
	bad.Levels[0].Columns = map[string][]int{"1": {4}}
	if _, err := f.ks.CreateKeySystem(ctx, f.owner, bad); !hasRule(err, "levels", "parity") {
		t.Fatalf("parity: %v", err)
	}
	bad = threeLevel("Bad")
	bad.TopSymbol = "A" // taken by "HQ system"
	if _, err := f.ks.CreateKeySystem(ctx, f.owner, bad); keyward.ErrorCode(err) != keyward.ECONFLICT {
		t.Fatalf("duplicate symbols: %v", err)
	}
	if n := f.env.SQL().MustCount(t, `SELECT COUNT(*) FROM key_systems WHERE name = 'Bad'`); n != 0 {
		t.Fatalf("%d partial key systems left", n)
	}
	if _, err := f.ks.Assign(ctx, f.owner, sys.ID, keyward.AssignInput{OpeningID: f.doors["Office 1"], Symbol: "ZZ9"}); !hasRule(err, "symbol", "must be a symbol of this key system") {
		t.Fatalf("unknown symbol: %v", err)
	}

	// A lost change key: its door (intended) and the lobby (incidental).
	plan, err := f.ks.ReportLost(ctx, f.owner, sys.ID, keyward.LostKeyInput{Symbol: "AA2"})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(plan.Intended, []string{f.doors["Office 2"]}) || !slices.Equal(plan.Incidental, []string{f.doors["Lobby"]}) {
		t.Fatalf("lost AA2: intended %v incidental %v", plan.Intended, plan.Incidental)
	}
	var rekey *keyward.PlanItem
	for i, it := range plan.Items {
		if it.OpeningID == f.doors["Office 2"] {
			rekey = &plan.Items[i]
		}
	}
	if rekey == nil || rekey.Kind != keyward.PlanRekey || rekey.ToSymbol != "AA4" || plan.Items[0].Kind != keyward.PlanCut {
		t.Fatalf("plan items = %+v", plan.Items)
	}
	if _, err := f.ks.ReportLost(ctx, f.owner, sys.ID, keyward.LostKeyInput{Symbol: "AA2"}); keyward.ErrorCode(err) != keyward.ECONFLICT {
		t.Fatalf("second report: %v", err)
	}
	plan = f.completeAll(t, sys.ID, plan)
	if plan.Status != "done" || len(plan.LostOperates) != 0 || plan.ClosedAt == nil {
		t.Fatalf("closed plan = %+v", plan)
	}
	if _, err := f.ks.CompleteItem(ctx, f.owner, sys.ID, plan.ID, plan.Items[0].ID, keyward.ItemDoneInput{Confirm: true}); keyward.ErrorCode(err) != keyward.ECONFLICT {
		t.Fatalf("item done twice: %v", err)
	}
	cyl, err := f.ks.Cylinder(ctx, f.owner, sys.ID, f.doors["Office 2"])
	if err != nil {
		t.Fatal(err)
	}
	if cyl.Symbol != "AA4" || len(cyl.History) != 2 || cyl.History[1].Symbol != "AA2" || cyl.History[1].EndedAt == nil {
		t.Fatalf("office 2 after rekey = %+v", cyl)
	}

	// A lost master: every door under it.
	sys, _ = f.ks.KeySystem(ctx, f.owner, sys.ID)
	var under []string
	for _, c := range sys.Cylinders {
		if slices.Contains(c.KeyList, "AA") {
			under = append(under, c.OpeningID)
		}
	}
	if len(under) < 2 {
		t.Fatalf("doors under AA: %v", under)
	}
	plan, err = f.ks.ReportLost(ctx, f.owner, sys.ID, keyward.LostKeyInput{Symbol: "AA"})
	if err != nil {
		t.Fatal(err)
	}
	opens := append(slices.Clone(plan.Intended), plan.Incidental...)
	for _, d := range under {
		if !slices.Contains(opens, d) {
			t.Fatalf("lost AA: plan %v misses door %s", opens, d)
		}
	}
	plan = f.completeAll(t, sys.ID, plan)
	if plan.Status != "done" || len(plan.LostOperates) != 0 {
		t.Fatalf("closed master plan = %+v", plan)
	}
	closed := f.auditActions(t, "keysystem.plan_closed")
	if len(closed) != 2 || !contains(closed[0].Details, `"lost_operates_nothing":true`) || !contains(closed[0].Details, `"lost_symbol":"AA"`) {
		t.Fatalf("plan_closed records = %+v", closed)
	}
	sys, _ = f.ks.KeySystem(ctx, f.owner, sys.ID)
	for _, c := range sys.Cylinders {
		if slices.Contains(c.KeyList, "AA") || slices.Contains(c.KeyList, "AA2") {
			t.Fatalf("%s still keyed to a lost key: %v", c.OpeningName, c.KeyList)
		}
	}
	if sum, _, err := f.db.VerifyAudit(ctx, nil); err != nil || sum.Records == 0 {
		t.Fatalf("audit chain: %v", err)
	}
}

// TestOpeningAccessFollowsKeySystem: the per-opening view lists the keys of
// every symbol that operates the opening: a pinned cylinder's key list (keyed
// symbol, its masters, cross keys) and, for a hand-scheduled symbol of a key
// system, the masters above it.
func TestOpeningAccessFollowsKeySystem(t *testing.T) {
	storetest.Each(t, func(t *testing.T, be storetest.Backend) {
		ctx := context.Background()
		f := newKSFixture(t, be)
		sys, err := f.ks.CreateKeySystem(ctx, f.owner, threeLevel("HQ system"))
		if err != nil {
			t.Fatal(err)
		}
		f.assign(t, sys.ID, "Office 1", "AA1", "AB1")
		if _, err := f.db.Schedule().AddSymbol(ctx, f.owner, f.doors["Office 2"], keyward.SymbolInput{Symbol: "AB2"}); err != nil {
			t.Fatal(err)
		}
		kw, err := f.db.Directory().CreateKeyway(ctx, f.owner, keyward.KeywayInput{Name: "SC4", DuplicationPolicy: "restricted"})
		if err != nil {
			t.Fatal(err)
		}
		for _, sym := range []string{"A", "AA", "AA1", "AA2", "AB", "AB1", "AB2", "AC1"} {
			if _, err := f.db.Custody().CreateKey(ctx, f.owner, keyward.KeyInput{KeywayID: kw.ID, Symbol: sym}); err != nil {
				t.Fatal(err)
			}
		}
		view := func(door string) (operating, keys string) {
			t.Helper()
			acc, err := f.db.Schedule().Access(ctx, f.manager, f.doors[door])
			if err != nil {
				t.Fatal(err)
			}
			var ops, stamps []string
			for _, o := range acc.Operating {
				ops = append(ops, o.Symbol+" "+o.Tier+" "+o.Source+" "+o.System)
			}
			for _, k := range acc.Keys {
				stamps = append(stamps, k.Stamp)
			}
			return strings.Join(ops, ", "), strings.Join(stamps, " ")
		}
		ops, keys := view("Office 1")
		if want := "AA1 change pinning HQ system, AA master pinning HQ system, A top pinning HQ system, AB1 change pinning HQ system, AB master pinning HQ system"; ops != want {
			t.Errorf("Office 1 operated by %q, want %q", ops, want)
		}
		if want := "A-1 AA-1 AA1-1 AB-1 AB1-1"; keys != want {
			t.Errorf("Office 1 keys %q, want %q", keys, want)
		}
		ops, keys = view("Office 2")
		if want := "AB2 change schedule HQ system, AB master master HQ system, A top master HQ system"; ops != want {
			t.Errorf("Office 2 operated by %q, want %q", ops, want)
		}
		if want := "A-1 AB-1 AB2-1"; keys != want {
			t.Errorf("Office 2 keys %q, want %q", keys, want)
		}
		if ops, keys := view("Lobby"); ops != "" || keys != "" {
			t.Errorf("an opening with no schedule and no pinning: %q, %q", ops, keys)
		}
	})
}

func hasRule(err error, field, rule string) bool {
	e, ok := err.(*keyward.Error)
	if !ok || e.Code != keyward.EINVALID {
		return false
	}
	return slices.Contains(e.Fields, keyward.FieldError{Field: field, Rule: rule})
}

func contains(s, sub string) bool { return strings.Contains(s, sub) }

// A custom spec and no TMK: Keyward picks a random MACS-valid one, and a
// 2-level system's change keys are 1AA, 2AA, …
func TestKeySystemRandomTMK(t *testing.T) {
	storetest.Each(t, func(t *testing.T, be storetest.Backend) {
		ctx := context.Background()
		f := newKSFixture(t, be)
		in := keyward.KeySystemInput{Name: "Kwikset shed", Spec: &keyward.KeySpec{Name: "kw1", Positions: 5, MinDepth: 1, MaxDepth: 6, MACS: 4, Step: 1},
			TopSymbol: "KA", Levels: []keyward.KeySystemLevel{{Level: "change", Sequence: []int{5}}}}
		sys, err := f.ks.CreateKeySystem(ctx, f.owner, in)
		if err != nil {
			t.Fatal(err)
		}
		if len(sys.Symbols) < 2 || sys.Symbols[0].Symbol != "KA" || sys.Symbols[1].Symbol != "1KA" {
			t.Fatalf("symbols = %+v", sys.Symbols)
		}
		got, err := f.ks.Reveal(ctx, f.owner, sys.ID, keyward.RevealInput{Symbols: []string{"KA"}, Reason: "cut a key"})
		if err != nil {
			t.Fatal(err)
		}
		tmk := got[0].Bitting
		if len(tmk) != 5 {
			t.Fatalf("random TMK %q", tmk)
		}
		for i := 0; i+1 < len(tmk); i++ {
			if d := int(tmk[i]) - int(tmk[i+1]); d > 4 || d < -4 || tmk[i] < '1' || tmk[i] > '6' {
				t.Fatalf("random TMK %q breaks the spec", tmk)
			}
		}
		in.Manufacturer, in.Name = "schlage_sc4", "Both"
		if _, err := f.ks.CreateKeySystem(ctx, f.owner, in); !hasRule(err, "spec", "give a manufacturer or a spec, not both") {
			t.Fatalf("manufacturer and spec: %v", err)
		}
		in.Manufacturer, in.Spec.MACS = "", 0
		if _, err := f.ks.CreateKeySystem(ctx, f.owner, in); !hasRule(err, "spec.macs", "bad_input") {
			t.Fatalf("MACS 0: %v", err)
		}
	})
}
