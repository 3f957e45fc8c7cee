package web_test

import (
	"context"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/keyward/keyward/internal/auth"
	"github.com/keyward/keyward/internal/keyward"
	"github.com/keyward/keyward/internal/store/storetest"
)

// copyPages is the copy API's app with page sessions for its accounts, each
// page's body kept to look for the card number in it.
type copyPages struct {
	*copyAPI
	bodies []string
}

// copyPage is one signed-in browser session without JavaScript.
type copyPage struct {
	c    *copyPages
	sid  string
	csrf string
}

func newCopyPages(t *testing.T, b storetest.Backend) *copyPages {
	t.Helper()
	return &copyPages{copyAPI: newCopyAPI(t, b)}
}

// as signs in the user with email (by a session, as the sign-in form makes one).
func (c *copyPages) as(email string) *copyPage {
	c.t.Helper()
	ctx := context.Background()
	acc := c.db.Accounts(c.env.Vault)
	users, err := acc.Users(ctx, keyward.SystemActor("test"))
	if err != nil {
		c.t.Fatal(err)
	}
	for _, u := range users {
		if u.Email != email {
			continue
		}
		sid, err := acc.CreateSession(ctx, &u, true)
		if err != nil {
			c.t.Fatal(err)
		}
		key, err := acc.CSRFKey(ctx)
		if err != nil {
			c.t.Fatal(err)
		}
		return &copyPage{c: c, sid: sid, csrf: auth.CSRFToken(key, sid)}
	}
	c.t.Fatalf("no user %s", email)
	return nil
}

// The page sessions of the copy tests' accounts.
const (
	emailManager  = "manager@acme.test" // asks for copies
	emailNoor     = "noor@acme.test"    // another manager
	emailAdvisor  = "advisor@acme.test"
	emailTech     = "technician@acme.test"
	emailOwner    = "owner@acme.test"
	emailRosaUser = "rosa.user@acme.test" // the holder Rosa Vega's own account
)

func (p *copyPage) do(method, path string, form url.Values) (int, string, http.Header) {
	p.c.t.Helper()
	var body io.Reader
	if form != nil {
		f := url.Values{"csrf": {p.csrf}}
		for k, v := range form {
			f[k] = v
		}
		body = strings.NewReader(f.Encode())
	}
	req, _ := http.NewRequest(method, p.c.http.URL+path, body)
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.AddCookie(&http.Cookie{Name: "kw_session", Value: p.sid})
	resp, err := (&http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}).Do(req)
	if err != nil {
		p.c.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	p.c.bodies = append(p.c.bodies, string(b))
	return resp.StatusCode, string(b), resp.Header
}

// page GETs path, wants 200 and parses it.
func (p *copyPage) page(path string) *uiNode {
	p.c.t.Helper()
	st, body, h := p.do("GET", path, nil)
	if st != http.StatusOK {
		p.c.t.Fatalf("GET %s: %d %s\n%s", path, st, h.Get("Location"), body)
	}
	return uiParse(p.c.t, body)
}

// post sends a form and wants status; it returns the page (nil for a redirect) and where a redirect goes.
func (p *copyPage) post(status int, path string, form url.Values) (*uiNode, string) {
	p.c.t.Helper()
	if form == nil {
		form = url.Values{}
	}
	st, body, h := p.do("POST", path, form)
	if st != status {
		p.c.t.Fatalf("POST %s %v: %d, want %d\n%s", path, form, st, status, body)
	}
	if st == http.StatusSeeOther {
		return nil, h.Get("Location")
	}
	return uiParse(p.c.t, body), ""
}

// fieldError is the text of the error shown beside field, "" if none.
func fieldError(doc *uiNode, field string) string {
	if n := doc.byID(field + "-error"); n != nil {
		return n.Text()
	}
	return ""
}

// requestID reads the request id off a redirect to its page.
func requestID(t *testing.T, loc string) string {
	t.Helper()
	id, ok := strings.CutPrefix(loc, "/copy-requests/")
	if i := strings.IndexByte(id, '?'); i >= 0 {
		id = id[:i]
	}
	if !ok || id == "" {
		t.Fatalf("not a copy request's page: %q", loc)
	}
	return id
}

