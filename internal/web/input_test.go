package web_test

import (
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/keyward/keyward/internal/keyward"
	"github.com/keyward/keyward/internal/store/storetest"
)

// rawCall sends body exactly as given (no JSON encoding), with extra headers,
// and returns the status, the Content-Type and the problem body if there is one.
func (a *testApp) rawCall(role keyward.Role, method, path, body string, header map[string]string) (int, string, problem) {
	a.t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, a.http.URL+path, rd)
	if err != nil {
		a.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	if role != "" {
		req.Header.Set("Authorization", "Bearer "+a.tokens[role])
	}
	for k, v := range header {
		req.Header[k] = []string{v}
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		a.t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	var p problem
	if resp.Header.Get("Content-Type") == "application/problem+json" {
		_ = json.Unmarshal(raw, &p)
	}
	return resp.StatusCode, resp.Header.Get("Content-Type"), p
}

// TestHostileBytesRefused: invalid UTF-8 and NUL in a path, a query parameter,
// a JSON string at any depth or a header that reaches SQL are refused before any
// SQL runs, alike on both backends: a path is a 404, anything else a 400
// naming the parameter or member. Nothing is written.
func TestHostileBytesRefused(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		app := newTestApp(t, b)
		_, holder, key := app.stock()
		due := app.env.Clock.Now().Add(time.Hour).Format(time.RFC3339)
		before := app.auditCount()
		// A cursor is opaque, but one made by hand can carry any bytes.
		badCursor := base64.RawURLEncoding.EncodeToString([]byte("\xff\x001"))
		cases := []struct {
			name         string
			method, path string
			body         string
			header       map[string]string
			status       int
			field        string
		}{
			{"id %ff", "GET", "/api/v1/keys/%ff", "", nil, 404, ""},
			{"id NUL", "GET", "/api/v1/keys/%00", "", nil, 404, ""},
			{"id %ff history", "GET", "/api/v1/keys/%ff/history", "", nil, 404, ""},
			{"id %ff checkout", "POST", "/api/v1/keys/%ff/checkout", `{"holder_id":"` + holder + `","due_at":"` + due + `"}`, nil, 404, ""},
			{"id %c3%28 holder keys", "GET", "/api/v1/holders/%c3%28/keys", "", nil, 404, ""},
			{"symbol NUL", "GET", "/api/v1/keys?symbol=%00", "", nil, 400, "symbol"},
			{"symbol %ff", "GET", "/api/v1/keys?symbol=%ff", "", nil, 400, "symbol"},
			{"keys q NUL", "GET", "/api/v1/keys?q=%00", "", nil, 400, "q"},
			{"search q NUL", "GET", "/api/v1/search?q=%00", "", nil, 400, "q"},
			{"search q %ff", "GET", "/api/v1/search?q=a%ffb", "", nil, 400, "q"},
			{"audit actor %ff", "GET", "/api/v1/audit?actor=%ff", "", nil, 400, "actor"},
			{"openings site_id NUL", "GET", "/api/v1/openings?site_id=%00", "", nil, 400, "site_id"},
			{"hand-made cursor", "GET", "/api/v1/keys?cursor=" + badCursor, "", nil, 400, "cursor"},
			{"user name NUL", "POST", "/api/v1/users", `{"email":"nul@acme.test","name":"a\u0000b","role":"holder"}`, nil, 400, "name"},
			{"user email %ff", "POST", "/api/v1/users", "{\"email\":\"x\xff@acme.test\",\"role\":\"holder\"}", nil, 400, "email"},
			{"token name NUL", "POST", "/api/v1/tokens", `{"name":"ci\u0000"}`, nil, 400, "name"},
			{"site name raw %ff", "POST", "/api/v1/sites", "{\"name\":\"Depot \xff\"}", nil, 400, "name"},
			{"site name lone surrogate", "POST", "/api/v1/sites", `{"name":"Depot \ud800"}`, nil, 400, "name"},
			{"nested NUL", "POST", "/api/v1/webhooks", `{"url":"https://example.org/h","secret":"s","events":["checkout.overdue","\u0000"]}`, nil, 400, "events[1]"},
			{"checkout note NUL", "POST", "/api/v1/keys/" + key + "/checkout", `{"holder_id":"` + holder + `","due_at":"` + due + `","note":"\u0000"}`, nil, 400, "note"},
			{"member name %ff", "POST", "/api/v1/sites", "{\"name\":\"A\",\"\xff\":1}", nil, 400, "body"},
			{"Idempotency-Key %ff", "POST", "/api/v1/sites", `{"name":"A"}`, map[string]string{"Idempotency-Key": "k\xff"}, 400, "Idempotency-Key"},
		}
		for _, c := range cases {
			st, ct, p := app.rawCall(keyward.RoleOwner, c.method, c.path, c.body, c.header)
			if st != c.status || ct != "application/problem+json" {
				t.Errorf("%s: %d %s %+v, want %d problem+json", c.name, st, ct, p, c.status)
				continue
			}
			if c.field != "" && (len(p.Errors) == 0 || p.Errors[0].Field != c.field || p.Errors[0].Rule == "") {
				t.Errorf("%s: errors = %+v, want field %q", c.name, p.Errors, c.field)
			}
		}
		// An unauthenticated caller learns nothing more than a 404 either.
		if st, _, _ := app.rawCall("", "GET", "/api/v1/keys/%ff", "", nil); st != 404 && st != 401 {
			t.Errorf("no token, id %%ff: %d", st)
		}
		if after := app.auditCount(); after != before {
			t.Fatalf("hostile requests wrote %d audit records", after-before)
		}
		var k map[string]any
		app.call(keyward.RoleOwner, "GET", "/api/v1/keys/"+key, nil, &k)
		if k["status"] != "in_storage" {
			t.Fatalf("hostile requests changed the key: %v", k)
		}
		// The same values, written correctly, still work.
		if st, _, p := app.rawCall(keyward.RoleOwner, "POST", "/api/v1/sites", `{"name":"Dépôt \ud83d\udd11 \ufffd"}`, nil); st != 201 {
			t.Fatalf("a site with non-ASCII text: %d %+v", st, p)
		}
	})
}

