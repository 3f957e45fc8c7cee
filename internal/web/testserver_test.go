package web_test

import (
	"context"
	"encoding/xml"
	"errors"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strings"
	"testing"

	"github.com/keyward/keyward/internal/keyward"
	"github.com/keyward/keyward/internal/store"
	"github.com/keyward/keyward/internal/store/storetest"
	"github.com/keyward/keyward/internal/vault"
	"github.com/keyward/keyward/internal/web"
)

// uiServer is a real server built the way cmd/keyward builds it: SQLite in a
// temporary data directory, the vault key file beside it, a clock moved by hand.
type uiServer struct {
	t     testing.TB
	URL   string
	db    *store.DB
	acc   *store.Accounts
	clock *storetest.Clock
	sys   keyward.Actor
	sql   *storetest.SQL // raw connection, beside the store
}

const (
	uiOwnerEmail    = "owner@harbour.test"
	uiOwnerPassword = "correct horse battery staple"
)

func uiStart(t testing.TB) *uiServer {
	t.Helper()
	return uiStartIn(t, "")
}

// uiStartIn starts a server whose organization keeps time in zone ("" is UTC);
// opts change its configuration.
func uiStartIn(t testing.TB, zone string, opts ...func(*web.Config)) *uiServer {
	t.Helper()
	ctx := context.Background()
	dir := t.TempDir()
	clock := storetest.NewClock()
	db, err := store.Open(ctx, store.Config{DataDir: dir, Now: clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	v, err := vault.Load("", filepath.Join(dir, vault.KeyFile))
	if err != nil {
		t.Fatal(err)
	}
	acc := db.Accounts(v)
	if _, _, err := acc.Init(ctx, store.InitInput{Org: "Harbour Point", Email: uiOwnerEmail, Password: uiOwnerPassword, TimeZone: zone}); err != nil {
		t.Fatal(err)
	}
	// The server is given no vault, as before: v only seals what tests add directly.
	cfg := storeConfig(db, nil, acc)
	cfg.Now = clock.Now
	for _, o := range opts {
		o(&cfg)
	}
	srv := web.NewServer(cfg)
	hs := httptest.NewServer(srv.Handler())
	t.Cleanup(hs.Close)
	return &uiServer{t: t, URL: hs.URL, db: db, acc: acc, clock: clock, sys: keyward.SystemActor("ui-test"), sql: storetest.OpenSQL(t, "", dir)}
}

// user creates an account of role and returns its email and password, one
// chosen for it (a generated one would have to be changed at first sign-in).
func (s *uiServer) user(role keyward.Role, holderID string) (string, string) {
	s.t.Helper()
	email := string(role) + "@harbour.test"
	_, pw, err := s.acc.CreateUser(context.Background(), s.sys, store.UserInput{Email: email, Role: role, HolderID: holderID, Password: "the " + string(role) + "'s own passphrase"})
	if err != nil {
		s.t.Fatal(err)
	}
	return email, pw
}

// uiStock is a keyway, two holders and a key in storage, made through the services.
type uiStock struct {
	keyway          *keyward.Keyway
	holder, holder2 *keyward.Holder
	key             *keyward.Key
}

func (s *uiServer) stock() uiStock {
	s.t.Helper()
	ctx, d, c := context.Background(), s.db.Directory(), s.db.Custody()
	var st uiStock
	var err error
	if st.keyway, err = d.CreateKeyway(ctx, s.sys, keyward.KeywayInput{Name: "Schlage SC1", Manufacturer: "Schlage", DuplicationPolicy: "restricted"}); err != nil {
		s.t.Fatal(err)
	}
	if st.holder, err = d.CreateHolder(ctx, s.sys, keyward.HolderInput{Name: "Dana Ruiz", Email: "dana@harbour.test", Kind: "staff"}); err != nil {
		s.t.Fatal(err)
	}
	if st.holder2, err = d.CreateHolder(ctx, s.sys, keyward.HolderInput{Name: "Sam Okafor", Kind: "contractor"}); err != nil {
		s.t.Fatal(err)
	}
	if st.key, err = c.CreateKey(ctx, s.sys, keyward.KeyInput{KeywayID: st.keyway.ID, Symbol: "AA1"}); err != nil {
		s.t.Fatal(err)
	}
	return st
}

// key reads a key straight from the store.
func (s *uiServer) key(id string) *keyward.Key {
	s.t.Helper()
	k, err := s.db.Custody().Key(context.Background(), s.sys, id)
	if err != nil {
		s.t.Fatal(err)
	}
	return k
}

// events counts a key's logbook lines.
func (s *uiServer) events(id string) int {
	s.t.Helper()
	p, err := s.db.Custody().History(context.Background(), s.sys, id, keyward.ListOptions{Limit: 500})
	if err != nil {
		s.t.Fatal(err)
	}
	return len(p.Items)
}

// uiClient is a browser without JavaScript: a cookie jar, forms posted by
// hand, redirects not followed so tests see the 303s.
type uiClient struct {
	t    testing.TB
	base string
	c    *http.Client
	csrf string
}

func (s *uiServer) client() *uiClient {
	jar, _ := cookiejar.New(nil)
	return &uiClient{t: s.t, base: s.URL, c: &http.Client{Jar: jar,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

// signIn signs in through the login form, as a person would.
func (s *uiServer) signIn(email, password string) *uiClient {
	s.t.Helper()
	c := s.client()
	st, body, _ := c.get("/login")
	if st != http.StatusOK {
		s.t.Fatalf("GET /login: %d", st)
	}
	doc := uiParse(s.t, body)
	f := doc.find(uiForm("/login"))
	if f == nil {
		s.t.Fatalf("no sign-in form on /login:\n%s", body)
	}
	csrf := f.find(uiAttr("name", "csrf"))
	if csrf == nil || csrf.attr["value"] == "" {
		s.t.Fatal("sign-in form has no csrf field")
	}
	st, _, h := c.send("/login", url.Values{"email": {email}, "password": {password}, "csrf": {csrf.attr["value"]}, "next": {"/"}})
	if st != http.StatusSeeOther || h.Get("Location") != "/" {
		s.t.Fatalf("sign in as %s: %d to %q", email, st, h.Get("Location"))
	}
	// Every form of a session carries the same token: read it off the dashboard.
	_, body, _ = c.get("/")
	in := uiParse(s.t, body).find(uiAttr("name", "csrf"))
	if in == nil {
		s.t.Fatal("no csrf field on the dashboard")
	}
	c.csrf = in.attr["value"]
	return c
}

func (c *uiClient) do(req *http.Request) (int, string, http.Header) {
	c.t.Helper()
	resp, err := c.c.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		c.t.Fatal(err)
	}
	return resp.StatusCode, string(b), resp.Header
}

func (c *uiClient) get(path string) (int, string, http.Header) {
	c.t.Helper()
	req, _ := http.NewRequest(http.MethodGet, c.base+path, nil)
	return c.do(req)
}

// send posts form exactly as given.
func (c *uiClient) send(path string, form url.Values) (int, string, http.Header) {
	c.t.Helper()
	req, _ := http.NewRequest(http.MethodPost, c.base+path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return c.do(req)
}

// post posts form with the session's CSRF token.
func (c *uiClient) post(path string, form url.Values) (int, string, http.Header) {
	c.t.Helper()
	f := url.Values{"csrf": {c.csrf}}
	for k, v := range form {
		f[k] = v
	}
	return c.send(path, f)
}

// page GETs path, wants 200 and returns the parsed document.
func (c *uiClient) page(path string) *uiNode {
	c.t.Helper()
	st, body, h := c.get(path)
	if st != http.StatusOK {
		c.t.Fatalf("GET %s: %d %s\n%s", path, st, h.Get("Location"), body)
	}
	if ct := h.Get("Content-Type"); ct != "text/html; charset=utf-8" {
		c.t.Fatalf("GET %s: Content-Type %q", path, ct)
	}
	return uiParse(c.t, body)
}

// uiNode is an element of a parsed page. The standard library's XML decoder
// in its HTML mode (void elements, bare attributes, HTML entities) is enough
// for our templates; like a browser, it closes what a page leaves open.
type uiNode struct {
	tag    string
	attr   map[string]string
	kids   []*uiNode
	parent *uiNode
	text   strings.Builder // the text directly inside
}

func uiParse(t testing.TB, body string) *uiNode {
	t.Helper()
	d := xml.NewDecoder(strings.NewReader(body))
	d.Strict, d.AutoClose, d.Entity = false, xml.HTMLAutoClose, xml.HTMLEntity
	root := &uiNode{tag: "#document", attr: map[string]string{}}
	cur := root
	for {
		tok, err := d.Token()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("page does not parse: %v\n%s", err, body)
		}
		switch tok := tok.(type) {
		case xml.StartElement:
			n := &uiNode{tag: strings.ToLower(tok.Name.Local), attr: map[string]string{}, parent: cur}
			for _, a := range tok.Attr {
				n.attr[strings.ToLower(a.Name.Local)] = a.Value
			}
			cur.kids = append(cur.kids, n)
			cur = n
		case xml.EndElement:
			if cur.parent != nil {
				cur = cur.parent
			}
		case xml.CharData:
			cur.text.Write(tok)
		}
	}
	return root
}

// Text is all text inside n with runs of white space folded.
func (n *uiNode) Text() string {
	var b strings.Builder
	var walk func(*uiNode)
	walk = func(n *uiNode) {
		b.WriteString(n.text.String())
		b.WriteByte(' ')
		for _, k := range n.kids {
			walk(k)
		}
	}
	walk(n)
	return strings.Join(strings.Fields(b.String()), " ")
}

func (n *uiNode) all(match func(*uiNode) bool) []*uiNode {
	var out []*uiNode
	for _, k := range n.kids {
		if match(k) {
			out = append(out, k)
		}
		out = append(out, k.all(match)...)
	}
	return out
}

func (n *uiNode) find(match func(*uiNode) bool) *uiNode {
	if all := n.all(match); len(all) > 0 {
		return all[0]
	}
	return nil
}

func (n *uiNode) byID(id string) *uiNode { return n.find(uiAttr("id", id)) }

func (n *uiNode) hasClass(c string) bool {
	for _, f := range strings.Fields(n.attr["class"]) {
		if f == c {
			return true
		}
	}
	return false
}

func uiTag(tag string) func(*uiNode) bool { return func(n *uiNode) bool { return n.tag == tag } }

func uiAttr(name, value string) func(*uiNode) bool {
	return func(n *uiNode) bool { v, ok := n.attr[name]; return ok && v == value }
}

func uiClass(tag, class string) func(*uiNode) bool {
	return func(n *uiNode) bool { return n.tag == tag && n.hasClass(class) }
}

// uiForm matches the POST form whose action is path.
func uiForm(path string) func(*uiNode) bool {
	return func(n *uiNode) bool { return n.tag == "form" && n.attr["action"] == path && n.attr["method"] == "post" }
}
