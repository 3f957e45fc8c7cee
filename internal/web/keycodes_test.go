package web_test

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/keyward/keyward/internal/keyward"
	"github.com/keyward/keyward/internal/store/storetest"
)

// The key code of the key code tests: only the authorized reveal's answer may hold it.
const (
	apiKeyCode = "K7Q4-19XZ"
	goodVIN    = "1M8GDM9AXKP042788" // its check digit (X) matches
	badDigit   = "1M8GDM9A1KP042788" // well formed, the check digit does not match
)

// codeFixture is a vehicle key code recorded by the technician, and the path of its record.
func (c *copyAPI) keyCode(vin string) (id, path string) {
	c.t.Helper()
	k := c.want(201, "", keyward.RoleTechnician, "POST", "/api/v1/key-codes",
		map[string]any{"vin": vin, "code": apiKeyCode, "source": "code_service", "source_ref": "order 88-231", "description": "2019 Ford Transit"})
	id, _ = k["id"].(string)
	if id == "" {
		c.t.Fatalf("new key code = %v", k)
	}
	return id, "/api/v1/key-codes/" + id
}

// approvedRequest is a request by the advisor, approved by a manager.
func (c *copyAPI) approvedRequest(codeID string) string {
	c.t.Helper()
	r := c.want(201, "", keyward.RoleAdvisor, "POST", "/api/v1/code-requests",
		map[string]any{"key_code_id": codeID, "relationship": "owner", "reason": "all keys lost", "id_type": "passport", "id_last4": "4821", "registration_ref": "V5C 7731"})
	id := r["id"].(string)
	c.want(200, "", keyward.RoleManager, "POST", "/api/v1/code-requests/"+id+"/approve", map[string]any{})
	return id
}

func (c *copyAPI) deniedReveals() int64 {
	c.t.Helper()
	return c.count(`SELECT COUNT(*) FROM audit_log WHERE action = 'denied.code.reveal'`)
}

