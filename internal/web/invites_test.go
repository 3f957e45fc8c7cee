package web_test

import (
	"context"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/keyward/keyward/internal/keyward"
	"github.com/keyward/keyward/internal/store"
	"github.com/keyward/keyward/internal/store/storetest"
	"github.com/keyward/keyward/internal/web"
)

// browserless is a client of a testApp without JavaScript: a cookie jar,
// redirects not followed.
func (a *testApp) browserless() *uiClient {
	jar, _ := cookiejar.New(nil)
	return &uiClient{t: a.t, base: a.http.URL, c: &http.Client{Jar: jar,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

// formCSRF reads the csrf field of the form posting to action.
func formCSRF(t *testing.T, body, action string) string {
	t.Helper()
	f := uiParse(t, body).find(uiForm(action))
	if f == nil {
		t.Fatalf("no form posting to %s:\n%s", action, body)
	}
	in := f.find(uiAttr("name", "csrf"))
	if in == nil || in.attr["value"] == "" {
		t.Fatalf("the form posting to %s has no csrf field", action)
	}
	return in.attr["value"]
}

// signInForm signs in through the login form and returns the status and
// where it sends the browser.
func signInForm(t *testing.T, c *uiClient, email, password string) (int, string) {
	t.Helper()
	_, body, _ := c.get("/login")
	st, _, h := c.send("/login", url.Values{"email": {email}, "password": {password}, "next": {"/"}, "csrf": {formCSRF(t, body, "/login")}})
	return st, h.Get("Location")
}

// inviteLink reads the invite link the users page shows after an invite.
func inviteLink(t *testing.T, body string) string {
	t.Helper()
	code := uiParse(t, body).find(uiAttr("id", "invite-link"))
	if code == nil {
		t.Fatalf("no invite link on the page:\n%s", body)
	}
	link := strings.TrimSpace(code.Text())
	if !strings.Contains(link, "/invite?token=inv_") {
		t.Fatalf("invite link %q", link)
	}
	return link
}

func tokenOf(t testing.TB, link string) string {
	t.Helper()
	u, err := url.Parse(link)
	if err != nil {
		t.Fatal(err)
	}
	return u.Query().Get("token")
}

func TestInviteLink(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		app := newTestApp(t, b)
		admin := app.pageSession(keyward.RoleAdmin)
		audit0 := app.auditCount()

		// Bad input: nothing is made.
		st, body := admin.do("POST", "/users", url.Values{"csrf": {admin.CSRF}, "email": {"not an email"}, "role": {"manager"}})
		if st != 400 || !strings.Contains(body, "email") {
			t.Fatalf("bad email: %d", st)
		}
		if n := app.count(`SELECT COUNT(*) FROM user_invites`); n != 0 {
			t.Fatalf("a refused invite left %d links", n)
		}

		st, body = admin.do("POST", "/users", url.Values{"csrf": {admin.CSRF}, "email": {"Mia@Acme.test"}, "name": {"Mia Chen"}, "role": {"manager"}})
		if st != 201 {
			t.Fatalf("invite: %d\n%s", st, body)
		}
		uiWantText(t, uiParse(t, body).find(uiAttr("id", "invite-created")), "invite notice", "mia@acme.test", "send them this link yourself")
		link := inviteLink(t, body)
		if !strings.HasPrefix(link, app.http.URL+"/invite?token=") {
			t.Errorf("link %q does not point at this server", link)
		}
		tok := tokenOf(t, link)
		// Hashed at rest: the token is nowhere in the database.
		if where := app.env.SQL().TablesHolding(t, tok); len(where) != 0 {
			t.Fatalf("the invite token is stored in %v", where)
		}
		if n := app.count(`SELECT COUNT(*) FROM user_invites WHERE used_at IS NULL`); n != 1 {
			t.Fatalf("%d unused links, want 1", n)
		}
		if n := app.count(`SELECT COUNT(*) FROM users WHERE email = 'mia@acme.test' AND must_change_password = 1`); n != 1 {
			t.Fatal("the invited account is not waiting for its password")
		}
		if n := app.count(`SELECT COUNT(*) FROM audit_log WHERE action = 'user.invite'`); n != 1 {
			t.Fatalf("%d user.invite records", n)
		}
		// The users page tells it is waiting, and offers a new link.
		_, body = admin.do("GET", "/users", nil)
		uiWantText(t, uiParse(t, body).find(uiTag("tbody")), "users table", "has not chosen a password yet")

		// The invited person opens the link, without an account or session.
		mia := app.browserless()
		st, body, _ = mia.get("/invite?token=" + url.QueryEscape(tok))
		if st != 200 {
			t.Fatalf("open link: %d\n%s", st, body)
		}
		uiWantText(t, uiParse(t, body).find(uiTag("main")), "invite page", "Mia Chen", "manager", "Runs the keys day to day")
		csrf := formCSRF(t, body, "/invite")
		post := func(pw, confirm string) (int, string, http.Header) {
			return mia.send("/invite", url.Values{"csrf": {csrf}, "token": {tok}, "password": {pw}, "confirm": {confirm}})
		}
		// Bad input: the link stays unused.
		for _, c := range []struct{ pw, confirm, field string }{
			{"a fine long passphrase", "a different passphrase", "must be the same password typed again"},
			{"short", "short", "at least 8 characters"},
			{"password", "password", "too common"},
			{"mia@acme.test", "mia@acme.test", "must not be your email"},
		} {
			st, body, _ := post(c.pw, c.confirm)
			if st != 400 || !strings.Contains(body, c.field) {
				t.Errorf("password %q: %d, want 400 %q", c.pw, st, c.field)
			}
		}
		if n := app.count(`SELECT COUNT(*) FROM user_invites WHERE used_at IS NULL`); n != 1 {
			t.Fatal("a refused password used the link")
		}
		st, _, h := post("harbour lights at dusk", "harbour lights at dusk")
		if st != 303 || !strings.HasPrefix(h.Get("Location"), "/login?") || !strings.Contains(h.Get("Location"), "email=mia%40acme.test") {
			t.Fatalf("set password: %d to %q", st, h.Get("Location"))
		}
		// Single use: the link is refused now, in words.
		st, body, _ = mia.get("/invite?token=" + url.QueryEscape(tok))
		if st != 409 || !strings.Contains(body, "already used") {
			t.Fatalf("second open: %d\n%s", st, body)
		}
		if st, _, _ := post("another long passphrase", "another long passphrase"); st != 409 {
			t.Fatalf("second use: %d, want 409", st)
		}
		// An unknown token is a 404 page, not an error.
		if st, body, _ := mia.get("/invite?token=inv_nope"); st != 404 || !strings.Contains(body, "not valid") {
			t.Fatalf("unknown token: %d", st)
		}
		// The password works, and nothing else is asked for.
		if st, loc := signInForm(t, mia, "mia@acme.test", "harbour lights at dusk"); st != 303 || loc != "/" {
			t.Fatalf("sign in: %d to %q", st, loc)
		}
		if st, _, _ := mia.get("/keys"); st != 200 {
			t.Fatalf("keys page after the invite: %d", st)
		}
		if n := app.count(`SELECT COUNT(*) FROM audit_log WHERE action = 'user.invite_accept'`); n != 1 {
			t.Fatalf("%d user.invite_accept records", n)
		}
		if app.auditCount() <= audit0 {
			t.Fatal("nothing was audited")
		}
		// A new link for an account that chose its password is refused.
		var mid string
		for _, u := range app.usersList() {
			if u.Email == "mia@acme.test" {
				mid = u.ID
			}
		}
		if st, _ := admin.do("POST", "/users/"+mid+"/invite", url.Values{"csrf": {admin.CSRF}}); st != 409 {
			t.Fatalf("re-invite after the password: %d, want 409", st)
		}
	})
}

func TestInviteExpiredAndReplaced(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		env := b(t)
		app := newTestAppOn(t, env, nil)
		admin := app.pageSession(keyward.RoleAdmin)
		_, body := admin.do("POST", "/users", url.Values{"csrf": {admin.CSRF}, "email": {"leo@acme.test"}, "role": {"advisor"}})
		first := tokenOf(t, inviteLink(t, body))
		var leo string
		for _, u := range app.usersList() {
			if u.Email == "leo@acme.test" {
				leo = u.ID
			}
		}
		// A new link replaces the first.
		st, body := admin.do("POST", "/users/"+leo+"/invite", url.Values{"csrf": {admin.CSRF}})
		if st != 200 {
			t.Fatalf("new link: %d", st)
		}
		second := tokenOf(t, inviteLink(t, body))
		c := app.browserless()
		if st, body, _ := c.get("/invite?token=" + url.QueryEscape(first)); st != 409 || !strings.Contains(body, "newer invite link") {
			t.Fatalf("replaced link: %d", st)
		}
		// Expired: a week and a minute later.
		env.Clock.Advance(keyward.InviteTTL + time.Minute)
		st, body, _ = c.get("/invite?token=" + url.QueryEscape(second))
		if st != 409 || !strings.Contains(body, "expired") {
			t.Fatalf("expired link: %d\n%s", st, body)
		}
		if _, err := app.db.Accounts(env.Vault).AcceptInvite(context.Background(), second, "a long new passphrase"); keyward.ErrorCode(err) != keyward.ECONFLICT {
			t.Fatalf("accept an expired link: %v", err)
		}
		if n := app.count(`SELECT COUNT(*) FROM user_invites WHERE used_at IS NOT NULL`); n != 0 {
			t.Fatal("an expired link was used")
		}
	})
}

