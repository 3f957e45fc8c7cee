package storetest

import (
	"slices"
	"testing"

	"github.com/keyward/keyward/internal/keyward"
)

// testKeyReach: what a key opens is the inverse of who can open an opening.
// For every key of a small key system (pinned doors, a door listed by hand
// under a change key, a door listed by hand for a master) and a key outside
// any system, KeyReach lists exactly the openings whose Access names its
// symbol, with the reason; and it says where the key is.
func testKeyReach(t *testing.T, b Backend) {
	f := setup(t, b)
	kw, holder, aa1 := f.stock(t) // AA1-1
	dir, sch := f.db.Directory(), f.db.Schedule()
	site := must[*keyward.Site](t)(dir.CreateSite(ctx, f.owner, keyward.SiteInput{Name: "HQ"}))
	annex := must[*keyward.Site](t)(dir.CreateSite(ctx, f.owner, keyward.SiteInput{Name: "Annex"}))
	doors := map[string]string{}
	for _, d := range []struct{ site, name string }{{site.ID, "Office 1"}, {site.ID, "Office 2"}, {site.ID, "Office 3"}, {site.ID, "Shed"}, {annex.ID, "Gate"}, {annex.ID, "Bike store"}} {
		doors[d.name] = must[*keyward.Opening](t)(dir.CreateOpening(ctx, f.owner, keyward.OpeningInput{SiteID: d.site, Name: d.name, Kind: "door"})).ID
	}
	ks := f.db.KeySystems(f.env.Vault)
	sys := must[*keyward.KeySystem](t)(ks.CreateKeySystem(ctx, f.owner, keyward.KeySystemInput{Name: "HQ", Manufacturer: "schlage_sc4", TMK: "555555",
		Levels: []keyward.KeySystemLevel{{Level: "master", Sequence: []int{1}}, {Level: "change", Sequence: []int{2, 3}}}}))
	for door, sym := range map[string]string{"Office 1": "AA1", "Office 2": "AA2", "Office 3": "AB1"} {
		must[*keyward.Cylinder](t)(ks.Assign(ctx, f.owner, sys.ID, keyward.AssignInput{OpeningID: doors[door], Symbol: sym}))
	}
	for door, sym := range map[string]string{"Shed": "AA3", "Gate": "AA", "Bike store": "BIKE"} {
		must[[]string](t)(sch.AddSymbol(ctx, f.owner, doors[door], keyward.SymbolInput{Symbol: sym}))
	}
	keys := []*keyward.Key{aa1}
	for _, sym := range []string{"AA", "AB", "A", "AA3", "BIKE", "ZZ9"} {
		keys = append(keys, must[*keyward.Key](t)(f.db.Custody().CreateKey(ctx, f.owner, keyward.KeyInput{KeywayID: kw.ID, Symbol: sym})))
	}
	ids := make([]string, len(keys))
	for i, k := range keys {
		ids[i] = k.ID
	}
	reach := must[map[string]*keyward.KeyReach](t)(sch.KeyReaches(ctx, f.owner, append(ids, "key_missing")))
	if len(reach) != len(keys) {
		t.Fatalf("%d reaches for %d keys", len(reach), len(keys))
	}
	names := func(k *keyward.Key) []string {
		var out []string
		for _, o := range reach[k.ID].Opens {
			out = append(out, o.SiteName+"/"+o.OpeningName+"/"+o.Source)
		}
		return out
	}
	want := map[string][]string{
		"AA":   {"Annex/Gate/schedule", "HQ/Office 1/pinning", "HQ/Office 2/pinning", "HQ/Shed/master"},
		"AB":   {"HQ/Office 3/pinning"},
		"A":    {"Annex/Gate/master", "HQ/Office 1/pinning", "HQ/Office 2/pinning", "HQ/Office 3/pinning", "HQ/Shed/master"},
		"AA1":  {"HQ/Office 1/pinning"},
		"AA3":  {"HQ/Shed/schedule"},
		"BIKE": {"Annex/Bike store/schedule"},
		"ZZ9":  nil,
	}
	for _, k := range keys {
		if got := names(k); !slices.Equal(got, want[k.Symbol]) {
			t.Errorf("%s opens %v, want %v", k.Stamp, got, want[k.Symbol])
		}
	}
	// The inverse of Access: an opening lists a key's symbol exactly when the key reaches it.
	for door, id := range doors {
		acc := must[*keyward.OpeningAccess](t)(sch.Access(ctx, f.owner, id))
		for _, k := range keys {
			listed := slices.ContainsFunc(acc.Operating, func(o keyward.OperatingSymbol) bool { return o.Symbol == k.Symbol })
			reached := slices.ContainsFunc(reach[k.ID].Opens, func(o keyward.KeyOpening) bool { return o.OpeningID == id })
			if listed != reached {
				t.Errorf("%s: Access lists %s = %v, KeyReach = %v", door, k.Symbol, listed, reached)
			}
		}
	}
	// Where it is: its home, the envelope's seal, its holder, when it was lost.
	env := must[*keyward.StoragePlace](t)(f.db.Storage(f.env.Vault).Create(ctx, f.owner, keyward.StorageInput{Kind: keyward.StorageEnvelope, Name: "Spares", SealNumber: "4471"}))
	must[*keyward.KeyHome](t)(f.db.Storage(f.env.Vault).Assign(ctx, f.owner, env.ID, keyward.HookInput{KeyID: keys[1].ID, NewSealNumber: "4472", Reason: "spare"}))
	must[*keyward.Key](t)(f.db.Custody().Move(ctx, f.owner, aa1.ID, keyward.CustodyIssue, keyward.CustodyInput{HolderID: holder.ID}))
	must[*keyward.Key](t)(f.db.Custody().Move(ctx, f.owner, aa1.ID, keyward.CustodyLost, keyward.CustodyInput{}))
	r := must[*keyward.KeyReach](t)(sch.KeyReach(ctx, f.owner, keys[1].ID))
	if r.Home == nil || r.Home.StorageName != "Spares" || r.Seal != "4472" || r.LostAt != nil {
		t.Errorf("AA in an envelope: %+v", r)
	}
	r = must[*keyward.KeyReach](t)(sch.KeyReach(ctx, f.owner, aa1.ID))
	if r.HolderName != "Dana Ruiz" || r.LostAt == nil || !r.LostAt.Equal(f.env.Clock.Now()) {
		t.Errorf("AA1-1 lost: %+v", r)
	}
	_, err := sch.KeyReach(ctx, f.owner, "key_missing")
	wantCode(t, err, keyward.ENOTFOUND)
	_, err = sch.KeyReaches(ctx, keyward.Actor{Role: keyward.RoleHolder}, ids)
	wantCode(t, err, keyward.EFORBIDDEN)
}