// TestHostileFormValuesRefused: a page form with invalid UTF-8 or NUL in any
// value is a 400 error page naming the field, before any SQL runs; an
// unreadable id in a page path is a 404 page.
func TestHostileFormValuesRefused(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		app := newTestApp(t, b)
		_, _, key := app.stock()
		ps := app.pageSession(keyward.RoleOwner)
		before := app.auditCount()
		cases := []struct {
			name   string
			path   string
			form   url.Values
			status int
			field  string
		}{
			{"site name NUL", "/sites", url.Values{"name": {"Depot\x00"}}, 400, "name"},
			{"site address %ff", "/sites", url.Values{"name": {"Depot"}, "address": {"Main St \xff"}}, 400, "address"},
			{"holder email %ff", "/holders", url.Values{"name": {"Kim"}, "email": {"k\xff@acme.test"}, "kind": {"staff"}}, 400, "email"},
			{"checkout note NUL", "/keys/" + key + "/checkout", url.Values{"holder_id": {"x"}, "note": {"\x00"}}, 400, "note"},
			{"key page %ff", "/keys/%ff/checkin", url.Values{}, 404, ""},
		}
		for _, c := range cases {
			form := url.Values{"csrf": {ps.CSRF}}
			for k, v := range c.form {
				form[k] = v
			}
			st, body := ps.do("POST", c.path, form)
			if st != c.status || !strings.Contains(body, "<html") {
				t.Errorf("%s: %d, want a %d page: %.200s", c.name, st, c.status, body)
				continue
			}
			if c.field != "" && !strings.Contains(body, c.field+": ") {
				t.Errorf("%s: the page does not name %q: %.400s", c.name, c.field, body)
			}
		}
		if st, _ := ps.do("GET", "/keys/%ff", nil); st != 404 {
			t.Errorf("GET /keys/%%ff: %d, want 404", st)
		}
		// Sign-in is public: its form is checked all the same.
		req, _ := http.NewRequest("POST", app.http.URL+"/login", strings.NewReader(url.Values{"csrf": {strings.Repeat("c", 32)},
			"email": {"owner\xff@acme.test"}, "password": {"x"}}.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.AddCookie(&http.Cookie{Name: "kw_precsrf", Value: strings.Repeat("c", 32)})
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 400 {
			t.Errorf("sign-in with an email of invalid UTF-8: %d, want 400", resp.StatusCode)
		}
		if after := app.auditCount(); after != before {
			t.Fatalf("hostile forms wrote %d audit records", after-before)
		}
	})
}

