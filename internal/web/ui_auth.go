package web

import (
	"encoding/base64"
	"errors"
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"strconv"

	"rsc.io/qr"

	"github.com/keyward/keyward/internal/auth"
	"github.com/keyward/keyward/internal/keyward"
)

func (s *Server) loginPage(w http.ResponseWriter, r *http.Request, a keyward.Actor) error {
	if _, err := s.accounts.Org(r.Context()); keyward.ErrorCode(err) == keyward.ENOTFOUND {
		return s.render(w, r, a, http.StatusOK, "error", "Not set up yet", map[string]any{"Status": "Keyward", "Message": "Keyward is not set up yet: open the setup link that `keyward serve` printed, or run `keyward init`."})
	}
	q := r.URL.Query()
	return s.render(w, r, a, http.StatusOK, "login", "Sign in", map[string]string{"Next": safeNext(q.Get("next")), "Email": q.Get("email")})
}

func (s *Server) login(w http.ResponseWriter, r *http.Request, a keyward.Actor) error {
	if err := checkPreCSRF(r); err != nil {
		return err
	}
	email, next, addr := r.PostFormValue("email"), safeNext(r.PostFormValue("next")), s.clientAddr(r)
	u, err := s.accounts.Authenticate(r.Context(), email, r.PostFormValue("password"), addr)
	if err != nil {
		st := Status(err)
		if st >= 500 {
			return err
		}
		if secs, ok := retryAfter(err); ok {
			w.Header().Set("Retry-After", strconv.Itoa(secs))
		}
		return s.render(w, r, a, st, "login", "Sign in", newFormError(err, map[string]string{"Next": next, "Email": email}))
	}
	enrolled, required := s.accounts.NeedsTOTP(r.Context(), u)
	notice := ""
	if !enrolled {
		// Signed in: with a second factor, only once the code is given.
		failed, err := s.accounts.RecordSignIn(r.Context(), u.ID, addr)
		if err != nil {
			return err
		}
		notice = s.failedSignInsNotice(r, failed)
	}
	sid, err := s.accounts.CreateSession(r.Context(), u, !enrolled)
	if err != nil {
		return err
	}
	s.setSession(w, sid)
	switch {
	case enrolled:
		return redirect(w, r, "/login/totp")
	case u.MustChangePassword:
		return redirect(w, r, withFlash("/account/new-password", notice))
	case required:
		return redirect(w, r, withFlash("/account", joinFlash(notice, s.enrolReminder(r, u))))
	}
	return redirect(w, r, withFlash(next, notice))
}

// enrolReminder is what a user the organization asks for an authenticator
// (every role that sees secrets) reads after signing in without one: until
// when they may still see codes, or that codes are no longer shown to them.
// Sign-in itself goes on either way: the requirement guards the secrets, and
// every reveal asks keyward.MayReveal.
func (s *Server) enrolReminder(r *http.Request, u *keyward.User) string {
	const ask = "Your organization requires an authenticator app for everyone who sees codes: set one up below."
	st, err := s.accounts.RevealStanding(r.Context(), keyward.Actor{UserID: u.ID, Email: u.Email, Role: u.Role})
	if err != nil {
		return ask
	}
	if msg := st.GraceWarning(s.now()); msg != "" {
		return msg
	}
	return ask + " Until then, codes, PINs and bittings are not shown to you."
}

// retryAfter is the whole seconds a throttled sign-in must wait.
func retryAfter(err error) (int, bool) {
	var e *keyward.Error
	if !errors.As(err, &e) || e.Code != keyward.ETOOMANY {
		return 0, false
	}
	secs, ok := e.Extra["retry_after"].(int)
	return secs, ok
}

// failedSignInsNotice tells a user who just signed in of the failed attempts
// on their account since their previous sign-in, on the organization's clock.
func (s *Server) failedSignInsNotice(r *http.Request, f keyward.FailedSignIns) string {
	if f.Count == 0 {
		return ""
	}
	attempts := "attempts"
	if f.Count == 1 {
		attempts = "attempt"
	}
	return fmt.Sprintf("%d failed sign-in %s since your last sign-in, most recent from %s at %s.",
		f.Count, attempts, f.LastAddr, f.LastAt.In(s.zone(r)).Format("2006-01-02 15:04 MST"))
}

