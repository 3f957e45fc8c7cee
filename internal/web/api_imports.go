package web

import (
	"net/http"

	"github.com/keyward/keyward/internal/keyward"
)

// Placeholder so the package builds while the import feature is written; this file is replaced by it.

func (s *Server) importKeys(w http.ResponseWriter, r *http.Request, a keyward.Actor) error {
	return keyward.Errorf(keyward.ENOTFOUND, "import is not available yet")
}

func (s *Server) exportCSV(w http.ResponseWriter, r *http.Request, a keyward.Actor) error {
	return keyward.Errorf(keyward.ENOTFOUND, "export is not available yet")
}