func TestInviteEmailed(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		app := newTestAppWith(t, b, func(c *web.Config) { c.Accounts.(*store.Accounts).EmailInvites(true) })
		admin := app.pageSession(keyward.RoleOwner)
		st, body := admin.do("POST", "/users", url.Values{"csrf": {admin.CSRF}, "email": {"ana@acme.test"}, "role": {"owner"}})
		if st != 201 {
			t.Fatalf("invite: %d", st)
		}
		uiWantText(t, uiParse(t, body).find(uiAttr("id", "invite-created")), "invite notice", "emailed to", "ana@acme.test")
		tok := tokenOf(t, inviteLink(t, body))
		if n := app.count(`SELECT COUNT(*) FROM outbox WHERE kind = 'email' AND target = 'ana@acme.test' AND event = 'user.invite'`); n != 1 {
			t.Fatalf("%d invite emails queued", n)
		}
		// The email waits in the outbox with its link; nothing else keeps the token.
		if where := app.env.SQL().TablesHolding(t, tok); !slices.Equal(where, []string{"outbox"}) {
			t.Fatalf("the token is stored in %v, want only the queued email", where)
		}
	})
}

func TestForcedPasswordChange(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		app := newTestApp(t, b)
		var made map[string]any
		if st := app.call(keyward.RoleAdmin, "POST", "/api/v1/users", map[string]any{"email": "kai@acme.test", "role": "manager"}, &made); st != 201 {
			t.Fatalf("create: %d %v", st, made)
		}
		initial, _ := made["initial_password"].(string)
		if initial == "" || made["must_change_password"] != true {
			t.Fatalf("the API answer: %v", made)
		}
		// An API token of the account works at once: only pages wait.
		tok, err := app.db.Accounts(app.env.Vault).CreateToken(context.Background(), keyward.SystemActor("test"), "kai@acme.test", "cli")
		if err != nil {
			t.Fatal(err)
		}
		req, _ := http.NewRequest("GET", app.http.URL+"/api/v1/keys", nil)
		req.Header.Set("Authorization", "Bearer "+tok)
		if resp, err := http.DefaultClient.Do(req); err != nil || resp.StatusCode != 200 {
			t.Fatalf("API with the token: %v %v", resp, err)
		} else {
			resp.Body.Close()
		}

		c := app.browserless()
		if st, loc := signInForm(t, c, "kai@acme.test", initial); st != 303 || loc != "/account/new-password" {
			t.Fatalf("sign in with the given password: %d to %q", st, loc)
		}
		st, body, _ := c.get("/account/new-password")
		if st != 200 {
			t.Fatalf("new-password page: %d", st)
		}
		csrf := formCSRF(t, body, "/account/new-password")
		// No other page before the password is chosen, read or write.
		for _, p := range []string{"/", "/keys", "/holders", "/sites", "/account", "/search?q=a", "/imports"} {
			if st, _, h := c.get(p); st != 303 || h.Get("Location") != "/account/new-password" {
				t.Errorf("GET %s before the password: %d to %q", p, st, h.Get("Location"))
			}
		}
		if st, _, h := c.send("/account/password", url.Values{"csrf": {csrf}, "current_password": {initial}, "new_password": {"sneaky other passphrase"}}); st != 303 || h.Get("Location") != "/account/new-password" {
			t.Errorf("POST /account/password before the password: %d to %q", st, h.Get("Location"))
		}
		// Bad input names the rule and changes nothing.
		for _, bad := range []struct{ pw, confirm, rule string }{
			{initial, initial, "must differ from the password you were given"},
			{"a long new passphrase", "a long other passphrase", "must be the same password typed again"},
			{"short", "short", "at least 8 characters"},
		} {
			st, body, _ := c.send("/account/new-password", url.Values{"csrf": {csrf}, "new_password": {bad.pw}, "confirm": {bad.confirm}})
			if st != 400 || !strings.Contains(body, bad.rule) {
				t.Errorf("new password %q: %d, want 400 %q", bad.pw, st, bad.rule)
			}
		}
		if n := app.count(`SELECT COUNT(*) FROM users WHERE email = 'kai@acme.test' AND must_change_password = 1`); n != 1 {
			t.Fatal("a refused password cleared the flag")
		}
		st, _, h := c.send("/account/new-password", url.Values{"csrf": {csrf}, "new_password": {"kai's own long passphrase"}, "confirm": {"kai's own long passphrase"}})
		if st != 303 || !strings.HasPrefix(h.Get("Location"), "/?") {
			t.Fatalf("set the password: %d to %q", st, h.Get("Location"))
		}
		if st, _, _ := c.get("/keys"); st != 200 {
			t.Fatalf("keys after the password: %d", st)
		}
		if n := app.count(`SELECT COUNT(*) FROM audit_log WHERE action = 'user.password_set'`); n != 1 {
			t.Fatalf("%d user.password_set records", n)
		}
		// The given password is refused from now on; the chosen one works.
		if st, _ := signInForm(t, app.browserless(), "kai@acme.test", initial); st != 401 {
			t.Fatalf("sign in with the old password: %d, want 401", st)
		}
		if st, loc := signInForm(t, app.browserless(), "kai@acme.test", "kai's own long passphrase"); st != 303 || loc != "/" {
			t.Fatalf("sign in with the new password: %d to %q", st, loc)
		}
		// The page is not for those who chose their password.
		if st, _, h := c.get("/account/new-password"); st != 303 || h.Get("Location") != "/account" {
			t.Fatalf("new-password page afterwards: %d to %q", st, h.Get("Location"))
		}
	})
}

