package web_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/keyward/keyward/internal/auth"
	"github.com/keyward/keyward/internal/keyward"
	"github.com/keyward/keyward/internal/store/storetest"
)

// TestRouteRolePolicy walks every route × every role and checks allow/deny
// against the policy table. A route whose action has no policy entry fails.
func TestRouteRolePolicy(t *testing.T) {
	app := newTestApp(t, storetest.SQLite)
	ctx := context.Background()
	acc := app.db.Accounts(app.env.Vault)
	key, err := acc.CSRFKey(ctx)
	if err != nil {
		t.Fatal(err)
	}
	sessions := map[keyward.Role]string{}
	for role, u := range app.users {
		sid, err := acc.CreateSession(ctx, u, true)
		if err != nil {
			t.Fatal(err)
		}
		sessions[role] = sid
	}
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	routes := app.srv.Routes()
	// Signing out ends the sessions the other page checks use: do it last.
	sort.SliceStable(routes, func(i, j int) bool { return routes[j].Pattern == "POST /logout" })
	if len(routes) < 30 {
		t.Fatalf("only %d routes", len(routes))
	}
	for _, rt := range routes {
		switch rt.Action {
		case keyward.ActPublic, keyward.ActSelf:
		default:
			if _, ok := keyward.Policy[rt.Action]; !ok {
				t.Errorf("%s: action %q has no entry in the policy table", rt.Pattern, rt.Action)
				continue
			}
		}
		if rt.Action == keyward.ActPublic {
			continue
		}
		method, path, _ := strings.Cut(rt.Pattern, " ")
		path = strings.NewReplacer("{id}", "nope", "{$}", "", "{token}", "nope").Replace(path)
		for _, role := range keyward.Roles {
			var req *http.Request
			if rt.Page {
				form := url.Values{"csrf": {auth.CSRFToken(key, sessions[role])}}
				req, _ = http.NewRequest(method, app.http.URL+path, strings.NewReader(form.Encode()))
				req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
				req.AddCookie(&http.Cookie{Name: "kw_session", Value: sessions[role]})
			} else {
				req, _ = http.NewRequest(method, app.http.URL+path, strings.NewReader("{}"))
				req.Header.Set("Authorization", "Bearer "+app.tokens[role])
			}
			resp, err := client.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			allowed := keyward.Allowed(role, rt.Action)
			switch {
			case !allowed && resp.StatusCode != http.StatusForbidden:
				t.Errorf("%s as %s: status %d, want 403", rt.Pattern, role, resp.StatusCode)
			case allowed && resp.StatusCode == http.StatusForbidden && !(rt.Scoped && role == keyward.RoleHolder):
				t.Errorf("%s as %s: 403, but the policy allows it", rt.Pattern, role)
			case resp.StatusCode == http.StatusUnauthorized,
				rt.Pattern != "POST /logout" && strings.HasPrefix(resp.Header.Get("Location"), "/login"):
				t.Errorf("%s as %s: not signed in with a valid credential (%d)", rt.Pattern, role, resp.StatusCode)
			}
		}
	}
}

