package keyward

import (
	"slices"
	"strings"
	"testing"
	"time"
)

func TestRecipientRuleResolve(t *testing.T) {
	users := []Contact{{"owner@x.test", RoleOwner}, {"ana@x.test", RoleManager}, {"ben@x.test", RoleManager}, {"tec@x.test", RoleTechnician}}
	owners := []Contact{{"owner@x.test", RoleOwner}, {"tec@x.test", RoleTechnician}}
	for _, tc := range []struct {
		name   string
		rule   RecipientRule
		users  []Contact
		holder string
		want   []string
	}{
		{"overdue default: holder and managers", DefaultRecipients(EventCheckoutOverdue), users, "dana@x.test", []string{"dana@x.test", "ana@x.test", "ben@x.test"}},
		{"overdue without managers: owners", DefaultRecipients(EventCheckoutOverdue), owners, "dana@x.test", []string{"dana@x.test", "owner@x.test"}},
		{"holder without email", DefaultRecipients(EventCheckoutOverdue), users, "", []string{"ana@x.test", "ben@x.test"}},
		{"holder is also a manager: once", DefaultRecipients(EventCheckoutOverdue), users, "ANA@x.test", []string{"ana@x.test", "ben@x.test"}},
		{"found: nobody by default", DefaultRecipients(EventKeyFound), users, "dana@x.test", []string{}},
		{"roles and addresses", RecipientRule{Roles: []Role{RoleTechnician}, Addresses: []string{"office@x.test", "tec@x.test"}}, users, "", []string{"tec@x.test", "office@x.test"}},
		{"addresses only: no owner fallback", RecipientRule{Addresses: []string{"office@x.test"}}, users, "", []string{"office@x.test"}},
		{"holder not asked for", RecipientRule{Roles: []Role{RoleOwner}}, users, "dana@x.test", []string{"owner@x.test"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := tc.rule.Resolve(tc.users, tc.holder)
			if !slices.Equal(got, tc.want) {
				t.Fatalf("Resolve = %v, want %v", got, tc.want)
			}
		})
	}
}

func TestRecipientRuleValidate(t *testing.T) {
	for _, tc := range []struct {
		name  string
		rule  RecipientRule
		field string // "" = valid
	}{
		{"default", DefaultRecipients(EventKeyLost), ""},
		{"every event's default", DefaultRecipients(EventOffboardingOpened), ""},
		{"unknown event", RecipientRule{Event: "key.stolen"}, "event"},
		{"test events are not rules", RecipientRule{Event: EventEmailTest}, "event"},
		{"holder role", RecipientRule{Event: EventKeyLost, Roles: []Role{RoleHolder}}, "roles"},
		{"unknown role", RecipientRule{Event: EventKeyLost, Roles: []Role{"boss"}}, "roles"},
		{"holder on a seal", RecipientRule{Event: EventSealBroken, Holder: true}, "holder"},
		{"holder on a lost key", RecipientRule{Event: EventKeyLost, Holder: true}, ""},
		{"bad address", RecipientRule{Event: EventKeyLost, Addresses: []string{"not an address"}}, "addresses"},
		{"too many", RecipientRule{Event: EventKeyLost, Addresses: slices.Repeat([]string{"a@x.test"}, 21)}, "addresses"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.rule.Validate()
			if tc.field == "" {
				if err != nil {
					t.Fatalf("Validate = %v", err)
				}
				return
			}
			if ErrorCode(err) != EINVALID || !strings.Contains(err.Error(), tc.field) {
				t.Fatalf("Validate = %v, want EINVALID naming %s", err, tc.field)
			}
		})
	}
}

func TestRecipientRuleNormalize(t *testing.T) {
	r := RecipientRule{Roles: []Role{RoleManager, RoleOwner, RoleManager}, Addresses: []string{" Office@X.test ", "", "office@x.test"}}
	r.Normalize()
	if !slices.Equal(r.Roles, []Role{RoleOwner, RoleManager}) || !slices.Equal(r.Addresses, []string{"office@x.test"}) {
		t.Fatalf("Normalize = %+v", r)
	}
}

func TestChannelHealth(t *testing.T) {
	t0 := time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
	t1 := t0.Add(time.Hour)
	for _, tc := range []struct {
		h                 ChannelHealth
		failing, lastFail bool
	}{
		{ChannelHealth{}, false, false},
		{ChannelHealth{Failures: 2, LastFailedAt: &t1, LastOKAt: &t0}, false, true},
		{ChannelHealth{Failures: FailingAfter, LastFailedAt: &t1}, true, true},
		{ChannelHealth{Failures: 0, LastFailedAt: &t0, LastOKAt: &t1}, false, false},
	} {
		if tc.h.Failing() != tc.failing || tc.h.LastFailed() != tc.lastFail {
			t.Errorf("%+v: Failing %v LastFailed %v", tc.h, tc.h.Failing(), tc.h.LastFailed())
		}
	}
}

func TestWebhookPatchValidate(t *testing.T) {
	bad, empty, secret := "ftp://x", "", "s3cret"
	for _, tc := range []struct {
		p     WebhookPatch
		field string
	}{
		{WebhookPatch{}, ""},
		{WebhookPatch{Secret: &secret, Events: []string{EventSealBroken}}, ""},
		{WebhookPatch{URL: &bad}, "url"},
		{WebhookPatch{Secret: &empty}, "secret"},
		{WebhookPatch{Events: []string{EventWebhookTest}}, "events"},
	} {
		err := tc.p.Validate()
		if (tc.field == "") != (err == nil) || (err != nil && !strings.Contains(err.Error(), tc.field)) {
			t.Errorf("%+v: %v, want field %q", tc.p, err, tc.field)
		}
	}
}
