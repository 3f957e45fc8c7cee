package keyward

import (
	"strings"
	"testing"
)

// The whole policy, written out: a change to who may do what shows up here
// as a diff a reviewer reads, not as a side effect of an edited slice.
// Columns: owner admin manager advisor technician holder auditor.
var wantPolicy = map[Action]string{
	ActInventoryRead: "YYYYY.Y",
	ActInventoryEdit: "YYY....",
	ActHolderEdit:    "YYYY...",
	ActKeyCreate:     "YYY....",
	ActCustody:       "YYYYY..",
	ActKeyReportLost: "YYYYYY.",
	ActImport:        "YYY....",
	ActAuditRead:     "YY....Y",
	ActUserManage:    "YY.....",
	ActTokenManage:   "YY.....",
	ActWebhookManage: "YY.....",
	ActOrgManage:     "Y......",
	ActSecretReveal:  "YY..Y..",
	ActKeySystemRead: "YYYYY.Y",
	ActKeySystemEdit: "YYY.Y..",
	ActBittingReveal: "YY..Y..",
	ActStorageEdit:   "YYY....",
	ActCredential:    "YYY....",
	ActOffboard:      "YYY....",
	ActMetricsRead:   "YY....Y",
	ActCopyRequest:   "YYYYYY.",
	ActCopyControl:   "YYY....",
	ActCopyRead:      "YYYYY.Y",
	ActNetAccess:     "YYY..Y.", // a holder only with a key they hold: MayActWithNetKey
	ActCodeRead:      "YYYYY.Y",
	ActCodeCreate:    "YY..Y..",
	ActCodeRequest:   "YYYY...",
	ActCodeApprove:   "YYY....",
	ActCodeReveal:    "YY..Y..",
	ActCodeService:   "YY..Y..",
	ActCodeIncident:  "YYYYY..",
	ActCodeManage:    "YYY....",
	ActCodeExposure:  "YYY.Y..",
	// Vehicle spares: the desk asks and checks proof, the workshop cuts,
	// enrolls and tests, any staff hands over a tested spare.
	ActSpareRead:     "YYYYY.Y",
	ActSpareRequest:  "YYYY...",
	ActSpareWork:     "YYY.Y..",
	ActSpareHandOver: "YYYYY..",
	ActSpareReenroll: "YYY.Y..",
}

func TestPolicyTable(t *testing.T) {
	if len(Roles) != 7 {
		t.Fatalf("roles changed (%v): extend the columns of wantPolicy", Roles)
	}
	for action, row := range wantPolicy {
		var got strings.Builder
		for _, role := range Roles {
			if Allowed(role, action) {
				got.WriteByte('Y')
			} else {
				got.WriteByte('.')
			}
		}
		if got.String() != row {
			t.Errorf("%s: roles allowed %s, want %s (owner admin manager advisor technician holder auditor)", action, got.String(), row)
		}
	}
	for action := range Policy {
		if _, ok := wantPolicy[action]; !ok {
			t.Errorf("policy action %s is not in this test's table", action)
		}
	}
}

func TestPolicyRolesAreReal(t *testing.T) {
	for action, roles := range Policy {
		for _, r := range roles {
			if !ValidRole(r) {
				t.Errorf("%s grants %q, which no account can have", action, r)
			}
		}
	}
}

func TestAllowedSpecialActions(t *testing.T) {
	for _, c := range []struct {
		role   Role
		action Action
		want   bool
	}{
		{"", ActPublic, true},
		{RoleHolder, ActPublic, true},
		{"", ActSelf, false}, // no one signed in
		{RoleHolder, ActSelf, true},
		{RoleAuditor, ActSelf, true},
		{RoleSystem, ActOrgManage, true}, // offline commands act as the system
		{RoleSystem, ActSecretReveal, true},
		{"", ActInventoryRead, false},
		{Role("superuser"), ActInventoryRead, false},
		{RoleOwner, Action("no.such.action"), false}, // an action without a policy entry is refused to all
	} {
		if got := Allowed(c.role, c.action); got != c.want {
			t.Errorf("Allowed(%q, %q) = %v, want %v", c.role, c.action, got, c.want)
		}
	}
}

func TestAuthorizeNamesRoleAndAction(t *testing.T) {
	err := Authorize(Actor{Role: RoleAdvisor}, ActSecretReveal)
	if ErrorCode(err) != EFORBIDDEN || !strings.Contains(ErrorMessage(err), "advisor") || !strings.Contains(ErrorMessage(err), "secret.reveal") {
		t.Fatalf("Authorize = %v", err)
	}
	if err := Authorize(Actor{Role: RoleTechnician}, ActSecretReveal); err != nil {
		t.Fatalf("technician reveal: %v", err)
	}
}

func TestMayActWithNetKey(t *testing.T) {
	holder := Actor{UserID: "u", Role: RoleHolder, HolderID: "h1"}
	for _, tc := range []struct {
		name   string
		a      Actor
		op, by string
		ok     bool
	}{
		{"manager with any key", Actor{Role: RoleManager}, "grant", "h9", true},
		{"manager makes a master", Actor{Role: RoleManager}, NetMaster, "", true},
		{"advisor", Actor{Role: RoleAdvisor}, "grant", "", false},
		{"auditor", Actor{Role: RoleAuditor}, "sub", "", false},
		{"holder with own key", holder, "sub", "h1", true},
		{"holder with someone's key", holder, "sub", "h2", false},
		{"holder with an unheld key", holder, "delete", "", false},
		{"holder without a holder record", Actor{Role: RoleHolder}, "delete", "", false},
		{"holder makes a master", holder, NetMaster, "h1", false},
		{"holder adds a lock", holder, "lock", "h1", false},
		{"holder takes a lock offline", holder, "offline", "h1", false},
	} {
		err := MayActWithNetKey(tc.a, tc.op, tc.by)
		if (err == nil) != tc.ok {
			t.Errorf("%s: %v, want allowed %v", tc.name, err, tc.ok)
		}
	}
}
