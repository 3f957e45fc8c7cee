package web_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/keyward/keyward/internal/keyward"
)

// uiWantForm checks that doc has the POST form for action, with the session's
// CSRF token and the named fields, and returns it.
func uiWantForm(t *testing.T, doc *uiNode, action, csrf string, fields ...string) *uiNode {
	t.Helper()
	f := doc.find(uiForm(action))
	if f == nil {
		t.Fatalf("no POST form for %s", action)
	}
	if in := f.find(uiAttr("name", "csrf")); in == nil || in.attr["type"] != "hidden" || in.attr["value"] != csrf {
		t.Errorf("form %s: no hidden csrf field with the session's token", action)
	}
	for _, name := range fields {
		if f.find(uiAttr("name", name)) == nil {
			t.Errorf("form %s: no field %q", action, name)
		}
	}
	return f
}

func uiWantText(t *testing.T, n *uiNode, what string, wants ...string) {
	t.Helper()
	if n == nil {
		t.Fatalf("%s: element missing", what)
	}
	got := n.Text()
	for _, w := range wants {
		if !strings.Contains(got, w) {
			t.Errorf("%s: %q does not contain %q", what, got, w)
		}
	}
}

// TestUIPagesRender creates inventory through the forms and checks that every
// page renders with its structure: headings, tables, links and forms.
func TestUIPagesRender(t *testing.T) {
	s := uiStart(t)
	c := s.signIn(uiOwnerEmail, uiOwnerPassword)

	// Create through the forms: each answers 303 to the new record's page.
	created := func(path string, form url.Values, wantPrefix string) string {
		t.Helper()
		st, body, h := c.post(path, form)
		loc := h.Get("Location")
		if st != http.StatusSeeOther || !strings.HasPrefix(loc, wantPrefix) || !strings.Contains(loc, "flash=") {
			t.Fatalf("POST %s: %d to %q\n%s", path, st, loc, body)
		}
		u, _ := url.Parse(loc)
		return u.Path
	}
	created("/keyways", url.Values{"name": {"Medeco M3"}, "manufacturer": {"Medeco"}, "duplication_policy": {"restricted"}}, "/keyways?")
	holderPath := created("/holders", url.Values{"name": {"<script>alert(1)</script> Lee"}, "email": {"lee@harbour.test"},
		"phone": {"+44 20 7946 0000"}, "kind": {"contractor"}, "signatory": {"1"}}, "/holders/")
	sitePath := created("/sites", url.Values{"name": {"Fleet Yard"}, "address": {"4 Depot Lane"}}, "/sites/")
	siteID := strings.TrimPrefix(sitePath, "/sites/")
	if p := created("/openings", url.Values{"site_id": {siteID}, "name": {"Yard gate"}, "kind": {"gate"}}, sitePath+"?"); p != sitePath {
		t.Fatalf("opening redirect to %s", p)
	}

	doc := c.page("/keyways")
	uiWantText(t, doc.find(uiClass("table", "keyways")), "keyway table", "Medeco M3", "Medeco", "restricted")
	uiWantForm(t, doc, "/keyways", c.csrf, "name", "manufacturer", "duplication_policy")

	doc = c.page("/keys")
	add := uiWantForm(t, doc, "/keys", c.csrf, "keyway_id", "symbol", "copy_number")
	opt := add.find(func(n *uiNode) bool { return n.tag == "option" && n.attr["value"] != "" })
	if opt == nil || opt.Text() != "Medeco M3 (Medeco)" {
		t.Fatalf("keyway choice: %v", opt)
	}
	keyPath := created("/keys", url.Values{"keyway_id": {opt.attr["value"]}, "symbol": {"GM1"}}, "/keys/")
	// A path with no page gets the error page, not a bare text answer.
	if code, body, h := c.get("/no-such-page"); code != http.StatusNotFound || !strings.HasPrefix(h.Get("Content-Type"), "text/html") || !strings.Contains(body, "there is no page at /no-such-page") {
		t.Fatalf("unknown page: %d %s\n%s", code, h.Get("Content-Type"), body)
	}
	// An unreadable copy number does not hide the other fields' rules.
	if code, body, _ := c.post("/keys", url.Values{"keyway_id": {opt.attr["value"]}, "symbol": {""}, "copy_number": {"abc"}}); code != http.StatusBadRequest ||
		!strings.Contains(body, "symbol: is required") || !strings.Contains(body, "copy_number: must be a whole number") {
		t.Fatalf("bad key form: %d\n%s", code, body)
	}

	// Lists.
	doc = c.page("/keys")
	row := doc.find(uiClass("table", "keys")).find(uiAttr("href", keyPath))
	uiWantText(t, row, "key link", "GM1-1")
	if doc.find(uiAttr("name", "status")) == nil || doc.find(uiAttr("name", "q")) == nil {
		t.Error("key list has no filters")
	}
	doc = c.page("/holders")
	uiWantText(t, doc.find(uiAttr("href", holderPath)), "holder link", "<script>alert(1)</script> Lee")
	uiWantText(t, doc.find(uiClass("table", "holders")), "holder table", "contractor", "signatory", "+44 20 7946 0000")
	uiWantForm(t, doc, "/holders", c.csrf, "name", "email", "phone", "kind", "signatory", "emergency_contact")
	doc = c.page("/sites")
	uiWantText(t, doc.find(uiAttr("href", sitePath)), "site link", "Fleet Yard")
	uiWantForm(t, doc, "/sites", c.csrf, "name", "address")

	// Detail pages.
	doc = c.page(sitePath)
	uiWantText(t, doc.find(uiTag("h1")), "site heading", "Fleet Yard")
	uiWantText(t, doc.find(uiClass("table", "openings")), "openings", "Yard gate", "gate")
	f := uiWantForm(t, doc, "/openings", c.csrf, "name", "kind")
	if in := f.find(uiAttr("name", "site_id")); in == nil || in.attr["value"] != siteID {
		t.Error("opening form does not carry the site")
	}
	doc = c.page(holderPath)
	uiWantText(t, doc.find(uiTag("h1")), "holder heading", "<script>alert(1)</script> Lee")
	uiWantText(t, doc.byID("held"), "keys held", "holds no keys")

	doc = c.page(keyPath)
	uiWantText(t, doc.find(uiTag("h1")), "key heading", "GM1-1", "in storage")
	uiWantText(t, doc.find(uiTag("dl")), "key facts", "Medeco M3")
	co := uiWantForm(t, doc, keyPath+"/checkout", c.csrf, "holder_id", "due_at", "note")
	if due := co.find(uiAttr("name", "due_at")); due.attr["type"] != "datetime-local" || due.attr["value"] != "2026-03-03T09:00" {
		t.Errorf("due input: %v", due.attr)
	}
	uiWantText(t, co, "check-out form", "UTC")
	uiWantText(t, co.find(uiAttr("name", "holder_id")), "holder choices", "<script>alert(1)</script> Lee")
	if doc.find(uiForm(keyPath+"/checkin")) != nil {
		t.Error("a stored key offers check-in")
	}
	for _, act := range []string{"issue", "lost", "destroy"} {
		uiWantForm(t, doc, keyPath+"/"+act, c.csrf)
	}
	for _, act := range []string{"return", "transfer", "found"} {
		if doc.find(uiForm(keyPath+"/"+act)) != nil {
			t.Errorf("a stored key offers %s", act)
		}
	}
	// The phone layout leads with the check-out form, before any other form.
	forms := doc.find(uiTag("main")).all(uiTag("form"))
	if len(forms) == 0 || forms[0].attr["action"] != keyPath+"/checkout" {
		t.Error("check-out is not the first form on the key page")
	}
	uiWantText(t, doc.byID("logbook"), "logbook", "Created", "by "+uiOwnerEmail)

	doc = c.page("/audit")
	uiWantText(t, doc.byID("audit-log"), "audit log", "registered key", "GM1-1", "added holder", "added site", "Fleet Yard")
	if doc.find(uiAttr("href", keyPath)) == nil {
		t.Error("audit record does not link its key")
	}
	doc = c.page("/audit?action=site.create")
	if rows := doc.byID("audit-log").all(uiClass("li", "audit-record")); len(rows) != 1 {
		t.Errorf("audit filtered by action: %d records, want 1", len(rows))
	}

	doc = c.page("/")
	uiWantText(t, doc.find(uiTag("h1")), "dashboard", "Dashboard")
	for _, id := range []string{"count-out", "count-overdue", "count-issued", "count-lost"} {
		uiWantText(t, doc.byID(id), id, "0")
	}

	// Escaped, never markup: the only <script> is the holder's name as text.
	_, body, _ := c.get(holderPath)
	if strings.Contains(body, "<script>") {
		t.Error("holder name reached the page unescaped")
	}
}