// wantCardInNoPage looks for the card number in every page and PDF the test was given.
func (c *copyPages) wantCardInNoPage() {
	c.t.Helper()
	if len(c.bodies) < 10 {
		c.t.Fatalf("only %d pages kept: the check would look at nothing", len(c.bodies))
	}
	for _, probe := range []string{apiCard, strings.ToLower(apiCard), "552091"} {
		for _, b := range c.bodies {
			if strings.Contains(b, probe) {
				c.t.Fatalf("a page holds the card number %s", probe)
			}
		}
		if strings.Contains(c.log.String(), probe) {
			c.t.Fatalf("the log holds the card number %s", probe)
		}
		if n := c.count(`SELECT COUNT(*) FROM audit_log WHERE details LIKE '%` + probe + `%'`); n != 0 {
			c.t.Fatalf("%d audit records hold the card number %s", n, probe)
		}
	}
	if !strings.Contains(c.log.String(), "/card") && !strings.Contains(c.log.String(), "/evidence") {
		c.t.Fatal("the log has no line of a form that took the card: the check looked at nothing")
	}
}

// TestUICopyRequestPages walks a restricted request through its pages
// without JavaScript, on both backends: the mark on the key page and its
// check-out form, the request form's bad counts shown beside the count, the
// recipient picked by name, the counter's evidence with a wrong card named
// beside the card field, the requester who sees no Approve button and whose
// direct post is refused, the approval on another manager's dashboard,
// production, the hand-over, and the lists by state. No page holds the card.
func TestUICopyRequestPages(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		c := newCopyPages(t, b)
		rosa := c.ids["Rosa Vega"]
		kw, key := c.restricted("Medeco M3", "AA1")
		mgr, noor, adv, tech := c.as(emailManager), c.as(emailNoor), c.as(emailAdvisor), c.as(emailTech)

		// The key page: the mark, prominently and on the check-out form; the way to ask.
		doc := mgr.page("/keys/" + key)
		uiWantText(t, doc.byID("dup-mark"), "key page mark", "Do Not Duplicate", "registered signatory")
		uiWantText(t, doc.byID("checkout-dup"), "check-out mark", "Do Not Duplicate")
		if a := doc.byID("request-copies"); a == nil || a.attr["href"] != "/keys/"+key+"/copy-request" {
			t.Fatalf("no Request copies link on the key page: %v", a)
		}
		_, okey := c.keywayWithKey("Kwikset KW1", keyward.DupOpen, "B1")
		if doc := mgr.page("/keys/" + okey); doc.byID("dup-mark") != nil || doc.byID("checkout-dup") != nil {
			t.Fatal("a freely copied key carries the Do Not Duplicate mark")
		}

		// The request form: bad counts beside the count, nothing created.
		form := "/keys/" + key + "/copy-request"
		doc = mgr.page(form)
		if doc.find(uiAttr("name", "count")) == nil || doc.find(uiAttr("name", "reason")) == nil {
			t.Fatal("the request form has no count or reason")
		}
		for _, bad := range []string{"0", "21", "two", ""} {
			doc, _ = mgr.post(400, form, url.Values{"count": {bad}, "reason": {"new tenant"}})
			if got := fieldError(doc, "count"); !strings.Contains(got, "whole number from 1 to 20") {
				t.Fatalf("count %q: the error beside count is %q", bad, got)
			}
			if v := doc.find(uiAttr("name", "reason")); v == nil || !strings.Contains(v.Text(), "new tenant") {
				t.Fatalf("count %q: the reason typed is lost", bad)
			}
			if e := doc.find(uiClass("p", "error")); e == nil || strings.Contains(e.Text(), "count:") {
				t.Fatalf("count %q: the message above the form names the field: %v", bad, e)
			}
		}
		doc, _ = mgr.post(400, form, url.Values{"count": {"2"}})
		if got := fieldError(doc, "reason"); !strings.Contains(got, "need a reason") {
			t.Fatalf("no reason: %q", got)
		}
		if n := c.count(`SELECT COUNT(*) FROM copy_requests`); n != 0 {
			t.Fatalf("%d requests made by refused forms", n)
		}
		// The recipient, found by part of her name.
		doc = mgr.page(form + "?for_q=veg")
		pick := doc.byID("find-recipient-picks")
		uiWantText(t, pick, "recipient picks", "Rosa Vega", "rosa@acme.test", "Keep them in storage")
		if doc.find(uiAttr("value", rosa)) == nil {
			t.Fatal("Rosa is not offered")
		}
		_, loc := mgr.post(303, form, url.Values{"count": {"2"}, "reason": {"new tenant in unit 4"}, "for_holder_id": {rosa}})
		id := requestID(t, loc)
		page := "/copy-requests/" + id

		// The request waits for the counter; no approval is offered yet.
		doc = mgr.page(page)
		uiWantText(t, doc.byID("copy-state"), "state", "Waiting for the ID and card check")
		uiWantText(t, doc.byID("copy-for"), "for", "Rosa Vega")
		if doc.byID("approve-form") != nil {
			t.Fatal("approve offered before the evidence")
		}
		uiWantText(t, tech.page(page).byID("copy-waiting"), "technician's wait", "advisor or a manager")

		// The counter: the signatory by name, the card in a password field.
		doc = adv.page(page)
		ev := doc.byID("evidence-form")
		if ev == nil {
			t.Fatalf("the advisor is not offered the evidence form:\n%s", doc.Text())
		}
		card := ev.find(uiAttr("name", "authorization_card"))
		if card == nil || card.attr["type"] != "password" || card.attr["autocomplete"] != "off" {
			t.Fatalf("card field: %+v", card)
		}
		if sig := ev.find(uiAttr("name", "signatory_holder_id")); sig == nil || !strings.Contains(sig.Text(), "Rosa Vega") {
			t.Fatal("the signatory is not offered by name")
		}
		evidence := url.Values{"signatory_holder_id": {rosa}, "id_type": {"passport"}, "id_last4": {"4821"}, "authorization_card": {"RX-5520-92"}}
		doc, _ = adv.post(400, page+"/evidence", evidence)
		if got := fieldError(doc, "authorization_card"); !strings.Contains(got, "does not match the card on file") {
			t.Fatalf("wrong card: the error beside the card is %q", got)
		}
		if v := doc.find(uiAttr("name", "id_last4")); v == nil || v.attr["value"] != "4821" {
			t.Fatal("the ID's last 4 typed are lost")
		}
		evidence.Set("id_last4", "48")
		evidence.Set("authorization_card", apiCard)
		doc, _ = adv.post(400, page+"/evidence", evidence)
		if got := fieldError(doc, "id_last4"); !strings.Contains(got, "last 4") {
			t.Fatalf("short ID: %q", got)
		}
		evidence.Set("id_last4", "4821")
		adv.post(303, page+"/evidence", evidence)
		doc = adv.page(page)
		uiWantText(t, doc.byID("copy-evidence"), "evidence", "Rosa Vega", "Passport ending 4821", "card matched")

		// The requester: no Approve button, and a direct post is refused.
		doc = mgr.page(page)
		if doc.byID("approve-form") != nil || doc.find(uiForm(page+"/approve")) != nil {
			t.Fatal("the requester is offered Approve")
		}
		uiWantText(t, doc.byID("copy-waiting"), "requester's wait", "Waiting for a manager other than you to approve")
		if st, _, _ := mgr.do("POST", page+"/approve", url.Values{}); st != http.StatusForbidden {
			t.Fatalf("the requester's own approval: %d, want 403", st)
		}
		// The dashboards: Noor's lists it for approval, the requester's does not.
		if d := noor.page("/").byID("copy-approvals"); d == nil || d.find(uiAttr("href", page)) == nil {
			t.Fatal("another manager's dashboard does not list the request for approval")
		}
		if mgr.page("/").byID("copy-approvals") != nil {
			t.Fatal("the requester's dashboard offers their own request for approval")
		}
		doc = noor.page(page)
		if doc.byID("approve-form") == nil {
			t.Fatal("another manager is not offered Approve")
		}
		noor.post(303, page+"/approve", nil)
		uiWantText(t, adv.page(page).byID("copy-waiting"), "after approval", "technician")

		// Production, then the hand-over to the holder it was asked for.
		if d := tech.page("/").byID("copy-todo"); d == nil || !strings.Contains(d.Text(), "Cut the copies") {
			t.Fatal("the technician's dashboard does not list the copies to cut")
		}
		tech.post(303, page+"/produce", nil)
		if st, _, _ := tech.do("POST", page+"/produce", url.Values{}); st != http.StatusConflict {
			t.Fatalf("production twice: %d, want 409", st)
		}
		doc = adv.page(page)
		uiWantText(t, doc.byID("copy-keys"), "copies", "AA1-2", "AA1-3")
		hand := doc.byID("handover-form")
		if hand == nil || !strings.Contains(hand.Text(), "Hand over to Rosa Vega") {
			t.Fatal("no hand-over to Rosa")
		}
		adv.post(303, page+"/hand-over", url.Values{"holder_id": {rosa}})
		doc = adv.page(page)
		uiWantText(t, doc.byID("copy-state"), "final state", "Handed over")
		uiWantText(t, doc.byID("copy-history"), "history", "Asked for copies", "Checked the photo ID", "Approved", "Noor", "Cut the copies", "Handed over")

		// The lists by state.
		if doc = mgr.page("/copy-requests?show=done"); doc.find(uiAttr("href", page)) == nil {
			t.Fatal("the done list lacks the request")
		}
		if doc = mgr.page("/copy-requests"); doc.find(uiAttr("href", page)) != nil {
			t.Fatal("the waiting list holds a handed-over request")
		}
		if st, _, _ := mgr.do("GET", "/copy-requests?show=soon", nil); st != http.StatusBadRequest {
			t.Fatalf("an unknown filter: %d", st)
		}
		if doc = c.as(emailOwner).page("/"); doc.find(uiAttr("href", "/copy-requests")) == nil {
			t.Fatal("no Copy requests in the navigation")
		}

		// The keyway page: the card on file, never shown.
		doc = mgr.page("/keyways/" + kw)
		uiWantText(t, doc.byID("card-state"), "card", "On file since")
		uiWantText(t, doc.byID("signatories"), "signatories", "Rosa Vega")
		c.wantCardInNoPage()
	})
}

