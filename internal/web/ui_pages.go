package web

import (
	"net/http"

	"github.com/keyward/keyward/internal/keyward"
)

// entityPages are the inventory, logbook and audit pages.
func (s *Server) entityPages() []route {
	return []route{
		page("GET /{$}", keyward.ActSelf, s.dashboard),
	}
}

func (s *Server) dashboard(w http.ResponseWriter, r *http.Request, a keyward.Actor) error {
	return s.render(w, r, a, http.StatusOK, "dashboard", "Dashboard", nil)
}
