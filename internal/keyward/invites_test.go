package keyward

import (
	"strings"
	"testing"
	"time"
)

func TestMayUseInvite(t *testing.T) {
	now := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	used := now.Add(-time.Hour)
	fresh := Invite{ExpiresAt: now.Add(InviteTTL)}
	for _, c := range []struct {
		name string
		inv  Invite
		code Code // "" allowed
		word string
	}{
		{"fresh", fresh, "", ""},
		{"a second before it expires", Invite{ExpiresAt: now.Add(time.Second)}, "", ""},
		{"at its expiry", Invite{ExpiresAt: now}, ECONFLICT, "expired"},
		{"expired", Invite{ExpiresAt: now.Add(-time.Minute)}, ECONFLICT, "expired"},
		{"used", Invite{ExpiresAt: now.Add(InviteTTL), UsedAt: &used}, ECONFLICT, "already used"},
		{"used and expired says used", Invite{ExpiresAt: now.Add(-time.Minute), UsedAt: &used}, ECONFLICT, "already used"},
		{"replaced", Invite{ExpiresAt: now.Add(InviteTTL), Replaced: true}, ECONFLICT, "newer invite link"},
		{"disabled account", Invite{ExpiresAt: now.Add(InviteTTL), Disabled: true}, EFORBIDDEN, "disabled"},
	} {
		err := MayUseInvite(c.inv, now)
		if ErrorCode(err) != c.code && !(c.code == "" && err == nil) {
			t.Errorf("%s: %v, want code %q", c.name, err, c.code)
			continue
		}
		if c.word != "" && !strings.Contains(ErrorMessage(err), c.word) {
			t.Errorf("%s: %q does not say %q", c.name, ErrorMessage(err), c.word)
		}
	}
}

func TestInviteURL(t *testing.T) {
	if got := InviteURL("https://keys.example.org/kw/", "inv_a+b"); got != "https://keys.example.org/kw/invite?token=inv_a%2Bb" {
		t.Errorf("InviteURL: %s", got)
	}
}

// Every role a user can have is explained where it is chosen, and the
// words do not contradict the policy table on what a role may change.
func TestRoleWords(t *testing.T) {
	for _, r := range Roles {
		w := RoleWords[r]
		if w == "" {
			t.Errorf("role %s has no words", r)
		}
		if strings.Contains(w, ".") && strings.Contains(w, "_") {
			t.Errorf("role %s: words name an internal rule: %q", r, w)
		}
	}
	if len(RoleWords) != len(Roles) {
		t.Errorf("%d role words for %d roles", len(RoleWords), len(Roles))
	}
	if Allowed(RoleAuditor, ActInventoryEdit) || !strings.Contains(RoleWords[RoleAuditor], "changes nothing") {
		t.Error("the auditor's words say it changes nothing; the policy must agree")
	}
	if !Allowed(RoleManager, ActImport) || !Allowed(RoleManager, ActKeyCreate) || !strings.Contains(RoleWords[RoleManager], "imports") {
		t.Error("the manager's words say it adds keys and imports; the policy must agree")
	}
	if !Allowed(RoleTechnician, ActSecretReveal) || Allowed(RoleAdvisor, ActSecretReveal) {
		t.Error("only the technician's words mention key codes")
	}
}
