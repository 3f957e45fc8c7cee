package web_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/keyward/keyward/internal/auth"
	"github.com/keyward/keyward/internal/keyward"
	"github.com/keyward/keyward/internal/store/storetest"
)

// sendAs makes one API request with a bearer token and extra headers, and
// returns the status and the raw body.
func (a *testApp) sendAs(token, method, path, body string, header map[string]string) (int, string) {
	a.t.Helper()
	req, _ := http.NewRequest(method, a.http.URL+path, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		a.t.Fatal(err)
	}
	defer resp.Body.Close()
	return resp.StatusCode, readAll(resp)
}

// whoAmI is the email a token signs in as, "" when it is refused.
func (a *testApp) whoAmI(token string) string {
	a.t.Helper()
	st, body := a.sendAs(token, "GET", "/api/v1/me", "", nil)
	if st != 200 {
		return ""
	}
	var me struct{ Email string }
	if err := json.Unmarshal([]byte(body), &me); err != nil {
		a.t.Fatal(err)
	}
	return me.Email
}

// TestTokenMintOnlyForSelf: over the API every role, the owner included, mints
// tokens only for itself; naming anyone else (or an unknown account) is a 403
// that creates nothing. An admin can no longer mint an owner token.
func TestTokenMintOnlyForSelf(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		app := newTestApp(t, b)
		before := app.count(`SELECT COUNT(*) FROM api_tokens`)
		for _, role := range keyward.Roles {
			for _, other := range keyward.Roles {
				if other == role {
					continue
				}
				var out map[string]any
				st := app.call(role, "POST", "/api/v1/tokens", map[string]string{"user": app.users[other].Email, "name": "stolen"}, &out)
				if st != http.StatusForbidden {
					t.Errorf("%s minting a token for %s: %d %v, want 403", role, other, st, out)
				}
				if tok, _ := out["token"].(string); tok != "" && app.whoAmI(tok) != "" {
					t.Errorf("%s holds a working token of %s", role, app.whoAmI(tok))
				}
			}
			var p problem
			if st := app.call(role, "POST", "/api/v1/tokens", map[string]string{"user": "nobody@acme.test", "name": "x"}, &p); st != http.StatusForbidden {
				t.Errorf("%s naming an unknown account: %d %+v, want 403 (the answer must not tell which accounts exist)", role, st, p)
			}
		}
		if n := app.count(`SELECT COUNT(*) FROM api_tokens`); n != before {
			t.Fatalf("refused mints created %d tokens", n-before)
		}
		if n := app.count(`SELECT COUNT(*) FROM audit_log WHERE action = 'denied.token.create' AND actor = 'admin@acme.test' AND details LIKE '%owner@acme.test%'`); n != 1 {
			t.Errorf("the admin's refused mint for the owner is recorded %d times, want 1", n)
		}

		// Yourself: named in another case with spaces around, or not named.
		for _, role := range keyward.Roles {
			email := app.users[role].Email
			for _, body := range []map[string]string{{"user": "  " + strings.ToUpper(email) + " ", "name": "mine"}, {"name": "mine too"}} {
				var out map[string]any
				if st := app.call(role, "POST", "/api/v1/tokens", body, &out); st != http.StatusCreated {
					t.Fatalf("%s minting its own token %v: %d %v", role, body, st, out)
				}
				tok, _ := out["token"].(string)
				if who := app.whoAmI(tok); who != email {
					t.Fatalf("%s's new token signs in as %q", role, who)
				}
				if out["id"] == "" || out["user"] != email {
					t.Fatalf("mint answer = %v, want its id and user %s", out, email)
				}
			}
		}
		// The audit record of a mint names who minted and for whom.
		if n := app.count(`SELECT COUNT(*) FROM audit_log WHERE action = 'token.create' AND actor = 'manager@acme.test' AND subject_id = '` +
			app.users[keyward.RoleManager].ID + `' AND details LIKE '%"user":"manager@acme.test"%'`); n != 2 {
			t.Errorf("manager's mints have %d audit records naming minter and user, want 2", n)
		}
	})
}

type tokenList struct {
	Items []map[string]any `json:"items"`
}

func (l tokenList) ids() map[string]string {
	out := map[string]string{}
	for _, it := range l.Items {
		out[it["id"].(string)] = it["user"].(string)
	}
	return out
}

