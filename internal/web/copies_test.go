package web_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/keyward/keyward/internal/keyward"
	"github.com/keyward/keyward/internal/store"
	"github.com/keyward/keyward/internal/store/storetest"
	"github.com/keyward/keyward/internal/web"
)

// The card number of the copy tests: no answer, audit record or log line may hold it.
const apiCard = "RX-5520-91"

// Extra accounts of the copy tests, as keys of testApp.tokens.
const (
	roleManager2 keyward.Role = "manager2"
	roleManager3 keyward.Role = "manager3"
	roleRosa     keyward.Role = "rosa" // a holder user linked to the holder Rosa
)

// copyAPI is a test app whose every answer is kept, to look for the card in
// them, with a log written to a buffer for the same reason.
type copyAPI struct {
	*testApp
	log     *syncBuffer
	mu      sync.Mutex
	answers []string
	ids     map[string]string // holder ids by name
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// newCopyAPI starts an app with two more managers, the holders Rosa and Ivo,
// and a holder account for Rosa.
func newCopyAPI(t *testing.T, b storetest.Backend) *copyAPI {
	t.Helper()
	buf := &syncBuffer{}
	app := newTestAppWith(t, b, func(c *web.Config) {
		c.Log = slog.New(slog.NewTextHandler(buf, &slog.HandlerOptions{Level: slog.LevelDebug}))
	})
	c := &copyAPI{testApp: app, log: buf, ids: map[string]string{}}
	for _, name := range []string{"Rosa Vega", "Ivo Brandt"} {
		var h map[string]any
		if st := c.call(keyward.RoleOwner, "POST", "/api/v1/holders", map[string]any{"name": name, "email": strings.ToLower(strings.Fields(name)[0]) + "@acme.test"}, &h); st != 201 {
			t.Fatalf("create holder %s: %d", name, st)
		}
		c.ids[name] = h["id"].(string)
	}
	acc, sys := app.db.Accounts(app.env.Vault), keyward.SystemActor("test")
	for role, in := range map[keyward.Role]store.UserInput{
		roleManager2: {Email: "noor@acme.test", Name: "Noor", Role: keyward.RoleManager},
		roleManager3: {Email: "olu@acme.test", Name: "Olu", Role: keyward.RoleManager},
		roleRosa:     {Email: "rosa.user@acme.test", Name: "Rosa", Role: keyward.RoleHolder, HolderID: c.ids["Rosa Vega"]},
	} {
		// A chosen password: a generated one must be replaced before any page.
		in.Password = "the own passphrase of " + in.Email
		u, _, err := acc.CreateUser(context.Background(), sys, in)
		if err != nil {
			t.Fatal(err)
		}
		tok, err := acc.CreateToken(context.Background(), sys, u.Email, "test")
		if err != nil {
			t.Fatal(err)
		}
		app.tokens[role] = tok
	}
	return c
}

// do sends body (JSON-encoded unless a string) as role, keeps the answer and
// returns its status, decoded object and problem.
func (c *copyAPI) do(role keyward.Role, method, path string, body any) (int, map[string]any, problem) {
	c.t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	default:
		j, _ := json.Marshal(b)
		rd = bytes.NewReader(j)
	}
	req, _ := http.NewRequest(method, c.http.URL+path, rd)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+c.tokens[role])
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	c.mu.Lock()
	c.answers = append(c.answers, string(raw))
	c.mu.Unlock()
	var out map[string]any
	var p problem
	if resp.StatusCode >= 400 {
		if ct := resp.Header.Get("Content-Type"); ct != "application/problem+json" {
			c.t.Fatalf("%s %s: %d with Content-Type %q", method, path, resp.StatusCode, ct)
		}
		_ = json.Unmarshal(raw, &p)
	} else if len(raw) > 0 {
		if err := json.Unmarshal(raw, &out); err != nil {
			c.t.Fatalf("%s %s: %d %s: %v", method, path, resp.StatusCode, raw, err)
		}
	}
	return resp.StatusCode, out, p
}