// withFlash adds a flash message to a local path, which may have a query
// (and a fragment) already.
func withFlash(path, msg string) string {
	if msg == "" {
		return path
	}
	u, err := url.Parse(path)
	if err != nil {
		return "/?flash=" + url.QueryEscape(msg)
	}
	q := u.Query()
	q.Set("flash", msg)
	u.RawQuery = q.Encode()
	return u.String()
}

func joinFlash(a, b string) string {
	if a == "" {
		return b
	}
	return a + " " + b
}

// totpSession reads a session that may still be waiting for its second factor.
func (s *Server) totpSession(r *http.Request) (keyward.Actor, string, bool) {
	c, err := r.Cookie(sessionCookie)
	if err != nil {
		return keyward.Actor{}, "", false
	}
	act, _, err := s.accounts.Session(r.Context(), c.Value)
	return act, c.Value, err == nil
}

func (s *Server) totpPage(w http.ResponseWriter, r *http.Request, a keyward.Actor) error {
	if _, _, ok := s.totpSession(r); !ok {
		return redirect(w, r, "/login")
	}
	return s.render(w, r, a, http.StatusOK, "totp", "Authenticator code", nil)
}

func (s *Server) totpSubmit(w http.ResponseWriter, r *http.Request, a keyward.Actor) error {
	act, sid, ok := s.totpSession(r)
	if !ok {
		return redirect(w, r, "/login")
	}
	if err := checkPreCSRF(r); err != nil {
		return err
	}
	addr := s.clientAddr(r)
	if err := s.accounts.CheckSignInCode(r.Context(), act.UserID, r.PostFormValue("code"), addr); err != nil {
		if Status(err) >= 500 {
			return err
		}
		if secs, ok := retryAfter(err); ok {
			w.Header().Set("Retry-After", strconv.Itoa(secs))
		}
		return s.render(w, r, a, Status(err), "totp", "Authenticator code", newFormError(err, nil))
	}
	failed, err := s.accounts.RecordSignIn(r.Context(), act.UserID, addr)
	if err != nil {
		return err
	}
	if err := s.accounts.CompleteMFA(r.Context(), sid); err != nil {
		return err
	}
	return redirect(w, r, withFlash("/", s.failedSignInsNotice(r, failed)))
}

func (s *Server) logout(w http.ResponseWriter, r *http.Request, a keyward.Actor) error {
	if c, err := r.Cookie(sessionCookie); err == nil {
		if err := s.accounts.DeleteSession(r.Context(), c.Value); err != nil {
			return err
		}
	}
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: "", Path: "/", MaxAge: -1, HttpOnly: true, Secure: s.secure, SameSite: http.SameSiteLaxMode})
	return redirect(w, r, "/login?flash=Signed+out.")
}

func (s *Server) setupPage(w http.ResponseWriter, r *http.Request, a keyward.Actor) error {
	tok := r.URL.Query().Get("token")
	if !s.accounts.CheckSetupToken(r.Context(), tok) {
		return keyward.Errorf(keyward.EFORBIDDEN, "this setup link is not valid or was already used")
	}
	return s.render(w, r, a, http.StatusOK, "setup", "Set up Keyward", setupData(tok, "", "", "America/New_York"))
}

func (s *Server) setupSubmit(w http.ResponseWriter, r *http.Request, a keyward.Actor) error {
	if err := checkPreCSRF(r); err != nil {
		return err
	}
	tok := r.PostFormValue("token")
	if !s.accounts.CheckSetupToken(r.Context(), tok) {
		return keyward.Errorf(keyward.EFORBIDDEN, "this setup link is not valid or was already used")
	}
	in := keyward.InitInput{Org: r.PostFormValue("org"), Email: r.PostFormValue("email"), Password: r.PostFormValue("password"), TimeZone: r.PostFormValue("time_zone")}
	if in.Password == "" {
		return s.render(w, r, a, http.StatusBadRequest, "setup", "Set up Keyward",
			newFormError(keyward.Invalid("password", "is required"), setupData(tok, in.Org, in.Email, in.TimeZone)))
	}
	u, _, err := s.accounts.Init(r.Context(), in)
	if err != nil {
		if Status(err) >= 500 {
			return err
		}
		return s.render(w, r, a, Status(err), "setup", "Set up Keyward", newFormError(err, setupData(tok, in.Org, in.Email, in.TimeZone)))
	}
	// Setting up signs the owner in: the address is known to them from now on.
	if _, err := s.accounts.RecordSignIn(r.Context(), u.ID, s.clientAddr(r)); err != nil {
		return err
	}
	sid, err := s.accounts.CreateSession(r.Context(), u, true)
	if err != nil {
		return err
	}
	s.setSession(w, sid)
	return redirect(w, r, "/?flash=Welcome+to+Keyward.")
}