var wildcard = regexp.MustCompile(`\{[^}]*\}`)

// TestBodyOfEveryRouteIsStrict walks the route table: every JSON API route
// that takes a body (POST, PUT, PATCH, DELETE), including those that need
// none, refuses invalid JSON, a non-object, an unknown member and trailing
// data with a 400 before it looks anything up; {} and an empty body are never
// refused as a malformed body.
func TestBodyOfEveryRouteIsStrict(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		app := newTestApp(t, b)
		before := app.auditCount()
		bad := []string{`{"x`, `[]`, `null`, `"x"`, `5`, `{"zz_unknown":1}`, `{}{}`, `{} x`, `{"a":1,"a":2}`}
		var paths [][2]string // method, path
		for _, rt := range app.srv.Routes() {
			method, path, _ := strings.Cut(rt.Pattern, " ")
			if rt.Page || method == "GET" || !strings.HasPrefix(path, "/api/") || path == "/api/v1/imports" {
				continue
			}
			// Any id will do: the body is checked before anything is looked up.
			paths = append(paths, [2]string{method, wildcard.ReplaceAllString(path, "nope")})
		}
		if len(paths) < 40 {
			t.Fatalf("walked only %d routes", len(paths))
		}
		for _, mp := range paths {
			for _, body := range bad {
				st, ct, p := app.rawCall(keyward.RoleOwner, mp[0], mp[1], body, nil)
				if st != 400 || ct != "application/problem+json" || len(p.Errors) == 0 {
					t.Errorf("%s %s with body %s: %d %+v, want 400 naming the member or body", mp[0], mp[1], body, st, p)
				}
			}
		}
		// Every refusal above was a 400 before any change; none was a denial.
		if after := app.auditCount(); after != before {
			t.Fatalf("bad bodies wrote %d audit records", after-before)
		}
		for _, mp := range paths {
			for _, body := range []string{"{}", " {} \n"} {
				st, _, p := app.rawCall(keyward.RoleOwner, mp[0], mp[1], body, nil)
				if st == 400 && len(p.Errors) > 0 && (p.Errors[0].Field == "body" || strings.Contains(p.Errors[0].Rule, "known")) {
					t.Errorf("%s %s with body %q: %+v, a well-formed body refused as malformed", mp[0], mp[1], body, p)
				}
			}
		}
	})
}