// TestUIPostWithoutCSRF: a form posted without the session's token changes nothing.
func TestUIPostWithoutCSRF(t *testing.T) {
	s := uiStart(t)
	st := s.stock()
	c := s.signIn(uiOwnerEmail, uiOwnerPassword)
	form := url.Values{"holder_id": {st.holder.ID}, "due_at": {"2026-03-04T12:00"}}
	path := "/keys/" + st.key.ID + "/checkout"
	// One token in 64 starts with "x": the forgery must differ from the real token.
	forged := "x" + c.csrf[1:]
	if forged == c.csrf {
		forged = "y" + c.csrf[1:]
	}
	for name, csrf := range map[string][]string{"missing": nil, "empty": {""}, "forged": {forged}} {
		f := url.Values{}
		for k, v := range form {
			f[k] = v
		}
		if csrf != nil {
			f["csrf"] = csrf
		}
		if code, _, _ := c.send(path, f); code != http.StatusForbidden {
			t.Errorf("%s csrf: %d, want 403", name, code)
		}
	}
	if code, _, _ := c.send("/keyways", url.Values{"name": {"X"}, "duplication_policy": {"open"}}); code != http.StatusForbidden {
		t.Errorf("keyway create without csrf: %d, want 403", code)
	}
	if k := s.key(st.key.ID); k.Status != keyward.StatusInStorage {
		t.Fatalf("key is %s after refused posts", k.Status)
	}
	// The same form with the token works.
	if code, body, _ := c.post(path, form); code != http.StatusSeeOther {
		t.Fatalf("with csrf: %d\n%s", code, body)
	}
}