// want sends a request and wants status; for a 400, the problem names field.
func (c *copyAPI) want(status int, field string, role keyward.Role, method, path string, body any) map[string]any {
	c.t.Helper()
	st, out, p := c.do(role, method, path, body)
	if st != status {
		c.t.Fatalf("%s %s as %s: %d %+v, want %d", method, path, role, st, p, status)
	}
	if field != "" && !hasField(p, field) {
		c.t.Fatalf("%s %s as %s: %+v does not name %s", method, path, role, p, field)
	}
	return out
}

// keywayWithKey creates a keyway of policy and a first key AA<n>-1 on it (as the owner).
func (c *copyAPI) keywayWithKey(name, policy, symbol string) (keywayID, keyID string) {
	c.t.Helper()
	kw := c.want(201, "", keyward.RoleOwner, "POST", "/api/v1/keyways", map[string]any{"name": name, "manufacturer": "Medeco", "duplication_policy": policy})
	k := c.want(201, "", keyward.RoleOwner, "POST", "/api/v1/keys", map[string]any{"keyway_id": kw["id"], "symbol": symbol})
	return kw["id"].(string), k["id"].(string)
}

// restricted makes a restricted keyway with a key, Rosa as its signatory
// and the card on file, set by a manager.
func (c *copyAPI) restricted(name, symbol string) (keywayID, keyID string) {
	c.t.Helper()
	kw, key := c.keywayWithKey(name, keyward.DupRestricted, symbol)
	st, _, _ := c.do(keyward.RoleManager, "PUT", "/api/v1/keyways/"+kw+"/authorization-card", map[string]any{"number": apiCard})
	if st != 200 && st != 204 {
		c.t.Fatalf("set card: %d", st)
	}
	sg := c.want(201, "", keyward.RoleManager, "POST", "/api/v1/keyways/"+kw+"/signatories", map[string]any{"holder_id": c.ids["Rosa Vega"]})
	if sg["holder_id"] != c.ids["Rosa Vega"] {
		c.t.Fatalf("signatory = %v", sg)
	}
	return kw, key
}

func (c *copyAPI) evidence(holder, card, idType string) map[string]any {
	return map[string]any{"signatory_holder_id": holder, "id_type": idType, "id_last4": "4821", "authorization_card": card}
}

// wantCardNowhere looks for the card number in every answer, the log and the audit table.
func (c *copyAPI) wantCardNowhere() {
	c.t.Helper()
	c.mu.Lock()
	answers := strings.Join(c.answers, "\n")
	c.mu.Unlock()
	for _, probe := range []string{apiCard, "552091"} {
		if strings.Contains(answers, probe) {
			c.t.Fatalf("an answer holds the card number %s", probe)
		}
		if strings.Contains(c.log.String(), probe) {
			c.t.Fatalf("the log holds the card number %s", probe)
		}
		if n := c.count(`SELECT COUNT(*) FROM audit_log WHERE details LIKE '%` + probe + `%'`); n != 0 {
			c.t.Fatalf("%d audit records hold the card number %s", n, probe)
		}
	}
	if !strings.Contains(c.log.String(), "/authorization-card") {
		c.t.Fatal("the log has no line of the card's request: the check looked at nothing")
	}
}

