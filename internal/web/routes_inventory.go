package web

// inventoryRoutes are the storage, credential, keying schedule and offboarding routes.
func (s *Server) inventoryRoutes() []route { return nil }
