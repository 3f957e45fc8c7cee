package web

import (
	"net/http"

	"github.com/keyward/keyward/internal/keyward"
	"github.com/keyward/keyward/internal/store"
)

func (s *Server) listUsers(w http.ResponseWriter, r *http.Request, a keyward.Actor) error {
	users, err := s.accounts.Users(r.Context(), a)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, keyward.Page[keyward.User]{Items: users})
}

func (s *Server) createUser(w http.ResponseWriter, r *http.Request, a keyward.Actor) error {
	var in store.UserInput
	if err := decode(r, &in); err != nil {
		return err
	}
	generated := in.Password == ""
	u, pw, err := s.accounts.CreateUser(r.Context(), a, in)
	if err != nil {
		return err
	}
	out := map[string]any{"id": u.ID, "email": u.Email, "name": u.Name, "role": u.Role, "holder_id": u.HolderID, "created_at": u.CreatedAt}
	if generated {
		// Shown once, to the admin who created the account, to pass on.
		out["initial_password"] = pw
	}
	return writeJSON(w, http.StatusCreated, out)
}

func (s *Server) updateUser(w http.ResponseWriter, r *http.Request, a keyward.Actor) error {
	var in struct {
		Role     keyward.Role `json:"role"`
		Disabled bool         `json:"disabled"`
	}
	if err := decode(r, &in); err != nil {
		return err
	}
	u, err := s.accounts.UpdateUser(r.Context(), a, r.PathValue("id"), in.Role, in.Disabled)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, u)
}

func (s *Server) createToken(w http.ResponseWriter, r *http.Request, a keyward.Actor) error {
	var in struct {
		User string `json:"user"`
		Name string `json:"name"`
	}
	if err := decode(r, &in); err != nil {
		return err
	}
	if in.User == "" {
		in.User = a.Email
	}
	tok, err := s.accounts.CreateToken(r.Context(), a, in.User, in.Name)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusCreated, map[string]string{"token": tok, "user": in.User, "name": in.Name})
}
