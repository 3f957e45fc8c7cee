package web

import (
	"net/http"
	"strconv"
	"time"

	"github.com/keyward/keyward/internal/keyward"
)

func (s *Server) listUsers(w http.ResponseWriter, r *http.Request, a keyward.Actor) error {
	users, err := s.accounts.Users(r.Context(), a)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, keyward.Page[keyward.User]{Items: users})
}

func (s *Server) createUser(w http.ResponseWriter, r *http.Request, a keyward.Actor) error {
	var in keyward.UserInput
	if err := decode(r, &in); err != nil {
		return err
	}
	generated := in.Password == ""
	u, pw, err := s.accounts.CreateUser(r.Context(), a, in)
	if err != nil {
		return err
	}
	out := newAccount{ID: u.ID, Email: u.Email, Name: u.Name, Role: u.Role, HolderID: u.HolderID, MustChangePassword: u.MustChangePassword, CreatedAt: u.CreatedAt}
	if generated {
		// Shown once, to the admin who created the account, to pass on.
		out.InitialPassword = pw
	}
	return writeJSON(w, http.StatusCreated, out)
}

// newAccount is a new account, with the password Keyward generated for it.
type newAccount struct {
	ID       string       `json:"id"`
	Email    string       `json:"email"`
	Name     string       `json:"name"`
	Role     keyward.Role `json:"role"`
	HolderID string       `json:"holder_id"`
	// MustChangePassword: the password was generated; the user replaces it at first sign-in.
	MustChangePassword bool      `json:"must_change_password"`
	CreatedAt          time.Time `json:"created_at"`
	InitialPassword    string    `json:"initial_password,omitempty"`
}

// userUpdate is the body of PATCH /api/v1/users/{id}: what it names changes.
type userUpdate struct {
	Name     *string       `json:"name,omitempty"`
	Role     *keyward.Role `json:"role,omitempty"`
	Disabled *bool         `json:"disabled,omitempty"`
}

// tokenInput is the body of POST /api/v1/tokens.
type tokenInput struct {
	User string `json:"user"`
	Name string `json:"name"`
}

// createdToken is a new API token: the only answer that holds the token.
type createdToken struct {
	Token     string    `json:"token"`
	ID        string    `json:"id"`
	User      string    `json:"user"`
	Name      string    `json:"name"`
	CreatedAt time.Time `json:"created_at"`
}

func (s *Server) updateUser(w http.ResponseWriter, r *http.Request, a keyward.Actor) error {
	var in userUpdate
	if err := decode(r, &in); err != nil {
		return err
	}
	u, err := s.accounts.UpdateUser(r.Context(), a, r.PathValue("id"), keyward.UserPatch{Name: in.Name, Role: in.Role, Disabled: in.Disabled})
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, u)
}

// createToken mints an API token for the caller; naming anyone else in
// "user" is a 403 (keyward.MayMintToken).
func (s *Server) createToken(w http.ResponseWriter, r *http.Request, a keyward.Actor) error {
	var in tokenInput
	if err := decode(r, &in); err != nil {
		return err
	}
	if in.User == "" {
		in.User = a.Email
	}
	t, plain, err := s.accounts.MintToken(r.Context(), a, in.User, in.Name)
	if err != nil {
		return err
	}
	w.Header().Set("Cache-Control", "no-store")
	return writeJSON(w, http.StatusCreated, createdToken{Token: plain, ID: t.ID, User: t.User, Name: t.Name, CreatedAt: t.CreatedAt})
}

// listTokens lists API tokens without their secrets: the caller's own, or
// with ?user=ID one user's, or with ?all=true everyone's (owners and admins).
func (s *Server) listTokens(w http.ResponseWriter, r *http.Request, a keyward.Actor) error {
	q := r.URL.Query()
	f := keyward.TokenFilter{UserID: q.Get("user")}
	if v := q.Get("all"); v != "" {
		all, err := strconv.ParseBool(v)
		if err != nil {
			return keyward.Invalid("all", "must be true or false")
		}
		f.All = all
	}
	if f.All && f.UserID != "" {
		return keyward.Invalid("user", "must not be given with all=true")
	}
	items, err := s.accounts.Tokens(r.Context(), a, f)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, keyward.Page[keyward.APIToken]{Items: items})
}

// revokeToken revokes an API token at once: one's own, or anyone's for
// owners and admins.
func (s *Server) revokeToken(w http.ResponseWriter, r *http.Request, a keyward.Actor) error {
	if err := noBody(r); err != nil {
		return err
	}
	t, err := s.accounts.RevokeToken(r.Context(), a, r.PathValue("id"))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, t)
}

func (s *Server) getOrg(w http.ResponseWriter, r *http.Request, a keyward.Actor) error {
	o, err := s.accounts.Org(r.Context())
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, o)
}

func (s *Server) updateOrg(w http.ResponseWriter, r *http.Request, a keyward.Actor) error {
	var in keyward.OrgPatch
	if err := decode(r, &in); err != nil {
		return err
	}
	o, err := s.accounts.UpdateOrg(r.Context(), a, in)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, o)
}
