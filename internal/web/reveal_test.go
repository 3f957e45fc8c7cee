package web_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/keyward/keyward/internal/auth"
	"github.com/keyward/keyward/internal/keyward"
	"github.com/keyward/keyward/internal/store/storetest"
)

// postPage posts a form and returns the status and the page.
func (f *formClient) postPage(path string, form url.Values) (int, string) {
	f.t.Helper()
	resp, err := f.c.PostForm(f.base+path, form)
	if err != nil {
		f.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// revealAPI asks for a lockbox code as role and returns the status, the
// answer and its Keyward-Notice header.
func (a *testApp) revealAPI(role keyward.Role, boxID string) (int, map[string]any, string) {
	a.t.Helper()
	req, _ := http.NewRequest("POST", a.http.URL+"/api/v1/storage/"+boxID+"/reveal", strings.NewReader(`{"reason":"let the plumber in"}`))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+a.tokens[role])
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		a.t.Fatal(err)
	}
	defer resp.Body.Close()
	var out map[string]any
	_ = json.NewDecoder(resp.Body).Decode(&out)
	return resp.StatusCode, out, resp.Header.Get("Keyward-Notice")
}

// TestRevealNeedsAuthenticator: where the organization requires an
// authenticator, a technician without one sees codes inside the grace period
// with a warning, is refused after it (403 naming the rule in the API, a page
// with the way to enrol in the UI), and sees codes again once enrolled.
func TestRevealNeedsAuthenticator(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		app := newTestApp(t, b)
		ctx := context.Background()
		var box map[string]any
		if st := app.call(keyward.RoleOwner, "POST", "/api/v1/storage", map[string]any{"kind": "lockbox", "name": "Gate box", "code": "73915"}, &box); st != 201 {
			t.Fatalf("create lockbox: %d %v", st, box)
		}
		boxID := box["id"].(string)

		// The owner switches the rule on, with 7 days to enrol, on the account page.
		o := newFormClient(t, app.http.URL)
		if st, _ := o.login("owner@acme.test", "correct horse battery"); st != http.StatusSeeOther {
			t.Fatalf("owner sign-in: %d", st)
		}
		_, page, tok := o.get("/account")
		if !strings.Contains(page, "everyone who sees codes, PINs and bittings") {
			t.Fatal("the account page does not say whom the rule covers")
		}
		if st, page := o.postPage("/account/org", url.Values{"csrf": {tok}, "require_totp": {"1"}, "totp_grace_days": {"400"}}); st != http.StatusBadRequest || !strings.Contains(page, "must be a whole number of days from 0 to 90") {
			t.Fatalf("a grace of 400 days: %d", st)
		}
		if st, _ := o.post("/account/org", url.Values{"csrf": {tok}, "require_totp": {"1"}, "totp_grace_days": {"7"}}); st != http.StatusSeeOther {
			t.Fatalf("require an authenticator: %d", st)
		}
		org, err := app.db.Accounts(app.env.Vault).Org(ctx)
		if err != nil || !org.RequireTOTP || org.TOTPGraceDays != 7 || org.RequireTOTPSince == nil {
			t.Fatalf("the rule was not saved: %+v %v", org, err)
		}

		// Inside the grace: the technician signs in, is told the deadline,
		// and sees the code with the warning beside it.
		tech := newFormClient(t, app.http.URL)
		st, loc := tech.login("technician@acme.test", "the technician's own passphrase")
		if st != http.StatusSeeOther || !strings.HasPrefix(loc, "/account") {
			t.Fatalf("technician sign-in: %d %s", st, loc)
		}
		if u, _ := url.Parse(loc); !strings.Contains(u.Query().Get("flash"), "Set one up before") {
			t.Fatalf("the sign-in does not tell the deadline: %s", loc)
		}
		_, page, tok = tech.get("/storage/" + boxID)
		if !strings.Contains(page, `id="reveal-grace"`) {
			t.Fatalf("the storage page does not warn of the deadline:\n%s", page)
		}
		st, page = tech.postPage("/storage/"+boxID+"/reveal", url.Values{"csrf": {tok}, "reason": {"plumber"}})
		if st != http.StatusOK || !strings.Contains(page, "73915") || !strings.Contains(page, `id="reveal-notice"`) || !strings.Contains(page, `href="/account#authenticator"`) {
			t.Fatalf("reveal inside the grace: %d\n%s", st, page)
		}
		st, rev, notice := app.revealAPI(keyward.RoleTechnician, boxID)
		if st != 200 || rev["code"] != "73915" || !strings.Contains(notice, "Set one up before") {
			t.Fatalf("API reveal inside the grace: %d %v %q", st, rev, notice)
		}

		// After the grace: refused, in words, and recorded.
		app.env.Clock.Advance(7*24*time.Hour + time.Minute)
		st, rev, _ = app.revealAPI(keyward.RoleTechnician, boxID)
		if st != 403 || rev["rule"] != keyward.RuleAuthenticatorRequired || !strings.Contains(rev["detail"].(string), "Set up your authenticator app to see codes") || rev["code"] != nil {
			t.Fatalf("API reveal after the grace: %d %v", st, rev)
		}
		if n := app.count(`SELECT COUNT(*) FROM audit_log WHERE action = 'denied.secret.reveal' AND actor = 'technician@acme.test' AND details LIKE '%authenticator_required%'`); n != 1 {
			t.Fatalf("%d refusals recorded, want 1", n)
		}
		tech = newFormClient(t, app.http.URL) // the session of a week ago has expired
		if st, loc := tech.login("technician@acme.test", "the technician's own passphrase"); st != http.StatusSeeOther || !strings.Contains(loc, "are+not+shown+to+you") {
			t.Fatalf("sign-in after the grace: %d %s", st, loc)
		}
		_, page, tok = tech.get("/storage/" + boxID)
		if !strings.Contains(page, `id="reveal-enrol"`) || strings.Contains(page, `action="/storage/`+boxID+`/reveal"`) {
			t.Fatalf("after the grace the page still offers the reveal:\n%s", page)
		}
		st, page = tech.postPage("/storage/"+boxID+"/reveal", url.Values{"csrf": {tok}, "reason": {"plumber"}})
		if st != http.StatusForbidden || !strings.Contains(page, "<h1>Set up your authenticator app to see codes</h1>") ||
			!strings.Contains(page, `id="enrol-link"`) || strings.Contains(page, "73915") {
			t.Fatalf("UI reveal after the grace: %d\n%s", st, page)
		}

		// Enrolled: codes again, without a warning.
		_, page, tok = tech.get("/account")
		m := regexp.MustCompile(`name="secret" value="([A-Z2-7]+)"`).FindStringSubmatch(page)
		if m == nil {
			t.Fatal("no authenticator secret on the account page")
		}
		code, _ := auth.TOTPCode(m[1], app.env.Clock.Now())
		if st, _ := tech.post("/account/totp", url.Values{"csrf": {tok}, "secret": {m[1]}, "code": {code}}); st != http.StatusSeeOther {
			t.Fatalf("enrol: %d", st)
		}
		_, _, tok = tech.get("/storage/" + boxID)
		st, page = tech.postPage("/storage/"+boxID+"/reveal", url.Values{"csrf": {tok}, "reason": {"plumber"}})
		if st != http.StatusOK || !strings.Contains(page, "73915") || strings.Contains(page, `id="reveal-notice"`) {
			t.Fatalf("reveal with an authenticator: %d", st)
		}
		if st, rev, notice := app.revealAPI(keyward.RoleTechnician, boxID); st != 200 || rev["code"] != "73915" || notice != "" {
			t.Fatalf("API reveal with an authenticator: %d %v %q", st, rev, notice)
		}
		// The storage page of a retired lockbox says its code is gone, and
		// neither the page nor the API shows it.
		if st := app.call(keyward.RoleOwner, "POST", "/api/v1/storage/"+boxID+"/retire", nil, nil); st != 200 {
			t.Fatalf("retire: %d", st)
		}
		var p problem
		if st := app.call(keyward.RoleTechnician, "POST", "/api/v1/storage/"+boxID+"/reveal", map[string]any{"reason": "plumber"}, &p); st != 409 || !strings.Contains(p.Detail, "This lockbox was retired on") {
			t.Fatalf("reveal from a retired lockbox: %d %+v", st, p)
		}
		_, page, _ = tech.get("/storage/" + boxID)
		if !strings.Contains(page, `id="reveal-retired"`) || strings.Contains(page, `id="reveal"`) || !strings.Contains(page, "Had a code; it was discarded on") {
			t.Fatalf("the retired lockbox's page:\n%s", page)
		}
		// The admin, never enrolled, is refused the same way.
		if st, _, _ := app.revealAPI(keyward.RoleAdmin, boxID); st != 403 {
			t.Fatalf("admin without an authenticator after the grace: %d", st)
		}
	})
}