// setupData is what the setup form shows: what was typed, and the zone list.
func setupData(token, org, email, zone string) map[string]any {
	return map[string]any{"Token": token, "Org": org, "Email": email, "TimeZone": zone, "Zones": keyward.TimeZones()}
}

type accountData struct {
	TOTPEnabled bool
	Secret      string
	// URL is the otpauth:// link authenticator apps open; QR is the same link
	// as a PNG data URI to scan with a phone. Both are built here, never from
	// input, so the template may use them as URLs.
	URL         template.URL
	QR          template.URL
	RequireTOTP bool
	GraceDays   int
	// Warning tells a user in their grace period until when they may still
	// see codes without an authenticator.
	Warning string
}

func (s *Server) accountData(r *http.Request, a keyward.Actor, secret string) (accountData, error) {
	u, err := s.accounts.User(r.Context(), a.UserID)
	if err != nil {
		return accountData{}, err
	}
	d := accountData{TOTPEnabled: u.TOTPEnabled}
	if org, err := s.accounts.Org(r.Context()); err == nil {
		d.RequireTOTP, d.GraceDays = org.RequireTOTP, org.TOTPGraceDays
		st, err := s.accounts.RevealStanding(r.Context(), a)
		if err != nil {
			return accountData{}, err
		}
		d.Warning = st.GraceWarning(s.now())
		if !u.TOTPEnabled {
			if secret == "" {
				secret = auth.NewTOTPSecret()
			}
			link := auth.TOTPURL("Keyward "+org.Name, u.Email, secret)
			d.Secret, d.URL = secret, template.URL(link)
			code, err := qr.Encode(link, qr.M)
			if err != nil {
				return accountData{}, fmt.Errorf("web: enrolment QR code: %w", err)
			}
			d.QR = template.URL("data:image/png;base64," + base64.StdEncoding.EncodeToString(code.PNG()))
		}
	}
	return d, nil
}

func (s *Server) accountPage(w http.ResponseWriter, r *http.Request, a keyward.Actor) error {
	d, err := s.accountData(r, a, "")
	if err != nil {
		return err
	}
	return s.render(w, r, a, http.StatusOK, "account", "Your account", d)
}

func (s *Server) accountPassword(w http.ResponseWriter, r *http.Request, a keyward.Actor) error {
	if err := s.accounts.ChangePassword(r.Context(), a, r.PostFormValue("current_password"), r.PostFormValue("new_password")); err != nil {
		d, derr := s.accountData(r, a, "")
		if derr != nil || Status(err) >= 500 {
			return err
		}
		return s.render(w, r, a, Status(err), "account", "Your account", newFormError(err, d))
	}
	return redirect(w, r, "/account?flash=Password+changed.")
}

func (s *Server) accountTOTP(w http.ResponseWriter, r *http.Request, a keyward.Actor) error {
	secret := r.PostFormValue("secret")
	if err := s.accounts.EnrolTOTP(r.Context(), a, secret, r.PostFormValue("code")); err != nil {
		d, derr := s.accountData(r, a, secret)
		if derr != nil || Status(err) >= 500 {
			return err
		}
		return s.render(w, r, a, Status(err), "account", "Your account", newFormError(err, d))
	}
	return redirect(w, r, "/account?flash=Authenticator+enrolled.")
}

func (s *Server) accountOrg(w http.ResponseWriter, r *http.Request, a keyward.Actor) error {
	in := keyward.TOTPRule{Require: r.PostFormValue("require_totp") == "1", GraceDays: keyward.DefaultTOTPGraceDays}
	if v := r.PostFormValue("totp_grace_days"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil {
			n = -1 // a word, not a number: Validate names the field
		}
		in.GraceDays = n
	}
	if err := s.accounts.SetTOTPRule(r.Context(), a, in); err != nil {
		d, derr := s.accountData(r, a, "")
		if derr != nil || Status(err) >= 500 {
			return err
		}
		return s.render(w, r, a, Status(err), "account", "Your account", newFormError(err, d))
	}
	return redirect(w, r, "/account?flash=Saved.")
}

// createdUser is the account just added or re-invited, with its invite link.
type createdUser struct {
	Email, Name string
	Link        *keyward.InviteLink
}

