package web_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/keyward/keyward/internal/auth"
	"github.com/keyward/keyward/internal/keyward"
	"github.com/keyward/keyward/internal/store"
	"github.com/keyward/keyward/internal/store/storetest"
	"github.com/keyward/keyward/internal/web"
)

// testApp is a real server on a real database with one API token per role.
type testApp struct {
	t      testing.TB
	env    *storetest.Env
	db     *store.DB
	srv    *web.Server
	http   *httptest.Server
	tokens map[keyward.Role]string
	users  map[keyward.Role]*keyward.User
}

func newTestApp(t testing.TB, b storetest.Backend) *testApp {
	t.Helper()
	return newTestAppWith(t, b, nil)
}

// newTestAppWith lets a test change the server's configuration before it starts.
func newTestAppWith(t testing.TB, b storetest.Backend, configure func(*web.Config)) *testApp {
	t.Helper()
	return newTestAppOn(t, b(t), configure)
}

// newTestAppOn starts the server on env, whose clock the test may move.
func newTestAppOn(t testing.TB, env *storetest.Env, configure func(*web.Config)) *testApp {
	t.Helper()
	db := env.Open(t)
	acc := db.Accounts(env.Vault)
	ctx := context.Background()
	owner, _, err := acc.Init(ctx, store.InitInput{Org: "Acme Property", Email: "owner@acme.test", Password: "correct horse battery"})
	if err != nil {
		t.Fatal(err)
	}
	cfg := storeConfig(db, env.Vault, acc)
	cfg.Now, cfg.AllowPrivateWebhooks = env.Clock.Now, true
	if configure != nil {
		configure(&cfg)
	}
	srv := web.NewServer(cfg)
	app := &testApp{t: t, env: env, db: db, srv: srv, tokens: map[keyward.Role]string{}, users: map[keyward.Role]*keyward.User{keyward.RoleOwner: owner}}
	app.http = httptest.NewServer(srv.Handler())
	t.Cleanup(app.http.Close)
	sys := keyward.SystemActor("test")
	for _, role := range keyward.Roles {
		u := owner
		if role != keyward.RoleOwner {
			// A password of their own: a generated one must be changed before any page.
			u, _, err = acc.CreateUser(ctx, sys, store.UserInput{Email: string(role) + "@acme.test", Role: role, Password: "the " + string(role) + "'s own passphrase"})
			if err != nil {
				t.Fatal(err)
			}
			app.users[role] = u
		}
		tok, err := acc.CreateToken(ctx, sys, u.Email, "test")
		if err != nil {
			t.Fatal(err)
		}
		app.tokens[role] = tok
	}
	return app
}

// call sends a JSON request as role ("" for no token) and decodes the answer into out.
func (a *testApp) call(role keyward.Role, method, path string, body any, out any) int {
	a.t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = bytes.NewBufferString(b)
	default:
		j, _ := json.Marshal(b)
		rd = bytes.NewReader(j)
	}
	req, _ := http.NewRequest(method, a.http.URL+path, rd)
	req.Header.Set("Content-Type", "application/json")
	if role != "" {
		req.Header.Set("Authorization", "Bearer "+a.tokens[role])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		a.t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	if out != nil && len(raw) > 0 {
		if err := json.Unmarshal(raw, out); err != nil {
			a.t.Fatalf("%s %s: %d %s: %v", method, path, resp.StatusCode, raw, err)
		}
	}
	if resp.StatusCode >= 400 && resp.Header.Get("Content-Type") != "application/problem+json" && path != "/metrics" {
		a.t.Fatalf("%s %s: error %d with Content-Type %q", method, path, resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	return resp.StatusCode
}

type problem struct {
	Status int                  `json:"status"`
	Title  string               `json:"title"`
	Detail string               `json:"detail"`
	Errors []keyward.FieldError `json:"errors"`
}

func (a *testApp) auditCount() int64 {
	a.t.Helper()
	sum, _, err := a.db.VerifyAudit(context.Background(), nil)
	if err != nil {
		a.t.Fatal(err)
	}
	return sum.Records
}

// stock creates a keyway, a holder and a key through the API.
func (a *testApp) stock() (keywayID, holderID, keyID string) {
	a.t.Helper()
	var kw, h, k map[string]any
	if st := a.call(keyward.RoleOwner, "POST", "/api/v1/keyways", map[string]any{"name": "Schlage SC1", "manufacturer": "Schlage", "duplication_policy": "restricted"}, &kw); st != 201 {
		a.t.Fatalf("create keyway: %d %v", st, kw)
	}
	if st := a.call(keyward.RoleOwner, "POST", "/api/v1/holders", map[string]any{"name": "Dana Ruiz", "email": "dana@acme.test"}, &h); st != 201 {
		a.t.Fatalf("create holder: %d", st)
	}
	if st := a.call(keyward.RoleOwner, "POST", "/api/v1/keys", map[string]any{"keyway_id": kw["id"], "symbol": "AA1"}, &k); st != 201 {
		a.t.Fatalf("create key: %d", st)
	}
	return kw["id"].(string), h["id"].(string), k["id"].(string)
}

// newBareServer serves an uninitialized database.
func newBareServer(t testing.TB, env *storetest.Env, db *store.DB) string {
	cfg := storeConfig(db, env.Vault, db.Accounts(env.Vault))
	cfg.Now = env.Clock.Now
	srv := web.NewServer(cfg)
	hs := httptest.NewServer(srv.Handler())
	t.Cleanup(hs.Close)
	return hs.URL
}

// pageSession is a signed-in browser session of one role, for page tests that
// post forms: do sends a request with its cookie and follows no redirect.
type pageSession struct {
	app  *testApp
	sid  string
	CSRF string
}

func (a *testApp) pageSession(role keyward.Role) *pageSession {
	a.t.Helper()
	ctx := context.Background()
	acc := a.db.Accounts(a.env.Vault)
	key, err := acc.CSRFKey(ctx)
	if err != nil {
		a.t.Fatal(err)
	}
	sid, err := acc.CreateSession(ctx, a.users[role], true)
	if err != nil {
		a.t.Fatal(err)
	}
	return &pageSession{app: a, sid: sid, CSRF: auth.CSRFToken(key, sid)}
}

func (p *pageSession) do(method, path string, form url.Values) (int, string) {
	p.app.t.Helper()
	req, _ := http.NewRequest(method, p.app.http.URL+path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.AddCookie(&http.Cookie{Name: "kw_session", Value: p.sid})
	resp, err := (&http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}).Do(req)
	if err != nil {
		p.app.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}
