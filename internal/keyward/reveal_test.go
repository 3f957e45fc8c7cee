package keyward

import (
	"strings"
	"testing"
	"time"
)

func TestMayReveal(t *testing.T) {
	now := time.Date(2026, 3, 10, 12, 0, 0, 0, time.UTC)
	before, after := now.Add(time.Hour), now.Add(-time.Hour) // deadline still ahead / already passed
	cases := []struct {
		name     string
		role     Role
		enrolled bool
		requires bool
		deadline time.Time
		refused  bool
		grace    bool
	}{
		{"technician, nothing required", RoleTechnician, false, false, time.Time{}, false, false},
		{"technician without TOTP inside grace", RoleTechnician, false, true, before, false, true},
		{"technician without TOTP after grace", RoleTechnician, false, true, after, true, false},
		{"technician without TOTP at the deadline", RoleTechnician, false, true, now, true, false},
		{"technician with TOTP after grace", RoleTechnician, true, true, after, false, false},
		{"owner without TOTP after grace", RoleOwner, false, true, after, true, false},
		{"admin with TOTP", RoleAdmin, true, true, after, false, false},
		{"manager never reveals", RoleManager, true, false, time.Time{}, true, false},
		{"advisor never reveals", RoleAdvisor, true, true, before, true, false},
		{"holder never reveals", RoleHolder, false, false, time.Time{}, true, false},
		{"auditor never reveals", RoleAuditor, false, false, time.Time{}, true, false},
		{"system actor of offline commands", RoleSystem, false, true, after, false, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := MayReveal(c.role, c.enrolled, c.requires, c.deadline, now)
			if (err != nil) != c.refused {
				t.Fatalf("MayReveal = %v, refused want %v", err, c.refused)
			}
			if err != nil && ErrorCode(err) != EFORBIDDEN {
				t.Fatalf("refusal code %s, want forbidden", ErrorCode(err))
			}
			s := RevealStanding{Role: c.role, Enrolled: c.enrolled, OrgRequires: c.requires, Deadline: c.deadline}
			if got := s.InGrace(now); got != c.grace {
				t.Fatalf("InGrace = %v, want %v", got, c.grace)
			}
			if w := s.GraceWarning(now); (w != "") != c.grace || (c.grace && !strings.Contains(w, "Tue 10 Mar 2026 13:00")) {
				t.Fatalf("GraceWarning = %q", w)
			}
		})
	}
	err := MayReveal(RoleTechnician, false, true, after, now)
	if !IsAuthenticatorRequired(err) {
		t.Fatalf("the refusal does not name the rule: %v", err)
	}
	for _, want := range []string{"Set up your authenticator app to see codes", "Tue 10 Mar 2026 11:00", EnrolPath} {
		if !strings.Contains(err.Error(), want) {
			t.Fatalf("the refusal %q does not say %q", err, want)
		}
	}
	if IsAuthenticatorRequired(MayReveal(RoleManager, true, true, after, now)) {
		t.Fatal("a role refusal is not an authenticator refusal")
	}
}

func TestTOTPGraceDeadline(t *testing.T) {
	on := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	cases := []struct {
		name    string
		created time.Time
		days    int
		want    time.Time
	}{
		{"user older than the rule: from the rule", on.AddDate(-1, 0, 0), 7, on.AddDate(0, 0, 7)},
		{"user made after the rule: from the user", on.AddDate(0, 0, 3), 7, on.AddDate(0, 0, 10)},
		{"no grace", on.AddDate(0, 0, -3), 0, on},
		{"the longest grace", on, MaxTOTPGraceDays, on.AddDate(0, 0, MaxTOTPGraceDays)},
	}
	for _, c := range cases {
		if got := TOTPGraceDeadline(on, c.created, c.days); !got.Equal(c.want) {
			t.Errorf("%s: %v, want %v", c.name, got, c.want)
		}
	}
}

func TestTOTPRequiredCoversEveryRevealer(t *testing.T) {
	for _, r := range Roles {
		reveals := Allowed(r, ActSecretReveal) || Allowed(r, ActBittingReveal)
		if TOTPRequired(true, r) != reveals {
			t.Errorf("role %s: required %v, reveals %v", r, TOTPRequired(true, r), reveals)
		}
		if TOTPRequired(false, r) {
			t.Errorf("role %s required when the organization does not require", r)
		}
	}
	if !TOTPRequired(true, RoleTechnician) {
		t.Fatal("the technician reveals and must be covered")
	}
}

func TestTOTPRuleValidate(t *testing.T) {
	for _, c := range []struct {
		days int
		ok   bool
	}{{0, true}, {7, true}, {MaxTOTPGraceDays, true}, {-1, false}, {MaxTOTPGraceDays + 1, false}} {
		in := TOTPRule{Require: true, GraceDays: c.days}
		err := in.Validate()
		if (err == nil) != c.ok {
			t.Errorf("%d days: %v", c.days, err)
		}
		if err != nil && !strings.Contains(err.Error(), "totp_grace_days") {
			t.Errorf("%d days: the error does not name the field: %v", c.days, err)
		}
	}
}
