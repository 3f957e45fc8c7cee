package web_test

import (
	"go/ast"
	"go/parser"
	"go/token"
	"html"
	"net/http"
	"net/url"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/keyward/keyward/internal/keyward"
	"github.com/keyward/keyward/internal/store/storetest"
	"github.com/keyward/keyward/internal/when"
)

var (
	sentenceRE = regexp.MustCompile(`(?s)<p class="sentence">(.*?)</p>`)
	tagRE      = regexp.MustCompile(`<[^>]*>`)
)

// auditSentences are the audit page's sentences as a person reads them.
func auditSentences(body string) []string {
	var out []string
	for _, m := range sentenceRE.FindAllStringSubmatch(body, -1) {
		out = append(out, html.UnescapeString(tagRE.ReplaceAllString(m[1], "")))
	}
	return out
}

// redirectLocation posts a page form as role and returns where it redirected.
func redirectLocation(t *testing.T, app *testApp, role keyward.Role, path string, form url.Values) *url.URL {
	t.Helper()
	p := app.pageSession(role)
	form.Set("csrf", p.CSRF)
	req, _ := http.NewRequest("POST", app.http.URL+path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.AddCookie(&http.Cookie{Name: "kw_session", Value: p.sid})
	resp, err := (&http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther && resp.StatusCode != http.StatusFound {
		t.Fatalf("POST %s = %d, want a redirect", path, resp.StatusCode)
	}
	loc, err := url.Parse(resp.Header.Get("Location"))
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

// TestUIAuditInWords: the audit log tells each record as a sentence with
// links, filters from lists and dates, and shows no internal id in a
// sentence or in a confirmation.
func TestUIAuditInWords(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		app := newTestApp(t, b)
		_, holder, key := app.stock()
		due := app.env.Clock.Now().Add(4 * time.Hour)
		if st := app.call(keyward.RoleOwner, "POST", "/api/v1/keys/"+key+"/checkout", map[string]any{"holder_id": holder, "due_at": due.Format(time.RFC3339)}, nil); st != 200 {
			t.Fatalf("checkout = %d", st)
		}
		var site, door map[string]any
		if st := app.call(keyward.RoleOwner, "POST", "/api/v1/sites", map[string]any{"name": "Elm Street"}, &site); st != 201 {
			t.Fatalf("site = %d", st)
		}
		if st := app.call(keyward.RoleOwner, "POST", "/api/v1/openings", map[string]any{"site_id": site["id"], "name": "Front door", "kind": "door"}, &door); st != 201 {
			t.Fatalf("door = %d", st)
		}
		// A confirmation names the credential and its holder, never its id.
		loc := redirectLocation(t, app, keyward.RoleOwner, "/credentials", url.Values{"kind": {"card"}, "label": {"Front door"}, "number": {"0042"},
			"holder_id": {holder}, "opening_ids": {door["id"].(string)}})
		flash := loc.Query().Get("flash")
		if flash != "Issued card “Front door” for Dana Ruiz." || keyward.IDPattern.MatchString(flash) {
			t.Errorf("credential confirmation %q", flash)
		}

		p := app.pageSession(keyward.RoleOwner)
		st, body := p.do("GET", "/audit", nil)
		if st != 200 {
			t.Fatalf("audit page = %d", st)
		}
		got := auditSentences(body)
		want := "owner@acme.test checked out key AA1-1 to Dana Ruiz, due " + when.Format(due, time.UTC) + "."
		if !containsString(got, want) {
			t.Errorf("no sentence %q in %q", want, got)
		}
		if !containsString(got, "owner@acme.test issued card “Front door” to Dana Ruiz.") {
			t.Errorf("credential sentence missing from %q", got)
		}
		for _, s := range got {
			if keyward.IDPattern.MatchString(s) {
				t.Errorf("sentence shows an internal id: %q", s)
			}
		}
		for _, link := range []string{`<a href="/keys/` + key + `">AA1-1</a>`, `<a href="/holders/` + holder + `">Dana Ruiz</a>`} {
			if !strings.Contains(body, link) {
				t.Errorf("audit page lacks the link %s", link)
			}
		}
		// Raw details behind a toggle; filters chosen from lists.
		for _, s := range []string{`<details class="raw">`, `<option value="key.checkout">Key checked out</option>`, `<option value="owner@acme.test">`, `type="date" name="from"`} {
			if !strings.Contains(body, s) {
				t.Errorf("audit page lacks %s", s)
			}
		}
		if strings.Contains(body, `placeholder="key.checkout"`) {
			t.Error("the action filter still asks for a code")
		}

		count := func(q string) int {
			t.Helper()
			st, body := p.do("GET", "/audit?"+q, nil)
			if st != 200 {
				t.Fatalf("audit?%s = %d", q, st)
			}
			return len(auditSentences(body))
		}
		if n := count("action=key.checkout"); n != 1 {
			t.Errorf("action filter: %d records, want 1", n)
		}
		if !containsString(got, "owner@acme.test added door Front door at Elm Street.") {
			t.Errorf("door sentence missing from %q", got)
		}
		if n := count("subject_type=holder"); n != 1 {
			t.Errorf("subject filter (holders): %d records, want 1 (holder added)", n)
		}
		if n := count("subject_id=" + key + "&subject_type=key"); n != 2 {
			t.Errorf("one key's records: %d, want 2 (registered, checked out)", n)
		}
		today := app.env.Clock.Now().Format("2006-01-02")
		tomorrow := app.env.Clock.Now().AddDate(0, 0, 1).Format("2006-01-02")
		if n := count("from=" + tomorrow); n != 0 {
			t.Errorf("from tomorrow: %d records, want 0", n)
		}
		if n := count("from=" + today + "&to=" + today + "&action=key.checkout&actor=owner%40acme.test"); n != 1 {
			t.Errorf("today's check-outs by the owner: %d, want 1", n)
		}
		if n := count("actor=nobody%40acme.test"); n != 0 {
			t.Errorf("another actor: %d records, want 0", n)
		}
		if st, body := p.do("GET", "/audit?from=12%2F20%2F2026", nil); st != 400 || !strings.Contains(body, "from") {
			t.Errorf("a bad date = %d, want 400 naming from", st)
		}
		if st, _ := p.do("GET", "/audit?from="+tomorrow+"&to="+today, nil); st != 400 {
			t.Errorf("to before from = %d, want 400", st)
		}
	})
}

func containsString(xs []string, s string) bool {
	for _, x := range xs {
		if x == s {
			return true
		}
	}
	return false
}

// TestFlashMessagesNameNoIDs reads every page handler: no confirmation
// (redirectFlash) may be built from an id (a .ID field or a variable named
// id), directly or through the variable it is passed in.
func TestFlashMessagesNameNoIDs(t *testing.T) {
	files, _ := filepath.Glob("*.go")
	fset := token.NewFileSet()
	calls := 0
	idExpr := func(e ast.Expr) string {
		found := ""
		ast.Inspect(e, func(n ast.Node) bool {
			switch n := n.(type) {
			case *ast.SelectorExpr:
				if strings.HasSuffix(n.Sel.Name, "ID") {
					found = n.Sel.Name
				}
			case *ast.Ident:
				if n.Name == "id" || strings.HasSuffix(n.Name, "ID") {
					found = n.Name
				}
			case *ast.CallExpr:
				// A call's own arguments (a lookup by id) are not shown.
				if sel, ok := n.Fun.(*ast.SelectorExpr); ok && sel.Sel.Name != "Itoa" && sel.Sel.Name != "Sprintf" {
					return false
				}
			}
			return true
		})
		return found
	}
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		file, err := parser.ParseFile(fset, f, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		for _, decl := range file.Decls {
			fn, ok := decl.(*ast.FuncDecl)
			if !ok || fn.Body == nil {
				continue
			}
			ast.Inspect(fn.Body, func(n ast.Node) bool {
				call, ok := n.(*ast.CallExpr)
				if !ok {
					return true
				}
				if id, ok := call.Fun.(*ast.Ident); !ok || id.Name != "redirectFlash" || len(call.Args) != 4 {
					return true
				}
				calls++
				msg := call.Args[3]
				exprs := []ast.Expr{msg}
				if v, ok := msg.(*ast.Ident); ok { // msg := …; msg += …
					ast.Inspect(fn.Body, func(n ast.Node) bool {
						if as, ok := n.(*ast.AssignStmt); ok {
							for i, l := range as.Lhs {
								if li, ok := l.(*ast.Ident); ok && li.Name == v.Name && i < len(as.Rhs) {
									exprs = append(exprs, as.Rhs[i])
								}
							}
						}
						return true
					})
				}
				for _, e := range exprs {
					if e == msg {
						if _, ok := e.(*ast.Ident); ok {
							continue
						}
					}
					if name := idExpr(e); name != "" {
						t.Errorf("%s: a confirmation shows %s, an internal id", fset.Position(call.Pos()), name)
					}
				}
				return true
			})
		}
	}
	if calls < 30 {
		t.Fatalf("found only %d confirmations; the test lost its way", calls)
	}
}