func TestAPIInventoryAndCustody(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		app := newTestApp(t, b)
		_, holder, key := app.stock()
		var k map[string]any
		if st := app.call(keyward.RoleOwner, "GET", "/api/v1/keys/"+key, nil, &k); st != 200 || k["copy_number"] != float64(1) || k["status"] != "in_storage" {
			t.Fatalf("key = %d %v", st, k)
		}
		due := app.env.Clock.Now().Add(4 * time.Hour).Format(time.RFC3339)
		if st := app.call(keyward.RoleAdvisor, "POST", "/api/v1/keys/"+key+"/checkout", map[string]any{"holder_id": holder, "due_at": due}, &k); st != 200 || k["status"] != "checked_out" {
			t.Fatalf("checkout = %d %v", st, k)
		}
		var held struct{ Items []map[string]any }
		if app.call(keyward.RoleOwner, "GET", "/api/v1/holders/"+holder+"/keys", nil, &held); len(held.Items) != 1 || held.Items[0]["id"] != key {
			t.Fatalf("holder keys = %v", held)
		}
		var p problem
		if st := app.call(keyward.RoleOwner, "POST", "/api/v1/keys/"+key+"/checkout", map[string]any{"holder_id": holder, "due_at": due}, &p); st != 409 || !strings.Contains(p.Detail, "checked_out") {
			t.Fatalf("second checkout = %d %+v", st, p)
		}
		if st := app.call(keyward.RoleOwner, "POST", "/api/v1/keys/"+key+"/checkin", map[string]any{}, &k); st != 200 || k["status"] != "in_storage" {
			t.Fatalf("checkin = %d %v", st, k)
		}
		if st := app.call(keyward.RoleOwner, "POST", "/api/v1/keys/"+key+"/checkin", map[string]any{}, &p); st != 409 {
			t.Fatalf("second checkin = %d", st)
		}
		if st := app.call(keyward.RoleOwner, "POST", "/api/v1/keys/"+key+"/lost", map[string]any{"note": "dropped"}, &k); st != 200 || k["status"] != "lost" {
			t.Fatalf("lost = %d %v", st, k)
		}
		if st := app.call(keyward.RoleOwner, "POST", "/api/v1/keys/"+key+"/checkout", map[string]any{"holder_id": holder, "due_at": due}, &p); st != 409 {
			t.Fatalf("checkout of a lost key = %d", st)
		}
		var hist struct {
			Items []struct {
				Action string `json:"action"`
				At     string `json:"at"`
				Actor  string `json:"actor"`
			}
		}
		app.call(keyward.RoleOwner, "GET", "/api/v1/keys/"+key+"/history", nil, &hist)
		var acts []string
		for _, e := range hist.Items {
			acts = append(acts, e.Action)
			if e.At == "" || e.Actor == "" {
				t.Fatalf("event without at/actor: %+v", e)
			}
		}
		if fmt.Sprint(acts) != "[create checkout checkin lost]" {
			t.Fatalf("history = %v", acts)
		}
		var auditPage struct {
			Items []keyward.AuditRecord
			Next  string
		}
		app.call(keyward.RoleAuditor, "GET", "/api/v1/audit?limit=3", nil, &auditPage)
		if len(auditPage.Items) != 3 || auditPage.Items[0].Action != "key.lost" || auditPage.Next == "" {
			t.Fatalf("audit newest first = %+v", auditPage)
		}
		var keys struct {
			Items []map[string]any
			Next  string
		}
		app.call(keyward.RoleOwner, "GET", "/api/v1/keys?symbol=AA1", nil, &keys)
		if len(keys.Items) != 1 {
			t.Fatalf("keys?symbol = %v", keys)
		}
		// The holder's logbook pages newest first: the check-in, then the check-out.
		var hpage struct {
			Items []struct {
				Action string `json:"action"`
				Stamp  string `json:"stamp"`
			}
			Next string
		}
		if st := app.call(keyward.RoleOwner, "GET", "/api/v1/holders/"+holder+"/history?limit=1", nil, &hpage); st != 200 || len(hpage.Items) != 1 ||
			hpage.Items[0].Action != "checkin" || hpage.Items[0].Stamp != "AA1-1" || hpage.Next == "" {
			t.Fatalf("holder history page 1 = %d %+v", st, hpage)
		}
		if st := app.call(keyward.RoleOwner, "GET", "/api/v1/holders/"+holder+"/history?limit=1&cursor="+hpage.Next, nil, &hpage); st != 200 || len(hpage.Items) != 1 || hpage.Items[0].Action != "checkout" {
			t.Fatalf("holder history page 2 = %d %+v", st, hpage)
		}
		if st := app.call(keyward.RoleOwner, "GET", "/api/v1/holders/"+holder+"/history?cursor=x", nil, &p); st != 400 {
			t.Fatalf("holder history with a bad cursor = %d", st)
		}
		// The last page still says "next", empty: a client loop on body["next"] ends cleanly.
		var raw map[string]json.RawMessage
		app.call(keyward.RoleOwner, "GET", "/api/v1/keys?symbol=AA1", nil, &raw)
		if string(raw["next"]) != `""` {
			t.Fatalf(`last page "next" = %s, want ""`, raw["next"])
		}
	})
}