// TestAPIKeyCodeContract checks the routes the outside contract names: their
// statuses, their fields, the 400s naming the field, 403 against 409, and
// roles "or above".
func TestAPIKeyCodeContract(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		c := newCopyAPI(t, b)
		// A VIN: upper-cased, then 17 characters of A-Z0-9 without I, O, Q.
		for _, bad := range []string{"1M8GDM9AXKP04278", "1M8GDM9AXKP0427888", "1M8GDM9AXKP04278I", "1M8GDM9AXKP04278O", "1M8GDM9AXKP04278Q", "1M8GDM9AXKP04278*"} {
			c.want(400, "vin", keyward.RoleTechnician, "POST", "/api/v1/key-codes", map[string]any{"vin": bad, "code": apiKeyCode, "source": "internal", "source_ref": "x"})
		}
		c.want(400, "source", keyward.RoleTechnician, "POST", "/api/v1/key-codes", map[string]any{"vin": goodVIN, "code": apiKeyCode, "source": "forum", "source_ref": "x"})
		c.want(400, "code", keyward.RoleTechnician, "POST", "/api/v1/key-codes", map[string]any{"vin": goodVIN, "code": "", "source": "internal", "source_ref": "x"})
		c.want(400, "vin", keyward.RoleTechnician, "POST", "/api/v1/key-codes", map[string]any{"code": apiKeyCode, "source": "internal", "source_ref": "x"})
		c.want(400, "opening_id", keyward.RoleTechnician, "POST", "/api/v1/key-codes", map[string]any{"opening_id": "opn_nope", "code": apiKeyCode, "source": "internal", "source_ref": "x"})
		c.want(400, "colour", keyward.RoleTechnician, "POST", "/api/v1/key-codes", map[string]any{"vin": goodVIN, "code": apiKeyCode, "source": "internal", "colour": "red"})
		// Only whoever may know a code records one.
		for _, role := range []keyward.Role{keyward.RoleAdvisor, keyward.RoleManager, keyward.RoleAuditor, keyward.RoleHolder} {
			c.want(403, "", role, "POST", "/api/v1/key-codes", map[string]any{"vin": goodVIN, "code": apiKeyCode, "source": "internal", "source_ref": "x"})
		}
		// Lower case is upper-cased first; a bad check digit is accepted with a warning naming vin.
		k := c.want(201, "", keyward.RoleOwner, "POST", "/api/v1/key-codes", map[string]any{"vin": strings.ToLower(goodVIN), "code": apiKeyCode, "source": "manufacturer", "source_ref": "x"})
		if k["vin"] != goodVIN || k["warnings"] != nil || k["code"] != nil {
			t.Fatalf("key code = %v", k)
		}
		w := c.want(201, "", keyward.RoleAdmin, "POST", "/api/v1/key-codes", map[string]any{"vin": badDigit, "code": apiKeyCode, "source": "internal", "source_ref": "x"})
		warns, _ := w["warnings"].([]any)
		if len(warns) != 1 || warns[0].(map[string]any)["field"] != "vin" {
			t.Fatalf("a bad check digit: warnings = %v", w["warnings"])
		}
		site := c.want(201, "", keyward.RoleOwner, "POST", "/api/v1/sites", map[string]any{"name": "Depot"})
		door := c.want(201, "", keyward.RoleOwner, "POST", "/api/v1/openings", map[string]any{"site_id": site["id"], "name": "Yard gate", "kind": "gate"})
		lock := c.want(201, "", keyward.RoleTechnician, "POST", "/api/v1/key-codes", map[string]any{"opening_id": door["id"], "code": "5521", "source": "internal"})
		if lock["opening_id"] != door["id"] || lock["vin"] != nil {
			t.Fatalf("lock code = %v", lock)
		}

		codeID, path := c.keyCode(goodVIN)
		// Requests: relationship owner, agent or fleet; 201 {"id","state":"requested"}.
		c.want(400, "relationship", keyward.RoleAdvisor, "POST", "/api/v1/code-requests", map[string]any{"key_code_id": codeID, "relationship": "cousin", "reason": "x"})
		c.want(400, "key_code_id", keyward.RoleAdvisor, "POST", "/api/v1/code-requests", map[string]any{"key_code_id": "kc_nope", "relationship": "owner", "reason": "x"})
		c.want(400, "reason", keyward.RoleAdvisor, "POST", "/api/v1/code-requests", map[string]any{"key_code_id": codeID, "relationship": "owner"})
		c.want(403, "", keyward.RoleTechnician, "POST", "/api/v1/code-requests", map[string]any{"key_code_id": codeID, "relationship": "owner", "reason": "x"})
		byMgr := c.want(201, "", keyward.RoleManager, "POST", "/api/v1/code-requests", map[string]any{"key_code_id": codeID, "relationship": "agent", "reason": "dealer asks"})
		if byMgr["state"] != "requested" || byMgr["id"] == "" {
			t.Fatalf("request = %v", byMgr)
		}
		mgrReq := "/api/v1/code-requests/" + byMgr["id"].(string)
		// The requester never approves (403, recorded); advisor and technician are not approvers (403).
		before := c.count(`SELECT COUNT(*) FROM audit_log WHERE action = 'denied.code.approve'`)
		c.want(403, "", keyward.RoleManager, "POST", mgrReq+"/approve", map[string]any{})
		if after := c.count(`SELECT COUNT(*) FROM audit_log WHERE action = 'denied.code.approve'`); after != before+1 {
			t.Fatalf("the requester's approval was not recorded (%d → %d)", before, after)
		}
		c.want(403, "", keyward.RoleAdvisor, "POST", mgrReq+"/approve", map[string]any{})
		c.want(403, "", keyward.RoleTechnician, "POST", mgrReq+"/approve", map[string]any{})
		ap := c.want(200, "", roleManager2, "POST", mgrReq+"/approve", nil)
		if ap["state"] != "approved" || ap["expires_at"] == nil {
			t.Fatalf("approved = %v", ap)
		}
		c.want(409, "", keyward.RoleAdmin, "POST", mgrReq+"/approve", map[string]any{})

		reqID := c.approvedRequest(codeID)
		reveal := map[string]any{"request_id": reqID, "reason": "cutting a replacement key"}
		// Never the advisor or the manager: 403, each recorded.
		denied := c.deniedReveals()
		c.want(403, "", keyward.RoleAdvisor, "POST", path+"/reveal", reveal)
		c.want(403, "", keyward.RoleManager, "POST", path+"/reveal", reveal)
		c.want(403, "", keyward.RoleAuditor, "POST", path+"/reveal", reveal)
		if got := c.deniedReveals(); got != denied+3 {
			t.Fatalf("refused reveals recorded: %d, want %d", got, denied+3)
		}
		c.want(400, "reason", keyward.RoleTechnician, "POST", path+"/reveal", map[string]any{"request_id": reqID})
		c.want(404, "", keyward.RoleTechnician, "POST", "/api/v1/key-codes/kc_nope/reveal", reveal)
		// Without an approved request for this code: 409, recorded.
		denied = c.deniedReveals()
		c.want(409, "", keyward.RoleTechnician, "POST", path+"/reveal", map[string]any{"reason": "x"})
		c.want(409, "", keyward.RoleTechnician, "POST", path+"/reveal", map[string]any{"request_id": "cq_nope", "reason": "x"})
		pending := c.want(201, "", keyward.RoleAdvisor, "POST", "/api/v1/code-requests", map[string]any{"key_code_id": codeID, "relationship": "owner", "reason": "x"})
		c.want(409, "", keyward.RoleTechnician, "POST", path+"/reveal", map[string]any{"request_id": pending["id"], "reason": "x"})
		otherCode, _ := c.keyCode("11111111111111111")
		c.want(409, "", keyward.RoleTechnician, "POST", "/api/v1/key-codes/"+otherCode+"/reveal", reveal)
		if got := c.deniedReveals(); got != denied+4 {
			t.Fatalf("refused reveals recorded: %d, want %d", got, denied+4)
		}
		// A technician, an admin and the owner may reveal; 200 {"code","expires_at"}.
		for _, role := range []keyward.Role{keyward.RoleTechnician, keyward.RoleAdmin, keyward.RoleOwner} {
			st, out, p := c.do(role, "POST", path+"/reveal", reveal)
			if st != 200 || out["code"] != apiKeyCode || out["expires_at"] == nil {
				t.Fatalf("reveal as %s: %d %v %+v", role, st, out, p)
			}
			exp, err := time.Parse(time.RFC3339, out["expires_at"].(string))
			if err != nil || !exp.Equal(c.env.Clock.Now().Add(60*time.Second)) {
				t.Fatalf("expires_at = %v (%v), want 60 s from now", out["expires_at"], err)
			}
		}
		// The approval allows 3 reveals: the 4th is a 409.
		c.want(409, "", keyward.RoleTechnician, "POST", path+"/reveal", reveal)
		list := c.want(200, "", keyward.RoleAuditor, "GET", path+"/reveals", nil)
		if items := list["items"].([]any); len(items) != 3 {
			t.Fatalf("reveals = %v", list)
		}

		// An expired approval: 409.
		late := c.approvedRequest(codeID)
		c.env.Clock.Advance(24*time.Hour + time.Second)
		c.want(409, "", keyward.RoleTechnician, "POST", path+"/reveal", map[string]any{"request_id": late, "reason": "x"})

		// An incident: 201; reveals 409 until it is closed.
		fresh := c.approvedRequest(codeID)
		inc := c.want(201, "", keyward.RoleAdvisor, "POST", path+"/incidents", map[string]any{"note": "work order photographed by a customer"})
		if inc["id"] == nil || len(inc["reveals"].([]any)) != 3 || inc["exposure"] == nil {
			t.Fatalf("incident = %v", inc)
		}
		c.want(409, "", keyward.RoleAdvisor, "POST", path+"/incidents", map[string]any{"note": "again"})
		c.want(400, "note", keyward.RoleAdvisor, "POST", path+"/incidents", map[string]any{"note": ""})
		c.want(409, "", keyward.RoleTechnician, "POST", path+"/reveal", map[string]any{"request_id": fresh, "reason": "x"})
		c.want(403, "", keyward.RoleAdvisor, "POST", "/api/v1/code-incidents/"+inc["id"].(string)+"/close", map[string]any{"note": "x"})
		c.want(200, "", keyward.RoleManager, "POST", "/api/v1/code-incidents/"+inc["id"].(string)+"/close", map[string]any{"note": "the photo showed no code"})
		c.want(200, "", keyward.RoleTechnician, "POST", path+"/reveal", map[string]any{"request_id": fresh, "reason": "x"})
		// The exposure stays open until resolved.
		ex := c.want(200, "", keyward.RoleAuditor, "GET", "/api/v1/code-exposures?open=true", nil)
		if items := ex["items"].([]any); len(items) != 1 || items[0].(map[string]any)["remedy"] != "reprogram" {
			t.Fatalf("open exposures = %v", ex)
		}
		expID := ex["items"].([]any)[0].(map[string]any)["id"].(string)
		c.want(200, "", keyward.RoleTechnician, "POST", "/api/v1/code-exposures/"+expID+"/resolve", map[string]any{"note": "keys re-programmed, old ones erased"})
		c.want(409, "", keyward.RoleTechnician, "POST", "/api/v1/code-exposures/"+expID+"/resolve", map[string]any{"note": "again"})

		// Disposal: reveals are 409 from then on.
		c.want(409, "", keyward.RoleManager, "POST", path+"/dispose", map[string]any{"note": "x"}) // a job is approved
		c.want(200, "", keyward.RoleTechnician, "POST", "/api/v1/code-requests/"+fresh+"/done", map[string]any{"note": "key cut and tested"})
		for _, id := range []string{reqID, late} {
			c.want(200, "", keyward.RoleAdvisor, "POST", "/api/v1/code-requests/"+id+"/cancel", map[string]any{"note": "done elsewhere"})
		}
		c.want(200, "", roleManager2, "POST", mgrReq+"/cancel", map[string]any{"note": "not needed"})
		c.want(200, "", keyward.RoleAdvisor, "POST", "/api/v1/code-requests/"+pending["id"].(string)+"/cancel", map[string]any{"note": "not needed"})
		again := c.approvedRequest(codeID)
		c.want(200, "", keyward.RoleAdvisor, "POST", "/api/v1/code-requests/"+again+"/cancel", map[string]any{"note": "changed mind"})
		disp := c.want(200, "", keyward.RoleManager, "POST", path+"/dispose", map[string]any{"note": "customer asked us to forget it"})
		if disp["disposal"] == nil {
			t.Fatalf("disposed = %v", disp)
		}
		c.want(409, "", keyward.RoleTechnician, "POST", path+"/reveal", map[string]any{"request_id": again, "reason": "x"})
		c.want(409, "", keyward.RoleAdvisor, "POST", "/api/v1/code-requests", map[string]any{"key_code_id": codeID, "relationship": "owner", "reason": "x"})
		if n := c.count(`SELECT COUNT(*) FROM key_codes WHERE id = '` + codeID + `' AND code_sealed IS NOT NULL`); n != 0 {
			t.Fatal("a disposed code still has its sealed value")
		}
	})
}