// TestUICopyKeywayControlAndSettings: the keyway page explains the policy,
// registers a signatory picked by name with an until date, refuses a bad
// date beside it, removes one only after confirmation (cancelling what their
// evidence authorized), sets and replaces the card without ever showing it;
// the Settings page sets the approvals and the two-person rule, and refuses
// what is out of range beside the field.
func TestUICopyKeywayControlAndSettings(t *testing.T) {
	c := newCopyPages(t, storetest.SQLite)
	rosa, ivo := c.ids["Rosa Vega"], c.ids["Ivo Brandt"]
	mgr, owner, adv := c.as(emailManager), c.as(emailOwner), c.as(emailAdvisor)
	kw, key := c.keywayWithKey("Medeco M3", keyward.DupRestricted, "AA1")
	path := "/keyways/" + kw

	doc := mgr.page(path)
	uiWantText(t, doc.byID("keyway-policy"), "policy", "Restricted keyway", "registered signatory", "photo ID", "authorization card", "a manager who did not ask for them")
	uiWantText(t, doc.byID("no-signatories"), "no signatories", "nobody can authorize copies")
	uiWantText(t, doc.byID("card-state"), "no card", "No authorization card on file")
	if f := doc.byID("card-form"); f == nil || f.find(uiAttr("type", "password")) == nil {
		t.Fatal("no password field for the card")
	}
	// An advisor reads the policy, and changes nothing.
	if doc := adv.page(path); doc.byID("keyway-policy") == nil || doc.byID("card-form") != nil || doc.byID("add-signatory") != nil {
		t.Fatal("the advisor's keyway page offers control forms, or no policy")
	}
	if st, _, _ := adv.do("POST", path+"/card", url.Values{"number": {apiCard}}); st != http.StatusForbidden {
		t.Fatalf("the advisor sets the card: %d", st)
	}

	// The card: empty is refused beside the field; set; replaced; never shown.
	doc, _ = mgr.post(400, path+"/card", url.Values{"number": {"  "}})
	if got := fieldError(doc, "number"); !strings.Contains(got, "required") {
		t.Fatalf("empty card: %q", got)
	}
	mgr.post(303, path+"/card", url.Values{"number": {apiCard}})
	doc = mgr.page(path)
	uiWantText(t, doc.byID("card-state"), "card", "On file since")
	uiWantText(t, doc.byID("card-form"), "replace", "Replace the card")
	mgr.post(303, path+"/card", url.Values{"number": {apiCard}})

	// A signatory, found by name, with a last day; a bad date is named.
	doc = mgr.page(path + "?signatory_q=rosa")
	if p := doc.byID("find-signatory-picks"); p == nil || p.find(uiAttr("value", rosa)) == nil {
		t.Fatal("Rosa is not offered as a signatory")
	}
	doc, _ = mgr.post(400, path+"/signatories", url.Values{"holder_id": {rosa}, "until": {"31/12/2026"}})
	if got := fieldError(doc, "until"); !strings.Contains(got, "date such as") {
		t.Fatalf("bad until: %q", got)
	}
	doc, _ = mgr.post(400, path+"/signatories", url.Values{"holder_id": {rosa}, "until": {"2020-01-01"}})
	if got := fieldError(doc, "until"); !strings.Contains(got, "future") {
		t.Fatalf("past until: %q", got)
	}
	doc, _ = mgr.post(400, path+"/signatories", url.Values{"until": {""}})
	if got := fieldError(doc, "holder_id"); got == "" {
		t.Fatal("no holder: nothing beside the holder")
	}
	mgr.post(303, path+"/signatories", url.Values{"holder_id": {rosa}, "until": {"2027-06-30"}})
	mgr.post(303, path+"/signatories", url.Values{"holder_id": {ivo}})
	doc, _ = mgr.post(409, path+"/signatories", url.Values{"holder_id": {ivo}})
	if e := doc.find(uiClass("p", "error")); e == nil || !strings.Contains(e.Text(), "already a signatory") {
		t.Fatal("a second registration is not refused in words")
	}
	uiWantText(t, mgr.page(path).byID("signatories"), "signatories", "Rosa Vega", "until the end of 30 Jun 2027", "Ivo Brandt", "until removed")

	// Rosa's evidence on a request, then her removal: confirmed first, and it cancels the request.
	r := c.want(201, "", keyward.RoleManager, "POST", "/api/v1/copy-requests", map[string]any{"key_id": key, "count": 1, "reason": "spare"})
	c.want(200, "", keyward.RoleAdvisor, "POST", "/api/v1/copy-requests/"+r["id"].(string)+"/evidence", c.evidence(rosa, apiCard, "passport"))
	remove := path + "/signatories/" + rosa + "/remove"
	doc = mgr.page(remove)
	uiWantText(t, doc.byID("confirm-remove"), "confirmation", "Rosa Vega", "cancelled")
	doc, _ = mgr.post(400, remove, url.Values{})
	if got := fieldError(doc, "confirm"); !strings.Contains(got, "tick the box") {
		t.Fatalf("unconfirmed removal: %q", got)
	}
	if got := c.want(200, "", keyward.RoleOwner, "GET", "/api/v1/copy-requests/"+r["id"].(string), nil); got["state"] != "evidence_accepted" {
		t.Fatalf("an unconfirmed removal changed the request: %v", got["state"])
	}
	mgr.post(303, remove, url.Values{"confirm": {"1"}})
	if got := c.want(200, "", keyward.RoleOwner, "GET", "/api/v1/copy-requests/"+r["id"].(string), nil); got["state"] != "cancelled" {
		t.Fatalf("after the removal: %v", got["state"])
	}
	if st, _, _ := mgr.do("GET", remove, nil); st != http.StatusNotFound {
		t.Fatalf("removing her again: %d", st)
	}
	if s := mgr.page(path).byID("signatories"); s == nil || strings.Contains(s.Text(), "Rosa") {
		t.Fatal("Rosa is still listed as current")
	}

	// A Do Not Duplicate keyway explains itself, with no signatories or card.
	dkw, _ := c.keywayWithKey("Schlage SC1", keyward.DupDND, "B1")
	doc = mgr.page("/keyways/" + dkw)
	uiWantText(t, doc.byID("keyway-policy"), "dnd policy", "Do Not Duplicate", "need a reason")
	if doc.byID("card-form") != nil {
		t.Fatal("a dnd keyway offers a card")
	}

	// Settings: the owner's, in range, beside the field.
	doc = owner.page("/settings")
	if f := doc.byID("copy-settings-form"); f == nil || f.find(uiAttr("name", "two_person_rule")) == nil {
		t.Fatal("no copy settings on the Settings page")
	}
	doc, _ = owner.post(400, "/settings/copies", url.Values{"approvals_required": {"4"}})
	if got := fieldError(doc, "approvals_required"); !strings.Contains(got, "1, 2 or 3") {
		t.Fatalf("4 approvals: %q", got)
	}
	owner.post(303, "/settings/copies", url.Values{"approvals_required": {"2"}, "two_person_rule": {"1"}})
	if s := c.want(200, "", keyward.RoleOwner, "GET", "/api/v1/settings/copies", nil); s["approvals_required"] != float64(2) || s["two_person_rule"] != true {
		t.Fatalf("settings after the form: %v", s)
	}
	uiWantText(t, mgr.page("/keyways/"+dkw).byID("keyway-policy"), "policy with settings", "2 managers")
	if st, _, _ := mgr.do("POST", "/settings/copies", url.Values{"approvals_required": {"1"}}); st != http.StatusForbidden {
		t.Fatalf("a manager's settings: %d", st)
	}
	c.wantCardInNoPage()
}