// usersList is every account, through the API.
func (a *testApp) usersList() []keyward.User {
	a.t.Helper()
	var list struct{ Items []keyward.User }
	if st := a.call(keyward.RoleOwner, "GET", "/api/v1/users", nil, &list); st != 200 {
		a.t.Fatalf("list users: %d", st)
	}
	return list.Items
}

// The setup page offers time zones from a list, common ones first by the
// words people use; "Eastern" typed by hand (or by the CLI) is understood.
func TestSetupTimeZoneList(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		env := b(t)
		db := env.Open(t)
		acc := db.Accounts(env.Vault)
		tok, err := acc.NewSetupToken(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		f := newFormClient(t, newBareServer(t, env, db))
		st, body, csrf := f.get("/setup?token=" + tok)
		if st != 200 {
			t.Fatalf("setup page: %d", st)
		}
		form := uiParse(t, body).find(uiForm("/setup"))
		sel := form.find(uiAttr("name", "time_zone"))
		if sel == nil || sel.tag != "select" {
			t.Fatal("the time zone is not chosen from a list")
		}
		opts := sel.all(uiTag("option"))
		if len(opts) < 400 || opts[0].attr["value"] != "America/New_York" || !strings.HasPrefix(opts[0].Text(), "Eastern Time") {
			t.Fatalf("%d zones, first %v %q", len(opts), opts[0].attr, opts[0].Text())
		}
		if got := selected(form, "time_zone"); got != "America/New_York" {
			t.Errorf("zone chosen at first %q", got)
		}
		if form.find(uiAttr("value", "America/Boise")) == nil {
			t.Error("a less common zone (America/Boise) is not offered")
		}
		// A zone not on the list is refused by name, and nothing is set up.
		in := url.Values{"csrf": {csrf}, "token": {tok}, "org": {"Acme"}, "email": {"o@acme.test"}, "password": {"a long unusual passphrase"}, "time_zone": {"Mars/Olympus"}}
		resp, err := f.c.PostForm(f.base+"/setup", in)
		if err != nil {
			t.Fatal(err)
		}
		page, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 400 || !strings.Contains(string(page), "must be a time zone from the list") {
			t.Fatalf("unknown zone: %d\n%s", resp.StatusCode, page)
		}
		// The form keeps what was typed, with the zone list.
		if uiParse(t, string(page)).find(uiAttr("value", "America/Boise")) == nil {
			t.Error("the refused form lost its zone list")
		}
		if _, err := acc.Org(context.Background()); keyward.ErrorCode(err) != keyward.ENOTFOUND {
			t.Fatalf("a refused setup made the organization: %v", err)
		}
		in.Set("time_zone", "Eastern")
		if st, _ := f.post("/setup", in); st != 303 {
			t.Fatalf("setup with Eastern: %d", st)
		}
		org, err := acc.Org(context.Background())
		if err != nil || org.TimeZone != "America/New_York" {
			t.Fatalf("org zone %v %v", org, err)
		}
	})
}