// TestAPICopyRestricted walks a restricted request through the API, from the
// manager's request to the hand-over, with every refusal on the way, and
// looks for the card in every answer, the log and the audit table.
func TestAPICopyRestricted(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		c := newCopyAPI(t, b)
		rosa, ivo := c.ids["Rosa Vega"], c.ids["Ivo Brandt"]
		kw, key := c.restricted("Medeco M3", "AA1")
		// The keyway's control: the card is on file, never shown.
		ctl := c.want(200, "", keyward.RoleAuditor, "GET", "/api/v1/keyways/"+kw+"/control", nil)
		if ctl["has_card"] != true || len(ctl["signatories"].([]any)) != 1 {
			t.Fatalf("control = %v", ctl)
		}
		c.want(403, "", keyward.RoleAdvisor, "PUT", "/api/v1/keyways/"+kw+"/authorization-card", map[string]any{"number": "X"})
		c.want(400, "number", keyward.RoleManager, "PUT", "/api/v1/keyways/"+kw+"/authorization-card", map[string]any{"number": " "})
		c.want(404, "", keyward.RoleManager, "PUT", "/api/v1/keyways/kwy_nope/authorization-card", map[string]any{"number": "X"})
		c.want(409, "", keyward.RoleManager, "POST", "/api/v1/keyways/"+kw+"/signatories", map[string]any{"holder_id": rosa})
		c.want(400, "until", keyward.RoleManager, "POST", "/api/v1/keyways/"+kw+"/signatories", map[string]any{"holder_id": ivo, "until": "2020-01-01T00:00:00Z"})

		// count: 1 to 20, a whole number.
		for _, bad := range []string{`0`, `21`, `"3"`, `2.5`, `-1`, `null`} {
			c.want(400, "count", keyward.RoleManager, "POST", "/api/v1/copy-requests", `{"key_id":"`+key+`","count":`+bad+`,"reason":"new tenant"}`)
		}
		c.want(400, "count", keyward.RoleManager, "POST", "/api/v1/copy-requests", map[string]any{"key_id": key, "reason": "new tenant"})
		c.want(400, "reason", keyward.RoleManager, "POST", "/api/v1/copy-requests", map[string]any{"key_id": key, "count": 1})
		c.want(400, "key_id", keyward.RoleManager, "POST", "/api/v1/copy-requests", map[string]any{"key_id": "key_nope", "count": 1, "reason": "x"})
		c.want(400, "", keyward.RoleManager, "POST", "/api/v1/copy-requests", `{"key_id":"`+key+`","count":1,"Count":2,"reason":"x"}`)
		c.want(400, "colour", keyward.RoleManager, "POST", "/api/v1/copy-requests", map[string]any{"key_id": key, "count": 1, "reason": "x", "colour": "red"})
		c.want(403, "", keyward.RoleAuditor, "POST", "/api/v1/copy-requests", map[string]any{"key_id": key, "count": 1, "reason": "x"})

		r := c.want(201, "", keyward.RoleManager, "POST", "/api/v1/copy-requests", map[string]any{"key_id": key, "count": 2, "reason": "new tenant in unit 4"})
		id, _ := r["id"].(string)
		if id == "" || r["state"] != "requested" {
			t.Fatalf("new request = %v", r)
		}
		path := "/api/v1/copy-requests/" + id
		// No approval before the evidence.
		c.want(409, "", roleManager2, "POST", path+"/approve", map[string]any{})
		// Evidence: a wrong card, a holder who is no signatory, a bad ID type.
		c.want(400, "authorization_card", keyward.RoleAdvisor, "POST", path+"/evidence", c.evidence(rosa, "RX-5520-92", "passport"))
		c.want(400, "signatory_holder_id", keyward.RoleAdvisor, "POST", path+"/evidence", c.evidence(ivo, apiCard, "passport"))
		c.want(400, "id_type", keyward.RoleAdvisor, "POST", path+"/evidence", c.evidence(rosa, apiCard, "library_card"))
		c.want(403, "", keyward.RoleTechnician, "POST", path+"/evidence", c.evidence(rosa, apiCard, "passport"))
		st, _, _ := c.rawCall(keyward.RoleAdvisor, "POST", path+"/evidence", `{}`, map[string]string{"Idempotency-Key": "ev-1"})
		if st != 400 {
			t.Fatalf("evidence with Idempotency-Key: %d, want 400 (the body holds a secret)", st)
		}
		// A common spelling of the ID type is accepted as ours.
		r = c.want(200, "", keyward.RoleAdvisor, "POST", path+"/evidence", c.evidence(rosa, strings.ToLower(apiCard), "drivers_license"))
		ev, _ := r["evidence"].(map[string]any)
		if r["state"] != "evidence_accepted" || ev["id_type"] != "driving_licence" || ev["signatory_name"] != "Rosa Vega" || ev["card_matched"] != true {
			t.Fatalf("after evidence: %v", r)
		}
		// The requester never approves; a holder does not even see another's request.
		c.want(403, "", keyward.RoleManager, "POST", path+"/approve", map[string]any{})
		c.want(404, "", roleRosa, "POST", path+"/approve", nil)
		c.want(400, "", roleManager2, "POST", path+"/approve", map[string]any{"ok": true})
		// Production before approval.
		c.want(409, "", keyward.RoleTechnician, "POST", path+"/produce", map[string]any{})
		if r = c.want(200, "", roleManager2, "POST", path+"/approve", map[string]any{}); r["state"] != "approved" {
			t.Fatalf("approve = %v", r)
		}
		c.want(409, "", roleManager3, "POST", path+"/approve", map[string]any{})
		r = c.want(200, "", keyward.RoleTechnician, "POST", path+"/produce", map[string]any{})
		keys, _ := r["keys"].([]any)
		if r["state"] != "produced" || len(keys) != 2 {
			t.Fatalf("produce = %v", r)
		}
		for i, k := range keys {
			km := k.(map[string]any)
			if km["copy_number"] != float64(i+2) || km["status"] != "in_storage" || km["origin"] != "produced" {
				t.Fatalf("produced key %d = %v", i, km)
			}
		}
		c.want(409, "", keyward.RoleTechnician, "POST", path+"/produce", map[string]any{})
		var list struct{ Items []map[string]any }
		if app := c.testApp; app.call(keyward.RoleOwner, "GET", "/api/v1/keys?symbol=AA1", nil, &list) != 200 || len(list.Items) != 3 {
			t.Fatalf("copies of AA1 after producing twice: %d, want 3", len(list.Items))
		}
		c.want(409, "", keyward.RoleOwner, "POST", path+"/cancel", map[string]any{"reason": "too late"})
		c.want(400, "holder_id", keyward.RoleAdvisor, "POST", path+"/hand-over", map[string]any{"holder_id": "hld_nope"})
		r = c.want(200, "", keyward.RoleAdvisor, "POST", path+"/hand-over", map[string]any{"holder_id": rosa})
		for _, k := range r["keys"].([]any) {
			if km := k.(map[string]any); km["status"] != "issued" || km["holder_id"] != rosa {
				t.Fatalf("handed over = %v", km)
			}
		}
		got := c.want(200, "", keyward.RoleAuditor, "GET", path, nil)
		if got["state"] != "handed_over" || len(got["history"].([]any)) != 5 {
			t.Fatalf("request = %v", got)
		}
		k0 := keys[0].(map[string]any)["id"].(string)
		var hist struct{ Items []map[string]any }
		c.call(keyward.RoleOwner, "GET", "/api/v1/keys/"+k0+"/history", nil, &hist)
		if len(hist.Items) != 2 || hist.Items[1]["action"] != "issue" {
			t.Fatalf("logbook of a handed-over copy = %v", hist.Items)
		}
		// Every answer, the audit log as the API shows it, and the log: no card.
		for cursor := ""; ; {
			out := c.want(200, "", keyward.RoleOwner, "GET", "/api/v1/audit?limit=500&cursor="+cursor, nil)
			if cursor, _ = out["next"].(string); cursor == "" {
				break
			}
		}
		c.wantCardNowhere()
	})
}