// TestUICopyDecisionsAndSelfService: a holder asks for a copy of the key
// they hold from their dashboard's link and follows it on "My copy
// requests"; another manager denies one with a reason (a missing reason is
// named), an advisor escalates one and only the owner is offered the
// decision; the holder cancels their own, and a freely copied key's request
// is approved at once.
func TestUICopyDecisionsAndSelfService(t *testing.T) {
	c := newCopyPages(t, storetest.SQLite)
	rosa := c.ids["Rosa Vega"]
	_, key := c.keywayWithKey("Schlage SC1", keyward.DupDND, "AA1")
	c.want(200, "", keyward.RoleOwner, "POST", "/api/v1/keys/"+key+"/issue", map[string]any{"holder_id": rosa})
	_, other := c.keywayWithKey("Schlage SC4", keyward.DupDND, "C1")
	me, mgr, noor, adv, owner := c.as(emailRosaUser), c.as(emailManager), c.as(emailNoor), c.as(emailAdvisor), c.as(emailOwner)

	// Her dashboard: her key with Request copies; her navigation: My copy requests.
	doc := me.page("/")
	if doc.find(uiAttr("href", "/keys/"+key+"/copy-request")) == nil {
		t.Fatal("no Request copies beside her key")
	}
	if a := doc.find(uiAttr("href", "/copy-requests")); a == nil || !strings.Contains(a.Text(), "My copy requests") {
		t.Fatal("no My copy requests in her navigation")
	}
	uiWantText(t, me.page("/keys/"+key).byID("key-copies"), "her key page", "Request copies of AA1")
	// She asks for herself: no recipient to pick.
	doc = me.page("/keys/" + key + "/copy-request")
	if doc.find(uiAttr("name", "for_holder_id")) != nil {
		t.Fatal("a holder is offered to pick who receives the copies")
	}
	uiWantText(t, doc.byID("copy-for"), "for her", "for you", "Rosa Vega")
	doc, _ = me.post(400, "/keys/"+key+"/copy-request", url.Values{"count": {"21"}, "reason": {"my partner moves in"}})
	if got := fieldError(doc, "count"); !strings.Contains(got, "from 1 to 20") {
		t.Fatalf("her count of 21: %q", got)
	}
	_, loc := me.post(303, "/keys/"+key+"/copy-request", url.Values{"count": {"1"}, "reason": {"my partner moves in"}, "for_holder_id": {"hld_someone"}})
	page := "/copy-requests/" + requestID(t, loc)
	doc = me.page(page)
	uiWantText(t, doc.byID("copy-for"), "for", "Rosa Vega")
	uiWantText(t, doc.byID("copy-waiting"), "her wait", "Waiting for a manager to approve")
	if doc.byID("approve-form") != nil || doc.byID("deny-form") != nil {
		t.Fatal("the holder is offered a decision")
	}
	if doc.byID("cancel-form") == nil {
		t.Fatal("the holder may not cancel her own request")
	}
	if st, _, _ := me.do("POST", page+"/approve", url.Values{}); st != http.StatusForbidden {
		t.Fatalf("her own approval: %d", st)
	}
	if doc = me.page("/copy-requests"); doc.find(uiAttr("href", page)) == nil || !strings.Contains(doc.Text(), "My copy requests") {
		t.Fatal("My copy requests lacks her request")
	}
	uiWantText(t, me.page("/").byID("my-copies"), "her dashboard", "1 copy of AA1", "Waiting for approval")
	// Not for a key she does not hold.
	if st, _, _ := me.do("GET", "/keys/"+other+"/copy-request", nil); st != http.StatusForbidden && st != http.StatusNotFound {
		t.Fatalf("her form for a key she does not hold: %d", st)
	}
	if st, _, _ := me.do("POST", "/keys/"+other+"/copy-request", url.Values{"count": {"1"}, "reason": {"x"}}); st != http.StatusForbidden && st != http.StatusNotFound {
		t.Fatalf("her request for a key she does not hold: %d", st)
	}

	// A manager denies it, with a reason.
	doc, _ = noor.post(400, page+"/deny", url.Values{"reason": {" "}})
	if f := doc.byID("deny-form"); f == nil || !strings.Contains(f.Text(), "is required") {
		t.Fatal("a denial without a reason is not named in its form")
	}
	noor.post(303, page+"/deny", url.Values{"reason": {"the lease allows one key"}})
	doc = me.page(page)
	uiWantText(t, doc.byID("copy-state"), "denied", "Denied")
	uiWantText(t, doc.byID("copy-decision"), "why", "the lease allows one key")
	if doc.byID("cancel-form") != nil {
		t.Fatal("a denied request offers Cancel")
	}

	// An escalated request: only the owner is offered the decision.
	_, loc = mgr.post(303, "/keys/"+other+"/copy-request", url.Values{"count": {"1"}, "reason": {"contractor"}})
	esc := "/copy-requests/" + requestID(t, loc)
	adv.post(303, esc+"/escalate", url.Values{"reason": {"the work order is unsigned"}})
	if doc = noor.page(esc); doc.byID("approve-form") != nil {
		t.Fatal("a manager is offered the owner's decision")
	}
	uiWantText(t, noor.page(esc).byID("copy-waiting"), "escalated", "owner")
	if doc = owner.page(esc); doc.byID("approve-form") == nil {
		t.Fatal("the owner is not offered the decision")
	}
	if d := owner.page("/").byID("copy-approvals"); d == nil || d.find(uiAttr("href", esc)) == nil {
		t.Fatal("the owner's dashboard does not list the escalated request")
	}

	// She cancels her own next request.
	_, loc = me.post(303, "/keys/"+key+"/copy-request", url.Values{"count": {"1"}, "reason": {"spare"}})
	mine := "/copy-requests/" + requestID(t, loc)
	me.post(303, mine+"/cancel", url.Values{"reason": {"found the old one"}})
	uiWantText(t, me.page(mine).byID("copy-state"), "cancelled", "Cancelled")

	// A freely copied key: approved at once, straight to cutting.
	_, okey := c.keywayWithKey("Kwikset KW1", keyward.DupOpen, "D1")
	_, loc = mgr.post(303, "/keys/"+okey+"/copy-request", url.Values{"count": {"3"}})
	if !strings.Contains(loc, "Approved+at+once") {
		t.Fatalf("open request's confirmation: %s", loc)
	}
	doc = mgr.page("/copy-requests/" + requestID(t, loc))
	uiWantText(t, doc.byID("copy-state"), "open", "Approved, waiting to be cut")
	if doc.byID("produce-form") == nil {
		t.Fatal("the manager is not offered to record the copies cut")
	}
	// Storage copies: any holder may be picked for the hand-over afterwards.
	mgr.post(303, "/copy-requests/"+requestID(t, loc)+"/produce", nil)
	doc = adv.page("/copy-requests/" + requestID(t, loc) + "?holder_q=brandt")
	uiWantText(t, doc.byID("copy-state"), "storage", "Cut, in storage")
	if p := doc.byID("find-receiver-picks"); p == nil || p.find(uiAttr("value", c.ids["Ivo Brandt"])) == nil {
		t.Fatal("Ivo is not offered for the hand-over")
	}
	doc, _ = adv.post(400, "/copy-requests/"+requestID(t, loc)+"/hand-over", url.Values{"holder_id": {""}})
	if got := fieldError(doc, "holder_id"); got == "" {
		t.Fatal("a hand-over to nobody is not named beside the holder")
	}
	adv.post(303, "/copy-requests/"+requestID(t, loc)+"/hand-over", url.Values{"holder_id": {c.ids["Ivo Brandt"]}})
	uiWantText(t, adv.page("/copy-requests/"+requestID(t, loc)).byID("copy-keys"), "handed over", "D1-2", "issued")
}