// TestUICheckoutForm checks a key out and back in through the key page's forms.
func TestUICheckoutForm(t *testing.T) {
	s := uiStart(t)
	st := s.stock()
	c := s.signIn(uiOwnerEmail, uiOwnerPassword)
	keyPath := "/keys/" + st.key.ID

	code, body, h := c.post(keyPath+"/checkout", url.Values{"holder_id": {st.holder.ID}, "due_at": {"2026-03-02T17:30"}, "note": {"van 2"}})
	if code != http.StatusSeeOther {
		t.Fatalf("checkout: %d\n%s", code, body)
	}
	loc, _ := url.Parse(h.Get("Location"))
	if loc.Path != keyPath || loc.Query().Get("flash") != "Checked out AA1-1 to Dana Ruiz, due 2026-03-02 17:30 UTC." {
		t.Errorf("redirect to %s", h.Get("Location"))
	}
	k := s.key(st.key.ID)
	if k.Status != keyward.StatusCheckedOut || k.HolderID != st.holder.ID || k.DueAt == nil ||
		!k.DueAt.Equal(time.Date(2026, 3, 2, 17, 30, 0, 0, time.UTC)) {
		t.Fatalf("after checkout: %+v", k)
	}

	doc := c.page(loc.RequestURI())
	uiWantText(t, doc.find(uiClass("p", "flash")), "flash", "Checked out AA1-1 to Dana Ruiz")
	uiWantText(t, doc.byID("key-status"), "status", "checked out")
	uiWantText(t, doc.byID("key-holder"), "holder", "Dana Ruiz")
	uiWantText(t, doc.byID("key-due"), "due", "2026-03-02 17:30 UTC")
	if doc.byID("key-due").hasClass("overdue") {
		t.Error("due time marked overdue before it passed")
	}
	forms := doc.find(uiTag("main")).all(uiTag("form"))
	if len(forms) == 0 || forms[0].attr["action"] != keyPath+"/checkin" {
		t.Error("check-in is not the first form on a checked-out key's page")
	}
	if doc.find(uiForm(keyPath+"/checkout")) != nil {
		t.Error("a checked-out key offers check-out")
	}
	uiWantForm(t, doc, keyPath+"/transfer", c.csrf, "holder_id")

	// A second check-out from a stale page is a conflict, shown on the page.
	code, body, _ = c.post(keyPath+"/checkout", url.Values{"holder_id": {st.holder2.ID}, "due_at": {"2026-03-02T18:00"}})
	if code != http.StatusConflict {
		t.Fatalf("second checkout: %d, want 409", code)
	}
	uiWantText(t, uiParse(t, body).find(uiClass("p", "error")), "conflict message", "AA1-1 is checked_out")
	if k := s.key(st.key.ID); k.HolderID != st.holder.ID {
		t.Fatal("a refused check-out changed the holder")
	}

	// Overdue once the clock passes the due time.
	s.clock.Advance(9 * time.Hour)
	doc = c.page(keyPath)
	uiWantText(t, doc.byID("key-due"), "due", "overdue")
	doc = c.page("/")
	uiWantText(t, doc.byID("count-out"), "out", "1")
	uiWantText(t, doc.byID("count-overdue"), "overdue", "1")
	uiWantText(t, doc.find(uiClass("table", "overdue-list")), "overdue list", "AA1-1", "Dana Ruiz", "2026-03-02 17:30 UTC")

	if code, body, _ := c.post(keyPath+"/checkin", url.Values{"note": {"back on hook 4"}}); code != http.StatusSeeOther {
		t.Fatalf("checkin: %d\n%s", code, body)
	}
	if k := s.key(st.key.ID); k.Status != keyward.StatusInStorage || k.HolderID != "" {
		t.Fatalf("after checkin: %+v", k)
	}
	doc = c.page(keyPath)
	items := doc.find(uiClass("ol", "logbook")).all(uiTag("li"))
	var got []string
	for _, li := range items {
		got = append(got, li.find(uiTag("strong")).Text())
	}
	if strings.Join(got, ",") != "Created,Checked out,Checked in" {
		t.Errorf("logbook %v, oldest first", got)
	}
	uiWantText(t, items[1], "check-out event", "Dana Ruiz", "due 2026-03-02 17:30 UTC", "van 2")
	uiWantText(t, items[2], "check-in event", "back on hook 4")
}

