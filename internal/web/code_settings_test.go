package web_test

import (
	"net/url"
	"strings"
	"testing"

	"github.com/keyward/keyward/internal/keyward"
	"github.com/keyward/keyward/internal/store/storetest"
)

// TestUICodeSettingsPage: the key code rules page shows the saved rules; a
// bad value is refused beside its field by the domain's own rule and
// changes nothing; good values are saved with their audit record, as the
// API's PUT saves them; a manager reads them but may not change them, and a
// holder gets the same 403 page as on the other settings pages.
func TestUICodeSettingsPage(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		c := newCopyAPI(t, b)
		owner, mgr, holder := c.pageSession(keyward.RoleOwner), c.pageSession(keyward.RoleManager), c.pageSession(keyward.RoleHolder)
		audits := func() int64 { return c.count(`SELECT COUNT(*) FROM audit_log WHERE action = 'code.settings'`) }
		get := func(p *pageSession, path string) *uiNode {
			t.Helper()
			st, body := p.do("GET", path, nil)
			if st != 200 {
				t.Fatalf("GET %s: %d\n%s", path, st, body)
			}
			return uiParse(t, body)
		}
		value := func(doc *uiNode, name string) string {
			t.Helper()
			in := doc.find(uiAttr("name", name))
			if in == nil {
				t.Fatalf("no input %s", name)
			}
			return in.attr["value"]
		}

		// Reached from Settings; the saved rules (a new organization's) are filled in.
		if get(owner, "/settings").find(uiAttr("href", "/settings/key-codes")) == nil {
			t.Fatal("the Settings page does not link to the key code rules")
		}
		doc := get(owner, "/settings/key-codes")
		for name, want := range map[string]string{"approval_hours": "24", "max_reveals": "3", "reveal_seconds": "60", "retention_days": "30"} {
			if got := value(doc, name); got != want {
				t.Errorf("%s shows %q, want %q", name, got, want)
			}
		}
		uiWantText(t, doc.byID("evidence-owner"), "the owner's evidence", "registered owner", "photo ID checked", "registration document")

		// A bad value: refused beside the field, in the domain's words, nothing saved.
		before := audits()
		for field, bad := range map[string]string{"approval_hours": "0", "max_reveals": "lots", "reveal_seconds": "601", "retention_days": "-1"} {
			form := url.Values{"csrf": {owner.CSRF}, "approval_hours": {"48"}, "max_reveals": {"2"}, "reveal_seconds": {"90"}, "retention_days": {"7"}, "evidence_owner": {"id_checked"}}
			form.Set(field, bad)
			st, body := owner.do("POST", "/settings/key-codes", form)
			if st != 400 {
				t.Fatalf("%s=%s: %d", field, bad, st)
			}
			doc := uiParse(t, body)
			if got := fieldError(doc, field); !strings.Contains(got, "whole number") {
				t.Errorf("%s=%s: error beside the field %q", field, bad, got)
			}
			if got := value(doc, field); got != bad {
				t.Errorf("%s=%s is shown back as %q", field, bad, got)
			}
		}
		st, body := owner.do("POST", "/settings/key-codes", url.Values{"csrf": {owner.CSRF}, "approval_hours": {"48"}, "max_reveals": {"2"},
			"reveal_seconds": {"90"}, "retention_days": {"7"}, "evidence_fleet": {"a photo of the van"}})
		if st != 400 || !strings.Contains(fieldError(uiParse(t, body), "evidence"), "fleet_authorization") {
			t.Fatalf("an unknown evidence item: %d %q", st, fieldError(uiParse(t, body), "evidence"))
		}
		if s := c.want(200, "", keyward.RoleOwner, "GET", "/api/v1/settings/key-codes", nil); s["approval_hours"] != float64(24) || s["max_reveals"] != float64(3) || len(s["evidence"].(map[string]any)) != 0 {
			t.Fatalf("a refused form changed the rules: %v", s)
		}
		if n := audits(); n != before {
			t.Fatalf("a refused form wrote %d audit records", n-before)
		}

		// Good values: saved, audited as the owner's change, shown again.
		st, _ = owner.do("POST", "/settings/key-codes", url.Values{"csrf": {owner.CSRF}, "approval_hours": {"48"}, "max_reveals": {"2"},
			"reveal_seconds": {"90"}, "retention_days": {"7"}, "evidence_owner": {"registration_document", "id_checked"}, "evidence_fleet": {"fleet_authorization"}})
		if st != 303 {
			t.Fatalf("good values: %d", st)
		}
		s := c.want(200, "", keyward.RoleOwner, "GET", "/api/v1/settings/key-codes", nil)
		ev := s["evidence"].(map[string]any)
		if s["approval_hours"] != float64(48) || s["max_reveals"] != float64(2) || s["reveal_seconds"] != float64(90) || s["retention_days"] != float64(7) ||
			len(ev) != 2 || len(ev["owner"].([]any)) != 2 || ev["fleet"].([]any)[0] != "fleet_authorization" {
			t.Fatalf("after the form: %v", s)
		}
		if n := c.count(`SELECT COUNT(*) FROM audit_log WHERE action = 'code.settings' AND actor_role = 'owner' AND details LIKE '%fleet_authorization%'`); n != 1 {
			t.Fatalf("%d audit records of the change", n)
		}
		doc = get(owner, "/settings/key-codes")
		if _, ticked := doc.byID("evidence-fleet").find(uiAttr("value", "fleet_authorization")).attr["checked"]; value(doc, "approval_hours") != "48" || !ticked {
			t.Fatal("the page does not show the saved rules")
		}

		// A manager reads the rules, is told who changes them, and may not post.
		doc = get(mgr, "/settings/key-codes")
		if doc.byID("code-settings-read-only") == nil || doc.byID("code-settings-form").find(uiTag("button")) != nil {
			t.Fatal("a manager is offered the change")
		}
		if st, _ := mgr.do("POST", "/settings/key-codes", url.Values{"csrf": {mgr.CSRF}, "approval_hours": {"1"}, "max_reveals": {"1"}, "reveal_seconds": {"10"}, "retention_days": {"0"}}); st != 403 {
			t.Fatalf("a manager's change: %d", st)
		}
		if n := audits(); n != before+1 {
			t.Fatalf("after the manager's refused change: %d audit records of a change", n-before)
		}
		// A holder gets the 403 page the other settings pages give.
		st, body = holder.do("GET", "/settings/key-codes", nil)
		st2, body2 := holder.do("GET", "/settings/notifications", nil)
		if st != 403 || st2 != 403 {
			t.Fatalf("a holder: %d, on notifications %d", st, st2)
		}
		if h, h2 := uiParse(t, body).find(uiTag("h1")).Text(), uiParse(t, body2).find(uiTag("h1")).Text(); h == "" || h != h2 {
			t.Fatalf("a holder's 403 page %q, the other settings' %q", h, h2)
		}
	})
}