// TestAPIKeyCodeEvidenceRules: an organization that requires evidence gets
// a 409 at approval until it is recorded; a fleet's authorization counts
// only for the vehicles it lists; the checklist ticks from the records.
func TestAPIKeyCodeEvidenceRules(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		c := newCopyAPI(t, b)
		c.want(403, "", keyward.RoleManager, "PUT", "/api/v1/settings/key-codes", map[string]any{"approval_hours": 4, "max_reveals": 1, "reveal_seconds": 30, "retention_days": 30, "evidence": map[string]any{}})
		c.want(400, "max_reveals", keyward.RoleOwner, "PUT", "/api/v1/settings/key-codes", map[string]any{"approval_hours": 4, "max_reveals": 0, "reveal_seconds": 30, "retention_days": 30, "evidence": map[string]any{}})
		set := c.want(200, "", keyward.RoleOwner, "PUT", "/api/v1/settings/key-codes", map[string]any{"approval_hours": 4, "max_reveals": 1, "reveal_seconds": 30, "retention_days": 30,
			"evidence": map[string]any{"owner": []string{"registration_document", "id_checked"}, "fleet": []string{"fleet_authorization"}}})
		if ev := set["evidence"].(map[string]any); len(ev["owner"].([]any)) != 2 {
			t.Fatalf("settings = %v", set)
		}
		codeID, path := c.keyCode(goodVIN)
		r := c.want(201, "", keyward.RoleAdvisor, "POST", "/api/v1/code-requests", map[string]any{"key_code_id": codeID, "relationship": "owner", "reason": "lost keys", "channel": "phone", "id_type": "passport", "id_last4": "4821"})
		id := r["id"].(string)
		if m := r["missing"].([]any); len(m) != 1 || m[0] != "registration_document" {
			t.Fatalf("missing = %v", r["missing"])
		}
		c.want(409, "", keyward.RoleManager, "POST", "/api/v1/code-requests/"+id+"/approve", map[string]any{})
		c.want(400, "id_last4", keyward.RoleAdvisor, "POST", "/api/v1/code-requests/"+id+"/evidence", map[string]any{"id_type": "passport", "id_last4": "48"})
		c.want(200, "", keyward.RoleAdvisor, "POST", "/api/v1/code-requests/"+id+"/evidence", map[string]any{"registration_ref": "V5C 7731"})
		ap := c.want(200, "", keyward.RoleManager, "POST", "/api/v1/code-requests/"+id+"/approve", map[string]any{})
		if ap["max_reveals"] != float64(1) {
			t.Fatalf("approved = %v", ap)
		}
		st, out, _ := c.do(keyward.RoleTechnician, "POST", path+"/reveal", map[string]any{"request_id": id, "reason": "cut key"})
		exp, _ := time.Parse(time.RFC3339, out["expires_at"].(string))
		if st != 200 || !exp.Equal(c.env.Clock.Now().Add(30*time.Second)) {
			t.Fatalf("reveal = %d %v", st, out)
		}
		c.want(409, "", keyward.RoleTechnician, "POST", path+"/reveal", map[string]any{"request_id": id, "reason": "cut key"})

		// A fleet: its authorization counts only for the vehicles it lists.
		fleet := c.want(201, "", keyward.RoleManager, "POST", "/api/v1/fleets", map[string]any{"name": "Harbour Vans", "authorization_ref": "standing order 2026-04"})
		fp := "/api/v1/fleets/" + fleet["id"].(string)
		fr := c.want(201, "", keyward.RoleAdvisor, "POST", "/api/v1/code-requests", map[string]any{"key_code_id": codeID, "relationship": "fleet", "reason": "spare", "fleet_id": fleet["id"], "requester_name": "Lee Chan"})
		frp := "/api/v1/code-requests/" + fr["id"].(string)
		c.want(409, "", keyward.RoleManager, "POST", frp+"/approve", map[string]any{})
		c.want(400, "vin", keyward.RoleManager, "POST", fp+"/vehicles", map[string]any{"vin": "NOT-A-VIN"})
		fv := c.want(201, "", keyward.RoleManager, "POST", fp+"/vehicles", map[string]any{"vin": strings.ToLower(goodVIN)})
		if len(fv["vehicles"].([]any)) != 1 {
			t.Fatalf("fleet = %v", fv)
		}
		c.want(409, "", keyward.RoleManager, "POST", fp+"/vehicles", map[string]any{"vin": goodVIN})
		job := c.want(200, "", keyward.RoleManager, "POST", frp+"/approve", map[string]any{})
		ticks := ""
		for _, it := range job["checklist"].([]any) {
			if it.(map[string]any)["done"] == true {
				ticks += "Y"
			} else {
				ticks += "."
			}
		}
		if ticks != "YYY.." {
			t.Fatalf("checklist = %s %v", ticks, job["checklist"])
		}
		c.want(404, "", keyward.RoleManager, "DELETE", fp+"/vehicles/11111111111111111", nil)
		c.want(200, "", keyward.RoleManager, "DELETE", fp+"/vehicles/"+goodVIN, nil)
	})
}