// TestUICheckoutBadForm: a due time in the past, or not a time, re-renders the
// form with the rule next to the field, keeps what was typed and changes nothing.
func TestUICheckoutBadForm(t *testing.T) {
	s := uiStart(t)
	st := s.stock()
	c := s.signIn(uiOwnerEmail, uiOwnerPassword)
	keyPath := "/keys/" + st.key.ID
	before := s.events(st.key.ID)
	for _, tc := range []struct{ due, rule string }{
		{"2026-03-01T09:00", "must be in the future"},
		{"tomorrow", "must be a date and time"},
		{"", "is required"},
	} {
		code, body, _ := c.post(keyPath+"/checkout", url.Values{"holder_id": {st.holder2.ID}, "due_at": {tc.due}, "note": {"keep me"}})
		if code != http.StatusBadRequest {
			t.Fatalf("due %q: %d, want 400", tc.due, code)
		}
		doc := uiParse(t, body)
		uiWantText(t, doc.find(uiClass("p", "error")), "message", "due_at")
		form := doc.find(uiForm(keyPath + "/checkout"))
		uiWantText(t, form.find(uiClass("span", "field-error")), "field error", tc.rule)
		if due := form.find(uiAttr("name", "due_at")); tc.due != "" && due.attr["value"] != tc.due {
			t.Errorf("due %q: the form shows %q", tc.due, due.attr["value"])
		}
		if sel := form.find(func(n *uiNode) bool { _, ok := n.attr["selected"]; return n.tag == "option" && ok }); sel == nil || sel.attr["value"] != st.holder2.ID {
			t.Errorf("due %q: the chosen holder was not kept", tc.due)
		}
		if note := form.find(uiAttr("name", "note")); note.attr["value"] != "keep me" {
			t.Errorf("due %q: note not kept", tc.due)
		}
		// The rule shows on the refused form only.
		if other := doc.find(uiForm(keyPath + "/issue")); other.find(uiClass("span", "field-error")) != nil {
			t.Error("field error shown on the issue form too")
		}
	}
	if k := s.key(st.key.ID); k.Status != keyward.StatusInStorage || k.HolderID != "" {
		t.Fatalf("a refused form changed the key: %+v", k)
	}
	if n := s.events(st.key.ID); n != before {
		t.Fatalf("logbook grew from %d to %d", before, n)
	}
	// Destroy wants its confirmation box.
	code, body, _ := c.post(keyPath+"/destroy", url.Values{})
	if code != http.StatusBadRequest {
		t.Fatalf("destroy without confirm: %d", code)
	}
	uiWantText(t, uiParse(t, body).find(uiForm(keyPath+"/destroy")), "destroy form", "tick the box")
	if k := s.key(st.key.ID); k.Status != keyward.StatusInStorage {
		t.Fatal("destroyed without confirmation")
	}
}