func (s *Server) usersPage(w http.ResponseWriter, r *http.Request, a keyward.Actor) error {
	return s.renderUsers(w, r, a, http.StatusOK, nil, nil)
}

func (s *Server) renderUsers(w http.ResponseWriter, r *http.Request, a keyward.Actor, status int, created *createdUser, ferr error) error {
	users, err := s.accounts.Users(r.Context(), a)
	if err != nil {
		return err
	}
	data := map[string]any{"Users": users, "Created": created, "Roles": roleChoices(a)}
	if ferr != nil {
		return s.render(w, r, a, status, "users", "Users", newFormError(ferr, data))
	}
	return s.render(w, r, a, status, "users", "Users", data)
}

func (s *Server) usersCreate(w http.ResponseWriter, r *http.Request, a keyward.Actor) error {
	in := keyward.UserInput{Email: r.PostFormValue("email"), Name: r.PostFormValue("name"), Role: keyward.Role(r.PostFormValue("role"))}
	u, link, err := s.accounts.InviteUser(r.Context(), a, in, s.baseURL(r))
	if err != nil {
		if Status(err) >= 500 {
			return err
		}
		return s.renderUsers(w, r, a, Status(err), nil, err)
	}
	return s.renderUsers(w, r, a, http.StatusCreated, &createdUser{Email: u.Email, Name: u.Name, Link: link}, nil)
}

// roleChoice is one role as the users page offers it, with what it may do.
type roleChoice struct {
	Role  keyward.Role
	Words string
}

// roleChoices are the roles a may give, most powerful first, each with its words.
func roleChoices(a keyward.Actor) []roleChoice {
	out := make([]roleChoice, 0, len(keyward.Roles))
	for _, r := range keyward.Roles {
		if r == keyward.RoleOwner && a.Role != keyward.RoleOwner {
			continue // only an owner makes an owner
		}
		out = append(out, roleChoice{Role: r, Words: keyward.RoleWords[r]})
	}
	return out
}

func (s *Server) usersUpdate(w http.ResponseWriter, r *http.Request, a keyward.Actor) error {
	// The form shows every field, so it sets them all; a name left out of an
	// older form is left as it is.
	role, disabled := keyward.Role(r.PostFormValue("role")), r.PostFormValue("disabled") == "1"
	in := keyward.UserPatch{Role: &role, Disabled: &disabled}
	if _, ok := r.PostForm["name"]; ok {
		name := r.PostFormValue("name")
		in.Name = &name
	}
	_, err := s.accounts.UpdateUser(r.Context(), a, r.PathValue("id"), in)
	if err != nil {
		if Status(err) >= 500 {
			return err
		}
		return s.renderUsers(w, r, a, Status(err), nil, err)
	}
	return redirect(w, r, "/users?flash=Saved.")
}

// settingsPage is the organization's settings: its name and time zone.
func (s *Server) settingsPage(w http.ResponseWriter, r *http.Request, a keyward.Actor) error {
	return s.renderSettings(w, r, a, http.StatusOK, "", nil)
}

// renderSettings shows the Settings page; failed names the refused form
// ("org", "copies").
func (s *Server) renderSettings(w http.ResponseWriter, r *http.Request, a keyward.Actor, status int, failed string, ferr error) error {
	o, err := s.accounts.Org(r.Context())
	if err != nil {
		return err
	}
	copies, err := s.copySettingsData(r, a)
	if err != nil {
		return err
	}
	if failed == "copies" && ferr != nil {
		copies.Form = postedValues(r, "approvals_required", "two_person_rule")
	}
	data := map[string]any{"Org": o, "Zones": keyward.TimeZones(), "Copies": copies, "Failed": failed}
	if ferr != nil {
		return s.render(w, r, a, status, "settings", "Settings", newFormError(ferr, data))
	}
	return s.render(w, r, a, status, "settings", "Settings", data)
}

func (s *Server) settingsSubmit(w http.ResponseWriter, r *http.Request, a keyward.Actor) error {
	name, zone := r.PostFormValue("name"), r.PostFormValue("time_zone")
	if _, err := s.accounts.UpdateOrg(r.Context(), a, keyward.OrgPatch{Name: &name, TimeZone: &zone}); err != nil {
		return formRefused(err, func(st int) error { return s.renderSettings(w, r, a, st, "org", err) })
	}
	return redirect(w, r, "/settings?flash=Saved.")
}
