package storetest

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/keyward/keyward/internal/keyward"
)

func ptr[T any](v T) *T { return &v }

// lastAudit is the newest audit record of action on subject.
func lastAudit(t *testing.T, f *fixture, action, subject string) map[string]any {
	t.Helper()
	p := must[*keyward.Page[keyward.AuditRecord]](t)(f.db.Audit(ctx, f.owner, keyward.AuditFilter{Action: action, SubjectID: subject}))
	if len(p.Items) == 0 {
		t.Fatalf("no audit record %s of %s", action, subject)
	}
	var d map[string]any
	if err := json.Unmarshal([]byte(p.Items[0].Details), &d); err != nil {
		t.Fatal(err)
	}
	return d
}

func testDirectoryEdit(t *testing.T, b Backend) {
	f := setup(t, b)
	dir := f.db.Directory()
	site := must[*keyward.Site](t)(dir.CreateSite(ctx, f.owner, keyward.SiteInput{Name: "Harbour Office", Address: "1 Quay"}))
	other := must[*keyward.Site](t)(dir.CreateSite(ctx, f.owner, keyward.SiteInput{Name: "Depot"}))
	o := must[*keyward.Opening](t)(dir.CreateOpening(ctx, f.owner, keyward.OpeningInput{SiteID: site.ID, Name: "Room 101", Kind: "door"}))
	kw := must[*keyward.Keyway](t)(dir.CreateKeyway(ctx, f.owner, keyward.KeywayInput{Name: "KW1", DuplicationPolicy: "open"}))
	must[*keyward.Keyway](t)(dir.CreateKeyway(ctx, f.owner, keyward.KeywayInput{Name: "KW2", DuplicationPolicy: "open"}))
	h := must[*keyward.Holder](t)(dir.CreateHolder(ctx, f.owner, keyward.HolderInput{Name: "Sam", Email: "sam@acme.test"}))
	must[*keyward.Holder](t)(dir.CreateHolder(ctx, f.owner, keyward.HolderInput{Name: "Kim", Email: "kim@acme.test"}))

	// Only the members sent change.
	s2 := must[*keyward.Site](t)(dir.UpdateSite(ctx, f.owner, site.ID, keyward.SitePatch{Name: ptr(" Harbour House ")}))
	if s2.Name != "Harbour House" || s2.Address != "1 Quay" {
		t.Fatalf("site after patch = %+v", s2)
	}
	if d := lastAudit(t, f, "site.update", site.ID); !strings.Contains(mustJSON(d), `"name":{"new":"Harbour House","old":"Harbour Office"}`) {
		t.Fatalf("site.update details = %v", mustJSON(d))
	}
	o2 := must[*keyward.Opening](t)(dir.UpdateOpening(ctx, f.owner, o.ID, keyward.OpeningPatch{SiteID: &other.ID, Kind: ptr("gate")}))
	if o2.SiteID != other.ID || o2.Kind != "gate" || o2.Name != "Room 101" {
		t.Fatalf("opening after patch = %+v", o2)
	}
	k2 := must[*keyward.Keyway](t)(dir.UpdateKeyway(ctx, f.owner, kw.ID, keyward.KeywayPatch{DuplicationPolicy: ptr("restricted")}))
	if k2.DuplicationPolicy != "restricted" || k2.Name != "KW1" {
		t.Fatalf("keyway after patch = %+v", k2)
	}
	h2 := must[*keyward.Holder](t)(dir.UpdateHolder(ctx, f.owner, h.ID, keyward.HolderPatch{Phone: ptr("555-0101"), Signatory: ptr(true)}))
	if h2.Phone != "555-0101" || !h2.Signatory || h2.Email != "sam@acme.test" {
		t.Fatalf("holder after patch = %+v", h2)
	}

	// A patch is validated like a create, and a refused one changes nothing
	// and records nothing.
	before := auditCount(t, f)
	for name, err := range map[string]error{
		"site name":         second(dir.UpdateSite(ctx, f.owner, site.ID, keyward.SitePatch{Name: ptr(" ")})),
		"opening kind":      second(dir.UpdateOpening(ctx, f.owner, o.ID, keyward.OpeningPatch{Kind: ptr("window"), Name: ptr("Changed")})),
		"opening site":      second(dir.UpdateOpening(ctx, f.owner, o.ID, keyward.OpeningPatch{SiteID: ptr("site_nope")})),
		"keyway policy":     second(dir.UpdateKeyway(ctx, f.owner, kw.ID, keyward.KeywayPatch{DuplicationPolicy: ptr("maybe")})),
		"holder email":      second(dir.UpdateHolder(ctx, f.owner, h.ID, keyward.HolderPatch{Email: ptr("not-an-email")})),
		"holder name empty": second(dir.UpdateHolder(ctx, f.owner, h.ID, keyward.HolderPatch{Name: ptr(""), Phone: ptr("1")})),
	} {
		if keyward.ErrorCode(err) != keyward.EINVALID {
			t.Errorf("%s: %v, want EINVALID", name, err)
		}
	}
	_, err := dir.UpdateKeyway(ctx, f.owner, kw.ID, keyward.KeywayPatch{Name: ptr("KW2")})
	wantCode(t, err, keyward.ECONFLICT)
	_, err = dir.UpdateHolder(ctx, f.owner, h.ID, keyward.HolderPatch{Email: ptr("KIM@acme.test")})
	wantCode(t, err, keyward.ECONFLICT)
	_, err = dir.UpdateSite(ctx, f.owner, "site_nope", keyward.SitePatch{Name: ptr("x")})
	wantCode(t, err, keyward.ENOTFOUND)
	if after := auditCount(t, f); after != before {
		t.Fatalf("refused patches wrote %d audit records", after-before)
	}
	if got := must[*keyward.Opening](t)(dir.Opening(ctx, f.owner, o.ID)); got.Name != "Room 101" || got.Kind != "gate" {
		t.Fatalf("refused patch changed the opening: %+v", got)
	}
	if got := must[*keyward.Holder](t)(dir.Holder(ctx, f.owner, h.ID)); got.Name != "Sam" || got.Phone != "555-0101" {
		t.Fatalf("refused patch changed the holder: %+v", got)
	}
	// An empty patch changes and records nothing.
	must[*keyward.Site](t)(dir.UpdateSite(ctx, f.owner, site.ID, keyward.SitePatch{}))
	if after := auditCount(t, f); after != before {
		t.Fatal("an empty patch wrote an audit record")
	}
	// Roles: an auditor may not edit, and the refusal is recorded.
	auditor := keyward.Actor{UserID: "usr_x", Email: "aud@acme.test", Role: keyward.RoleAuditor}
	_, err = dir.UpdateSite(ctx, auditor, site.ID, keyward.SitePatch{Name: ptr("Nope")})
	wantCode(t, err, keyward.EFORBIDDEN)
}

