package keyward

import (
	"context"
	"net/url"
	"strings"
	"time"
)

// InviteTTL is how long an invite link may be used to set a first password.
const InviteTTL = 7 * 24 * time.Hour

// Invite is what an invite link's token resolves to: the account it lets set
// its own password, and the state of the link.
type Invite struct {
	UserID    string
	Email     string
	Name      string
	Role      Role
	CreatedAt time.Time
	ExpiresAt time.Time
	UsedAt    *time.Time // set once a password was set through it
	// Replaced: a newer link was made for the same account.
	Replaced bool
	// Disabled: the account was disabled since.
	Disabled bool
}

// InviteLink is a new invite link, as its creator is given it: the token is
// the secret part of the link and is kept only as a hash.
type InviteLink struct {
	Token     string
	URL       string
	ExpiresAt time.Time
	// Emailed: the link was queued as an email to the new user.
	Emailed bool
}

// InviteURL is the link a new user opens: base is where people reach
// Keyward (scheme://host[/prefix]). The token travels in the query, which
// the access log leaves out.
func InviteURL(base, token string) string {
	return strings.TrimSuffix(base, "/") + "/invite?token=" + url.QueryEscape(token)
}

// MayUseInvite says whether an invite may still set a password at now, and
// why not in words the person holding the link understands.
func MayUseInvite(inv Invite, now time.Time) error {
	switch {
	case inv.UsedAt != nil:
		return Errorf(ECONFLICT, "this invite link was already used; sign in with the password you chose, or ask for a new link")
	case inv.Replaced:
		return Errorf(ECONFLICT, "a newer invite link was sent for this account; use that one, or ask for a new link")
	case inv.Disabled:
		return Errorf(EFORBIDDEN, "this account is disabled; ask whoever invited you")
	case !now.Before(inv.ExpiresAt):
		return Errorf(ECONFLICT, "this invite link expired on %s; ask for a new link", inv.ExpiresAt.UTC().Format("2 Jan 2006"))
	}
	return nil
}

// Invites are one-time links that let a new user set their own password,
// and the forced change of a password someone else was given.
type Invites interface {
	// InviteUser creates an account as CreateUser does, with a generated
	// password it never shows, and an invite link for it in the same
	// transaction; the link is emailed when email is configured. base is
	// where people reach Keyward.
	InviteUser(ctx context.Context, a Actor, in UserInput, base string) (*User, *InviteLink, error)
	// NewInvite makes a fresh link for an account that has not set its own
	// password yet; earlier links stop working. ECONFLICT otherwise.
	NewInvite(ctx context.Context, a Actor, userID, base string) (*InviteLink, error)
	// Invite resolves a token; ENOTFOUND for an unknown one, and the
	// refusal of MayUseInvite for one that may no longer be used.
	Invite(ctx context.Context, token string) (*Invite, error)
	// AcceptInvite sets the account's password through the link, once.
	AcceptInvite(ctx context.Context, token, password string) (*User, error)
	// SetOwnPassword replaces a password the user was given (must change it
	// at first sign-in) without asking for it again. ECONFLICT otherwise.
	SetOwnPassword(ctx context.Context, a Actor, password string) error
}