// TestAPICopySignatoryDenials: a restricted keyway with no signatories, an
// expired and a removed signatory, approval after cancellation.
func TestAPICopySignatoryDenials(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		c := newCopyAPI(t, b)
		rosa, ivo := c.ids["Rosa Vega"], c.ids["Ivo Brandt"]
		// No signatories at all.
		kw0, key0 := c.keywayWithKey("Abloy Protec2", keyward.DupRestricted, "P1")
		c.want(204, "", keyward.RoleOwner, "PUT", "/api/v1/keyways/"+kw0+"/authorization-card", map[string]any{"number": apiCard})
		r := c.want(201, "", keyward.RoleManager, "POST", "/api/v1/copy-requests", map[string]any{"key_id": key0, "count": 1, "reason": "spare"})
		c.want(400, "signatory_holder_id", keyward.RoleAdvisor, "POST", "/api/v1/copy-requests/"+r["id"].(string)+"/evidence", c.evidence(rosa, apiCard, "passport"))

		kw, key := c.restricted("Medeco M3", "AA1")
		// Ivo, registered for an hour; two hours later his registration has ended.
		until := c.env.Clock.Now().Add(time.Hour).Format(time.RFC3339)
		c.want(201, "", keyward.RoleManager, "POST", "/api/v1/keyways/"+kw+"/signatories", map[string]any{"holder_id": ivo, "until": until})
		c.env.Clock.Advance(2 * time.Hour)
		r = c.want(201, "", keyward.RoleManager, "POST", "/api/v1/copy-requests", map[string]any{"key_id": key, "count": 1, "reason": "spare"})
		path := "/api/v1/copy-requests/" + r["id"].(string)
		c.want(400, "signatory_holder_id", keyward.RoleAdvisor, "POST", path+"/evidence", c.evidence(ivo, apiCard, "passport"))
		// Rosa's evidence, then Rosa removed: the request is cancelled, and approval is a conflict.
		c.want(200, "", keyward.RoleAdvisor, "POST", path+"/evidence", c.evidence(rosa, apiCard, "passport"))
		c.want(403, "", keyward.RoleAdvisor, "DELETE", "/api/v1/keyways/"+kw+"/signatories/"+rosa, nil)
		c.want(204, "", keyward.RoleManager, "DELETE", "/api/v1/keyways/"+kw+"/signatories/"+rosa, nil)
		c.want(404, "", keyward.RoleManager, "DELETE", "/api/v1/keyways/"+kw+"/signatories/"+rosa, nil)
		got := c.want(200, "", keyward.RoleOwner, "GET", path, nil)
		if got["state"] != "cancelled" || !strings.Contains(got["decision_reason"].(string), "Rosa Vega was removed") {
			t.Fatalf("after removal = %v", got)
		}
		c.want(409, "", roleManager2, "POST", path+"/approve", map[string]any{})
		// A fresh request: her evidence is refused now.
		r = c.want(201, "", keyward.RoleManager, "POST", "/api/v1/copy-requests", map[string]any{"key_id": key, "count": 1, "reason": "spare"})
		c.want(400, "signatory_holder_id", keyward.RoleAdvisor, "POST", "/api/v1/copy-requests/"+r["id"].(string)+"/evidence", c.evidence(rosa, apiCard, "passport"))
		// Cancelled by hand, then approved: a conflict.
		r = c.want(201, "", keyward.RoleManager, "POST", "/api/v1/copy-requests", map[string]any{"key_id": key, "count": 1, "reason": "spare"})
		p2 := "/api/v1/copy-requests/" + r["id"].(string)
		c.want(400, "reason", keyward.RoleAdvisor, "POST", p2+"/cancel", map[string]any{})
		if got := c.want(200, "", keyward.RoleAdvisor, "POST", p2+"/cancel", map[string]any{"reason": "asked twice"}); got["state"] != "cancelled" {
			t.Fatalf("cancel = %v", got)
		}
		c.want(409, "", roleManager2, "POST", p2+"/approve", map[string]any{})
		c.wantCardNowhere()
	})
}