// TestUIDashboardCodeApprovals: a code request waiting for approval is on
// the dashboard of a manager who may approve it, never on an advisor's nor
// on its own requester's, and leaves it once approved.
func TestUIDashboardCodeApprovals(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		c := newCopyAPI(t, b)
		codeID, _ := c.keyCode(goodVIN)
		r := c.want(201, "", keyward.RoleAdvisor, "POST", "/api/v1/code-requests",
			map[string]any{"key_code_id": codeID, "relationship": "agent", "reason": "all keys lost", "requester_name": "Pat Lee"})
		id := r["id"].(string)
		mine := c.want(201, "", keyward.RoleManager, "POST", "/api/v1/code-requests",
			map[string]any{"key_code_id": codeID, "relationship": "owner", "reason": "spare for the yard"})["id"].(string)
		mgr, adv := c.pageSession(keyward.RoleManager), c.pageSession(keyward.RoleAdvisor)
		dashboard := func(p *pageSession) *uiNode {
			t.Helper()
			st, body := p.do("GET", "/", nil)
			if st != 200 {
				t.Fatalf("dashboard: %d", st)
			}
			return uiParse(t, body).byID("code-approvals")
		}

		list := dashboard(mgr)
		uiWantText(t, list, "the manager's waiting requests", "Code requests waiting for your approval", "2019 Ford Transit", "all keys lost", "Pat Lee, authorized agent", "recorded by")
		if list.find(uiAttr("href", "/code-requests/"+id)) == nil {
			t.Fatal("the request does not link to its page")
		}
		if list.find(uiAttr("href", "/code-requests/"+mine)) != nil {
			t.Fatal("the manager is asked to approve their own request")
		}
		if dashboard(adv) != nil {
			t.Fatal("an advisor is shown requests to approve")
		}
		if st, body := mgr.do("POST", "/code-requests/"+id+"/approve", url.Values{"csrf": {mgr.CSRF}}); st != 303 {
			t.Fatalf("approve: %d %s", st, body)
		}
		if dashboard(mgr) != nil {
			t.Fatal("the approved request is still waiting on the dashboard")
		}
	})
}
