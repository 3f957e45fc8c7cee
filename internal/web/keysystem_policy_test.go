package web_test

import (
	"net/http"
	"testing"

	"github.com/keyward/keyward/internal/keyward"
	"github.com/keyward/keyward/internal/store/storetest"
)

// TestKeySystemAuditNeedsEditRights: running the cross-key audit writes an
// audit record, so it takes the right to edit key systems: auditors and
// advisors get 403 (and no keysystem.audit record), managers and technicians 200.
func TestKeySystemAuditNeedsEditRights(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		app := newTestApp(t, b)
		var sys ksSystem
		if st := app.call(keyward.RoleOwner, "POST", "/api/v1/keysystems", ksInput, &sys); st != 201 {
			t.Fatalf("create key system: %d", st)
		}
		path := "/api/v1/keysystems/" + sys.ID + "/audit"
		for _, role := range []keyward.Role{keyward.RoleAuditor, keyward.RoleAdvisor} {
			var p problem
			if st := app.call(role, "POST", path, nil, &p); st != http.StatusForbidden {
				t.Errorf("%s running the key audit: %d, want 403", role, st)
			}
			if st := app.call(role, "GET", path, nil, nil); st != http.StatusOK {
				t.Errorf("%s reading the key audit: %d, want 200", role, st)
			}
		}
		if n := auditActionCount(t, app, "keysystem.audit"); n != 0 {
			t.Fatalf("refused roles wrote %d keysystem.audit records", n)
		}
		for _, role := range []keyward.Role{keyward.RoleManager, keyward.RoleTechnician} {
			var au keyward.KeyAudit
			if st := app.call(role, "POST", path, nil, &au); st != http.StatusOK {
				t.Errorf("%s running the key audit: %d, want 200", role, st)
			}
		}
		if n := auditActionCount(t, app, "keysystem.audit"); n != 2 {
			t.Fatalf("%d keysystem.audit records, want 2", n)
		}
	})
}