// TestAPICopyApprovals: deny, escalation to the owner, two managers at once,
// the organization's two approvals and its two-person rule.
func TestAPICopyApprovals(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		c := newCopyAPI(t, b)
		_, key := c.keywayWithKey("Schlage SC1", keyward.DupDND, "AA1")
		newRequest := func() string {
			r := c.want(201, "", keyward.RoleManager, "POST", "/api/v1/copy-requests", map[string]any{"key_id": key, "count": 1, "reason": "spare for the caretaker"})
			if r["state"] != "requested" {
				t.Fatalf("dnd request = %v", r)
			}
			return "/api/v1/copy-requests/" + r["id"].(string)
		}
		// Denied with a reason, by someone else.
		p := newRequest()
		c.want(403, "", keyward.RoleManager, "POST", p+"/deny", map[string]any{"reason": "no"})
		c.want(400, "reason", roleManager2, "POST", p+"/deny", map[string]any{})
		if r := c.want(200, "", roleManager2, "POST", p+"/deny", map[string]any{"reason": "the lease ended"}); r["state"] != "denied" {
			t.Fatalf("deny = %v", r)
		}
		c.want(409, "", roleManager3, "POST", p+"/approve", nil)
		// Escalated: only the owner decides.
		p = newRequest()
		if r := c.want(200, "", keyward.RoleAdvisor, "POST", p+"/escalate", map[string]any{"reason": "the letter is unsigned"}); r["state"] != "escalated" {
			t.Fatalf("escalate = %v", r)
		}
		c.want(403, "", keyward.RoleAdmin, "POST", p+"/approve", map[string]any{})
		c.want(403, "", roleManager2, "POST", p+"/deny", map[string]any{"reason": "no"})
		if r := c.want(200, "", keyward.RoleOwner, "POST", p+"/approve", map[string]any{}); r["state"] != "approved" {
			t.Fatalf("the owner's decision = %v", r)
		}
		// Two managers at once: one approves, the other gets 409.
		race := func(path string, roles ...keyward.Role) []int {
			out := make([]int, len(roles))
			var wg sync.WaitGroup
			for i, role := range roles {
				wg.Add(1)
				go func() {
					defer wg.Done()
					out[i], _, _ = c.do(role, "POST", path+"/approve", map[string]any{})
				}()
			}
			wg.Wait()
			return out
		}
		p = newRequest()
		if got := race(p, roleManager2, roleManager3); !(got[0] == 200 && got[1] == 409 || got[0] == 409 && got[1] == 200) {
			t.Fatalf("two approvals at once: %v, want one 200 and one 409", got)
		}
		// The organization asks two approvals: both count, and it is approved exactly once.
		c.want(403, "", keyward.RoleManager, "PUT", "/api/v1/settings/copies", map[string]any{"approvals_required": 2})
		c.want(400, "approvals_required", keyward.RoleOwner, "PUT", "/api/v1/settings/copies", map[string]any{"approvals_required": 4})
		c.want(200, "", keyward.RoleOwner, "PUT", "/api/v1/settings/copies", map[string]any{"approvals_required": 2})
		if s := c.want(200, "", keyward.RoleAdvisor, "GET", "/api/v1/settings/copies", nil); s["approvals_required"] != float64(2) || s["two_person_rule"] != false {
			t.Fatalf("settings = %v", s)
		}
		p = newRequest()
		if got := race(p, roleManager2, roleManager3); got[0] != 200 || got[1] != 200 {
			t.Fatalf("two of two approvals at once: %v", got)
		}
		r := c.want(200, "", keyward.RoleOwner, "GET", p, nil)
		approvedLines := 0
		for _, e := range r["history"].([]any) {
			if e.(map[string]any)["state"] == "approved" {
				approvedLines++
			}
		}
		if r["state"] != "approved" || len(r["approvals"].([]any)) != 2 || approvedLines != 1 {
			t.Fatalf("two of two = %v (%d approved lines)", r, approvedLines)
		}
		// The two-person rule on a restricted keyway: the ID checker does not approve.
		c.want(200, "", keyward.RoleOwner, "PUT", "/api/v1/settings/copies", map[string]any{"approvals_required": 1, "two_person_rule": true})
		_, rkey := c.restricted("Medeco M3", "M1")
		rr := c.want(201, "", keyward.RoleManager, "POST", "/api/v1/copy-requests", map[string]any{"key_id": rkey, "count": 1, "reason": "spare"})
		rp := "/api/v1/copy-requests/" + rr["id"].(string)
		c.want(200, "", roleManager2, "POST", rp+"/evidence", c.evidence(c.ids["Rosa Vega"], apiCard, "passport"))
		c.want(403, "", roleManager2, "POST", rp+"/approve", map[string]any{})
		if r := c.want(200, "", roleManager3, "POST", rp+"/approve", map[string]any{}); r["state"] != "approved" {
			t.Fatalf("the other manager = %v", r)
		}
		// Lists narrow by state.
		var page struct{ Items []map[string]any }
		c.call(keyward.RoleAuditor, "GET", "/api/v1/copy-requests?state=denied,escalated", nil, &page)
		if len(page.Items) != 1 || page.Items[0]["state"] != "denied" {
			t.Fatalf("denied or escalated = %v", page.Items)
		}
		c.want(400, "state", keyward.RoleAuditor, "GET", "/api/v1/copy-requests?state=pending", nil)
		c.want(403, "", keyward.RoleHolder, "GET", "/api/v1/settings/copies", nil)
		c.wantCardNowhere()
	})
}

