package web

import "github.com/keyward/keyward/internal/keyward"

// RevealRoutes maps each route pattern guarded by a reveal action to whether
// it runs inside Server.revealing.
func (s *Server) RevealRoutes() map[string]bool {
	out := map[string]bool{}
	for _, r := range s.routes {
		if r.action == keyward.ActSecretReveal || r.action == keyward.ActBittingReveal || r.action == keyward.ActCodeReveal {
			out[r.pattern] = r.reveal
		}
	}
	return out
}
