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
	h      handler
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

// routeTable is the one place every route is declared.
func (s *Server) routeTable() []route {
	rs := []route{
		api("GET /healthz", keyward.ActPublic, s.healthz),
		api("GET /metrics", keyward.ActMetricsRead, s.serveMetrics),
		api("GET /api/v1/openapi.json", keyward.ActPublic, s.openapi),
		api("GET /api/v1/me", keyward.ActSelf, s.me),

		api("POST /api/v1/sites", keyward.ActInventoryEdit, s.createSite),
		api("GET /api/v1/sites", keyward.ActInventoryRead, s.listSites),
		api("GET /api/v1/sites/{id}", keyward.ActInventoryRead, s.getSite),
		api("POST /api/v1/openings", keyward.ActInventoryEdit, s.createOpening),
		api("GET /api/v1/openings", keyward.ActInventoryRead, s.listOpenings),
		api("GET /api/v1/openings/{id}", keyward.ActInventoryRead, s.getOpening),
		api("POST /api/v1/keyways", keyward.ActInventoryEdit, s.createKeyway),
		api("GET /api/v1/keyways", keyward.ActInventoryRead, s.listKeyways),
		api("GET /api/v1/keyways/{id}", keyward.ActInventoryRead, s.getKeyway),
		api("POST /api/v1/holders", keyward.ActHolderEdit, s.createHolder),
		api("GET /api/v1/holders", keyward.ActInventoryRead, s.listHolders),
		scoped(api("GET /api/v1/holders/{id}", keyward.ActSelf, s.getHolder)),
		scoped(api("GET /api/v1/holders/{id}/keys", keyward.ActSelf, s.holderKeys)),
		scoped(api("GET /api/v1/holders/{id}/history", keyward.ActSelf, s.holderHistory)),
		api("GET /api/v1/search", keyward.ActInventoryRead, s.search),

		api("POST /api/v1/keys", keyward.ActKeyCreate, s.createKey),
		api("GET /api/v1/keys", keyward.ActInventoryRead, s.listKeys),
		scoped(api("GET /api/v1/keys/{id}", keyward.ActSelf, s.getKey)),
		scoped(api("GET /api/v1/keys/{id}/history", keyward.ActSelf, s.keyHistory)),
		api("POST /api/v1/keys/{id}/checkout", keyward.ActCustody, s.checkoutKey),
		api("POST /api/v1/keys/{id}/checkin", keyward.ActCustody, s.checkinKey),
		api("POST /api/v1/keys/{id}/issue", keyward.ActCustody, s.moveKey(keyward.CustodyIssue)),
		api("POST /api/v1/keys/{id}/return", keyward.ActCustody, s.moveKey(keyward.CustodyReturn)),
		api("POST /api/v1/keys/{id}/transfer", keyward.ActCustody, s.moveKey(keyward.CustodyTransfer)),
		scoped(api("POST /api/v1/keys/{id}/lost", keyward.ActKeyReportLost, s.moveKey(keyward.CustodyLost))),
		api("POST /api/v1/keys/{id}/found", keyward.ActCustody, s.moveKey(keyward.CustodyFound)),
		api("POST /api/v1/keys/{id}/destroy", keyward.ActCustody, s.moveKey(keyward.CustodyDestroy)),

		api("POST /api/v1/imports", keyward.ActImport, s.importKeys),
		api("GET /api/v1/exports/{kind}", keyward.ActInventoryRead, s.exportCSV),
		secret(api("POST /api/v1/webhooks", keyward.ActWebhookManage, s.createWebhook)),
		api("GET /api/v1/webhooks", keyward.ActWebhookManage, s.listWebhooks),

		api("GET /api/v1/audit", keyward.ActAuditRead, s.listAudit),
		api("GET /api/v1/users", keyward.ActUserManage, s.listUsers),
		secret(api("POST /api/v1/users", keyward.ActUserManage, s.createUser)),
		api("PATCH /api/v1/users/{id}", keyward.ActUserManage, s.updateUser),
		// Tokens: everyone mints their own only; others' tokens are listed and
		// revoked with token.manage (the service decides, so scoped).
		secret(scoped(api("POST /api/v1/tokens", keyward.ActSelf, s.createToken))),
		scoped(api("GET /api/v1/tokens", keyward.ActSelf, s.listTokens)),
		scoped(api("DELETE /api/v1/tokens/{id}", keyward.ActSelf, s.revokeToken)),
	}
	rs = append(rs, s.keySystemRoutes()...)
	rs = append(rs, s.inventoryRoutes()...)
	return append(rs, s.pageRoutes()...)
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
