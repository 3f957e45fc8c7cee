package web

import (
	"net/http"

	"github.com/keyward/keyward/internal/keyward"
)

// Keying specs: the manufacturer table (keying.md §7) with its confidence
// notes, and the organization's own specs, which key-system creation accepts
// by name in `manufacturer`.

func (s *Server) listKeyingSpecs(w http.ResponseWriter, r *http.Request, a keyward.Actor) error {
	items, err := s.keyingSpecs.KeyingSpecs(r.Context(), a)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, keyward.Page[keyward.KeyingSpec]{Items: items})
}

func (s *Server) createKeyingSpec(w http.ResponseWriter, r *http.Request, a keyward.Actor) error {
	var in keyward.KeyingSpecInput
	if err := decode(r, &in); err != nil {
		return err
	}
	ks, err := s.keyingSpecs.CreateKeyingSpec(r.Context(), a, in)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusCreated, ks)
}