// TestTokenListAndRevoke: a user lists and revokes their own tokens; an owner
// or admin lists anyone's and revokes any; a revoked token is refused at once.
func TestTokenListAndRevoke(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		app := newTestApp(t, b)
		holder, admin := app.users[keyward.RoleHolder], app.users[keyward.RoleAdmin]
		mint := func(role keyward.Role, name string) (id, tok string) {
			var out map[string]any
			if st := app.call(role, "POST", "/api/v1/tokens", map[string]string{"name": name}, &out); st != 201 {
				t.Fatalf("mint: %d %v", st, out)
			}
			id, _ = out["id"].(string)
			tok, _ = out["token"].(string)
			if id == "" || tok == "" {
				t.Fatalf("mint answer = %v, want an id and a token", out)
			}
			return id, tok
		}
		id1, tok1 := mint(keyward.RoleHolder, "laptop")
		id2, tok2 := mint(keyward.RoleHolder, "phone")

		var mine tokenList
		st, body := app.sendAs(app.tokens[keyward.RoleHolder], "GET", "/api/v1/tokens", "", nil)
		if err := json.Unmarshal([]byte(body), &mine); st != 200 || err != nil {
			t.Fatalf("list own tokens: %d %s", st, body)
		}
		if got := mine.ids(); len(got) != 3 || got[id1] != holder.Email || got[id2] != holder.Email {
			t.Fatalf("holder's tokens = %v, want its 3 (test, laptop, phone)", got)
		}
		for _, secret := range []string{tok1, tok2, auth.HashToken(tok1), auth.HashToken(tok2), app.tokens[keyward.RoleHolder]} {
			if strings.Contains(body, secret) {
				t.Fatal("the token list holds a token secret or hash")
			}
		}
		for _, it := range mine.Items {
			for k := range it {
				if strings.Contains(k, "hash") || k == "token" {
					t.Fatalf("the token list has a member %q", k)
				}
			}
		}

		// Others' tokens: only owners and admins.
		var p problem
		if st := app.call(keyward.RoleHolder, "GET", "/api/v1/tokens?user="+admin.ID, nil, &p); st != 403 {
			t.Fatalf("holder listing the admin's tokens: %d", st)
		}
		if st := app.call(keyward.RoleManager, "GET", "/api/v1/tokens?all=true", nil, &p); st != 403 {
			t.Fatalf("manager listing every token: %d", st)
		}
		var theirs, all tokenList
		if st := app.call(keyward.RoleAdmin, "GET", "/api/v1/tokens?user="+holder.ID, nil, &theirs); st != 200 || len(theirs.Items) != 3 {
			t.Fatalf("admin listing the holder's tokens: %d %v", st, theirs)
		}
		if st := app.call(keyward.RoleOwner, "GET", "/api/v1/tokens?all=true", nil, &all); st != 200 || len(all.Items) != len(keyward.Roles)+2 {
			t.Fatalf("owner listing every token: %d, %d items", st, len(all.Items))
		}
		if st := app.call(keyward.RoleAdmin, "GET", "/api/v1/tokens?all=maybe", nil, &p); st != 400 || !hasField(p, "all") {
			t.Fatalf("?all=maybe: %d %+v", st, p)
		}
		if st := app.call(keyward.RoleAdmin, "GET", "/api/v1/tokens?user=usr_nope", nil, &p); st != 404 {
			t.Fatalf("admin listing an unknown user's tokens: %d", st)
		}

		// Revoking your own token: refused at once, the other one still works.
		if st, body := app.sendAs(tok2, "DELETE", "/api/v1/tokens/"+id1, "", nil); st != 200 {
			t.Fatalf("holder revoking its own token: %d %s", st, body)
		}
		if who := app.whoAmI(tok1); who != "" {
			t.Fatalf("a revoked token still signs in as %s", who)
		}
		if st, _ := app.sendAs(tok1, "GET", "/api/v1/me", "", nil); st != 401 {
			t.Fatalf("revoked token: %d, want 401", st)
		}
		if app.whoAmI(tok2) != holder.Email {
			t.Fatal("revoking one token stopped another")
		}
		// Someone else's token: only owners and admins.
		adminTokID := ""
		var adminToks tokenList
		app.call(keyward.RoleAdmin, "GET", "/api/v1/tokens", nil, &adminToks)
		for id := range adminToks.ids() {
			adminTokID = id
		}
		if st, _ := app.sendAs(tok2, "DELETE", "/api/v1/tokens/"+adminTokID, "", nil); st != 403 {
			t.Fatalf("holder revoking the admin's token: %d, want 403", st)
		}
		if app.whoAmI(app.tokens[keyward.RoleAdmin]) != admin.Email {
			t.Fatal("a refused revoke stopped the admin's token")
		}
		if st := app.call(keyward.RoleAdmin, "DELETE", "/api/v1/tokens/"+id2, nil, &p); st != 200 {
			t.Fatalf("admin revoking the holder's token: %d %+v", st, p)
		}
		if app.whoAmI(tok2) != "" {
			t.Fatal("the token the admin revoked still works")
		}
		for _, id := range []string{"tok_nope", id1} {
			if st := app.call(keyward.RoleAdmin, "DELETE", "/api/v1/tokens/"+id, nil, &p); st != 404 {
				t.Fatalf("revoking %s (unknown or already revoked): %d, want 404", id, st)
			}
		}
		mine = tokenList{}
		app.call(keyward.RoleHolder, "GET", "/api/v1/tokens", nil, &mine)
		if len(mine.Items) != 1 {
			t.Fatalf("holder's tokens after two revokes = %v", mine.ids())
		}
		// The audit records name who revoked and whose token it was.
		for _, c := range []struct{ actor, id string }{{holder.Email, id1}, {admin.Email, id2}} {
			if n := app.count(`SELECT COUNT(*) FROM audit_log WHERE action = 'token.revoke' AND actor = '` + c.actor + `' AND subject_id = '` + holder.ID +
				`' AND details LIKE '%"token_id":"` + c.id + `"%' AND details LIKE '%"user":"` + holder.Email + `"%'`); n != 1 {
				t.Errorf("revoke of %s by %s: %d audit records, want 1", c.id, c.actor, n)
			}
		}
	})
}
