package web

import (
	"net/http"

	"github.com/keyward/keyward/internal/keyward"
)

// handler is what every route implements; only s.problem picks an error status.
type handler func(w http.ResponseWriter, r *http.Request, a keyward.Actor) error

// route is one line of the route table: the pattern, the policy action that
// guards it, and whether it is JSON API or an HTML page.
type route struct {
	pattern string
	action  keyward.Action
	page    bool
	// scoped: the service narrows the action further to the actor's own
	// records (a holder sees only their keys), so an allowed role can still get 403.
	scoped bool
	// secret: the request or the answer holds a secret (a bearer token, an
	// initial password, a code, a PIN, a TMK, a webhook key, bittings). Such a
	// route refuses Idempotency-Key: a replay record would keep the answer, and
	// a hash of the request, in the database.
	secret bool
	// reveal: the answer shows a secret to the actor; the handler runs
	// inside Server.revealing (see reveal.go).
	reveal bool
	h      handler
	// doc describes an API route for the OpenAPI document (openapi.go).
	doc *opDoc
}

func api(pattern string, action keyward.Action, h handler) route {
	return route{pattern: pattern, action: action, h: h}
}

func page(pattern string, action keyward.Action, h handler) route {
	return route{pattern: pattern, action: action, page: true, h: h}
}

func scoped(r route) route { r.scoped = true; return r }

// secret marks a route whose request or answer holds a secret; see route.secret.
func secret(r route) route { r.secret = true; return r }

// reveals marks a route that shows a secret to the actor and runs its
// handler inside s.revealing: the one place the web says MayReveal's
// outcome (a grace-period warning, or the page that says to enrol).
func (s *Server) reveals(r route) route {
	r.reveal, r.h = true, s.revealing(r.page, r.h)
	return r
}

// routeTable is every route: each capability declares its routes, API and
// pages side by side, in the routes_*.go file named after it.
func (s *Server) routeTable() []route {
	var rs []route
	for _, capability := range [][]route{
		s.systemRoutes(),
		s.accountRoutes(),
		s.inventoryRoutes(),
		s.custodyRoutes(),
		s.storageRoutes(),
		s.copyRoutes(),
		s.copyCountRoutes(),
		s.keyCodeRoutes(),
		s.spareRoutes(),
		s.credentialRoutes(),
		s.lockSyncRoutes(),
		s.netAccessRoutes(),
		s.offboardingRoutes(),
		s.keySystemRoutes(),
		s.lostKeyRoutes(),
		s.auditRoutes(),
		s.reportRoutes(),
		s.importRoutes(),
		s.webhookRoutes(),
	} {
		rs = append(rs, capability...)
	}
	return rs
}

// RouteInfo describes one route for documentation and the route × role test.
type RouteInfo struct {
	Pattern string
	Action  keyward.Action
	Page    bool
	Scoped  bool
	Secret  bool
}

// Routes lists the route table.
func (s *Server) Routes() []RouteInfo {
	out := make([]RouteInfo, len(s.routes))
	for i, r := range s.routes {
		out[i] = RouteInfo{Pattern: r.pattern, Action: r.action, Page: r.page, Scoped: r.scoped, Secret: r.secret}
	}
	return out
}
