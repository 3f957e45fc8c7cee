package keyward

import (
	"context"
	"time"
)

// InitInput is what first-run setup asks for.
type InitInput struct {
	Org      string
	Email    string
	Name     string
	Password string // empty: generate one
	TimeZone string
}

// UserInput creates an account.
type UserInput struct {
	Email    string `json:"email"`
	Name     string `json:"name"`
	Role     Role   `json:"role"`
	Password string `json:"password,omitempty"` // empty: generated and returned once
	HolderID string `json:"holder_id,omitempty"`
}

// FailedSignIns summarizes the failed attempts on an account since its
// previous sign-in, for the notice shown after the next one.
type FailedSignIns struct {
	Count    int
	LastAddr string    // where the most recent one came from
	LastAt   time.Time // and when
}

// Organization is the organization's own record and first-run setup.
type Organization interface {
	// Org returns the organization. ENOTFOUND before init.
	Org(ctx context.Context) (*Org, error)
	// CSRFKey is the organization's key for CSRF tokens, shared by every server process.
	CSRFKey(ctx context.Context) ([]byte, error)
	// Init creates the organization and its owner and returns the owner's password. ECONFLICT if already initialized.
	Init(ctx context.Context, in InitInput) (*User, string, error)
	// CheckSetupToken reports whether token is an unused one-time setup token.
	CheckSetupToken(ctx context.Context, token string) bool
	// SetTOTPRule switches the authenticator rule for everyone who can see
	// secrets and sets its grace period; switching it on starts the grace.
	// Owners only (EFORBIDDEN, recorded); EINVALID names totp_grace_days.
	SetTOTPRule(ctx context.Context, a Actor, in TOTPRule) error
	RevealGate
	OrgEditor
}

// SignIn checks passwords and second factors, throttled, and resolves
// sessions and API tokens to the acting user.
type SignIn interface {
	// Authenticate checks a password, throttled per account and client address. EUNAUTHORIZED.
	Authenticate(ctx context.Context, email, password, addr string) (*User, error)
	// NeedsTOTP reports whether the user has an authenticator and whether the
	// organization requires one of them (TOTPRequired: every role that can
	// see secrets). An enrolled user always gives a code at sign-in.
	NeedsTOTP(ctx context.Context, u *User) (enrolled bool, required bool)
	// CheckSignInCode checks the authenticator code of a sign-in, throttled like the password.
	CheckSignInCode(ctx context.Context, userID, code, addr string) error
	// RecordSignIn completes a sign-in from addr and returns the failures since the previous one.
	RecordSignIn(ctx context.Context, userID, addr string) (FailedSignIns, error)
	// CreateSession starts a browser session; mfaDone is false until a required second factor is given.
	CreateSession(ctx context.Context, u *User, mfaDone bool) (string, error)
	// CompleteMFA marks a session as having passed its second factor.
	CompleteMFA(ctx context.Context, sessionID string) error
	// Session resolves a session cookie; mfaDone false allows only the second-factor page.
	Session(ctx context.Context, sessionID string) (a Actor, mfaDone bool, err error)
	// DeleteSession signs out.
	DeleteSession(ctx context.Context, sessionID string) error
	// TokenActor resolves a bearer token. EUNAUTHORIZED.
	TokenActor(ctx context.Context, plain string) (Actor, error)
}

// Users manages accounts and each user's own password and authenticator.
type Users interface {
	// CreateUser adds an account and returns its initial password; only owners create owners.
	CreateUser(ctx context.Context, a Actor, in UserInput) (*User, string, error)
	// Users lists every account.
	Users(ctx context.Context, a Actor) ([]User, error)
	// User returns one account by id. ENOTFOUND.
	User(ctx context.Context, id string) (*User, error)
	// UpdateUser changes a user's name, role or disabled flag (MayChangeUser decides). EINVALID, EFORBIDDEN, ECONFLICT.
	UpdateUser(ctx context.Context, a Actor, id string, in UserPatch) (*User, error)
	// ChangePassword sets a new password after checking the old one.
	ChangePassword(ctx context.Context, a Actor, old, pw string) error
	// EnrolTOTP stores a new authenticator secret once the user proves it with a code.
	EnrolTOTP(ctx context.Context, a Actor, secret, code string) error
}

// Tokens are API tokens: minted, listed and revoked.
type Tokens interface {
	// MintToken issues a token for the user with email and returns it with its plaintext. EFORBIDDEN (recorded).
	MintToken(ctx context.Context, a Actor, email, name string) (*APIToken, string, error)
	// Tokens lists the tokens not revoked that f chooses. ENOTFOUND for an unknown user.
	Tokens(ctx context.Context, a Actor, f TokenFilter) ([]APIToken, error)
	// RevokeToken revokes a token at once. ENOTFOUND for an unknown or revoked token.
	RevokeToken(ctx context.Context, a Actor, id string) (*APIToken, error)
}

// Accounts is everything about who may sign in: the organization, sign-in
// and sessions, users and API tokens.
type Accounts interface {
	Organization
	SignIn
	Users
	Invites
	Tokens
}
