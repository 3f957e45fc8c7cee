package keyward

import (
	"strings"
	"time"
)

// APIToken is an API token as it is listed: never its secret or its hash.
type APIToken struct {
	ID        string     `json:"id"`
	Name      string     `json:"name"`
	UserID    string     `json:"user_id"`
	User      string     `json:"user"` // the email of the user it signs in as
	CreatedAt time.Time  `json:"created_at"`
	ExpiresAt *time.Time `json:"expires_at,omitempty"`
	RevokedAt *time.Time `json:"revoked_at,omitempty"`
}

// TokenFilter chooses whose tokens a list shows: the caller's own by
// default, one user's (UserID), or everyone's (All).
type TokenFilter struct {
	UserID string
	All    bool
}

// NormalEmail is an email as accounts store and compare it: trimmed, lower case.
func NormalEmail(s string) string { return strings.ToLower(strings.TrimSpace(s)) }

// MayMintToken decides whether a may create an API token that signs in as
// the account with email. Whatever their role, users mint only their own
// tokens: a token for someone else is that person's authority (an admin's
// token for the owner makes the admin the owner). Only the system actor of
// the offline `keyward token create --user` makes tokens for others. The
// answer does not depend on whether email names an account.
func MayMintToken(a Actor, email string) error {
	if a.Role == RoleSystem || (a.Email != "" && NormalEmail(email) == NormalEmail(a.Email)) {
		return nil
	}
	return Errorf(EFORBIDDEN, "you may only create API tokens for yourself")
}

// MayManageTokensOf decides whether a may list or revoke the tokens of the
// user userID: their own always, anyone's with token.manage.
func MayManageTokensOf(a Actor, userID string) error {
	if userID != "" && userID == a.UserID {
		return nil
	}
	if Allowed(a.Role, ActTokenManage) {
		return nil
	}
	return Errorf(EFORBIDDEN, "role %s may manage only its own API tokens", a.Role)
}

// MayListTokens decides whether a may see the tokens f chooses.
func MayListTokens(a Actor, f TokenFilter) error {
	switch {
	case f.All:
		return Authorize(a, ActTokenManage)
	case f.UserID == "":
		return nil // one's own
	}
	return MayManageTokensOf(a, f.UserID)
}