// TestAPIBadInput: each bad request is the right 4xx, names the field, and writes nothing.
func TestAPIBadInput(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		app := newTestApp(t, b)
		_, holder, key := app.stock()
		before := app.auditCount()
		past := app.env.Clock.Now().Add(-time.Minute).Format(time.RFC3339)
		cases := []struct {
			name         string
			role         keyward.Role
			method, path string
			body         any
			status       int
			field        string
		}{
			{"malformed JSON", keyward.RoleOwner, "POST", "/api/v1/sites", `{"name":`, 400, "body"},
			{"unknown field", keyward.RoleOwner, "POST", "/api/v1/sites", `{"name":"A","colour":"red"}`, 400, "colour"},
			{"wrong type", keyward.RoleOwner, "POST", "/api/v1/sites", `{"name":42}`, 400, "name"},
			{"two objects", keyward.RoleOwner, "POST", "/api/v1/sites", `{"name":"A"}{"name":"B"}`, 400, "body"},
			{"over-long string", keyward.RoleOwner, "POST", "/api/v1/sites", map[string]string{"name": strings.Repeat("x", 201)}, 400, "name"},
			{"huge body", keyward.RoleOwner, "POST", "/api/v1/sites", `{"name":"` + strings.Repeat("x", 2<<20) + `"}`, 400, "body"},
			{"bad kind", keyward.RoleOwner, "POST", "/api/v1/openings", map[string]string{"site_id": "x", "name": "A", "kind": "window"}, 400, "kind"},
			{"bad policy", keyward.RoleOwner, "POST", "/api/v1/keyways", map[string]string{"name": "K", "duplication_policy": "maybe"}, 400, "duplication_policy"},
			{"bad email", keyward.RoleOwner, "POST", "/api/v1/holders", map[string]string{"name": "A", "email": "nope"}, 400, "email"},
			{"past due", keyward.RoleOwner, "POST", "/api/v1/keys/" + key + "/checkout", map[string]string{"holder_id": holder, "due_at": past}, 400, "due_at"},
			{"bad due", keyward.RoleOwner, "POST", "/api/v1/keys/" + key + "/checkout", map[string]string{"holder_id": holder, "due_at": "tomorrow"}, 400, "due_at"},
			{"unknown holder", keyward.RoleOwner, "POST", "/api/v1/keys/" + key + "/checkout", map[string]string{"holder_id": "hld_nope", "due_at": app.env.Clock.Now().Add(time.Hour).Format(time.RFC3339)}, 400, "holder_id"},
			{"bad limit", keyward.RoleOwner, "GET", "/api/v1/keys?limit=0", nil, 400, "limit"},
			{"bad cursor", keyward.RoleOwner, "GET", "/api/v1/keys?cursor=garbage", nil, 400, "cursor"},
			{"no token", "", "GET", "/api/v1/keys", nil, 401, ""},
			{"role", keyward.RoleAuditor, "POST", "/api/v1/sites", map[string]string{"name": "A"}, 403, ""},
			{"unknown id", keyward.RoleOwner, "GET", "/api/v1/keys/key_nope", nil, 404, ""},
			{"unknown key checkout", keyward.RoleOwner, "POST", "/api/v1/keys/key_nope/checkin", map[string]string{}, 404, ""},
			{"conflict", keyward.RoleOwner, "POST", "/api/v1/keys/" + key + "/checkin", map[string]string{}, 409, ""},
			{"no such route", keyward.RoleOwner, "GET", "/api/v1/nope", nil, 404, ""},
			{"wrong method", keyward.RoleOwner, "DELETE", "/api/v1/sites", nil, 405, ""},
		}
		for _, c := range cases {
			var p problem
			st := app.call(c.role, c.method, c.path, c.body, &p)
			if st != c.status || p.Status != c.status || p.Title == "" {
				t.Errorf("%s: status %d (%+v), want %d", c.name, st, p, c.status)
				continue
			}
			if c.field != "" && (len(p.Errors) == 0 || p.Errors[0].Field != c.field || p.Errors[0].Rule == "") {
				t.Errorf("%s: errors = %+v, want field %q", c.name, p.Errors, c.field)
			}
		}
		// Only the one denied POST left a record (the denial itself).
		if after := app.auditCount(); after != before+1 {
			t.Fatalf("bad requests wrote %d audit records, want only the denial", after-before)
		}
		var k map[string]any
		app.call(keyward.RoleOwner, "GET", "/api/v1/keys/"+key, nil, &k)
		if k["status"] != "in_storage" {
			t.Fatalf("bad requests changed the key: %v", k)
		}
		// A 405 says which methods the path takes.
		req, _ := http.NewRequest("DELETE", app.http.URL+"/api/v1/sites", nil)
		req.Header.Set("Authorization", "Bearer "+app.tokens[keyward.RoleOwner])
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 405 || resp.Header.Get("Allow") != "GET, HEAD, POST" {
			t.Fatalf("DELETE /api/v1/sites: %d, Allow %q", resp.StatusCode, resp.Header.Get("Allow"))
		}
		// Lists with no further pages say so with an empty "next" too.
		for _, path := range []string{"/api/v1/keysystems", "/api/v1/keying-specs", "/api/v1/users", "/api/v1/webhooks"} {
			var raw map[string]json.RawMessage
			if st := app.call(keyward.RoleOwner, "GET", path, nil, &raw); st != 200 || string(raw["next"]) != `""` {
				t.Errorf("%s: %d, next = %s", path, st, raw["next"])
			}
		}
	})
}