// TestBodilessRoutesAcceptEmptyBody: routes that need no body take none, {}
// (also sent chunked, without a length), and refuse anything else.
func TestBodilessRoutesAcceptEmptyBody(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		app := newTestApp(t, b)
		_, holder, key := app.stock()
		due := app.env.Clock.Now().Add(time.Hour).Format(time.RFC3339)
		var ks map[string]any
		if st := app.call(keyward.RoleOwner, "POST", "/api/v1/keysystems", map[string]any{"name": "HQ", "manufacturer": "schlage_sc4",
			"levels": []map[string]any{{"level": "master", "sequence": []int{1}}, {"level": "change", "sequence": []int{2}}}}, &ks); st != 201 {
			t.Fatalf("create key system: %d %v", st, ks)
		}
		audit := "/api/v1/keysystems/" + ks["id"].(string) + "/audit"
		for _, body := range []string{"", "{}", "\n{ }\n"} {
			if st, _, p := app.rawCall(keyward.RoleOwner, "POST", audit, body, nil); st != 200 {
				t.Errorf("POST %s with %q: %d %+v", audit, body, st, p)
			}
			if st := app.call(keyward.RoleOwner, "POST", "/api/v1/keys/"+key+"/checkout", map[string]any{"holder_id": holder, "due_at": due}, nil); st != 200 {
				t.Fatalf("checkout: %d", st)
			}
			if st, _, p := app.rawCall(keyward.RoleOwner, "POST", "/api/v1/keys/"+key+"/checkin", body, nil); st != 200 {
				t.Errorf("checkin with %q: %d %+v", body, st, p)
			}
		}
		// Chunked: no Content-Length, so the length cannot tell an empty body.
		req, _ := http.NewRequest("POST", app.http.URL+audit, io.MultiReader(strings.NewReader("{"), strings.NewReader("}")))
		req.Header.Set("Authorization", "Bearer "+app.tokens[keyward.RoleOwner])
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 200 || req.ContentLength != 0 && req.ContentLength != -1 {
			t.Errorf("chunked {}: %d", resp.StatusCode)
		}
		req, _ = http.NewRequest("POST", app.http.URL+audit, io.MultiReader(strings.NewReader("[")))
		req.Header.Set("Authorization", "Bearer "+app.tokens[keyward.RoleOwner])
		if resp, err = http.DefaultClient.Do(req); err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 400 {
			t.Errorf("chunked [: %d, want 400", resp.StatusCode)
		}
	})
}

// TestStrictJSONMembers: a member repeated, or spelled in another letter case
// than documented, is a 400 naming it, at every depth; nothing is written.
func TestStrictJSONMembers(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		app := newTestApp(t, b)
		_, holder, key := app.stock()
		due := app.env.Clock.Now().Add(time.Hour).Format(time.RFC3339)
		before := app.auditCount()
		levels := `"levels":[{"level":"master","sequence":[1]},{"level":"change","sequence":[2]}]`
		cases := []struct {
			name, path, body, field, rule string
		}{
			{"duplicate", "/api/v1/sites", `{"name":"a","name":"b"}`, "name", "repeated"},
			{"duplicate, escaped spelling", "/api/v1/sites", `{"name":"a","n\u0061me":"b"}`, "name", "repeated"},
			{"upper case alone", "/api/v1/sites", `{"NAME":"a"}`, "NAME", "name"},
			{"upper case overrides", "/api/v1/sites", `{"name":"a","NAME":"b"}`, "NAME", "name"},
			{"mixed case", "/api/v1/holders", `{"name":"a","Email":"a@acme.test"}`, "Email", "email"},
			{"case of a time", "/api/v1/keys/" + key + "/checkout", `{"holder_id":"` + holder + `","Due_At":"` + due + `"}`, "Due_At", "due_at"},
			{"nested duplicate", "/api/v1/keysystems", `{"name":"HQ","manufacturer":"schlage_sc4","levels":[{"level":"master","sequence":[1]},{"level":"change","level":"master","sequence":[2]}]}`, "levels[1].level", "repeated"},
			{"nested case", "/api/v1/keysystems", `{"name":"HQ","manufacturer":"schlage_sc4","levels":[{"level":"master","sequence":[1]},{"Level":"change","sequence":[2]}]}`, "levels[1].Level", "level"},
			{"nested unknown", "/api/v1/keysystems", `{"name":"HQ","manufacturer":"schlage_sc4","levels":[{"level":"master","sequence":[1],"colour":"red"},{"level":"change","sequence":[2]}]}`, "levels[0].colour", "known"},
			{"deeper case", "/api/v1/keysystems", `{"name":"HQ","spec":{"positions":5,"min_depth":0,"max_depth":9,"MACS":7,"step":1},` + levels + `}`, "spec.MACS", "macs"},
			{"deeper duplicate", "/api/v1/keying-specs", `{"name":"Mine","spec":{"positions":5,"positions":6,"min_depth":0,"max_depth":9,"macs":7,"step":1}}`, "spec.positions", "repeated"},
			{"map duplicate", "/api/v1/keysystems", `{"name":"HQ","manufacturer":"schlage_sc4","levels":[{"level":"master","sequence":[1],"columns":{"A":[1],"A":[2]}},{"level":"change","sequence":[2]}]}`, "levels[0].columns.A", "repeated"},
		}
		for _, c := range cases {
			st, ct, p := app.rawCall(keyward.RoleOwner, "POST", c.path, c.body, nil)
			if st != 400 || ct != "application/problem+json" {
				t.Errorf("%s: %d %+v, want 400", c.name, st, p)
				continue
			}
			if len(p.Errors) == 0 || p.Errors[0].Field != c.field || !strings.Contains(p.Errors[0].Rule, c.rule) {
				t.Errorf("%s: errors = %+v, want field %q with a rule that says %q", c.name, p.Errors, c.field, c.rule)
			}
		}
		if after := app.auditCount(); after != before {
			t.Fatalf("refused bodies wrote %d audit records", after-before)
		}
		var sites struct{ Items []any }
		app.call(keyward.RoleOwner, "GET", "/api/v1/sites", nil, &sites)
		if len(sites.Items) != 0 {
			t.Fatalf("refused bodies created sites: %v", sites.Items)
		}
	})
}

