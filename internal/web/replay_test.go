package web_test

import (
	"encoding/json"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/keyward/keyward/internal/keyward"
	"github.com/keyward/keyward/internal/store/storetest"
)

// mustBeSecret are routes whose request or answer holds a secret: a bearer
// token, an initial password, a code, a PIN, a TMK, a webhook key, bittings.
var mustBeSecret = []string{
	"POST /api/v1/tokens",
	"POST /api/v1/users",
	"POST /api/v1/webhooks",
	"POST /api/v1/storage",
	"POST /api/v1/storage/{id}/code",
	"POST /api/v1/storage/{id}/reveal",
	"POST /api/v1/credentials",
	"POST /api/v1/credentials/{id}/reveal",
	"POST /api/v1/keysystems",
	"POST /api/v1/keysystems/{id}/reveal",
	"POST /api/v1/keysystems/{id}/cylinders/{opening}/reveal",
	"GET /api/v1/keysystems/{id}/cylinders/{opening}/pinning.pdf",
}

// TestSecretRoutesRefuseIdempotencyKey walks the route table: every API route
// flagged as carrying a secret refuses Idempotency-Key with a 400 naming the
// header, before it acts, so no replay record is ever written for it.
func TestSecretRoutesRefuseIdempotencyKey(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		app := newTestApp(t, b)
		flagged := map[string]bool{}
		for _, rt := range app.srv.Routes() {
			if rt.Page {
				continue
			}
			if rt.Secret {
				flagged[rt.Pattern] = true
			} else if rt.Action == keyward.ActSecretReveal || rt.Action == keyward.ActBittingReveal {
				t.Errorf("%s reveals a secret (%s) but is not flagged secret in the route table", rt.Pattern, rt.Action)
			}
		}
		for _, p := range mustBeSecret {
			if !flagged[p] {
				t.Errorf("%s is not flagged secret in the route table", p)
			}
		}
		ids := regexp.MustCompile(`\{[^}]+\}`)
		audit := app.auditCount()
		for pattern := range flagged {
			method, path, _ := strings.Cut(pattern, " ")
			path = ids.ReplaceAllString(path, "nope")
			st, body := app.sendAs(app.tokens[keyward.RoleOwner], method, path, "{}", map[string]string{"Idempotency-Key": "k-" + pattern})
			var p problem
			_ = json.Unmarshal([]byte(body), &p)
			if st != http.StatusBadRequest || !slices.ContainsFunc(p.Errors, func(f keyward.FieldError) bool { return f.Field == "Idempotency-Key" }) {
				t.Errorf("%s with Idempotency-Key: %d %s, want 400 naming Idempotency-Key", pattern, st, body)
			}
		}
		if n := app.count(`SELECT COUNT(*) FROM idempotency`); n != 0 {
			t.Errorf("%d idempotency records after refused requests", n)
		}
		if got := app.auditCount(); got != audit {
			t.Errorf("refused requests wrote %d audit records", got-audit)
		}
	})
}

// TestNoSecretInIdempotencyTable: minting a token, creating a user and issuing
// a PIN credential, with and without Idempotency-Key, leave no token,
// password or record of the request in the idempotency table, while an
// ordinary create is still remembered.
func TestNoSecretInIdempotencyTable(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		app := newTestApp(t, b)
		_, holder, _ := app.stock()
		opening := ksDoors(t, app, "Front door")["Front door"]
		owner := app.tokens[keyward.RoleOwner]
		var secrets []string
		for i, key := range []string{"tok-1", ""} {
			hdr := map[string]string{}
			if key != "" {
				hdr["Idempotency-Key"] = key
			}
			requests := []struct{ path, body, secret string }{
				{"/api/v1/tokens", `{"name":"ci ` + key + `"}`, "token"},
				{"/api/v1/users", `{"email":"new` + key + `@acme.test","role":"manager"}`, "initial_password"},
				{"/api/v1/credentials", `{"kind":"pin","pin":"48213","holder_id":"` + holder + `","opening_ids":["` + opening + `"],"label":"` + key + `"}`, ""},
			}
			for _, rq := range requests {
				if key != "" {
					hdr["Idempotency-Key"] = key + rq.path
				}
				st, body := app.sendAs(owner, "POST", rq.path, rq.body, hdr)
				want := http.StatusCreated
				if key != "" {
					want = http.StatusBadRequest
				}
				if st != want {
					t.Errorf("round %d: POST %s: %d %s, want %d", i, rq.path, st, body, want)
				}
				var out map[string]any
				_ = json.Unmarshal([]byte(body), &out)
				if s, _ := out[rq.secret].(string); s != "" {
					secrets = append(secrets, s)
				}
			}
		}
		if len(secrets) < 2 {
			t.Fatalf("got %d secrets back from the creates, want a token and a password", len(secrets))
		}
		secrets = append(secrets, "48213")
		for _, s := range secrets {
			if n := app.count(`SELECT COUNT(*) FROM idempotency WHERE body LIKE '%` + s + `%' OR key LIKE '%` + s + `%'`); n != 0 {
				t.Errorf("a secret of %d characters is stored in %d idempotency records", len(s), n)
			}
		}
		if n := app.count(`SELECT COUNT(*) FROM idempotency`); n != 0 {
			t.Errorf("%d idempotency records for requests that carry a secret", n)
		}
		// An ordinary create with the header is still remembered (so this test can see a stored record).
		if st, body := app.sendAs(owner, "POST", "/api/v1/sites", `{"name":"Depot"}`, map[string]string{"Idempotency-Key": "site-1"}); st != 201 {
			t.Fatalf("site with Idempotency-Key: %d %s", st, body)
		}
		if n := app.count(`SELECT COUNT(*) FROM idempotency`); n != 1 {
			t.Fatalf("%d idempotency records after an ordinary create, want 1", n)
		}
	})
}