// TestConcurrentCheckoutHTTP: 20 simultaneous check-outs of one key give one 200 and 19 × 409.
func TestConcurrentCheckoutHTTP(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		app := newTestApp(t, b)
		_, holder, key := app.stock()
		due := app.env.Clock.Now().Add(time.Hour).Format(time.RFC3339)
		var wg sync.WaitGroup
		codes := make([]int, 20)
		for i := range codes {
			wg.Add(1)
			go func() {
				defer wg.Done()
				codes[i] = app.call(keyward.RoleOwner, "POST", "/api/v1/keys/"+key+"/checkout", map[string]string{"holder_id": holder, "due_at": due}, nil)
			}()
		}
		wg.Wait()
		count := map[int]int{}
		for _, c := range codes {
			count[c]++
		}
		if count[200] != 1 || count[409] != 19 {
			t.Fatalf("statuses = %v, want one 200 and 19 409", count)
		}
	})
}

func TestIdempotencyKey(t *testing.T) {
	app := newTestApp(t, storetest.SQLite)
	send := func(body string) (int, string) {
		req, _ := http.NewRequest("POST", app.http.URL+"/api/v1/sites", strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+app.tokens[keyward.RoleOwner])
		req.Header.Set("Idempotency-Key", "retry-1")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var out map[string]any
		_ = jsonDecode(resp, &out)
		id, _ := out["id"].(string)
		return resp.StatusCode, id
	}
	st1, id1 := send(`{"name":"Depot"}`)
	st2, id2 := send(`{"name":"Depot"}`)
	if st1 != 201 || st2 != 201 || id1 == "" || id1 != id2 {
		t.Fatalf("retry gave %d %s then %d %s; want the same site twice", st1, id1, st2, id2)
	}
	var sites struct{ Items []any }
	app.call(keyward.RoleOwner, "GET", "/api/v1/sites", nil, &sites)
	if len(sites.Items) != 1 {
		t.Fatalf("%d sites after a retried POST", len(sites.Items))
	}
	if st, _ := send(`{"name":"Other"}`); st != 422 {
		t.Fatalf("same key, other body = %d, want 422", st)
	}
}