// TestTimeFieldsNamed: a time that is not an RFC 3339 string, or not a string
// at all, is a 400 naming its own member, whichever it is.
func TestTimeFieldsNamed(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		app := newTestApp(t, b)
		_, holder, key := app.stock()
		before := app.auditCount()
		cred := `{"kind":"card","number":"1234","holder_id":"` + holder + `","opening_ids":[]`
		cases := []struct {
			name, path, body, field string
		}{
			{"due_at a number", "/api/v1/keys/" + key + "/checkout", `{"holder_id":"` + holder + `","due_at":5}`, "due_at"},
			{"due_at an object", "/api/v1/keys/" + key + "/checkout", `{"holder_id":"` + holder + `","due_at":{}}`, "due_at"},
			{"due_at true", "/api/v1/keys/" + key + "/checkout", `{"holder_id":"` + holder + `","due_at":true}`, "due_at"},
			{"valid_from a number", "/api/v1/credentials", cred + `,"valid_from":5}`, "valid_from"},
			{"valid_until an array", "/api/v1/credentials", cred + `,"valid_until":[]}`, "valid_until"},
			{"valid_until a word", "/api/v1/credentials", cred + `,"valid_until":"soon"}`, "valid_until"},
			{"acknowledged_at a number", "/api/v1/storage", `{"kind":"holder","name":"Dana","holder_id":"` + holder + `","acknowledged_at":5}`, "acknowledged_at"},
			{"acknowledged_at a word", "/api/v1/storage", `{"kind":"holder","name":"Dana","holder_id":"` + holder + `","acknowledged_at":"today"}`, "acknowledged_at"},
		}
		for _, c := range cases {
			st, _, p := app.rawCall(keyward.RoleOwner, "POST", c.path, c.body, nil)
			if st != 400 || len(p.Errors) == 0 || p.Errors[0].Field != c.field || !strings.Contains(p.Errors[0].Rule, "RFC 3339") {
				t.Errorf("%s: %d %+v, want 400 naming %q as an RFC 3339 time", c.name, st, p.Errors, c.field)
			}
		}
		if after := app.auditCount(); after != before {
			t.Fatalf("refused bodies wrote %d audit records", after-before)
		}
	})
}
