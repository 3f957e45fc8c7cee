package web_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/pb33f/libopenapi"
	validator "github.com/pb33f/libopenapi-validator"

	"github.com/keyward/keyward/internal/keyward"
	"github.com/keyward/keyward/internal/store/storetest"
)

// served fetches the OpenAPI document the server serves.
func (a *testApp) served() []byte {
	a.t.Helper()
	resp, err := http.Get(a.http.URL + "/api/v1/openapi.json")
	if err != nil {
		a.t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != 200 {
		a.t.Fatalf("GET /api/v1/openapi.json: %d %v", resp.StatusCode, err)
	}
	return raw
}

func newValidator(t *testing.T, raw []byte) validator.Validator {
	t.Helper()
	doc, err := libopenapi.NewDocument(raw)
	if err != nil {
		t.Fatalf("libopenapi cannot read the document: %v", err)
	}
	v, errs := validator.NewValidator(doc)
	if len(errs) > 0 {
		t.Fatalf("libopenapi-validator cannot build a validator: %v", errs)
	}
	return v
}

// TestOpenAPIDocumentValid validates the served document against the
// OpenAPI 3.1 specification's own schema.
func TestOpenAPIDocumentValid(t *testing.T) {
	app := newTestApp(t, storetest.SQLite)
	raw := app.served()
	var head struct {
		OpenAPI string `json:"openapi"`
	}
	if err := json.Unmarshal(raw, &head); err != nil || head.OpenAPI != "3.1.0" {
		t.Fatalf("openapi = %q (%v), want 3.1.0", head.OpenAPI, err)
	}
	ok, errs := newValidator(t, raw).ValidateDocument()
	for _, e := range errs {
		t.Errorf("invalid OpenAPI 3.1 document: %s: %s", e.Message, e.Reason)
		for _, f := range e.SchemaValidationErrors {
			t.Errorf("  at %s: %s", f.KeywordLocation+" "+f.FieldPath, f.Reason)
		}
	}
	if !ok && len(errs) == 0 {
		t.Error("the document is invalid, without a reason")
	}
}

// checked is an API client that validates every answer against the schema
// the served document gives its route and status.
type checked struct {
	t    *testing.T
	app  *testApp
	v    validator.Validator
	seen map[string]bool // "METHOD /path status" of every answer validated
}

// do sends body (nil, a string, or a value sent as JSON) as role ("" for
// none) and returns the status and the raw answer, after validating it.
func (c *checked) do(role keyward.Role, method, path, contentType string, body any, want int) []byte {
	c.t.Helper()
	var raw []byte
	switch b := body.(type) {
	case nil:
	case string:
		raw = []byte(b)
	default:
		raw, _ = json.Marshal(b)
	}
	req, _ := http.NewRequest(method, c.app.http.URL+path, bytes.NewReader(raw))
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	if role != "" {
		req.Header.Set("Authorization", "Bearer "+c.app.tokens[role])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	answer, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != want {
		c.t.Fatalf("%s %s: %d, want %d: %s", method, path, resp.StatusCode, want, answer)
	}
	resp.Body = io.NopCloser(bytes.NewReader(answer))
	if ok, errs := c.v.ValidateHttpResponse(req, resp); !ok {
		for _, e := range errs {
			c.t.Errorf("%s %s → %d does not match the document: %s: %s", method, path, resp.StatusCode, e.Message, e.Reason)
			for _, f := range e.SchemaValidationErrors {
				c.t.Errorf("  at %s: %s", f.KeywordLocation+" "+f.FieldPath, f.Reason)
			}
		}
		c.t.Errorf("  the answer: %s", answer)
	}
	route := req.URL.Path
	c.seen[fmt.Sprintf("%s %s %d", method, route, resp.StatusCode)] = true
	return answer
}

func (c *checked) json(role keyward.Role, method, path string, body any, want int) map[string]any {
	c.t.Helper()
	answer := c.do(role, method, path, "application/json", body, want)
	var out map[string]any
	if len(answer) > 0 {
		if err := json.Unmarshal(answer, &out); err != nil {
			c.t.Fatalf("%s %s: %v: %s", method, path, err, answer)
		}
	}
	return out
}

// TestOpenAPIResponsesMatch runs a realistic sequence of API calls across the
// capabilities, errors included, and validates every answer's body against
// the generated schema of its route and status.
func TestOpenAPIResponsesMatch(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		app := newTestApp(t, b)
		c := &checked{t: t, app: app, v: newValidator(t, app.served()), seen: map[string]bool{}}
		owner, admin := keyward.RoleOwner, keyward.RoleAdmin
		id := func(m map[string]any) string { s, _ := m["id"].(string); return s }
		due := app.env.Clock.Now().Add(4 * time.Hour).Format(time.RFC3339)

		// System and accounts.
		c.json("", "GET", "/healthz", nil, 200)
		c.json(owner, "GET", "/api/v1/me", nil, 200)
		c.json("", "GET", "/api/v1/me", nil, 401)
		c.json(owner, "GET", "/api/v1/users", nil, 200)
		u := c.json(admin, "POST", "/api/v1/users", map[string]any{"email": "new@harbour.test", "name": "New Person", "role": "advisor"}, 201)
		if u["initial_password"] == "" {
			t.Errorf("new user without initial_password: %v", u)
		}
		c.json(admin, "PATCH", "/api/v1/users/"+id(u), map[string]any{"role": "manager", "disabled": false}, 200)
		c.json(admin, "PATCH", "/api/v1/users/nope", map[string]any{"role": "manager"}, 404)
		c.json(admin, "PATCH", "/api/v1/users/"+id(u), map[string]any{"name": "Renamed Person"}, 200)
		c.json(admin, "PATCH", "/api/v1/users/"+id(u), map[string]any{"role": "owner"}, 403)
		c.json(owner, "PATCH", "/api/v1/users/"+app.users[owner].ID, map[string]any{"role": "admin"}, 409)
		c.json(owner, "GET", "/api/v1/org", nil, 200)
		c.json(owner, "PATCH", "/api/v1/org", map[string]any{"time_zone": "Europe/Berlin"}, 200)
		c.json(owner, "PATCH", "/api/v1/org", map[string]any{"time_zone": "Mars/Olympus"}, 400)
		c.json(admin, "PATCH", "/api/v1/org", map[string]any{"name": "Admin Corp"}, 403)
		tok := c.json(owner, "POST", "/api/v1/tokens", map[string]any{"name": "scripts"}, 201)
		c.json(owner, "GET", "/api/v1/tokens", nil, 200)
		c.json(owner, "GET", "/api/v1/tokens?all=true", nil, 200)
		c.json(owner, "DELETE", "/api/v1/tokens/"+id(tok), nil, 200)

		// Inventory.
		site := c.json(owner, "POST", "/api/v1/sites", map[string]any{"name": "Harbour Point"}, 201)
		c.json(owner, "GET", "/api/v1/sites", nil, 200)
		c.json(owner, "GET", "/api/v1/sites/"+id(site), nil, 200)
		c.json(owner, "GET", "/api/v1/sites/nope", nil, 404)
		c.json(keyward.RoleHolder, "POST", "/api/v1/sites", map[string]any{"name": "Not mine"}, 403)
		door := c.json(owner, "POST", "/api/v1/openings", map[string]any{"site_id": id(site), "name": "Front door", "kind": "door"}, 201)
		c.json(owner, "POST", "/api/v1/openings", map[string]any{"site_id": id(site), "name": "Hatch", "kind": "hatch"}, 400)
		c.json(owner, "GET", "/api/v1/openings?site_id="+id(site), nil, 200)
		c.json(owner, "GET", "/api/v1/openings/"+id(door), nil, 200)
		kw := c.json(owner, "POST", "/api/v1/keyways", map[string]any{"name": "Schlage SC1", "manufacturer": "Schlage", "duplication_policy": "dnd"}, 201)
		c.json(owner, "GET", "/api/v1/keyways", nil, 200)
		c.json(owner, "GET", "/api/v1/keyways/"+id(kw), nil, 200)
		ann := c.json(owner, "POST", "/api/v1/holders", map[string]any{"name": "Ann Smith", "email": "ann@harbour.test"}, 201)
		bob := c.json(owner, "POST", "/api/v1/holders", map[string]any{"name": "Bob Jones", "email": "bob@harbour.test", "kind": "contractor"}, 201)
		c.json(owner, "GET", "/api/v1/holders", nil, 200)
		c.json(owner, "GET", "/api/v1/holders/"+id(ann), nil, 200)
		c.json(owner, "POST", "/api/v1/openings/"+id(door)+"/symbols", map[string]any{"symbol": "AA1"}, 201)
		c.json(owner, "GET", "/api/v1/openings/"+id(door)+"/access", nil, 200)

		// Editing, retiring and merging the directory.
		c.json(owner, "PATCH", "/api/v1/sites/"+id(site), map[string]any{"address": "1 Quay"}, 200)
		c.json(owner, "PATCH", "/api/v1/sites/"+id(site), map[string]any{"name": ""}, 400)
		c.json(owner, "PATCH", "/api/v1/openings/"+id(door), map[string]any{"kind": "gate"}, 200)
		c.json(owner, "PATCH", "/api/v1/keyways/"+id(kw), map[string]any{"colour": "red"}, 400)
		c.json(owner, "PATCH", "/api/v1/holders/"+id(bob), map[string]any{"email": "ann@harbour.test"}, 409)
		c.json(owner, "PATCH", "/api/v1/holders/nope", map[string]any{"phone": "1"}, 404)
		depot := c.json(owner, "POST", "/api/v1/sites", map[string]any{"name": "Depot"}, 201)
		hatch := c.json(owner, "POST", "/api/v1/openings", map[string]any{"site_id": id(depot), "name": "Hatch", "kind": "other"}, 201)
		oldKw := c.json(owner, "POST", "/api/v1/keyways", map[string]any{"name": "Old KW", "duplication_policy": "open"}, 201)
		c.json(owner, "DELETE", "/api/v1/sites/"+id(depot), nil, 409)
		c.json(owner, "DELETE", "/api/v1/openings/"+id(hatch), nil, 200)
		c.json(owner, "DELETE", "/api/v1/sites/"+id(depot), nil, 200)
		c.json(owner, "GET", "/api/v1/sites?include_retired=true", nil, 200)
		c.json(owner, "GET", "/api/v1/openings?include_retired=true&site_id="+id(depot), nil, 200)
		c.json(owner, "POST", "/api/v1/sites/"+id(depot)+"/restore", nil, 200)
		c.json(owner, "POST", "/api/v1/openings/"+id(hatch)+"/restore", nil, 200)
		c.json(owner, "DELETE", "/api/v1/keyways/"+id(oldKw), nil, 200)
		c.json(owner, "GET", "/api/v1/keyways?include_retired=true", nil, 200)
		c.json(owner, "POST", "/api/v1/keyways/"+id(oldKw)+"/restore", nil, 200)
		annDup := c.json(owner, "POST", "/api/v1/holders", map[string]any{"name": "Ann Smith", "email": "ann.smith@harbour.test"}, 201)
		c.json(owner, "POST", "/api/v1/holders/"+id(annDup)+"/merge", map[string]any{"into": id(annDup)}, 400)
		c.json(owner, "POST", "/api/v1/holders/"+id(annDup)+"/merge", map[string]any{"into": id(ann)}, 200)
		c.json(owner, "GET", "/api/v1/holders/"+id(annDup), nil, 200)
		c.json(owner, "GET", "/api/v1/holders?include_retired=true", nil, 200)
		c.json(owner, "DELETE", "/api/v1/holders/"+id(annDup), nil, 200)
		c.json(owner, "POST", "/api/v1/holders/"+id(annDup)+"/restore", nil, 200)
		c.json(owner, "DELETE", "/api/v1/holders/"+id(annDup), nil, 200)

		// Keys and custody.
		k1 := c.json(owner, "POST", "/api/v1/keys", map[string]any{"keyway_id": id(kw), "symbol": "AA1"}, 201)
		c.json(owner, "PATCH", "/api/v1/keys/"+id(k1), map[string]any{"keyway_id": id(kw)}, 200)
		c.json(owner, "PATCH", "/api/v1/keys/"+id(k1), map[string]any{"symbol": "BB1"}, 400)
		c.json(owner, "PATCH", "/api/v1/keys/nope", map[string]any{"keyway_id": id(kw)}, 404)
		k2 := c.json(owner, "POST", "/api/v1/keys", map[string]any{"keyway_id": id(kw), "symbol": "AA1"}, 201)
		c.json(owner, "POST", "/api/v1/keys", map[string]any{"keyway_id": id(kw), "symbol": "AA1", "copy_number": 1}, 409)
		c.json(owner, "POST", "/api/v1/keys", map[string]any{"keyway_id": id(kw), "symbol": "AA1", "colour": "red"}, 400)
		c.json(owner, "GET", "/api/v1/keys", nil, 200)
		c.json(owner, "GET", "/api/v1/keys?symbol=AA1&limit=1", nil, 200)
		c.json(owner, "GET", "/api/v1/keys/"+id(k1), nil, 200)
		c.json(owner, "GET", "/api/v1/keys/nope", nil, 404)
		c.json(owner, "POST", "/api/v1/keys/"+id(k1)+"/checkout", map[string]any{"holder_id": id(ann), "due_at": due}, 200)
		c.json(owner, "POST", "/api/v1/keys/"+id(k1)+"/checkout", map[string]any{"holder_id": id(ann), "due_at": due}, 409)
		c.json(owner, "POST", "/api/v1/keys/"+id(k2)+"/checkout", map[string]any{"holder_id": id(ann), "due_at": "yesterday"}, 400)
		c.json(owner, "POST", "/api/v1/keys/"+id(k1)+"/transfer", map[string]any{"holder_id": id(bob)}, 200)
		c.json(owner, "POST", "/api/v1/keys/"+id(k1)+"/checkin", map[string]any{}, 200)
		c.json(owner, "POST", "/api/v1/keys/"+id(k1)+"/checkin", map[string]any{}, 409)
		c.json(owner, "POST", "/api/v1/keys/"+id(k1)+"/issue", map[string]any{"holder_id": id(ann)}, 200)
		c.json(owner, "GET", "/api/v1/holders/"+id(ann)+"/keys", nil, 200)
		c.json(owner, "POST", "/api/v1/keys/"+id(k1)+"/return", map[string]any{}, 200)
		c.json(owner, "POST", "/api/v1/keys/"+id(k2)+"/lost", map[string]any{"note": "left on the bus"}, 200)
		c.json(owner, "GET", "/api/v1/keys/"+id(k2)+"/lost", nil, 200)
		c.json(owner, "GET", "/api/v1/keys/"+id(k1)+"/lost", nil, 409)
		c.json(owner, "POST", "/api/v1/worklists", map[string]any{}, 400)
		wl := c.json(owner, "POST", "/api/v1/worklists", map[string]any{"key_id": id(k2), "note": "Ace Locks"}, 201)
		c.json(owner, "POST", "/api/v1/worklists", map[string]any{"key_id": id(k2)}, 409)
		c.json(owner, "GET", "/api/v1/worklists", nil, 200)
		c.json(owner, "GET", "/api/v1/worklists?status=open", nil, 200)
		c.json(owner, "GET", "/api/v1/worklists/"+id(wl), nil, 200)
		c.json(owner, "GET", "/api/v1/worklists/nope", nil, 404)
		c.json(owner, "GET", "/api/v1/rekey-work", nil, 200)
		wlDoor := "/api/v1/worklists/" + id(wl) + "/items/" + id(wl["items"].([]any)[0].(map[string]any)) + "/done"
		c.json(owner, "POST", wlDoor, map[string]any{"confirm": true, "method": "rekey"}, 400)
		c.json(owner, "POST", wlDoor, map[string]any{"confirm": true, "method": "rekey", "new_keys": []string{"AA1B"}}, 200)
		c.json(owner, "POST", wlDoor, map[string]any{"confirm": true, "method": "rekey", "new_keys": []string{"AA1C"}}, 409)
		c.do(owner, "GET", "/api/v1/worklists/"+id(wl)+"/workorder.pdf", "", nil, 200)
		c.json(owner, "POST", "/api/v1/keys/"+id(k2)+"/found", map[string]any{}, 200)
		c.json(owner, "POST", "/api/v1/keys/"+id(k2)+"/destroy", map[string]any{"note": "worn"}, 200)
		c.json(owner, "GET", "/api/v1/keys/"+id(k1)+"/history", nil, 200)
		c.json(owner, "GET", "/api/v1/holders/"+id(ann)+"/history", nil, 200)
		c.json(owner, "GET", "/api/v1/search?q=aa1", nil, 200)
		c.json(owner, "GET", "/api/v1/stats/keys-out", nil, 200)

		// Duplication control.
		mgr, adv, tech := keyward.RoleManager, keyward.RoleAdvisor, keyward.RoleTechnician
		rkw := c.json(owner, "POST", "/api/v1/keyways", map[string]any{"name": "Medeco M3", "duplication_policy": "restricted"}, 201)
		rk := c.json(owner, "POST", "/api/v1/keys", map[string]any{"keyway_id": id(rkw), "symbol": "MM1"}, 201)
		c.json(mgr, "POST", "/api/v1/keys", map[string]any{"keyway_id": id(rkw), "symbol": "MM1"}, 403)
		c.do(mgr, "PUT", "/api/v1/keyways/"+id(rkw)+"/authorization-card", "application/json", `{"number":"C-77"}`, 204)
		c.json(mgr, "POST", "/api/v1/keyways/"+id(rkw)+"/signatories", map[string]any{"holder_id": id(ann)}, 201)
		c.json(mgr, "POST", "/api/v1/keyways/"+id(rkw)+"/signatories", map[string]any{"holder_id": id(ann)}, 409)
		c.json(adv, "GET", "/api/v1/keyways/"+id(rkw)+"/control", nil, 200)
		cr := c.json(mgr, "POST", "/api/v1/copy-requests", map[string]any{"key_id": id(rk), "count": 2, "reason": "spare"}, 201)
		c.json(mgr, "POST", "/api/v1/copy-requests", map[string]any{"key_id": id(rk), "count": 21, "reason": "spare"}, 400)
		crp := "/api/v1/copy-requests/" + id(cr)
		c.json(adv, "POST", crp+"/evidence", map[string]any{"signatory_holder_id": id(ann), "id_type": "passport", "id_last4": "1234", "authorization_card": "C-78"}, 400)
		c.json(adv, "POST", crp+"/evidence", map[string]any{"signatory_holder_id": id(ann), "id_type": "passport", "id_last4": "1234", "authorization_card": "C-77"}, 200)
		c.json(mgr, "POST", crp+"/approve", nil, 403)
		c.json(owner, "POST", crp+"/approve", nil, 200)
		c.json(admin, "POST", crp+"/approve", nil, 409)
		c.json(tech, "POST", crp+"/produce", nil, 200)
		c.json(adv, "POST", crp+"/hand-over", map[string]any{"holder_id": id(ann)}, 200)
		c.do(adv, "GET", crp+"/authorization.pdf", "", nil, 200)
		c.do(keyward.RoleAuditor, "GET", crp+"/receipt.pdf", "", nil, 200)
		c.json(keyward.RoleAuditor, "GET", crp, nil, 200)
		c.json(owner, "GET", "/api/v1/copy-requests/nope", nil, 404)
		c.json(owner, "GET", "/api/v1/copy-requests?state=handed_over,requested", nil, 200)
		dr := c.json(mgr, "POST", "/api/v1/copy-requests", map[string]any{"key_id": id(k1), "count": 1, "reason": "spare"}, 201)
		c.json(adv, "POST", "/api/v1/copy-requests/"+id(dr)+"/escalate", map[string]any{"reason": "unclear"}, 200)
		c.json(owner, "POST", "/api/v1/copy-requests/"+id(dr)+"/deny", map[string]any{"reason": "no letter"}, 200)
		dr = c.json(mgr, "POST", "/api/v1/copy-requests", map[string]any{"key_id": id(k1), "count": 1, "reason": "spare"}, 201)
		c.json(adv, "POST", "/api/v1/copy-requests/"+id(dr)+"/cancel", map[string]any{"reason": "asked twice"}, 200)
		c.do(adv, "GET", "/api/v1/copy-requests/"+id(dr)+"/receipt.pdf", "", nil, 409)
		c.do(adv, "GET", "/api/v1/copy-requests/nope/authorization.pdf", "", nil, 404)
		c.json(adv, "GET", "/api/v1/settings/copies", nil, 200)
		c.json(owner, "PUT", "/api/v1/settings/copies", map[string]any{"approvals_required": 2, "two_person_rule": true}, 200)
		c.do(mgr, "DELETE", "/api/v1/keyways/"+id(rkw)+"/signatories/"+id(ann), "", nil, 204)

		// Audit.
		c.json(keyward.RoleAuditor, "GET", "/api/v1/audit", nil, 200)
		c.json(owner, "GET", "/api/v1/audit?actor="+app.users[owner].Email, nil, 200)
		c.json(keyward.RoleHolder, "GET", "/api/v1/audit", nil, 403)

		// Storage.
		cab := c.json(owner, "POST", "/api/v1/storage", map[string]any{"kind": "cabinet", "name": "Cabinet A", "hooks": 12}, 201)
		c.json(owner, "POST", "/api/v1/storage/"+id(cab)+"/keys", map[string]any{"key_id": id(k1), "hook": 4}, 200)
		c.json(owner, "GET", "/api/v1/keys/"+id(k1)+"/home", nil, 200)
		c.json(owner, "GET", "/api/v1/storage", nil, 200)
		c.json(owner, "GET", "/api/v1/storage/"+id(cab), nil, 200)
		c.json(owner, "GET", "/api/v1/storage/"+id(cab)+"/events", nil, 200)
		c.json(owner, "PATCH", "/api/v1/storage/"+id(cab), map[string]any{"name": "Cabinet B", "hooks": 10}, 200)
		c.json(owner, "PATCH", "/api/v1/storage/"+id(cab), map[string]any{"hooks": 3}, 400)
		c.json(owner, "DELETE", "/api/v1/storage/"+id(cab), nil, 409)
		c.do(owner, "DELETE", "/api/v1/keys/"+id(k1)+"/home", "", nil, 204)
		box := c.json(owner, "POST", "/api/v1/storage", map[string]any{"kind": "lockbox", "name": "Gate box", "code": "73915"}, 201)
		c.json(owner, "POST", "/api/v1/storage/"+id(box)+"/reveal", map[string]any{"reason": "let the plumber in"}, 200)
		c.json(owner, "POST", "/api/v1/storage/"+id(box)+"/reveal", map[string]any{}, 400)
		c.json(owner, "POST", "/api/v1/storage/"+id(box)+"/code", map[string]any{"code": "11235", "reason": "a tenant moved out"}, 200)
		c.json(owner, "POST", "/api/v1/storage/"+id(box)+"/retire", nil, 200)
		c.json(owner, "POST", "/api/v1/storage/"+id(box)+"/restore", nil, 200)
		c.json(owner, "POST", "/api/v1/storage/"+id(box)+"/restore", nil, 409)
		c.json(owner, "DELETE", "/api/v1/storage/"+id(box), nil, 200)
		c.json(owner, "GET", "/api/v1/storage?include_retired=true", nil, 200)
		c.json(owner, "GET", "/api/v1/storage?include_retired=maybe", nil, 400)

		// Credentials and offboarding.
		cred := c.json(owner, "POST", "/api/v1/credentials", map[string]any{"kind": "pin", "pin": "4711", "holder_id": id(bob), "opening_ids": []string{id(door)}}, 201)
		c.json(owner, "GET", "/api/v1/credentials", nil, 200)
		c.json(owner, "GET", "/api/v1/credentials/"+id(cred), nil, 200)
		c.json(owner, "POST", "/api/v1/credentials/"+id(cred)+"/reveal", map[string]any{"reason": "holder forgot it"}, 200)
		c.json(owner, "POST", "/api/v1/holders/"+id(bob)+"/offboarding", map[string]any{}, 201)
		c.json(owner, "GET", "/api/v1/holders/"+id(bob)+"/offboarding", nil, 200)
		c.json(owner, "GET", "/api/v1/offboardings", nil, 200)
		c.json(owner, "POST", "/api/v1/holders/"+id(bob)+"/offboarding/credentials/"+id(cred)+"/revoke", map[string]any{}, 200)

		// Key systems.
		ks := c.json(owner, "POST", "/api/v1/keysystems", map[string]any{"name": "HQ", "manufacturer": "schlage_sc4",
			"levels": []map[string]any{{"level": "master", "sequence": []int{1}}, {"level": "change", "sequence": []int{2}}}}, 201)
		c.json(owner, "GET", "/api/v1/keysystems", nil, 200)
		c.json(owner, "GET", "/api/v1/keysystems/"+id(ks), nil, 200)
		c.json(owner, "GET", "/api/v1/keysystems/nope", nil, 404)
		c.json(owner, "POST", "/api/v1/keysystems/"+id(ks)+"/reveal", map[string]any{"reason": "cut a copy"}, 200)
		c.json(owner, "POST", "/api/v1/keysystems/"+id(ks)+"/audit", nil, 200)
		c.json(owner, "GET", "/api/v1/keysystems/"+id(ks)+"/audit", nil, 200)
		c.json(owner, "GET", "/api/v1/keying-specs", nil, 200)
		c.json(owner, "POST", "/api/v1/keysystems/"+id(ks)+"/assignments", map[string]any{"opening_id": id(door), "symbol": "AA2"}, 200)
		plan := c.json(owner, "POST", "/api/v1/keysystems/"+id(ks)+"/lost", map[string]any{"symbol": "AA2"}, 201)
		planPath := "/api/v1/keysystems/" + id(ks) + "/plans/" + id(plan)
		for i, it := range plan["items"].([]any) {
			item := it.(map[string]any)
			if i == 0 {
				c.json(owner, "POST", planPath+"/items/"+id(item)+"/done", map[string]any{}, 400)
			}
			body := map[string]any{"confirm": true}
			if item["kind"] == keyward.PlanReplaceCylinder {
				body["new_keys"] = []string{"FD1"}
			}
			c.json(owner, "POST", planPath+"/items/"+id(item)+"/done", body, 200)
		}
		c.json(owner, "GET", planPath, nil, 200)
		c.do(owner, "GET", planPath+"/workorder.pdf", "", nil, 200)
		c.do(owner, "GET", "/api/v1/keysystems/"+id(ks)+"/plans/nope/workorder.pdf", "", nil, 404)

		// Imports and exports.
		csv := "symbol,keyway,copy_number,holder_name,holder_email,due_at\nAB2,Schlage SC1,,,,\nAB2,Nope,,,,\n"
		c.do(owner, "POST", "/api/v1/imports?dry_run=true", "text/csv", csv, 200)
		c.do(owner, "POST", "/api/v1/imports", "text/csv", csv, 422)
		c.do(owner, "POST", "/api/v1/imports", "text/csv", "symbol,keyway\nAB3,Schlage SC1\n", 201)
		c.do(owner, "GET", "/api/v1/exports/keys", "", nil, 200)

		// Webhooks.
		c.json(admin, "POST", "/api/v1/webhooks", map[string]any{"url": "http://127.0.0.1:9/hook", "secret": "s3cret", "events": []string{"checkout.overdue"}}, 201)
		c.json(admin, "POST", "/api/v1/webhooks", map[string]any{"url": "ftp://x", "secret": "s", "events": []string{"nope"}}, 400)
		c.json(admin, "GET", "/api/v1/webhooks", nil, 200)

		// Copy accounting: a copy found outside Keyward, and its work list.
		c.json(keyward.RoleAuditor, "GET", "/api/v1/copies", nil, 200)
		c.json(owner, "GET", "/api/v1/copies?keyway_id=nope", nil, 400)
		c.json(keyward.RoleHolder, "GET", "/api/v1/copies", nil, 403)
		c.json(owner, "GET", "/api/v1/copies/"+id(kw)+"/AA1", nil, 200)
		c.json(owner, "GET", "/api/v1/copies/"+id(kw)+"/ZZ9", nil, 404)
		c.json(owner, "GET", "/api/v1/copies/"+id(kw)+"/Z%20Z", nil, 400)
		c.json(owner, "POST", "/api/v1/openings/"+id(door)+"/symbols", map[string]any{"symbol": "UC1"}, 201)
		unc := c.json(keyward.RoleAdvisor, "POST", "/api/v1/uncontrolled-copies", map[string]any{"keyway_id": id(kw), "symbol": "UC1", "where": "a kiosk", "in_hand": true}, 201)
		c.json(keyward.RoleAdvisor, "POST", "/api/v1/uncontrolled-copies", map[string]any{"keyway_id": id(kw), "symbol": "UC1"}, 400)
		c.json(keyward.RoleAuditor, "POST", "/api/v1/uncontrolled-copies", map[string]any{"keyway_id": id(kw), "symbol": "UC1", "where": "x"}, 403)
		c.json(owner, "GET", "/api/v1/copies/"+id(kw)+"/UC1", nil, 200)
		uwl := c.json(owner, "POST", "/api/v1/worklists", map[string]any{"uncontrolled_copy_id": id(unc)}, 201)
		c.json(owner, "GET", "/api/v1/worklists/"+id(uwl), nil, 200)
		c.json(owner, "GET", "/api/v1/rekey-work", nil, 200)

		if len(c.seen) < 80 {
			seen := make([]string, 0, len(c.seen))
			for s := range c.seen {
				seen = append(seen, s)
			}
			sort.Strings(seen)
			t.Errorf("only %d answers validated:\n%s", len(c.seen), strings.Join(seen, "\n"))
		}
	})
}

