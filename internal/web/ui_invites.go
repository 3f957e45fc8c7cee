package web

import (
	"errors"
	"net/http"
	"net/url"

	"github.com/keyward/keyward/internal/keyward"
)

// errMustChangePassword sends a user who signed in with a password someone
// else gave them to the page where they choose their own, before any other.
var errMustChangePassword = errors.New("must choose a password first")

// beforeOwnPassword are the pages such a user may still reach.
var beforeOwnPassword = map[string]bool{
	"GET /account/new-password":  true,
	"POST /account/new-password": true,
	"POST /logout":               true,
}

// invitePage shows the form an invited user chooses their password on.
func (s *Server) invitePage(w http.ResponseWriter, r *http.Request, a keyward.Actor) error {
	tok := r.URL.Query().Get("token")
	inv, err := s.accounts.Invite(r.Context(), tok)
	if err != nil {
		return s.inviteRefused(w, r, a, err)
	}
	return s.render(w, r, a, http.StatusOK, "invite", "Choose your password", map[string]any{"Token": tok, "Invite": inv})
}

// inviteRefused shows why a link no longer works, and what to do instead.
func (s *Server) inviteRefused(w http.ResponseWriter, r *http.Request, a keyward.Actor, err error) error {
	if Status(err) >= 500 {
		return err
	}
	w.Header().Set("Cache-Control", "no-store")
	return s.render(w, r, a, Status(err), "invite", "Invite link", newFormError(err, map[string]any{"Refused": true}))
}

func (s *Server) inviteSubmit(w http.ResponseWriter, r *http.Request, a keyward.Actor) error {
	if err := checkPreCSRF(r); err != nil {
		return err
	}
	tok, pw := r.PostFormValue("token"), r.PostFormValue("password")
	inv, err := s.accounts.Invite(r.Context(), tok)
	if err != nil {
		return s.inviteRefused(w, r, a, err)
	}
	if pw != r.PostFormValue("confirm") {
		return s.render(w, r, a, http.StatusBadRequest, "invite", "Choose your password",
			newFormError(keyward.Invalid("confirm", "must be the same password typed again"), map[string]any{"Token": tok, "Invite": inv}))
	}
	u, err := s.accounts.AcceptInvite(r.Context(), tok, pw)
	if err != nil {
		if keyward.ErrorCode(err) != keyward.EINVALID {
			return s.inviteRefused(w, r, a, err)
		}
		return s.render(w, r, a, Status(err), "invite", "Choose your password", newFormError(err, map[string]any{"Token": tok, "Invite": inv}))
	}
	return redirect(w, r, "/login?"+url.Values{"email": {u.Email}, "flash": {"Your password is set. Sign in with it."}}.Encode())
}

// newPasswordPage is where a user who was given a password chooses their own.
func (s *Server) newPasswordPage(w http.ResponseWriter, r *http.Request, a keyward.Actor) error {
	if !a.MustChangePassword {
		return redirect(w, r, "/account")
	}
	return s.render(w, r, a, http.StatusOK, "new_password", "Choose your password", nil)
}

func (s *Server) newPasswordSubmit(w http.ResponseWriter, r *http.Request, a keyward.Actor) error {
	pw := r.PostFormValue("new_password")
	err := error(nil)
	if pw != r.PostFormValue("confirm") {
		err = keyward.Invalid("confirm", "must be the same password typed again")
	} else {
		err = s.accounts.SetOwnPassword(r.Context(), a, pw)
	}
	if err != nil {
		return formRefused(err, func(st int) error {
			return s.render(w, r, a, st, "new_password", "Choose your password", newFormError(err, nil))
		})
	}
	u, err := s.accounts.User(r.Context(), a.UserID)
	if err != nil {
		return err
	}
	if enrolled, required := s.accounts.NeedsTOTP(r.Context(), u); required && !enrolled {
		return redirect(w, r, withFlash("/account", "Your password is set. "+s.enrolReminder(r, u)))
	}
	return redirect(w, r, "/?flash=Your+password+is+set.")
}

// usersInvite makes a new invite link for an account that has not chosen
// its password yet; the earlier link stops working.
func (s *Server) usersInvite(w http.ResponseWriter, r *http.Request, a keyward.Actor) error {
	link, err := s.accounts.NewInvite(r.Context(), a, r.PathValue("id"), s.baseURL(r))
	if err != nil {
		if Status(err) >= 500 {
			return err
		}
		return s.renderUsers(w, r, a, Status(err), nil, err)
	}
	u, err := s.accounts.User(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	return s.renderUsers(w, r, a, http.StatusOK, &createdUser{Email: u.Email, Name: u.Name, Link: link}, nil)
}
