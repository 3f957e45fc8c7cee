package web

// keySystemRoutes are the master key system routes (key systems, pinning, lost-key plans).
func (s *Server) keySystemRoutes() []route { return nil }