// TestCopyPaper: the authorization form of a restricted request and the
// receipt after production, from their pages and the API, hold what the
// signatory signs and what was recorded, and never the card; the key tag
// carries the Do Not Duplicate mark of its keyway.
func TestCopyPaper(t *testing.T) {
	c := newCopyPages(t, storetest.SQLite)
	rosa := c.ids["Rosa Vega"]
	_, key := c.restricted("Medeco M3", "AA1")
	mgr, rosaPage := c.as(emailManager), c.as(emailRosaUser)
	r := c.want(201, "", keyward.RoleManager, "POST", "/api/v1/copy-requests", map[string]any{"key_id": key, "count": 2, "reason": "new tenant in unit 4", "for_holder_id": rosa})
	id := r["id"].(string)
	page, api := "/copy-requests/"+id, "/api/v1/copy-requests/"+id

	pdf := func(st int, body string, h http.Header) string {
		t.Helper()
		if st != 200 || h.Get("Content-Type") != "application/pdf" || !strings.HasPrefix(body, "%PDF-") {
			t.Fatalf("PDF: %d %s %.40q", st, h.Get("Content-Type"), body)
		}
		return strings.Join(strings.Fields(pdfText(t, []byte(body))), " ")
	}
	apiGet := func(path string) (int, string, http.Header) {
		t.Helper()
		req, _ := http.NewRequest("GET", c.http.URL+path, nil)
		req.Header.Set("Authorization", "Bearer "+c.tokens[keyward.RoleAuditor])
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		raw, _ := io.ReadAll(resp.Body)
		c.bodies = append(c.bodies, string(raw))
		return resp.StatusCode, string(raw), resp.Header
	}

	// Before the evidence: blank lines for the signatory to fill in.
	form := pdf(mgr.do("GET", page+"/authorization.pdf", nil))
	for _, want := range []string{"Authorization to duplicate keys", "Acme Property", "Medeco M3", "AA1", "Number of copies 2", "Rosa Vega", "Signatory's signature", "Approving manager's signature", "never written on this form"} {
		if !strings.Contains(form, want) {
			t.Errorf("authorization form lacks %q:\n%s", want, form)
		}
	}
	if st, _, _ := apiGet(api + "/receipt.pdf"); st != http.StatusConflict {
		t.Fatalf("receipt before production: %d", st)
	}
	c.want(200, "", keyward.RoleAdvisor, "POST", api+"/evidence", c.evidence(rosa, apiCard, "passport"))
	c.want(200, "", roleManager2, "POST", api+"/approve", nil)
	form = pdf(apiGet(api + "/authorization.pdf"))
	for _, want := range []string{"Rosa Vega", "Passport ending in 4821", "Approved by: Noor"} {
		if !strings.Contains(form, want) {
			t.Errorf("authorization form after the check lacks %q:\n%s", want, form)
		}
	}
	c.want(200, "", keyward.RoleTechnician, "POST", api+"/produce", nil)
	c.want(200, "", keyward.RoleAdvisor, "POST", api+"/hand-over", map[string]any{"holder_id": rosa})
	receipt := pdf(mgr.do("GET", page+"/receipt.pdf", nil))
	for _, want := range []string{"Receipt: 2 copies of AA1 produced", "Acme Property", "AA1-2", "AA1-3", "Issued to Rosa Vega", "Passport ending in 4821", "matched the card on file", "Approved by Noor", "Cut by", "Handed over by", "Received by"} {
		if !strings.Contains(receipt, want) {
			t.Errorf("receipt lacks %q:\n%s", want, receipt)
		}
	}
	if got := pdf(apiGet(api + "/receipt.pdf")); got != receipt {
		t.Errorf("the API's receipt differs from the page's:\n%s\n%s", got, receipt)
	}
	// The holder the copies were for reads them too; another request's are 404.
	pdf(rosaPage.do("GET", page+"/receipt.pdf", nil))
	if st, _, _ := rosaPage.do("GET", "/copy-requests/cr_nope/receipt.pdf", nil); st != http.StatusNotFound {
		t.Fatalf("an unknown receipt: %d", st)
	}
	// A Do Not Duplicate request has no authorization form.
	_, dkey := c.keywayWithKey("Schlage SC1", keyward.DupDND, "B1")
	d := c.want(201, "", keyward.RoleManager, "POST", "/api/v1/copy-requests", map[string]any{"key_id": dkey, "count": 1, "reason": "spare"})
	if st, _, _ := apiGet("/api/v1/copy-requests/" + d["id"].(string) + "/authorization.pdf"); st != http.StatusConflict {
		t.Fatalf("a dnd request's authorization form: %d", st)
	}
	for _, text := range []string{form, receipt} {
		for _, probe := range []string{apiCard, "5520", "RX-"} {
			if strings.Contains(text, probe) {
				t.Fatalf("a printout holds the card (%s)", probe)
			}
		}
	}

	// Key tags: the mark of the keyway, on every copy of it, and none on an open keyway's.
	tags := pdf(mgr.do("GET", "/key-tags.pdf?ids="+key+","+dkey, nil))
	if n := strings.Count(tags, "DO NOT DUPLICATE"); n != 2 || strings.Count(tags, "RESTRICTED KEYWAY") != 1 {
		t.Fatalf("tags: %d marks:\n%s", n, tags)
	}
	_, okey := c.keywayWithKey("Kwikset KW1", keyward.DupOpen, "C1")
	if tags := pdf(mgr.do("GET", "/key-tags.pdf?ids="+okey, nil)); strings.Contains(tags, "DUPLICATE") {
		t.Fatalf("an open keyway's tag is marked:\n%s", tags)
	}
	c.wantCardInNoPage()
}
