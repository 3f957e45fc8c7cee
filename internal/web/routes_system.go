package web

import "github.com/keyward/keyward/internal/keyward"

// systemRoutes are the health check, metrics, this API's OpenAPI document, who the caller is,
// and the dashboard with its keys-out chart.
func (s *Server) systemRoutes() []route {
	return []route{
		api("GET /healthz", keyward.ActPublic, s.healthz).describe(opDoc{
			id: "getHealth", tag: "system", summary: "Liveness and database check",
			desc: "Needs no token. Answers 500 (problem+json) when the database does not answer.",
			out:  []reply{{200, "The server is up and its database answers.", health{}, ""}},
			errs: []int{500},
		}),
		api("GET /metrics", keyward.ActMetricsRead, s.serveMetrics).describe(opDoc{
			id: "getMetrics", tag: "system", summary: "Prometheus metrics",
			desc: "Needs an owner, admin or auditor token. For a Prometheus scraper, serve metrics without a token on a listener of their own with `KEYWARD_METRICS_ADDR`.",
			out:  []reply{{200, "Per-process request counters and durations in the Prometheus text format 0.0.4.", nil, `{"content":{"text/plain":{"schema":{"type":"string"}}}}`}},
			errs: []int{401, 403},
		}),
		api("GET /api/v1/openapi.json", keyward.ActPublic, s.openapi).describe(opDoc{
			id: "getOpenAPI", tag: "system", summary: "This OpenAPI 3.1 document",
			desc: "Needs no token.",
			out:  []reply{{200, "The OpenAPI document describing this API.", nil, `{"content":{"application/json":{"schema":{"type":"object"}}}}`}},
		}),
		api("GET /api/v1/me", keyward.ActSelf, s.me).describe(opDoc{
			id: "getMe", tag: "users", summary: "The account the token belongs to",
			out:  []reply{{200, "The signed-in account.", me{}, ""}},
			errs: []int{401},
		}),
		api("GET /api/v1/stats/keys-out", keyward.ActInventoryRead, s.keysOutSeries).describe(opDoc{
			id: "keysOutSeries", tag: "keys", summary: "Keys out per day",
			params: []param{{name: "days", in: "query", desc: "How many days.", schema: `{"type":"integer","minimum":1,"maximum":366,"default":90}`}},
			out:    []reply{{200, "One point per day, oldest first, ending today (UTC).", keyward.Page[keyward.DayCount]{}, ""}},
			errs:   []int{400, 401, 403},
		}),

		page("GET /static/", keyward.ActPublic, s.static),
		page("GET /{$}", keyward.ActSelf, s.dashboard),
		page("POST /checklist/dismiss", keyward.ActOrgManage, s.checklistDismiss),
	}
}