// TestKeyCodesNeverLeak runs the whole flow with the log at debug level and
// looks for the code everywhere: every answer but the authorized reveal's,
// the log, the audit log, the outbox (emails and webhooks), the exports,
// error bodies, a backup file and every column of every table.
func TestKeyCodesNeverLeak(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		c := newCopyAPI(t, b)
		ctx := context.Background()
		hook := c.want(201, "", keyward.RoleOwner, "POST", "/api/v1/webhooks", map[string]any{"url": "http://127.0.0.1:9/hook", "secret": "a webhook secret of 32 characters!",
			"events": []string{"secret.revealed", "code.incident"}})
		if hook["id"] == nil {
			t.Fatalf("webhook = %v", hook)
		}
		fleet := c.want(201, "", keyward.RoleManager, "POST", "/api/v1/fleets", map[string]any{"name": "Harbour Vans", "authorization_ref": "standing order 2026-04"})
		c.want(201, "", keyward.RoleManager, "POST", "/api/v1/fleets/"+fleet["id"].(string)+"/vehicles", map[string]any{"vin": goodVIN})
		codeID, path := c.keyCode(goodVIN)
		c.want(400, "vin", keyward.RoleTechnician, "POST", "/api/v1/key-codes", map[string]any{"vin": "bad", "code": apiKeyCode, "source": "internal"})
		c.want(403, "", keyward.RoleManager, "POST", "/api/v1/key-codes", map[string]any{"vin": goodVIN, "code": apiKeyCode, "source": "internal"})
		r := c.want(201, "", keyward.RoleAdvisor, "POST", "/api/v1/code-requests", map[string]any{"key_code_id": codeID, "relationship": "fleet", "reason": "spare key for van 12",
			"channel": "field", "requester_name": "Lee Chan", "fleet_id": fleet["id"]})
		id := r["id"].(string)
		c.want(200, "", keyward.RoleManager, "POST", "/api/v1/code-requests/"+id+"/approve", map[string]any{})
		c.want(403, "", keyward.RoleAdvisor, "POST", path+"/reveal", map[string]any{"request_id": id, "reason": "x"})
		c.want(403, "", keyward.RoleManager, "POST", path+"/reveal", map[string]any{"request_id": id, "reason": "x"})
		c.want(409, "", keyward.RoleTechnician, "POST", path+"/reveal", map[string]any{"reason": "x"})

		c.mu.Lock()
		n := len(c.answers)
		c.mu.Unlock()
		st, out, _ := c.do(keyward.RoleTechnician, "POST", path+"/reveal", map[string]any{"request_id": id, "reason": "cutting a spare"})
		if st != 200 || out["code"] != apiKeyCode {
			t.Fatalf("the authorized reveal: %d %v", st, out)
		}
		if !strings.Contains(out["words"].(string), "code retrieved from a key code service, revealed to") {
			t.Fatalf("reveal words = %q", out["words"])
		}
		c.mu.Lock()
		c.answers = append(c.answers[:n], c.answers[n+1:]...) // the one answer allowed to hold the code
		c.mu.Unlock()

		inc := c.want(201, "", keyward.RoleTechnician, "POST", path+"/incidents", map[string]any{"note": "work order left on the van's seat"})
		c.want(409, "", keyward.RoleTechnician, "POST", path+"/reveal", map[string]any{"request_id": id, "reason": "x"})
		c.want(200, "", keyward.RoleManager, "POST", "/api/v1/code-incidents/"+inc["id"].(string)+"/close", map[string]any{"note": "order found, nothing copied"})
		c.want(200, "", keyward.RoleTechnician, "POST", "/api/v1/code-requests/"+id+"/done", map[string]any{"note": "spare cut and tested"})
		// The vehicle leaves the fleet; after the retention the scheduler disposes of the code.
		c.want(200, "", keyward.RoleManager, "DELETE", "/api/v1/fleets/"+fleet["id"].(string)+"/vehicles/"+goodVIN, nil)
		c.env.Clock.Advance(31 * 24 * time.Hour)
		if n, err := c.db.DisposeDueCodes(ctx); err != nil || n != 1 {
			t.Fatalf("DisposeDueCodes = %d, %v", n, err)
		}
		c.want(409, "", keyward.RoleTechnician, "POST", path+"/reveal", map[string]any{"request_id": id, "reason": "x"})

		// Read everything a person or a program can read.
		for _, p := range []string{path, path + "/reveals", path + "/incidents", "/api/v1/key-codes", "/api/v1/code-requests", "/api/v1/code-requests/" + id,
			"/api/v1/code-disposals", "/api/v1/code-exposures", "/api/v1/audit?limit=500", "/api/v1/fleets", "/api/v1/settings/key-codes",
			"/api/v1/code-incidents/" + inc["id"].(string), "/api/v1/webhooks/" + hook["id"].(string) + "/deliveries"} {
			c.do(keyward.RoleOwner, "GET", p, nil)
		}
		for _, kind := range []string{"keys", "holders", "logbook"} {
			c.raw(keyward.RoleOwner, "/api/v1/exports/"+kind)
		}
		c.mu.Lock()
		answers := strings.Join(c.answers, "\n")
		c.mu.Unlock()
		if !strings.Contains(answers, "code retrieved from a key code service") || !strings.Contains(answers, "revealed") {
			t.Fatal("the answers read back hold no reveal record: the search looked at nothing")
		}
		if strings.Contains(answers, apiKeyCode) {
			t.Fatal("an answer other than the authorized reveal holds the code")
		}
		logs := c.log.String()
		if !strings.Contains(logs, "/reveal") || !strings.Contains(logs, "level=DEBUG") && !strings.Contains(logs, "level=INFO") {
			t.Fatal("the log has no line of the reveal: the search looked at nothing")
		}
		if strings.Contains(logs, apiKeyCode) {
			t.Fatal("the log holds the code")
		}
		if where := c.env.SQL().TablesHolding(t, apiKeyCode); len(where) != 0 {
			t.Fatalf("the code is in tables %v", where)
		}
		if n := c.count(`SELECT COUNT(*) FROM outbox WHERE event IN ('secret.revealed', 'code.incident')`); n < 2 {
			t.Fatalf("the outbox has %d reveal and incident messages: the search looked at nothing", n)
		}
		if n := c.count(`SELECT COUNT(*) FROM audit_log WHERE action IN ('code.reveal', 'denied.code.reveal', 'code.dispose')`); n < 5 {
			t.Fatalf("%d audit records of reveals and disposal: the search looked at nothing", n)
		}
		backup := filepath.Join(t.TempDir(), "keyward.backup")
		if _, err := c.db.Backup(ctx, backup); err != nil {
			t.Fatal(err)
		}
		raw, err := os.ReadFile(backup)
		if err != nil || len(raw) == 0 {
			t.Fatalf("backup: %v", err)
		}
		if bytes.Contains(raw, []byte(apiKeyCode)) {
			t.Fatal("the backup holds the code")
		}
	})
}