// TestAPICopySelfServiceAndCreatePolicy: a holder asks for copies of a key
// they hold (and not of one they do not), sees only their own; a manager's
// plain create and import of dnd keys are refused; an open keyway's request
// is approved at once.
func TestAPICopySelfServiceAndCreatePolicy(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		c := newCopyAPI(t, b)
		rosa := c.ids["Rosa Vega"]
		kw, key := c.keywayWithKey("Schlage SC1", keyward.DupDND, "AA1")
		// Rosa does not hold the key yet.
		c.want(403, "", roleRosa, "POST", "/api/v1/copy-requests", map[string]any{"key_id": key, "count": 1, "reason": "spare"})
		c.want(200, "", keyward.RoleOwner, "POST", "/api/v1/keys/"+key+"/issue", map[string]any{"holder_id": rosa})
		c.want(403, "", roleRosa, "POST", "/api/v1/copy-requests", map[string]any{"key_id": key, "count": 1, "reason": "spare", "for_holder_id": c.ids["Ivo Brandt"]})
		mine := c.want(201, "", roleRosa, "POST", "/api/v1/copy-requests", map[string]any{"key_id": key, "count": 1, "reason": "a spare for my partner"})
		if mine["state"] != "requested" || mine["for_holder_id"] != rosa {
			t.Fatalf("holder's request = %v", mine)
		}
		other := c.want(201, "", keyward.RoleManager, "POST", "/api/v1/copy-requests", map[string]any{"key_id": key, "count": 1, "reason": "office spare"})
		c.want(200, "", roleRosa, "GET", "/api/v1/copy-requests/"+mine["id"].(string), nil)
		c.want(404, "", roleRosa, "GET", "/api/v1/copy-requests/"+other["id"].(string), nil)
		var page struct{ Items []map[string]any }
		c.call(roleRosa, "GET", "/api/v1/copy-requests", nil, &page)
		if len(page.Items) != 1 || page.Items[0]["id"] != mine["id"] {
			t.Fatalf("Rosa lists %v", page.Items)
		}
		c.want(403, "", keyward.RoleHolder, "POST", "/api/v1/copy-requests", map[string]any{"key_id": key, "count": 1, "reason": "x"})
		c.want(403, "", roleRosa, "POST", "/api/v1/copy-requests/"+mine["id"].(string)+"/approve", nil)
		if r := c.want(200, "", roleRosa, "POST", "/api/v1/copy-requests/"+mine["id"].(string)+"/cancel", map[string]any{"reason": "found the old one"}); r["state"] != "cancelled" {
			t.Fatalf("Rosa's cancel = %v", r)
		}

		// A manager's plain create of a dnd key: 403 pointing to copy requests; the admin registers one.
		_, _, p := c.do(keyward.RoleManager, "POST", "/api/v1/keys", map[string]any{"keyway_id": kw, "symbol": "AA1"})
		if p.Status != 403 || !strings.Contains(p.Detail, "copy request") || !hasField(p, "keyway_id") {
			t.Fatalf("manager's create of a dnd key = %+v", p)
		}
		if k := c.want(201, "", keyward.RoleAdmin, "POST", "/api/v1/keys", map[string]any{"keyway_id": kw, "symbol": "AA1"}); k["copy_number"] != float64(2) || k["status"] != "in_storage" || k["origin"] != "registered" {
			t.Fatalf("admin's registration = %v", k)
		}
		// A manager's import of dnd rows is refused, naming the rows.
		c.want(201, "", keyward.RoleOwner, "POST", "/api/v1/keyways", map[string]any{"name": "Kwikset KW1", "duplication_policy": "open"})
		csv := []byte("symbol,keyway\nB1,Kwikset KW1\nB2,Schlage SC1\nB3,Schlage SC1\n")
		st, _, raw := c.send(keyward.RoleManager, "POST", "/api/v1/imports?dry_run=true", "text/csv", csv)
		var dry struct {
			Rows   int
			Errors []keyward.ImportRowError
		}
		_ = json.Unmarshal(raw, &dry)
		if st != 200 || len(dry.Errors) != 2 || dry.Errors[0].Row != 2 || dry.Errors[1].Row != 3 || dry.Errors[0].Column != "keyway" {
			t.Fatalf("manager's dry run: %d %s", st, raw)
		}
		if st, _, raw := c.send(keyward.RoleManager, "POST", "/api/v1/imports", "text/csv", csv); st != 422 || !strings.Contains(string(raw), `"row":2`) {
			t.Fatalf("manager's import: %d %s", st, raw)
		}
		if st, _, raw := c.send(keyward.RoleOwner, "POST", "/api/v1/imports", "text/csv", csv); st != 201 {
			t.Fatalf("owner's import: %d %s", st, raw)
		}

		// An open keyway: the request is approved at once; any staff role asks; keys are created directly.
		_, okey := c.keywayWithKey("Kwikset KW2", keyward.DupOpen, "K1")
		r := c.want(201, "", keyward.RoleTechnician, "POST", "/api/v1/copy-requests", map[string]any{"key_id": okey, "count": 3})
		if r["state"] != "approved" {
			t.Fatalf("open request = %v", r)
		}
		if r = c.want(200, "", keyward.RoleTechnician, "POST", "/api/v1/copy-requests/"+r["id"].(string)+"/produce", nil); len(r["keys"].([]any)) != 3 {
			t.Fatalf("open production = %v", r)
		}
		okw := c.want(201, "", keyward.RoleOwner, "POST", "/api/v1/keyways", map[string]any{"name": "Kwikset KW3", "duplication_policy": "open"})
		if k := c.want(201, "", keyward.RoleManager, "POST", "/api/v1/keys", map[string]any{"keyway_id": okw["id"], "symbol": "Z9"}); k["copy_number"] != float64(1) || k["status"] != "in_storage" {
			t.Fatalf("manager's create on an open keyway = %v", k)
		}
	})
}

