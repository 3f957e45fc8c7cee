package web_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/keyward/keyward/internal/keyward"
	"github.com/keyward/keyward/internal/store/storetest"
)

// TestAPICopyCounts: the counts, one symbol's copies and a copy found
// outside Keyward over the API on both backends, with the refusals by field
// and by role; the copy found leads to the lost-key next step, a work list.
func TestAPICopyCounts(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		c := newCopyAPI(t, b)
		owner, auditor, holder, advisor := keyward.RoleOwner, keyward.RoleAuditor, keyward.RoleHolder, keyward.RoleAdvisor
		kwID, keyID := c.keywayWithKey("Schlage SC1", keyward.DupDND, "AA1")
		var keys []string
		for range 3 {
			k := c.want(201, "", owner, "POST", "/api/v1/keys", map[string]any{"keyway_id": kwID, "symbol": "AA1"})
			keys = append(keys, k["id"].(string))
		}
		c.want(200, "", owner, "POST", "/api/v1/keys/"+keys[0]+"/issue", map[string]any{"holder_id": c.ids["Rosa Vega"]})
		c.want(200, "", owner, "POST", "/api/v1/keys/"+keys[1]+"/lost", map[string]any{"note": "bus"})
		c.want(200, "", owner, "POST", "/api/v1/keys/"+keys[2]+"/destroy", map[string]any{})
		site := c.want(201, "", owner, "POST", "/api/v1/sites", map[string]any{"name": "Harbour House"})
		door := c.want(201, "", owner, "POST", "/api/v1/openings", map[string]any{"site_id": site["id"], "name": "Flat 2", "kind": "door"})
		c.want(201, "", owner, "POST", "/api/v1/openings/"+door["id"].(string)+"/symbols", map[string]any{"symbol": "AA1"})

		var page keyward.Page[keyward.CopyCount]
		if st := c.call(auditor, "GET", "/api/v1/copies", nil, &page); st != 200 || len(page.Items) != 1 {
			t.Fatalf("counts: %d %+v", st, page)
		}
		if got := page.Items[0]; got.Symbol != "AA1" || got.Controlled != 3 || got.Destroyed != 1 || got.ByStatus[keyward.StatusIssued] != 1 ||
			got.ByStatus[keyward.StatusLost] != 1 || got.ByStatus[keyward.StatusInStorage] != 1 || got.KeywayName != "Schlage SC1" {
			t.Fatalf("AA1: %+v", got)
		}
		c.want(403, "", holder, "GET", "/api/v1/copies", nil)
		c.want(400, "keyway_id", owner, "GET", "/api/v1/copies?keyway_id=kwy_nope", nil)
		c.want(200, "", owner, "GET", "/api/v1/copies?keyway_id="+kwID+"&limit=1", nil)

		var one keyward.CopyCount
		if st := c.call(advisor, "GET", "/api/v1/copies/"+kwID+"/aa1", nil, &one); st != 200 || len(one.Copies) != 4 || one.Copies[0].ID != keyID ||
			one.Copies[1].HolderName != "Rosa Vega" || one.Copies[2].LostAt == nil || one.Exposure != nil {
			t.Fatalf("one symbol: %d %+v", st, one)
		}
		c.want(404, "", owner, "GET", "/api/v1/copies/kwy_nope/AA1", nil)
		c.want(404, "", owner, "GET", "/api/v1/copies/"+kwID+"/ZZ9", nil)
		c.want(400, "symbol", owner, "GET", "/api/v1/copies/"+kwID+"/AA%201", nil)
		c.want(403, "", holder, "GET", "/api/v1/copies/"+kwID+"/AA1", nil)

		// A copy found outside Keyward: bad input by field, the wrong roles, nothing left behind.
		audit := c.auditCount()
		for _, bad := range []struct {
			body  any
			field string
		}{
			{map[string]any{"keyway_id": "kwy_nope", "symbol": "AA1", "where": "x"}, "keyway_id"},
			{map[string]any{"symbol": "AA1", "where": "x"}, "keyway_id"},
			{map[string]any{"keyway_id": kwID, "symbol": "AA-1/2", "where": "x"}, "symbol"},
			{map[string]any{"keyway_id": kwID, "symbol": "AA1", "where": " "}, "where"},
			{map[string]any{"keyway_id": kwID, "symbol": "AA1"}, "where"},
			{`{"keyway_id":"` + kwID + `","symbol":"AA1","where":"x","in_hand":"yes"}`, "in_hand"},
			{`{"keyway_id":"` + kwID + `","symbol":"AA1","where":"x","colour":"red"}`, "colour"},
		} {
			c.want(400, bad.field, advisor, "POST", "/api/v1/uncontrolled-copies", bad.body)
		}
		c.want(403, "", auditor, "POST", "/api/v1/uncontrolled-copies", map[string]any{"keyway_id": kwID, "symbol": "AA1", "where": "x"})
		c.want(403, "", holder, "POST", "/api/v1/uncontrolled-copies", map[string]any{"keyway_id": kwID, "symbol": "AA1", "where": "x"})
		if n := c.env.SQL().MustCount(t, `SELECT COUNT(*) FROM uncontrolled_copies`); n != 0 {
			t.Fatalf("refusals left %d copies", n)
		}
		if got := c.auditCount(); got != audit+2 {
			t.Fatalf("refusals wrote %d audit records, want the 2 role denials", got-audit)
		}
		var u keyward.UncontrolledCopy
		if st := c.call(advisor, "POST", "/api/v1/uncontrolled-copies", map[string]any{"keyway_id": kwID, "symbol": "aa1", "where": "a kiosk's drawer", "in_hand": true}, &u); st != 201 ||
			u.Symbol != "AA1" || !u.InHand || u.Exposure == nil || u.Exposure.Next != keyward.NextStartWorkList || len(u.Exposure.Doors) != 1 || u.Exposure.Doors[0].OpeningName != "Flat 2" {
			t.Fatalf("record a copy found: %d %+v %+v", st, u, u.Exposure)
		}
		// Its next step is a lost key's: the work list, which names it.
		c.want(400, "uncontrolled_copy_id", owner, "POST", "/api/v1/worklists", map[string]any{"uncontrolled_copy_id": u.ID, "key_id": keys[1]})
		c.want(400, "uncontrolled_copy_id", owner, "POST", "/api/v1/worklists", map[string]any{"uncontrolled_copy_id": "unc_nope"})
		var wl keyward.WorkList
		if st := c.call(keyward.RoleTechnician, "POST", "/api/v1/worklists", map[string]any{"uncontrolled_copy_id": u.ID}, &wl); st != 201 ||
			wl.Uncontrolled == nil || wl.Uncontrolled.ID != u.ID || wl.KeyID != "" || len(wl.Items) != 1 {
			t.Fatalf("work list of the copy found: %d %+v", st, wl)
		}
		// The lost copy of the same symbol continues it.
		var lk keyward.LostKey
		if c.call(owner, "GET", "/api/v1/keys/"+keys[1]+"/lost", nil, &lk); lk.Next != keyward.NextContinueWorkList || lk.WorkListID != wl.ID {
			t.Fatalf("the lost AA1: %+v", lk)
		}
		if st := c.call(auditor, "GET", "/api/v1/copies/"+kwID+"/AA1", nil, &one); st != 200 || len(one.Uncontrolled) != 1 || one.Controlled != 3 ||
			one.Exposure == nil || one.Exposure.Next != keyward.NextContinueWorkList || one.Exposure.WorkListID != wl.ID {
			t.Fatalf("AA1 with a copy found: %d %+v", st, one)
		}
	})
}