// raw GETs path as role and keeps the answer, whatever its type.
func (c *copyAPI) raw(role keyward.Role, path string) string {
	c.t.Helper()
	req, _ := http.NewRequest("GET", c.http.URL+path, nil)
	req.Header.Set("Authorization", "Bearer "+c.tokens[role])
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 {
		c.t.Fatalf("GET %s: %d %s", path, resp.StatusCode, b)
	}
	c.mu.Lock()
	c.answers = append(c.answers, string(b))
	c.mu.Unlock()
	return string(b)
}

// TestKeyCodeRevealNoStore: the reveal's answer is not cached.
func TestKeyCodeRevealNoStore(t *testing.T) {
	c := newCopyAPI(t, storetest.SQLite)
	codeID, path := c.keyCode(goodVIN)
	id := c.approvedRequest(codeID)
	body := strings.NewReader(`{"request_id":"` + id + `","reason":"cut a key"}`)
	req, _ := http.NewRequest("POST", c.http.URL+path+"/reveal", body)
	req.Header.Set("Authorization", "Bearer "+c.tokens[keyward.RoleTechnician])
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 || resp.Header.Get("Cache-Control") != "no-store" || !strings.Contains(string(raw), apiKeyCode) {
		t.Fatalf("reveal: %d %q %s", resp.StatusCode, resp.Header.Get("Cache-Control"), raw)
	}
	// A replay key is refused: a reveal is never stored to be replayed.
	req, _ = http.NewRequest("POST", c.http.URL+path+"/reveal", strings.NewReader(`{"request_id":"`+id+`","reason":"again"}`))
	req.Header.Set("Authorization", "Bearer "+c.tokens[keyward.RoleTechnician])
	req.Header.Set("Idempotency-Key", "k-1")
	resp2, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp2.Body.Close()
	if resp2.StatusCode != 400 {
		t.Fatalf("a reveal with Idempotency-Key: %d, want 400", resp2.StatusCode)
	}
}

