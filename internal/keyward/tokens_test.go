package keyward

import "testing"

func TestMayMintToken(t *testing.T) {
	owner := Actor{UserID: "usr_o", Email: "owner@acme.test", Role: RoleOwner}
	admin := Actor{UserID: "usr_a", Email: "admin@acme.test", Role: RoleAdmin}
	holder := Actor{UserID: "usr_h", Email: "holder@acme.test", Role: RoleHolder}
	cases := []struct {
		name  string
		a     Actor
		email string
		ok    bool
	}{
		{"admin for the owner", admin, "owner@acme.test", false},
		{"owner for an admin", owner, "admin@acme.test", false},
		{"holder for the owner", holder, "owner@acme.test", false},
		{"unknown account", admin, "nobody@acme.test", false},
		{"empty email", admin, "", false},
		{"actor without an email", Actor{UserID: "usr_x", Role: RoleAdmin}, "", false},
		{"yourself", admin, "admin@acme.test", true},
		{"yourself, other case and spaces", holder, "  HOLDER@Acme.Test\t", true},
		{"system actor for anyone", SystemActor("cli"), "owner@acme.test", true},
	}
	for _, c := range cases {
		err := MayMintToken(c.a, c.email)
		if c.ok != (err == nil) || (err != nil && ErrorCode(err) != EFORBIDDEN) {
			t.Errorf("%s: err = %v, want ok=%v", c.name, err, c.ok)
		}
	}
}

func TestMayManageAndListTokens(t *testing.T) {
	cases := []struct {
		role Role
		f    TokenFilter
		ok   bool
	}{
		{RoleHolder, TokenFilter{}, true},
		{RoleAuditor, TokenFilter{}, true},
		{RoleHolder, TokenFilter{UserID: "usr_me"}, true},
		{RoleHolder, TokenFilter{UserID: "usr_other"}, false},
		{RoleManager, TokenFilter{UserID: "usr_other"}, false},
		{RoleManager, TokenFilter{All: true}, false},
		{RoleAdmin, TokenFilter{UserID: "usr_other"}, true},
		{RoleAdmin, TokenFilter{All: true}, true},
		{RoleOwner, TokenFilter{UserID: "usr_other"}, true},
		{RoleOwner, TokenFilter{All: true}, true},
	}
	for _, c := range cases {
		a := Actor{UserID: "usr_me", Email: "me@acme.test", Role: c.role}
		if err := MayListTokens(a, c.f); c.ok != (err == nil) {
			t.Errorf("%s listing %+v: err = %v, want ok=%v", c.role, c.f, err, c.ok)
		}
		if c.f.UserID != "" {
			if err := MayManageTokensOf(a, c.f.UserID); c.ok != (err == nil) {
				t.Errorf("%s revoking a token of %s: err = %v, want ok=%v", c.role, c.f.UserID, err, c.ok)
			}
		}
	}
	if err := MayManageTokensOf(Actor{Role: RoleHolder}, ""); err == nil {
		t.Error("an actor without a user id manages the tokens of user \"\"")
	}
}
