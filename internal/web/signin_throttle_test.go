package web_test

import (
	"context"
	"fmt"
	"html"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/keyward/keyward/internal/auth"
	"github.com/keyward/keyward/internal/keyward"
	"github.com/keyward/keyward/internal/store"
	"github.com/keyward/keyward/internal/store/storetest"
	"github.com/keyward/keyward/internal/web"
)

// proxiedClients serves app behind a trusted reverse proxy, with failed
// sign-in emails on, so each test client can sign in from an address of its
// choosing.
func proxiedClients(t *testing.T, app *testApp) func(addr string) *formClient {
	trusted, err := web.ParseTrustedProxies("127.0.0.0/8, ::1")
	if err != nil {
		t.Fatal(err)
	}
	cfg := storeConfig(app.db, app.env.Vault, app.db.Accounts(app.env.Vault).EmailSignInAlerts(true))
	cfg.Now, cfg.TrustedProxies = app.env.Clock.Now, trusted
	srv := web.NewServer(cfg)
	hs := httptest.NewServer(srv.Handler())
	t.Cleanup(hs.Close)
	return func(addr string) *formClient {
		f := newFormClient(t, hs.URL)
		f.c.Transport = forwardedFor{client: addr, next: http.DefaultTransport}
		return f
	}
}

// loginPage posts the sign-in form and returns the whole answer.
func (f *formClient) loginPage(email, password string) (int, http.Header, string) {
	_, _, tok := f.get("/login")
	resp, err := f.c.PostForm(f.base+"/login", url.Values{"csrf": {tok}, "email": {email}, "password": {password}, "next": {"/"}})
	if err != nil {
		f.t.Fatal(err)
	}
	defer resp.Body.Close()
	return resp.StatusCode, resp.Header, html.UnescapeString(readAll(resp))
}

// guess makes 50 wrong-password attempts at email from one address, one a
// second, and returns how many were checked (401) rather than refused (429).
func guess(t *testing.T, app *testApp, attacker *formClient, email string) int {
	t.Helper()
	checked := 0
	for range 50 {
		switch st, _ := attacker.login(email, "wrong password!"); st {
		case http.StatusUnauthorized:
			checked++
		case http.StatusTooManyRequests:
		default:
			t.Fatalf("guess: %d", st)
		}
		app.env.Clock.Advance(time.Second)
	}
	return checked
}

// TestSignInKnownAddressDuringAttack: a guesser hammering an account from one
// address does not lock its user out of an address they signed in from
// before, nor an account with an authenticator out of anywhere; a new address
// waits once the account is over its ceiling; the user is told of the
// failures by email, once, and when they next sign in, once.
func TestSignInKnownAddressDuringAttack(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		app := newTestApp(t, b)
		client := proxiedClients(t, app)
		attacker, home, newPlace := client("203.0.113.7"), client("198.51.100.9"), client("192.0.2.44")
		if st, loc := home.login("owner@acme.test", "correct horse battery"); st != http.StatusSeeOther || loc != "/" {
			t.Fatalf("first sign-in from home: %d %s", st, loc)
		}
		app.env.Clock.Advance(time.Minute)
		checked := guess(t, app, attacker, "owner@acme.test")
		// The owner at home gets in, and is told of the attack.
		st, loc := home.login("owner@acme.test", "correct horse battery")
		if st != http.StatusSeeOther {
			t.Fatalf("the owner at a known address during the attack: %d %s, want a sign-in", st, loc)
		}
		// 5 free guesses, then 1, 2, 4 and 8 s apart, then the new-address ceiling of 10.
		if checked != 10 {
			t.Fatalf("%d of 50 guesses were checked, want 10", checked)
		}
		notice := "10 failed sign-in attempts since your last sign-in, most recent from 203.0.113.7 at 2026-03-02 09:01 UTC."
		if want := "/?flash=" + url.QueryEscape(notice); loc != want {
			t.Fatalf("after the attack, sign-in goes to %s, want %s", loc, want)
		}
		if _, body, _ := home.get(loc); !strings.Contains(html.UnescapeString(body), notice) {
			t.Fatalf("the notice is not on the page:\n%s", body)
		}
		if st, loc := home.login("owner@acme.test", "correct horse battery"); st != http.StatusSeeOther || loc != "/" {
			t.Fatalf("the next sign-in: %d %s, want no notice again", st, loc)
		}
		// A new address, even with the right password, waits for the ceiling:
		// 15 minutes after the 10th failure, 35 s into the attack (now 50 s in).
		st, h, body := newPlace.loginPage("owner@acme.test", "correct horse battery")
		if st != http.StatusTooManyRequests || h.Get("Retry-After") != "885" || !strings.Contains(body, "try again in 15 minutes") {
			t.Fatalf("a new address over the ceiling: %d, Retry-After %q, want 429 and 885", st, h.Get("Retry-After"))
		}
		// One email, queued once the failures reached 5, and its audit record.
		if n := app.count(`SELECT COUNT(*) FROM outbox WHERE kind = 'email' AND target = 'owner@acme.test' AND event = '` + store.EventSignInFailures + `' AND body LIKE '%5 failed sign-in attempts%203.0.113.7%'`); n != 1 {
			t.Fatalf("%d failed sign-in emails, want 1", n)
		}
		if n := app.count(`SELECT COUNT(*) FROM outbox WHERE event = '` + store.EventSignInFailures + `'`); n != 1 {
			t.Fatalf("%d failed sign-in emails in all, want 1", n)
		}
		if n := app.count(`SELECT COUNT(*) FROM audit_log WHERE action = 'user.sign_in_alert'`); n != 1 {
			t.Fatalf("%d alert audit records, want 1", n)
		}

		// With an authenticator, the right password from a new address reaches
		// the code step however hard the account is guessed at.
		secret := adminWithAuthenticator(t, app)
		app.env.Clock.Advance(time.Minute)
		if checked := guess(t, app, client("203.0.113.99"), "kim@acme.test"); checked != 10 {
			t.Fatalf("%d of 50 guesses at kim were checked, want 10", checked)
		}
		if st, loc := newPlace.login("kim@acme.test", "a long unusual passphrase"); st != http.StatusSeeOther || loc != "/login/totp" {
			t.Fatalf("a new address, with an authenticator: %d %s, want the code step", st, loc)
		}
		_, _, tok := newPlace.get("/login/totp")
		code, _ := auth.TOTPCode(secret, app.env.Clock.Now())
		notice = "10 failed sign-in attempts since your last sign-in, most recent from 203.0.113.99 at 2026-03-02 09:03 UTC."
		if st, loc := newPlace.post("/login/totp", url.Values{"csrf": {tok}, "code": {code}}); st != http.StatusSeeOther || loc != "/?flash="+url.QueryEscape(notice) {
			t.Fatalf("code step: %d %s, want the notice", st, loc)
		}
	})
}