// TestUICopies: the Copies page, a symbol's page with each copy and where it
// is, the links from the key and keyway pages, and the form that records a
// copy found outside Keyward, without JavaScript: a bad form shows the error
// next to its field and keeps what was typed; a good one leads to the doors
// the copy opens and the lost-key next step, a work list.
func TestUICopies(t *testing.T) {
	s := uiStart(t)
	st := s.stock()
	ctx, c := context.Background(), s.db.Custody()
	second, err := c.CreateKey(ctx, s.sys, keyward.KeyInput{KeywayID: st.keyway.ID, Symbol: "AA1"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Move(ctx, s.sys, second.ID, keyward.CustodyIssue, keyward.CustodyInput{HolderID: st.holder.ID}); err != nil {
		t.Fatal(err)
	}
	site, _ := s.db.Directory().CreateSite(ctx, s.sys, keyward.SiteInput{Name: "Harbour House"})
	door, _ := s.db.Directory().CreateOpening(ctx, s.sys, keyward.OpeningInput{SiteID: site.ID, Name: "Flat 2", Kind: "door"})
	if _, err := s.db.Schedule().AddSymbol(ctx, s.sys, door.ID, keyward.SymbolInput{Symbol: "AA1"}); err != nil {
		t.Fatal(err)
	}
	owner := s.signIn(uiOwnerEmail, uiOwnerPassword)
	symbolPath := "/copies/" + st.keyway.ID + "/AA1"

	// The key page says how many copies exist and links to them; so does the keyway page.
	link := owner.page("/keys/" + st.key.ID).byID("key-copies")
	if link == nil || !strings.Contains(link.Text(), "2 copies of this key exist") || link.find(uiAttr("href", symbolPath)) == nil {
		t.Fatalf("key page copies link: %+v", link)
	}
	if kl := owner.page("/keyways/" + st.keyway.ID).byID("keyway-copies"); kl == nil || kl.attr["href"] != "/copies?keyway="+st.keyway.ID {
		t.Fatalf("keyway page copies link: %+v", kl)
	}
	list := owner.page("/copies?keyway=" + st.keyway.ID)
	sec := list.byID("copies-" + st.keyway.ID)
	if sec == nil || !strings.Contains(sec.Text(), "AA1 2 copies (1 in storage, 1 issued)") || strings.Contains(sec.Text(), "never made") {
		t.Fatalf("copies page: %v", sec)
	}
	page := owner.page(symbolPath)
	if got := page.byID("copy-summary").Text(); !strings.Contains(got, "2 copies under control") || !strings.Contains(got, ": 1 in storage, 1 issued.") {
		t.Fatalf("summary: %q", got)
	}
	if got := page.byID("copy-list").Text(); !strings.Contains(got, "AA1-1 in storage In storage, no place recorded") || !strings.Contains(got, "AA1-2 issued With Dana Ruiz (issued to them)") {
		t.Fatalf("copies and where: %q", got)
	}
	if page.byID("lost-key") != nil || page.byID("uncontrolled") != nil {
		t.Fatal("a symbol without copies found shows an exposure")
	}

	// A bad form: the error beside the field, what was typed kept, nothing recorded.
	form := url.Values{"from": {"symbol"}, "keyway_id": {st.keyway.ID}, "symbol": {"AA1"}, "where": {"  "}, "note": {"under the mat"}, "in_hand": {"1"}}
	code, body, _ := owner.post("/copies/uncontrolled", form)
	doc := uiParse(t, body)
	f := doc.find(uiForm("/copies/uncontrolled"))
	if code != http.StatusBadRequest || f == nil || !strings.Contains(f.Text(), "where: is required") && !strings.Contains(f.Text(), "is required") {
		t.Fatalf("empty where: %d\n%s", code, body)
	}
	if errSpan := f.find(uiClass("span", "field-error")); errSpan == nil || errSpan.parent != f || !strings.Contains(errSpan.Text(), "required") {
		t.Fatalf("no error beside where: %s", f.Text())
	}
	if ta := f.find(uiTag("textarea")); ta == nil || !strings.Contains(ta.Text(), "under the mat") {
		t.Fatal("the note typed was lost")
	}
	if n := s.sql.MustCount(t, `SELECT COUNT(*) FROM uncontrolled_copies`); n != 0 {
		t.Fatalf("a refused form recorded %d copies", n)
	}
	// The Copies page's own form names a bad symbol beside it.
	code, body, _ = owner.post("/copies/uncontrolled", url.Values{"from": {"list"}, "keyway_id": {st.keyway.ID}, "symbol": {"AA 1"}, "where": {"desk"}})
	if code != http.StatusBadRequest || !strings.Contains(uiParse(t, body).byID("record-uncontrolled").Text(), "must be 1-32 letters") {
		t.Fatalf("bad symbol: %d\n%s", code, body)
	}

	// A good one: to the symbol's page, the copy in red, its doors and the next step.
	form.Set("where", "on the old tenant's ring")
	code, _, h := owner.post("/copies/uncontrolled", form)
	if code != http.StatusSeeOther || !strings.HasPrefix(h.Get("Location"), symbolPath+"?flash=") {
		t.Fatalf("record: %d to %q", code, h.Get("Location"))
	}
	page = owner.page(h.Get("Location"))
	if got := page.find(uiClass("p", "flash")).Text(); !strings.Contains(got, "Recorded a copy of AA1 we never made") || !strings.Contains(got, "can open 1 door") {
		t.Fatalf("flash: %q", got)
	}
	if got := page.byID("uncontrolled").Text(); !strings.Contains(got, "Copy we never made") || !strings.Contains(got, "found: on the old tenant's ring. We have it now.") {
		t.Fatalf("copies found: %q", got)
	}
	if red := page.byID("uncontrolled").find(uiClass("strong", "uncontrolled")); red == nil {
		t.Fatal("the copy we never made is not marked")
	}
	card := page.byID("lost-key")
	if card == nil || !strings.Contains(card.Text(), "Whoever has a copy we never made can open 1 door") || !strings.Contains(card.Text(), "Flat 2") {
		t.Fatalf("exposure: %v", card)
	}
	start := card.find(uiAttr("id", "start-work-list"))
	if start == nil || !strings.HasPrefix(start.attr["action"], "/uncontrolled-copies/") {
		t.Fatalf("no work list button: %s", card.Text())
	}
	if got := owner.page("/keys/" + st.key.ID).byID("key-copies").Text(); !strings.Contains(got, "and 1 copy we never made") {
		t.Fatalf("key page after: %q", got)
	}
	if got := owner.page("/copies").byID("copies-" + st.keyway.ID).Text(); !strings.Contains(got, "1 copy we never made") {
		t.Fatalf("copies page after: %q", got)
	}
	code, _, h = owner.post(start.attr["action"], nil)
	if code != http.StatusSeeOther || !strings.HasPrefix(h.Get("Location"), "/worklists/") {
		t.Fatalf("make the work list: %d %q", code, h.Get("Location"))
	}
	wl := owner.page(h.Get("Location"))
	if got := wl.find(uiTag("h1")).Text(); !strings.Contains(got, "copy of AA1 we never made") {
		t.Fatalf("work list heading: %q", got)
	}
	if got := wl.byID("work-items").Text(); !strings.Contains(got, "Flat 2") {
		t.Fatalf("work list doors: %q", got)
	}
	code, pdf, h := owner.get(strings.Replace(h.Get("Location"), "?", "/workorder.pdf?", 1))
	if code != http.StatusOK || h.Get("Content-Type") != "application/pdf" {
		t.Fatalf("work order: %d %s", code, h.Get("Content-Type"))
	}
	if got := strings.Join(strings.Fields(pdfText(t, []byte(pdf))), " "); !strings.Contains(got, "a copy of AA1 we never made") ||
		!strings.Contains(got, "on the old tenant's ring") || !strings.Contains(got, "Flat 2") || strings.Contains(got, "Lost key") {
		t.Fatalf("work order: %s", got)
	}
	if next := owner.page(symbolPath).byID("open-work-list"); next == nil {
		t.Fatal("the symbol page does not lead to the open work list")
	}

	// Who may: an auditor reads and records nothing; a holder reads nothing.
	email, pw := s.user(keyward.RoleAuditor, "")
	aud := s.signIn(email, pw)
	ap := aud.page(symbolPath)
	if ap.byID("record-uncontrolled") != nil || aud.page("/copies").byID("record-uncontrolled") != nil {
		t.Fatal("an auditor is offered the form")
	}
	if code, _, _ := aud.post("/copies/uncontrolled", form); code != http.StatusForbidden {
		t.Fatalf("an auditor records a copy: %d", code)
	}
	email, pw = s.user(keyward.RoleHolder, st.holder.ID)
	hc := s.signIn(email, pw)
	for _, p := range []string{"/copies", symbolPath} {
		if code, _, _ := hc.get(p); code != http.StatusForbidden {
			t.Fatalf("a holder reads %s: %d", p, code)
		}
	}
	if n := s.sql.MustCount(t, `SELECT COUNT(*) FROM uncontrolled_copies`); n != 1 {
		t.Fatalf("%d copies recorded, want 1", n)
	}
	if code, _, _ := owner.get("/copies/" + st.keyway.ID + "/ZZ9"); code != http.StatusNotFound {
		t.Fatalf("a symbol with no copy: %d", code)
	}
}