func TestHealthAndMetrics(t *testing.T) {
	app := newTestApp(t, storetest.SQLite)
	if st := app.call("", "GET", "/healthz", nil, nil); st != 200 {
		t.Fatalf("healthz = %d", st)
	}
	app.call(keyward.RoleOwner, "GET", "/api/v1/keys", nil, nil)
	req, _ := http.NewRequest("GET", app.http.URL+"/metrics", nil)
	req.Header.Set("Authorization", "Bearer "+app.tokens[keyward.RoleAdmin])
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	buf := new(strings.Builder)
	_, _ = fmt.Fprint(buf, readAll(resp))
	if !strings.Contains(buf.String(), `keyward_http_requests_total{route="GET /api/v1/keys",status="200"} 1`) {
		t.Fatalf("metrics missing the request counter:\n%s", buf)
	}
}

func TestWebhookCreate(t *testing.T) {
	app := newTestApp(t, storetest.SQLite)
	var hook map[string]any
	if st := app.call(keyward.RoleAdmin, "POST", "/api/v1/webhooks", map[string]any{"url": "http://127.0.0.1:9/hook", "secret": "s3cret", "events": []string{"checkout.overdue"}}, &hook); st != 201 || hook["id"] == "" {
		t.Fatalf("create (private allowed) = %d %v", st, hook)
	}
	if _, leaked := hook["secret"]; leaked {
		t.Fatal("the webhook secret came back in the response")
	}
	var p problem
	if st := app.call(keyward.RoleAdmin, "POST", "/api/v1/webhooks", map[string]any{"url": "ftp://x", "secret": "s", "events": []string{"nope"}}, &p); st != 400 || len(p.Errors) != 2 {
		t.Fatalf("bad webhook = %d %+v", st, p)
	}
	if st := app.call(keyward.RoleManager, "POST", "/api/v1/webhooks", map[string]any{"url": "http://example.com/", "secret": "s", "events": []string{"checkout.overdue"}}, &p); st != 403 {
		t.Fatalf("manager creating a webhook = %d", st)
	}
	// Without KEYWARD_ALLOW_PRIVATE_WEBHOOKS, loopback and private targets are refused.
	strict := newBareServer(t, app.env, app.db)
	req, _ := http.NewRequest("POST", strict+"/api/v1/webhooks", strings.NewReader(`{"url":"http://127.0.0.1:9/hook","secret":"s3cret","events":["checkout.overdue"]}`))
	req.Header.Set("Authorization", "Bearer "+app.tokens[keyward.RoleOwner])
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body := readAll(resp)
	resp.Body.Close()
	if resp.StatusCode != 400 || !strings.Contains(body, `"field":"url"`) {
		t.Fatalf("private webhook on a strict server = %d %s", resp.StatusCode, body)
	}
	var list struct{ Items []map[string]any }
	app.call(keyward.RoleOwner, "GET", "/api/v1/webhooks", nil, &list)
	if len(list.Items) != 1 {
		t.Fatalf("webhooks = %v", list)
	}
}

// TestIdempotencyConcurrent: simultaneous retries with one key create one site.
func TestIdempotencyConcurrent(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		app := newTestApp(t, b)
		var wg sync.WaitGroup
		codes := make([]int, 8)
		for i := range codes {
			wg.Add(1)
			go func() {
				defer wg.Done()
				req, _ := http.NewRequest("POST", app.http.URL+"/api/v1/sites", strings.NewReader(`{"name":"Depot"}`))
				req.Header.Set("Authorization", "Bearer "+app.tokens[keyward.RoleOwner])
				req.Header.Set("Idempotency-Key", "same")
				resp, err := http.DefaultClient.Do(req)
				if err != nil {
					t.Error(err)
					return
				}
				resp.Body.Close()
				codes[i] = resp.StatusCode
			}()
		}
		wg.Wait()
		var sites struct{ Items []any }
		app.call(keyward.RoleOwner, "GET", "/api/v1/sites", nil, &sites)
		if len(sites.Items) != 1 {
			t.Fatalf("%d sites from 8 retries with one key (statuses %v)", len(sites.Items), codes)
		}
		for _, c := range codes {
			if c != 201 && c != 409 {
				t.Fatalf("statuses %v: want 201 (first or replay) or 409 (still running)", codes)
			}
		}
	})
}