// TestKeyCodePagesEveryRole opens every key code page as each staff role and
// the auditor, and takes the desk's, the manager's and the technician's
// steps through the forms without a browser.
func TestKeyCodePagesEveryRole(t *testing.T) {
	c := newCopyAPI(t, storetest.SQLite)
	fleet := c.want(201, "", keyward.RoleManager, "POST", "/api/v1/fleets", map[string]any{"name": "Harbour Vans", "authorization_ref": "standing order 4"})
	c.want(201, "", keyward.RoleManager, "POST", "/api/v1/fleets/"+fleet["id"].(string)+"/vehicles", map[string]any{"vin": goodVIN})
	codeID, path := c.keyCode(goodVIN)
	job := c.approvedRequest(codeID)
	inc := c.want(201, "", keyward.RoleAdvisor, "POST", path+"/incidents", map[string]any{"note": "order left in the van"})
	pages := []string{"/key-codes", "/key-codes?show=disposed", "/key-codes/" + codeID, "/code-requests", "/code-requests?show=all", "/code-requests/" + job, "/fleets"}
	for _, role := range []keyward.Role{keyward.RoleOwner, keyward.RoleAdmin, keyward.RoleManager, keyward.RoleAdvisor, keyward.RoleTechnician, keyward.RoleAuditor} {
		ps := c.pageSession(role)
		for _, p := range pages {
			if st, body := ps.do("GET", p, nil); st != 200 {
				t.Fatalf("GET %s as %s: %d\n%s\n%s", p, role, st, body, c.log.String())
			} else if strings.Contains(body, apiKeyCode) {
				t.Fatalf("GET %s as %s shows the code", p, role)
			}
		}
	}
	ps := c.pageSession(keyward.RoleHolder)
	if st, _ := ps.do("GET", "/key-codes", nil); st != 403 {
		t.Fatalf("a holder on /key-codes: %d", st)
	}
	// The manager closes the incident; the technician reveals from the job page and records the service done.
	mgr, tech := c.pageSession(keyward.RoleManager), c.pageSession(keyward.RoleTechnician)
	if st, body := mgr.do("POST", "/code-incidents/"+inc["id"].(string)+"/close", url.Values{"csrf": {mgr.CSRF}, "note": {"nothing copied"}}); st != 303 {
		t.Fatalf("close the incident: %d %s", st, body)
	}
	st, body := tech.do("POST", "/key-codes/"+codeID+"/reveal", url.Values{"csrf": {tech.CSRF}, "request_id": {job}, "reason": {""}})
	if st != 400 || !strings.Contains(body, "is required") || strings.Contains(body, apiKeyCode) {
		t.Fatalf("a reveal without a reason: %d %s", st, body)
	}
	st, body = tech.do("POST", "/key-codes/"+codeID+"/reveal", url.Values{"csrf": {tech.CSRF}, "request_id": {job}, "reason": {"cut a spare"}})
	if st != 200 || !strings.Contains(body, `id="revealed-code">`+apiKeyCode+`<`) {
		t.Fatalf("reveal page: %d\n%s", st, body)
	}
	if adv := c.pageSession(keyward.RoleAdvisor); true {
		if st, _ := adv.do("POST", "/key-codes/"+codeID+"/reveal", url.Values{"csrf": {adv.CSRF}, "request_id": {job}, "reason": {"x"}}); st != 403 {
			t.Fatalf("an advisor's reveal: %d", st)
		}
	}
	if st, body := tech.do("POST", "/code-requests/"+job+"/done", url.Values{"csrf": {tech.CSRF}, "note": {"spare cut"}}); st != 303 {
		t.Fatalf("service done: %d %s", st, body)
	}
	// A VIN with a bad check digit: shown back to be checked, then recorded.
	form := url.Values{"csrf": {tech.CSRF}, "vin": {badDigit}, "code": {"X1"}, "source": {"internal"}}
	st, body = tech.do("POST", "/key-codes", form)
	if st != 200 || !strings.Contains(body, `id="vin-warning"`) {
		t.Fatalf("a bad check digit: %d", st)
	}
	form.Set("vin_checked", "1")
	if st, body := tech.do("POST", "/key-codes", form); st != 303 {
		t.Fatalf("recorded after the check: %d %s", st, body)
	}
	if logs := c.log.String(); !strings.Contains(logs, "/reveal") || strings.Contains(logs, apiKeyCode) {
		t.Fatal("the debug log has no line of the page reveal, or holds the code")
	}
}