// TestUIAuditorForbidden: an auditor reads every page but every form POST is 403.
func TestUIAuditorForbidden(t *testing.T) {
	s := uiStart(t)
	st := s.stock()
	email, pw := s.user(keyward.RoleAuditor, "")
	c := s.signIn(email, pw)
	keyPath := "/keys/" + st.key.ID
	doc := c.page(keyPath)
	if f := doc.find(uiTag("main")).all(uiTag("form")); len(f) != 0 {
		t.Errorf("auditor sees %d custody forms", len(f))
	}
	for _, p := range []string{"/", "/keys", "/holders", "/sites", "/keyways", "/audit", "/holders/" + st.holder.ID} {
		for _, f := range c.page(p).find(uiTag("main")).all(uiTag("form")) {
			if f.attr["method"] == "post" {
				t.Errorf("%s offers the auditor a POST form to %s", p, f.attr["action"])
			}
		}
	}
	posts := map[string]url.Values{
		keyPath + "/checkout": {"holder_id": {st.holder.ID}, "due_at": {"2026-03-04T12:00"}},
		keyPath + "/issue":    {"holder_id": {st.holder.ID}},
		keyPath + "/lost":     {"note": {"gone"}},
		keyPath + "/destroy":  {"confirm": {"1"}},
		"/keys":               {"keyway_id": {st.keyway.ID}, "symbol": {"AA2"}},
		"/holders":            {"name": {"Eve"}},
		"/sites":              {"name": {"Annex"}},
		"/openings":           {"site_id": {"site_x"}, "name": {"Door"}, "kind": {"door"}},
		"/keyways":            {"name": {"KW1"}, "duplication_policy": {"open"}},
	}
	for path, form := range posts {
		code, body, _ := c.post(path, form)
		if code != http.StatusForbidden {
			t.Errorf("auditor POST %s: %d, want 403", path, code)
			continue
		}
		uiWantText(t, uiParse(t, body).find(uiClass("p", "error")), path, "may not")
	}
	if k := s.key(st.key.ID); k.Status != keyward.StatusInStorage {
		t.Fatalf("auditor changed the key: %+v", k)
	}
	// Each refusal is in the audit log.
	a, err := s.db.Audit(context.Background(), s.sys, keyward.AuditFilter{Actor: email})
	if err != nil {
		t.Fatal(err)
	}
	if len(a.Items) < len(posts) {
		t.Errorf("%d audit records of the auditor's refused posts, want %d", len(a.Items), len(posts))
	}
}