func mustJSON(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

func testDirectoryRetire(t *testing.T, b Backend) {
	f := setup(t, b)
	dir := f.db.Directory()
	kw, h, k := f.stock(t)
	site := must[*keyward.Site](t)(dir.CreateSite(ctx, f.owner, keyward.SiteInput{Name: "Harbour Office"}))
	o := must[*keyward.Opening](t)(dir.CreateOpening(ctx, f.owner, keyward.OpeningInput{SiteID: site.ID, Name: "Room 101", Kind: "door"}))

	// What is outstanding blocks a retire, by name.
	must[*keyward.Key](t)(f.db.Custody().Checkout(ctx, f.owner, k.ID, keyward.CheckoutInput{HolderID: h.ID, DueAt: f.env.Clock.Now().Add(time.Hour)}))
	err := dir.Retire(ctx, f.owner, keyward.KindHolder, h.ID)
	wantCode(t, err, keyward.ECONFLICT)
	if !strings.Contains(err.Error(), "AA1-1") {
		t.Fatalf("holder retire conflict does not name the key: %v", err)
	}
	err = dir.Retire(ctx, f.owner, keyward.KindKeyway, kw.ID)
	wantCode(t, err, keyward.ECONFLICT)
	if !strings.Contains(err.Error(), "AA1-1") {
		t.Fatalf("keyway retire conflict does not name the key: %v", err)
	}
	err = dir.Retire(ctx, f.owner, keyward.KindSite, site.ID)
	wantCode(t, err, keyward.ECONFLICT)
	if !strings.Contains(err.Error(), "Room 101") {
		t.Fatalf("site retire conflict does not name the opening: %v", err)
	}
	must[*keyward.Key](t)(f.db.Custody().Checkin(ctx, f.owner, k.ID, keyward.CheckinInput{}))
	must[*keyward.Key](t)(f.db.Custody().Move(ctx, f.owner, k.ID, keyward.CustodyDestroy, keyward.CustodyInput{}))

	type rec struct {
		kind, id string
		read     func() (*time.Time, error)
		listed   func(bool) (bool, error)
	}
	has := func(ids []string, id string) bool {
		for _, v := range ids {
			if v == id {
				return true
			}
		}
		return false
	}
	all := func(inc bool) keyward.ListOptions { return keyward.ListOptions{IncludeRetired: inc} }
	recs := []rec{
		{keyward.KindOpening, o.ID, func() (*time.Time, error) {
			v, err := dir.Opening(ctx, f.owner, o.ID)
			if err != nil {
				return nil, err
			}
			return v.RetiredAt, nil
		}, func(inc bool) (bool, error) {
			p, err := dir.Openings(ctx, f.owner, site.ID, all(inc))
			if err != nil {
				return false, err
			}
			var ids []string
			for _, v := range p.Items {
				ids = append(ids, v.ID)
			}
			return has(ids, o.ID), nil
		}},
		{keyward.KindSite, site.ID, func() (*time.Time, error) {
			v, err := dir.Site(ctx, f.owner, site.ID)
			if err != nil {
				return nil, err
			}
			return v.RetiredAt, nil
		}, func(inc bool) (bool, error) {
			p, err := dir.Sites(ctx, f.owner, all(inc))
			if err != nil {
				return false, err
			}
			var ids []string
			for _, v := range p.Items {
				ids = append(ids, v.ID)
			}
			return has(ids, site.ID), nil
		}},
		{keyward.KindKeyway, kw.ID, func() (*time.Time, error) {
			v, err := dir.Keyway(ctx, f.owner, kw.ID)
			if err != nil {
				return nil, err
			}
			return v.RetiredAt, nil
		}, func(inc bool) (bool, error) {
			p, err := dir.Keyways(ctx, f.owner, all(inc))
			if err != nil {
				return false, err
			}
			var ids []string
			for _, v := range p.Items {
				ids = append(ids, v.ID)
			}
			return has(ids, kw.ID), nil
		}},
		{keyward.KindHolder, h.ID, func() (*time.Time, error) {
			v, err := dir.Holder(ctx, f.owner, h.ID)
			if err != nil {
				return nil, err
			}
			return v.RetiredAt, nil
		}, func(inc bool) (bool, error) {
			p, err := dir.Holders(ctx, f.owner, all(inc))
			if err != nil {
				return false, err
			}
			var ids []string
			for _, v := range p.Items {
				ids = append(ids, v.ID)
			}
			return has(ids, h.ID), nil
		}},
	}
	for _, r := range recs {
		if err := dir.Retire(ctx, f.owner, r.kind, r.id); err != nil {
			t.Fatalf("retire %s: %v", r.kind, err)
		}
		at := must[*time.Time](t)(r.read())
		if at == nil || !at.Equal(f.env.Clock.Now()) {
			t.Fatalf("%s retired_at = %v", r.kind, at)
		}
		if in := must[bool](t)(r.listed(false)); in {
			t.Fatalf("retired %s is in the default list", r.kind)
		}
		if in := must[bool](t)(r.listed(true)); !in {
			t.Fatalf("retired %s is not in the list with retired ones", r.kind)
		}
		// Retiring twice is fine, keeps the first time and records nothing.
		n := auditCount(t, f)
		f.env.Clock.Advance(time.Minute)
		if err := dir.Retire(ctx, f.owner, r.kind, r.id); err != nil {
			t.Fatalf("retire %s again: %v", r.kind, err)
		}
		if again := must[*time.Time](t)(r.read()); !again.Equal(*at) || auditCount(t, f) != n {
			t.Fatalf("second retire of %s changed something", r.kind)
		}
		if d := lastAudit(t, f, r.kind+".retire", r.id); d["name"] == "" {
			t.Fatalf("%s.retire details = %v", r.kind, d)
		}
	}
	// A retired site takes no new opening.
	_, err = dir.CreateOpening(ctx, f.owner, keyward.OpeningInput{SiteID: site.ID, Name: "Room 102", Kind: "door"})
	wantCode(t, err, keyward.EINVALID)
	for _, r := range recs {
		if err := dir.Restore(ctx, f.owner, r.kind, r.id); err != nil {
			t.Fatalf("restore %s: %v", r.kind, err)
		}
		if at := must[*time.Time](t)(r.read()); at != nil {
			t.Fatalf("restored %s is still retired", r.kind)
		}
		if in := must[bool](t)(r.listed(false)); !in {
			t.Fatalf("restored %s is not in the default list", r.kind)
		}
		lastAudit(t, f, r.kind+".restore", r.id)
	}
	wantCode(t, dir.Retire(ctx, f.owner, keyward.KindSite, "site_nope"), keyward.ENOTFOUND)
	wantCode(t, dir.Restore(ctx, f.owner, keyward.KindHolder, "hld_nope"), keyward.ENOTFOUND)
	if _, _, err := f.db.VerifyAudit(ctx, nil); err != nil {
		t.Fatal(err)
	}
}

func testHolderMerge(t *testing.T, b Backend) {
	f := setup(t, b)
	dir := f.db.Directory()
	kw, dup, k := f.stock(t)
	keep := must[*keyward.Holder](t)(dir.CreateHolder(ctx, f.owner, keyward.HolderInput{Name: "Dana Ruiz", Email: "dana.ruiz@acme.test"}))
	k2 := must[*keyward.Key](t)(f.db.Custody().CreateKey(ctx, f.owner, keyward.KeyInput{KeywayID: kw.ID, Symbol: "AA2"}))
	// The duplicate held AA1-1 before and holds AA2-1 now.
	must[*keyward.Key](t)(f.db.Custody().Checkout(ctx, f.owner, k.ID, keyward.CheckoutInput{HolderID: dup.ID, DueAt: f.env.Clock.Now().Add(time.Hour)}))
	must[*keyward.Key](t)(f.db.Custody().Checkin(ctx, f.owner, k.ID, keyward.CheckinInput{}))
	must[*keyward.Key](t)(f.db.Custody().Checkout(ctx, f.owner, k2.ID, keyward.CheckoutInput{HolderID: dup.ID, DueAt: f.env.Clock.Now().Add(time.Hour)}))

	before := auditCount(t, f)
	_, err := dir.MergeHolders(ctx, f.owner, dup.ID, keyward.MergeInput{Into: dup.ID})
	wantCode(t, err, keyward.EINVALID)
	_, err = dir.MergeHolders(ctx, f.owner, dup.ID, keyward.MergeInput{Into: "hld_nope"})
	wantCode(t, err, keyward.EINVALID)
	_, err = dir.MergeHolders(ctx, f.owner, "hld_nope", keyward.MergeInput{Into: keep.ID})
	wantCode(t, err, keyward.ENOTFOUND)
	if auditCount(t, f) != before {
		t.Fatal("refused merges wrote audit records")
	}

	m := must[*keyward.Merged](t)(dir.MergeHolders(ctx, f.owner, dup.ID, keyward.MergeInput{Into: keep.ID}))
	if m.Keys != 1 || m.Events < 3 || m.Holder.ID != keep.ID {
		t.Fatalf("merge = %+v", m)
	}
	if n := auditCount(t, f); n != before+1 {
		t.Fatalf("merge wrote %d audit records, want 1", n-before)
	}
	if d := lastAudit(t, f, "holder.merge", dup.ID); d["into"] != keep.ID {
		t.Fatalf("holder.merge details = %v", d)
	}
	held := must[[]keyward.Key](t)(f.db.Custody().HolderKeys(ctx, f.owner, keep.ID))
	if len(held) != 1 || held[0].ID != k2.ID {
		t.Fatalf("surviving holder holds %+v", held)
	}
	if left := must[[]keyward.Key](t)(f.db.Custody().HolderKeys(ctx, f.owner, dup.ID)); len(left) != 0 {
		t.Fatalf("merged holder still holds %+v", left)
	}
	ev := must[*keyward.Page[keyward.Event]](t)(f.db.HolderEvents(ctx, f.owner, keep.ID, keyward.ListOptions{}))
	if len(ev.Items) != 3 {
		t.Fatalf("surviving holder's logbook has %d lines, want the 3 moved", len(ev.Items))
	}
	if old := must[*keyward.Page[keyward.Event]](t)(f.db.HolderEvents(ctx, f.owner, dup.ID, keyward.ListOptions{})); len(old.Items) != 0 {
		t.Fatalf("merged holder's logbook kept %d lines", len(old.Items))
	}
	gone := must[*keyward.Holder](t)(dir.Holder(ctx, f.owner, dup.ID))
	if gone.RetiredAt == nil || gone.MergedInto != keep.ID {
		t.Fatalf("merged holder = %+v", gone)
	}
	// Merging into a retired holder is refused.
	_, err = dir.MergeHolders(ctx, f.owner, keep.ID, keyward.MergeInput{Into: dup.ID})
	wantCode(t, err, keyward.EINVALID)
	if _, _, err := f.db.VerifyAudit(ctx, nil); err != nil {
		t.Fatalf("audit after merge: %v", err)
	}
}

// A retired holder gets no key until restored, and retired holders and doors
// leave the search.
func testRetiredOutOfReach(t *testing.T, b Backend) {
	f := setup(t, b)
	dir := f.db.Directory()
	_, h, k := f.stock(t) // holder Dana Ruiz, key AA1-1
	site := must[*keyward.Site](t)(dir.CreateSite(ctx, f.owner, keyward.SiteInput{Name: "Harbour Office"}))
	o := must[*keyward.Opening](t)(dir.CreateOpening(ctx, f.owner, keyward.OpeningInput{SiteID: site.ID, Name: "Room 101", Kind: "door"}))
	if err := dir.Retire(ctx, f.owner, keyward.KindHolder, h.ID); err != nil {
		t.Fatal(err)
	}
	if err := dir.Retire(ctx, f.owner, keyward.KindOpening, o.ID); err != nil {
		t.Fatal(err)
	}
	due := f.env.Clock.Now().Add(time.Hour)
	_, err := f.db.Custody().Checkout(ctx, f.owner, k.ID, keyward.CheckoutInput{HolderID: h.ID, DueAt: due})
	wantCode(t, err, keyward.ECONFLICT)
	if !strings.Contains(keyward.ErrorMessage(err), "Dana Ruiz was retired") {
		t.Fatalf("check-out to a retired holder: %v", err)
	}
	res := must[*keyward.SearchResult](t)(f.db.Search(ctx, f.owner, "Ruiz", 10))
	if len(res.Holders) != 0 {
		t.Fatalf("search finds the retired holder: %+v", res.Holders)
	}
	if res := must[*keyward.SearchResult](t)(f.db.Search(ctx, f.owner, "Room 101", 10)); len(res.Openings) != 0 {
		t.Fatalf("search finds the retired door: %+v", res.Openings)
	}
	// No new copy is cut on a keyway taken out of use.
	old := must[*keyward.Keyway](t)(dir.CreateKeyway(ctx, f.owner, keyward.KeywayInput{Name: "Old Kwikset", Manufacturer: "Kwikset", DuplicationPolicy: "open"}))
	if err := dir.Retire(ctx, f.owner, keyward.KindKeyway, old.ID); err != nil {
		t.Fatal(err)
	}
	_, err = f.db.Custody().CreateKey(ctx, f.owner, keyward.KeyInput{KeywayID: old.ID, Symbol: "K1"})
	var e *keyward.Error
	if !errors.As(err, &e) || e.Code != keyward.EINVALID || len(e.Fields) != 1 || e.Fields[0].Field != "keyway_id" || !strings.Contains(e.Fields[0].Rule, "retired") {
		t.Fatalf("key on a retired keyway: %v, want a 400 naming keyway_id", err)
	}
	if err := dir.Restore(ctx, f.owner, keyward.KindHolder, h.ID); err != nil {
		t.Fatal(err)
	}
	must[*keyward.Key](t)(f.db.Custody().Checkout(ctx, f.owner, k.ID, keyward.CheckoutInput{HolderID: h.ID, DueAt: due}))
	if res := must[*keyward.SearchResult](t)(f.db.Search(ctx, f.owner, "Ruiz", 10)); len(res.Holders) != 1 {
		t.Fatalf("search after restore = %+v", res.Holders)
	}
}
