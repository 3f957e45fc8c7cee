package web_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"fmt"
	"html"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/keyward/keyward/internal/auth"
	"github.com/keyward/keyward/internal/keyward"
	"github.com/keyward/keyward/internal/store/storetest"
	"github.com/keyward/keyward/internal/web"
)

// formClient is a cookie-keeping browser stand-in that does not follow redirects.
type formClient struct {
	t    *testing.T
	base string
	c    *http.Client
}

func newFormClient(t *testing.T, base string) *formClient {
	jar, _ := cookiejar.New(nil)
	return &formClient{t: t, base: base, c: &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

var csrfField = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

// get returns the status, body and the page's CSRF token.
func (f *formClient) get(path string) (int, string, string) {
	resp, err := f.c.Get(f.base + path)
	if err != nil {
		f.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	m := csrfField.FindStringSubmatch(string(b))
	tok := ""
	if m != nil {
		tok = m[1]
	}
	return resp.StatusCode, string(b), tok
}

func (f *formClient) post(path string, form url.Values) (int, string) {
	resp, err := f.c.PostForm(f.base+path, form)
	if err != nil {
		f.t.Fatal(err)
	}
	defer resp.Body.Close()
	return resp.StatusCode, resp.Header.Get("Location")
}

func (f *formClient) login(email, password string) (int, string) {
	_, _, tok := f.get("/login")
	return f.post("/login", url.Values{"csrf": {tok}, "email": {email}, "password": {password}, "next": {"/"}})
}

func TestTOTPEnrolAndSignIn(t *testing.T) {
	app := newTestApp(t, storetest.SQLite)
	f := newFormClient(t, app.http.URL)
	if st, loc := f.login("owner@acme.test", "wrong password!"); st != http.StatusUnauthorized || loc != "" {
		t.Fatalf("wrong password: %d %s", st, loc)
	}
	if st, loc := f.login("owner@acme.test", "correct horse battery"); st != http.StatusSeeOther || loc != "/" {
		t.Fatalf("sign-in: %d %s", st, loc)
	}
	// Enrol: the account page shows a fresh secret; confirm it with a code.
	_, body, tok := f.get("/account")
	m := regexp.MustCompile(`name="secret" value="([A-Z2-7]+)"`).FindStringSubmatch(body)
	if m == nil {
		t.Fatalf("no secret on the account page:\n%s", body)
	}
	secret := m[1]
	// The authenticator link and its QR code carry the otpauth:// URL (html/template
	// would turn an unvetted one into "#ZgotmplZ").
	if !strings.Contains(body, `id="totp-link"`) || !strings.Contains(body, `href="otpauth://totp/`) || !strings.Contains(body, "secret="+secret) {
		t.Fatalf("no otpauth link on the account page:\n%s", body)
	}
	qr := regexp.MustCompile(`src="data:image/png;base64,([^"]+)"`).FindStringSubmatch(body)
	if qr == nil {
		t.Fatalf("no QR code image on the account page:\n%s", body)
	}
	if png, err := base64.StdEncoding.DecodeString(html.UnescapeString(qr[1])); err != nil || !bytes.HasPrefix(png, []byte("\x89PNG")) {
		t.Fatalf("the QR code is not a PNG: %v", err)
	}
	if st, _ := f.post("/account/totp", url.Values{"csrf": {tok}, "secret": {secret}, "code": {"000000"}}); st != http.StatusBadRequest {
		t.Fatalf("wrong enrolment code: %d", st)
	}
	code, _ := auth.TOTPCode(secret, app.env.Clock.Now())
	if st, loc := f.post("/account/totp", url.Values{"csrf": {tok}, "secret": {secret}, "code": {code}}); st != http.StatusSeeOther || !strings.HasPrefix(loc, "/account") {
		t.Fatalf("enrol: %d %s", st, loc)
	}
	// The org now requires a second factor for owners.
	_, _, tok = f.get("/account")
	if st, _ := f.post("/account/org", url.Values{"csrf": {tok}, "require_totp": {"1"}}); st != http.StatusSeeOther {
		t.Fatalf("require totp: %d", st)
	}
	// A new sign-in stops at the code page; other pages send it back there.
	g := newFormClient(t, app.http.URL)
	if st, loc := g.login("owner@acme.test", "correct horse battery"); st != http.StatusSeeOther || loc != "/login/totp" {
		t.Fatalf("sign-in with TOTP: %d %s", st, loc)
	}
	if st, _, _ := g.get("/users"); st != http.StatusSeeOther {
		t.Fatalf("a half-signed-in session reached /users: %d", st)
	}
	_, _, tok = g.get("/login/totp")
	// The enrolment code's time step was used already: a replay is refused.
	if st, _ := g.post("/login/totp", url.Values{"csrf": {tok}, "code": {code}}); st != http.StatusUnauthorized {
		t.Fatalf("replayed code: %d", st)
	}
	app.env.Clock.Advance(30e9)
	next, _ := auth.TOTPCode(secret, app.env.Clock.Now())
	if st, loc := g.post("/login/totp", url.Values{"csrf": {tok}, "code": {next}}); st != http.StatusSeeOther || loc != "/" {
		t.Fatalf("code: %d %s", st, loc)
	}
	if st, _, _ := g.get("/account"); st != http.StatusOK {
		t.Fatalf("after the second factor: %d", st)
	}
	// Sign-out ends the session.
	_, _, tok = g.get("/account")
	if st, _ := g.post("/logout", url.Values{"csrf": {tok}}); st != http.StatusSeeOther {
		t.Fatalf("logout: %d", st)
	}
	if st, _, _ := g.get("/account"); st != http.StatusSeeOther {
		t.Fatalf("after sign-out: %d", st)
	}
	recs, err := app.db.Audit(context.Background(), keyward.SystemActor("t"), keyward.AuditFilter{Action: "user.totp_enrol"})
	if err != nil || len(recs.Items) != 1 {
		t.Fatalf("enrolment not audited: %v %v", recs, err)
	}
}

func TestFirstRunSetup(t *testing.T) {
	env := storetest.SQLite(t)
	db := env.Open(t)
	acc := db.Accounts(env.Vault)
	tok, err := acc.NewSetupToken(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	srv := newBareServer(t, env, db)
	f := newFormClient(t, srv)
	if st, _, _ := f.get("/setup?token=wrong"); st != http.StatusForbidden {
		t.Fatalf("bad setup token: %d", st)
	}
	_, _, csrf := f.get("/setup?token=" + tok)
	if st, _ := f.post("/setup", url.Values{"csrf": {csrf}, "token": {tok}, "org": {"Acme"}, "email": {"o@acme.test"}, "password": {"password"}}); st != http.StatusBadRequest {
		t.Fatalf("a common password must be refused: %d", st)
	}
	if st, loc := f.post("/setup", url.Values{"csrf": {csrf}, "token": {tok}, "org": {"Acme"}, "email": {"o@acme.test"}, "password": {"a long unusual passphrase"}}); st != http.StatusSeeOther || !strings.HasPrefix(loc, "/") {
		t.Fatalf("setup: %d %s", st, loc)
	}
	if st, _, _ := f.get("/account"); st != http.StatusOK {
		t.Fatalf("signed in after setup: %d", st)
	}
	// The owner signed in from here: the address is known to them.
	if n, err := env.SQL().Count(`SELECT COUNT(*) FROM known_addresses`); err != nil || n != 1 {
		t.Fatalf("%d known addresses after setup (%v), want 1", n, err)
	}
	if st, _, _ := newFormClient(t, srv).get("/setup?token=" + tok); st != http.StatusForbidden {
		t.Fatalf("a used setup link still works: %d", st)
	}
}

// TestOversizedUploadIsTooLarge: a form over the limit says so (400), not "form expired".
func TestOversizedUploadIsTooLarge(t *testing.T) {
	app := newTestApp(t, storetest.SQLite)
	f := newFormClient(t, app.http.URL)
	if st, _ := f.login("owner@acme.test", "correct horse battery"); st != http.StatusSeeOther {
		t.Fatalf("sign-in: %d", st)
	}
	_, _, tok := f.get("/imports")
	var body strings.Builder
	body.WriteString("--b\r\nContent-Disposition: form-data; name=\"csrf\"\r\n\r\n" + tok + "\r\n")
	body.WriteString("--b\r\nContent-Disposition: form-data; name=\"file\"; filename=\"big.csv\"\r\nContent-Type: text/csv\r\n\r\n")
	body.WriteString(strings.Repeat("symbol,keyway\n", (33<<20)/14))
	body.WriteString("\r\n--b--\r\n")
	req, _ := http.NewRequest("POST", app.http.URL+"/imports", strings.NewReader(body.String()))
	req.Header.Set("Content-Type", "multipart/form-data; boundary=b")
	resp, err := f.c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	page := readAll(resp)
	resp.Body.Close()
	if resp.StatusCode != http.StatusBadRequest || !strings.Contains(page, "32 MiB") {
		t.Fatalf("oversized upload: %d", resp.StatusCode)
	}
}

// forwardedFor sends every request as if a reverse proxy had added client
// to X-Forwarded-For.
type forwardedFor struct {
	client string
	next   http.RoundTripper
}

func (f forwardedFor) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	r.Header.Set("X-Forwarded-For", f.client)
	return f.next.RoundTrip(r)
}

// TestSignInThrottleBehindProxy: behind a trusted reverse proxy, failed
// sign-ins count against the client the proxy names, so one attacker cannot
// lock every other user out by exhausting the proxy's own address.
func TestSignInThrottleBehindProxy(t *testing.T) {
	app := newTestApp(t, storetest.SQLite)
	trusted, err := web.ParseTrustedProxies("127.0.0.0/8, ::1")
	if err != nil {
		t.Fatal(err)
	}
	cfg := storeConfig(app.db, app.env.Vault, app.db.Accounts(app.env.Vault))
	cfg.Now, cfg.TrustedProxies = app.env.Clock.Now, trusted
	srv := web.NewServer(cfg)
	proxied := httptest.NewServer(srv.Handler())
	defer proxied.Close()
	client := func(addr string) *formClient {
		f := newFormClient(t, proxied.URL)
		f.c.Transport = forwardedFor{client: addr, next: http.DefaultTransport}
		return f
	}
	attacker, user := client("203.0.113.7"), client("198.51.100.9")
	for i := range 20 {
		if st, _ := attacker.login(fmt.Sprintf("guess%d@acme.test", i), "wrong password!"); st != http.StatusUnauthorized {
			t.Fatalf("failed sign-in %d: %d", i, st)
		}
	}
	if n := app.count(`SELECT COUNT(*) FROM login_failures WHERE addr = '203.0.113.7'`); n != 20 {
		t.Fatalf("%d failures counted against the client the proxy named, want 20", n)
	}
	if st, _ := attacker.login("owner@acme.test", "correct horse battery"); st != http.StatusTooManyRequests {
		t.Fatalf("the attacker's address after 20 failures: %d, want 429", st)
	}
	if st, loc := user.login("owner@acme.test", "correct horse battery"); st != http.StatusSeeOther || loc != "/" {
		t.Fatalf("another client behind the same proxy: %d %s, want a sign-in", st, loc)
	}
}
