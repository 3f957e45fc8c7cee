package keyward

import (
	"context"
	"errors"
	"time"
)

// Who may see a secret now. The policy table says which roles may reveal at
// all (ActSecretReveal, ActBittingReveal); MayReveal adds the organization's
// "require an authenticator" rule on top, for every one of those roles.
// Every reveal (lockbox codes, credential PINs, bittings and pinning charts,
// key codes) asks it, through the store's one gate, before it opens a secret.

// Bounds of the grace period a user has to set up an authenticator once the
// organization requires one.
const (
	DefaultTOTPGraceDays = 7
	MaxTOTPGraceDays     = 90
)

// RuleAuthenticatorRequired names the rule a reveal without an authenticator
// broke; it is the refusal's "rule" member, so a page can offer the way out.
const RuleAuthenticatorRequired = "authenticator_required"

// EnrolPath is the page where a user sets up their authenticator app.
const EnrolPath = "/account"

// RevealsSecrets reports whether role may see any secret (a code, a PIN or a
// bitting) by the policy table. The system actor of offline commands is not
// a user and is never asked for an authenticator.
func RevealsSecrets(role Role) bool {
	if role == RoleSystem {
		return false
	}
	return Allowed(role, ActSecretReveal) || Allowed(role, ActBittingReveal)
}

// TOTPRequired reports whether the organization's rule asks role for an
// authenticator: it covers exactly the roles that can see secrets.
func TOTPRequired(orgRequires bool, role Role) bool {
	return orgRequires && RevealsSecrets(role)
}

// TOTPGraceDeadline is when a user's time to set up an authenticator ends:
// graceDays after the later of the moment the organization switched the
// requirement on and the moment the user's account was made.
func TOTPGraceDeadline(requiredSince, userCreated time.Time, graceDays int) time.Time {
	start := requiredSince
	if userCreated.After(start) {
		start = userCreated
	}
	return start.AddDate(0, 0, graceDays)
}

// RevealStanding is what MayReveal needs to know about one user.
type RevealStanding struct {
	Role Role `json:"role"`
	// Enrolled: the user has an authenticator app, so every browser session
	// of theirs passed it at sign-in.
	Enrolled bool `json:"enrolled"`
	// OrgRequires is the organization's "require an authenticator" setting.
	OrgRequires bool `json:"org_requires"`
	// Deadline is the end of the user's grace period (TOTPGraceDeadline),
	// in the organization's time zone; zero when nothing is required.
	Deadline time.Time `json:"deadline,omitzero"`
}

// MayReveal decides whether a user of role may see a secret at now: nil, or
// an EFORBIDDEN error in words naming the rule and the way to satisfy it.
// A role the policy table never lets reveal is refused here too. When the
// organization requires an authenticator, a user without one may still
// reveal until deadline (see InGrace for the warning), and not after.
func MayReveal(role Role, enrolled, orgRequires bool, deadline, now time.Time) error {
	if role == RoleSystem {
		return nil
	}
	if !RevealsSecrets(role) {
		return Errorf(EFORBIDDEN, "role %s may not see codes, PINs or bittings", role)
	}
	if !TOTPRequired(orgRequires, role) || enrolled || now.Before(deadline) {
		return nil
	}
	return &Error{Code: EFORBIDDEN,
		Message: "Set up your authenticator app to see codes: your organization requires one for everyone who sees codes, PINs and bittings, and the time to set it up ended on " +
			deadline.Format(deadlineLayout) + ". Set it up under Your account (" + EnrolPath + ").",
		Extra: map[string]any{"rule": RuleAuthenticatorRequired, "enrol": EnrolPath, "deadline": deadline}}
}

// deadlineLayout writes a deadline the way people read it.
const deadlineLayout = "Mon 2 Jan 2006 15:04 MST"

// Check is MayReveal for s.
func (s RevealStanding) Check(now time.Time) error {
	return MayReveal(s.Role, s.Enrolled, s.OrgRequires, s.Deadline, now)
}

// InGrace reports whether the user may reveal now only because the grace
// period has not ended: they are to be told the deadline and where to enrol.
func (s RevealStanding) InGrace(now time.Time) bool {
	return TOTPRequired(s.OrgRequires, s.Role) && !s.Enrolled && now.Before(s.Deadline)
}

// GraceWarning is the message a user in their grace period sees beside a
// secret, or "" when there is nothing to warn of.
func (s RevealStanding) GraceWarning(now time.Time) string {
	if !s.InGrace(now) {
		return ""
	}
	return "Your organization requires an authenticator app to see codes. Set one up before " +
		s.Deadline.Format(deadlineLayout) + ", or codes, PINs and bittings will no longer be shown to you."
}

// IsAuthenticatorRequired reports whether err is MayReveal's refusal for a
// missing authenticator, so a page can show the way to set one up.
func IsAuthenticatorRequired(err error) bool {
	var e *Error
	return errors.As(err, &e) && e.Code == EFORBIDDEN && e.Extra["rule"] == RuleAuthenticatorRequired
}

// TOTPRule is the organization's authenticator setting.
type TOTPRule struct {
	Require bool `json:"require_totp"`
	// GraceDays is how long a user has to set up an authenticator after the
	// requirement is switched on or their account is made.
	GraceDays int `json:"totp_grace_days"`
}

// Validate checks the grace period's bounds.
func (in *TOTPRule) Validate() error {
	var v Validator
	v.Check(in.GraceDays >= 0 && in.GraceDays <= MaxTOTPGraceDays, "totp_grace_days", "must be a whole number of days from 0 to "+itoa(MaxTOTPGraceDays))
	return v.Err()
}

// RevealGate tells a transport where a user stands before it shows a
// secret: the warning of a grace period, or the page that says to enrol.
type RevealGate interface {
	// RevealStanding is the acting user's standing (MayReveal's inputs).
	RevealStanding(ctx context.Context, a Actor) (RevealStanding, error)
}