// TestRevealRoutesGoThroughTheGate: every route that shows a secret runs
// inside the web's one reveal wrapper.
func TestRevealRoutesGoThroughTheGate(t *testing.T) {
	app := newTestApp(t, storetest.SQLite)
	revealing := app.srv.RevealRoutes()
	for _, want := range []string{
		"POST /api/v1/storage/{id}/reveal", "POST /storage/{id}/reveal",
		"POST /api/v1/credentials/{id}/reveal",
		"POST /api/v1/key-codes/{id}/reveal", "POST /key-codes/{id}/reveal",
		"POST /api/v1/locks/{id}/secret",
		"POST /api/v1/keysystems/{id}/reveal", "POST /keysystems/{id}/reveal",
		"POST /api/v1/keysystems/{id}/cylinders/{opening}/reveal", "POST /keysystems/{id}/cylinders/{opening}/reveal",
		"GET /api/v1/keysystems/{id}/cylinders/{opening}/pinning.pdf", "POST /keysystems/{id}/cylinders/{opening}/pinning.pdf",
	} {
		if !revealing[want] {
			t.Errorf("%s shows a secret outside the reveal gate", want)
		}
	}
	// A route under a reveal action that is not marked must be one that
	// shows nothing: setting a new lockbox code.
	for pattern, marked := range revealing {
		if !marked && !strings.HasSuffix(pattern, "/code") {
			t.Errorf("%s is guarded by a reveal action but not by the reveal gate", pattern)
		}
	}
}