// TestOpenAPIResponseCheckFails: the check of TestOpenAPIResponsesMatch
// refuses an answer that breaks its schema, and a status the route does not
// document, so a passing run means something.
func TestOpenAPIResponseCheckFails(t *testing.T) {
	app := newTestApp(t, storetest.SQLite)
	v := newValidator(t, app.served())
	for _, tc := range []struct {
		name, path string
		status     int
		body       string
	}{
		{"a number for a string", "/api/v1/keys/key_1", 200, `{"id":5,"keyway_id":"kw","symbol":"AA1","copy_number":1,"stamp":"AA1-1","status":"in_storage","created_at":"2026-01-01T00:00:00Z"}`},
		{"a status outside the enum", "/api/v1/keys/key_1", 200, `{"id":"key_1","keyway_id":"kw","symbol":"AA1","copy_number":1,"stamp":"AA1-1","status":"borrowed","created_at":"2026-01-01T00:00:00Z"}`},
		{"a member missing", "/api/v1/keys/key_1", 200, `{"id":"key_1","keyway_id":"kw","symbol":"AA1","copy_number":1,"stamp":"AA1-1","created_at":"2026-01-01T00:00:00Z"}`},
		{"a member the type does not have", "/api/v1/sites/site_1", 200, `{"id":"site_1","name":"HQ","created_at":"2026-01-01T00:00:00Z","colour":"red"}`},
		{"a problem without its detail", "/api/v1/sites/site_1", 404, `{"type":"about:blank","title":"Not Found","status":404}`},
		{"a status not documented", "/api/v1/sites/site_1", 418, `{}`},
	} {
		req, _ := http.NewRequest("GET", app.http.URL+tc.path, nil)
		ct := "application/json"
		if tc.status >= 400 {
			ct = "application/problem+json"
		}
		resp := &http.Response{StatusCode: tc.status, Header: http.Header{"Content-Type": {ct}}, Body: io.NopCloser(strings.NewReader(tc.body)), Request: req}
		if ok, _ := v.ValidateHttpResponse(req, resp); ok {
			t.Errorf("%s: the answer passed the check", tc.name)
		}
	}
}