// TestUISignedOut: every page sends a signed-out visitor to the sign-in page
// and back after it.
func TestUISignedOut(t *testing.T) {
	s := uiStart(t)
	st := s.stock()
	c := s.client()
	for _, p := range []string{"/", "/keys?status=lost", "/keys/" + st.key.ID, "/holders", "/holders/" + st.holder.ID, "/sites", "/keyways", "/audit"} {
		code, _, h := c.get(p)
		if code != http.StatusSeeOther || h.Get("Location") != "/login?next="+url.QueryEscape(p) {
			t.Errorf("GET %s signed out: %d to %q", p, code, h.Get("Location"))
		}
	}
	if code, _, h := c.send("/keys/"+st.key.ID+"/checkin", url.Values{}); code != http.StatusSeeOther || !strings.HasPrefix(h.Get("Location"), "/login") {
		t.Errorf("POST signed out: %d to %q", code, h.Get("Location"))
	}
}

// TestUIKeyListPaging pages the key list by cursor and keeps the filters.
func TestUIKeyListPaging(t *testing.T) {
	s := uiStart(t)
	st := s.stock()
	ctx := context.Background()
	for i := 2; i <= 5; i++ {
		if _, err := s.db.Custody().CreateKey(ctx, s.sys, keyward.KeyInput{KeywayID: st.keyway.ID, Symbol: fmt.Sprintf("AA%d", i)}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := s.db.Custody().CreateKey(ctx, s.sys, keyward.KeyInput{KeywayID: st.keyway.ID, Symbol: "BB1"}); err != nil {
		t.Fatal(err)
	}
	c := s.signIn(uiOwnerEmail, uiOwnerPassword)
	var seen []string
	next := "/keys?q=AA&limit=2"
	for pages := 0; next != ""; pages++ {
		if pages > 5 {
			t.Fatal("paging does not end")
		}
		doc := c.page(next)
		for _, a := range doc.find(uiClass("table", "keys")).all(uiTag("a")) {
			if strings.HasPrefix(a.attr["href"], "/keys/") {
				seen = append(seen, a.Text())
			}
		}
		next = ""
		if a := doc.find(uiAttr("rel", "next")); a != nil {
			next = a.attr["href"]
			u, _ := url.Parse(next)
			if u.Query().Get("q") != "AA" || u.Query().Get("cursor") == "" {
				t.Fatalf("next link drops the filter: %s", next)
			}
		}
	}
	if strings.Join(seen, ",") != "AA1-1,AA2-1,AA3-1,AA4-1,AA5-1" {
		t.Errorf("paged through %v", seen)
	}
	doc := c.page("/keys?status=checked_out")
	if doc.find(uiClass("table", "keys")) != nil {
		t.Error("status filter shows keys when none are checked out")
	}
}

// TestUIHolderSelfService: a holder's account sees its own keys and may report
// one lost, and sees nothing of anyone else's.
func TestUIHolderSelfService(t *testing.T) {
	s := uiStart(t)
	st := s.stock()
	ctx := context.Background()
	if _, err := s.db.Custody().Move(ctx, s.sys, st.key.ID, keyward.CustodyIssue, keyward.CustodyInput{HolderID: st.holder.ID}); err != nil {
		t.Fatal(err)
	}
	other, err := s.db.Custody().CreateKey(ctx, s.sys, keyward.KeyInput{KeywayID: st.keyway.ID, Symbol: "AA9"})
	if err != nil {
		t.Fatal(err)
	}
	email, pw := s.user(keyward.RoleHolder, st.holder.ID)
	c := s.signIn(email, pw)
	doc := c.page("/")
	uiWantText(t, doc.byID("my-keys"), "your keys", "AA1-1", "issued")
	keyPath := "/keys/" + st.key.ID
	doc = c.page(keyPath)
	forms := doc.find(uiTag("main")).all(uiTag("form"))
	if len(forms) != 1 || forms[0].attr["action"] != keyPath+"/lost" {
		t.Fatalf("holder's key page forms: %d", len(forms))
	}
	if code, _, _ := c.get("/keys/" + other.ID); code != http.StatusForbidden {
		t.Errorf("another key: %d, want 403", code)
	}
	if code, _, _ := c.get("/keys"); code != http.StatusForbidden {
		t.Errorf("key list: %d, want 403", code)
	}
	if code, body, _ := c.post(keyPath+"/lost", url.Values{"note": {"dropped at the station"}}); code != http.StatusSeeOther {
		t.Fatalf("report lost: %d\n%s", code, body)
	}
	if k := s.key(st.key.ID); k.Status != keyward.StatusLost {
		t.Fatalf("after report: %s", k.Status)
	}
}

// An organization in Berlin enters due times and credential end dates on its
// own clock: the form shows the zone, reads the value in it, and the key
// stores the matching UTC instant.
func TestUIFormsReadTimesInOrgZone(t *testing.T) {
	s := uiStartIn(t, "Europe/Berlin") // the clock starts at 2026-03-02 09:00 UTC, 10:00 CET
	st := s.stock()
	c := s.signIn(uiOwnerEmail, uiOwnerPassword)
	keyPath := "/keys/" + st.key.ID

	doc := c.page(keyPath)
	due := doc.find(uiAttr("name", "due_at"))
	if due == nil || due.attr["value"] != "2026-03-03T10:00" || due.attr["min"] != "2026-03-02T10:00" {
		t.Fatalf("due field %+v: want tomorrow 10:00 Berlin time, no earlier than now", due)
	}
	uiWantText(t, doc.find(uiTag("main")), "checkout form", "Due back (Europe/Berlin)")

	code, body, h := c.post(keyPath+"/checkout", url.Values{"holder_id": {st.holder.ID}, "due_at": {"2026-03-02T17:30"}})
	if code != http.StatusSeeOther {
		t.Fatalf("checkout: %d\n%s", code, body)
	}
	if k := s.key(st.key.ID); k.DueAt == nil || !k.DueAt.Equal(time.Date(2026, 3, 2, 16, 30, 0, 0, time.UTC)) {
		t.Fatalf("due %v, want 17:30 Berlin = 16:30 UTC", k.DueAt)
	}
	loc, _ := url.Parse(h.Get("Location"))
	if got := loc.Query().Get("flash"); got != "Checked out AA1-1 to Dana Ruiz, due 2026-03-02 17:30 CET." {
		t.Errorf("flash %q", got)
	}
	uiWantText(t, c.page(loc.RequestURI()).byID("key-due"), "due", "2026-03-02 17:30 CET")

	// 10:30 Berlin is 09:30 UTC, which is still after "now": accepted. A
	// reading in UTC would have made it 10:30 UTC; the stored instant tells.
	c.post(keyPath+"/checkin", url.Values{})
	if code, body, _ := c.post(keyPath+"/checkout", url.Values{"holder_id": {st.holder.ID}, "due_at": {"2026-03-02T10:30"}}); code != http.StatusSeeOther {
		t.Fatalf("checkout due 10:30 Berlin: %d\n%s", code, body)
	}
	if k := s.key(st.key.ID); !k.DueAt.Equal(time.Date(2026, 3, 2, 9, 30, 0, 0, time.UTC)) {
		t.Fatalf("due %v, want 09:30 UTC", k.DueAt)
	}

	// A fob valid until noon on 1 June, Berlin summer time (10:00 UTC).
	ctx := context.Background()
	site, err := s.db.Directory().CreateSite(ctx, s.sys, keyward.SiteInput{Name: "Harbour Point"})
	if err != nil {
		t.Fatal(err)
	}
	door, err := s.db.Directory().CreateOpening(ctx, s.sys, keyward.OpeningInput{SiteID: site.ID, Name: "Front door", Kind: "door"})
	if err != nil {
		t.Fatal(err)
	}
	uiWantText(t, c.page("/credentials").find(uiTag("main")), "credential form", "Valid until (Europe/Berlin, optional)")
	code, body, _ = c.post("/credentials", url.Values{"kind": {"fob"}, "number": {"FOB-7"}, "holder_id": {st.holder.ID},
		"opening_ids": {door.ID}, "valid_until": {"2026-06-01T12:00"}})
	if code != http.StatusSeeOther {
		t.Fatalf("issue fob: %d\n%s", code, body)
	}
	n, err := s.sql.Count(`SELECT COUNT(*) FROM credentials WHERE number = 'FOB-7' AND valid_until = '2026-06-01T10:00:00.000000000Z'`)
	if err != nil || n != 1 {
		t.Fatalf("%d fobs valid until 10:00 UTC (%v), want 1", n, err)
	}
}
