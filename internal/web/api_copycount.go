package web

import (
	"net/http"

	"github.com/keyward/keyward/internal/keyward"
)

// API handlers of copy accounting: the counts, one symbol's copies, and a
// copy found outside Keyward.

func (s *Server) listCopyCounts(w http.ResponseWriter, r *http.Request, a keyward.Actor) error {
	opt, err := listOptions(r)
	if err != nil {
		return err
	}
	p, err := s.duplication.CopyCounts(r.Context(), a, r.URL.Query().Get("keyway_id"), opt)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, p)
}

func (s *Server) getCopyCount(w http.ResponseWriter, r *http.Request, a keyward.Actor) error {
	c, err := s.duplication.CopyCount(r.Context(), a, r.PathValue("keyway"), r.PathValue("symbol"))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, c)
}

func (s *Server) recordUncontrolled(w http.ResponseWriter, r *http.Request, a keyward.Actor) error {
	return create(s.duplication.RecordUncontrolled)(w, r, a)
}