// TestSignInCodeStepThrottled: someone who has the password cannot try
// authenticator codes without end: wrong codes back off like wrong
// passwords, per address, and new addresses share the account's ceiling;
// the user at an address they signed in from before still gets in.
func TestSignInCodeStepThrottled(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		app := newTestApp(t, b)
		client := proxiedClients(t, app)
		secret := adminWithAuthenticator(t, app)
		signIn := func(f *formClient) string {
			t.Helper()
			if st, loc := f.login("kim@acme.test", "a long unusual passphrase"); st != http.StatusSeeOther || loc != "/login/totp" {
				t.Fatalf("password step: %d %s", st, loc)
			}
			_, _, tok := f.get("/login/totp")
			return tok
		}
		wrong := func(c string) string {
			if c == "000000" {
				return "000001"
			}
			return "000000"
		}
		// Kim signs in at home once.
		app.env.Clock.Advance(time.Minute)
		home := client("198.51.100.9")
		tok := signIn(home)
		code, _ := auth.TOTPCode(secret, app.env.Clock.Now())
		if st, _ := home.post("/login/totp", url.Values{"csrf": {tok}, "code": {code}}); st != http.StatusSeeOther {
			t.Fatalf("code at home: %d", st)
		}
		app.env.Clock.Advance(time.Minute)
		// One address with the password: 5 wrong codes, then it waits, right code or not.
		thief := client("203.0.113.7")
		tok = signIn(thief)
		code, _ = auth.TOTPCode(secret, app.env.Clock.Now())
		for i := range 5 {
			if st, _ := thief.post("/login/totp", url.Values{"csrf": {tok}, "code": {wrong(code)}}); st != http.StatusUnauthorized {
				t.Fatalf("wrong code %d: %d", i, st)
			}
		}
		if st, _ := thief.post("/login/totp", url.Values{"csrf": {tok}, "code": {wrong(code)}}); st != http.StatusTooManyRequests {
			t.Fatalf("6th wrong code at once: %d, want 429", st)
		}
		// Many addresses with the password share the new-address ceiling of 10.
		for i := range 5 {
			f := client(fmt.Sprintf("203.0.113.%d", 100+i))
			tok := signIn(f)
			if st, _ := f.post("/login/totp", url.Values{"csrf": {tok}, "code": {wrong(code)}}); st != http.StatusUnauthorized {
				t.Fatalf("wrong code from address %d: %d", i, st)
			}
		}
		late := client("203.0.113.200")
		tok = signIn(late)
		if st, _ := late.post("/login/totp", url.Values{"csrf": {tok}, "code": {code}}); st != http.StatusTooManyRequests {
			t.Fatalf("a new address over the code ceiling: %d, want 429", st)
		}
		// Kim at home gets in.
		app.env.Clock.Advance(30 * time.Second)
		tok = signIn(home)
		code, _ = auth.TOTPCode(secret, app.env.Clock.Now())
		if st, loc := home.post("/login/totp", url.Values{"csrf": {tok}, "code": {code}}); st != http.StatusSeeOther || !strings.HasPrefix(loc, "/") {
			t.Fatalf("code at home during the attack: %d %s", st, loc)
		}
	})
}

// adminWithAuthenticator makes admin kim@acme.test (password "a long unusual
// passphrase") with an authenticator enrolled, and returns its secret.
func adminWithAuthenticator(t *testing.T, app *testApp) string {
	t.Helper()
	ctx := context.Background()
	acc := app.db.Accounts(app.env.Vault)
	u, _, err := acc.CreateUser(ctx, keyward.SystemActor("test"), store.UserInput{Email: "kim@acme.test", Role: keyward.RoleAdmin, Password: "a long unusual passphrase"})
	if err != nil {
		t.Fatal(err)
	}
	secret := auth.NewTOTPSecret()
	code, _ := auth.TOTPCode(secret, app.env.Clock.Now())
	if err := acc.EnrolTOTP(ctx, keyward.Actor{UserID: u.ID, Email: u.Email, Role: u.Role}, secret, code); err != nil {
		t.Fatal(err)
	}
	return secret
}