// TestUIManagerAddKeyOnDNDKeyway: the key list's "Add a key" form shows a
// manager's refusal beside the keyway, in words, and creates nothing.
func TestUIManagerAddKeyOnDNDKeyway(t *testing.T) {
	app := newTestApp(t, storetest.SQLite)
	var kw map[string]any
	app.call(keyward.RoleOwner, "POST", "/api/v1/keyways", map[string]any{"name": "Schlage SC1", "duplication_policy": "dnd"}, &kw)
	s := app.pageSession(keyward.RoleManager)
	st, body := s.do("POST", "/keys", map[string][]string{"csrf": {s.CSRF}, "keyway_id": {kw["id"].(string)}, "symbol": {"AA1"}})
	if st != http.StatusForbidden {
		t.Fatalf("manager's Add key on a dnd keyway: %d", st)
	}
	doc := uiParse(t, body)
	fe := doc.find(uiAttr("class", "field-error"))
	if fe == nil || !strings.Contains(fe.Text(), "copy request") {
		t.Fatalf("no refusal beside the keyway:\n%s", body)
	}
	if !strings.Contains(body, "Add a key") || !strings.Contains(body, `value="AA1"`) {
		t.Fatal("the form is not shown again with what was typed")
	}
	if n := app.count(`SELECT COUNT(*) FROM keys`); n != 0 {
		t.Fatalf("%d keys created", n)
	}
}
