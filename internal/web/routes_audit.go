package web

import "github.com/keyward/keyward/internal/keyward"

// auditRoutes read the tamper-evident audit log.
func (s *Server) auditRoutes() []route {
	return []route{
		api("GET /api/v1/audit", keyward.ActAuditRead, s.listAudit).describe(opDoc{
			id: "listAudit", tag: "audit", summary: "The audit log",
			desc:   "The tamper-evident log, newest first, paginated.",
			params: []param{{name: "action", in: "query", desc: "Only records of this action, e.g. `key.checkout`; `denied.*` for every refusal.", schema: `{"type":"string"}`}, {name: "actor", in: "query", desc: "Only records by this actor (email).", schema: `{"type":"string"}`}, {name: "subject_id", in: "query", desc: "Only records about this object id.", schema: `{"type":"string"}`}, {name: "subject_type", in: "query", desc: "Only records about this kind of object (`key`, `holder`, `opening`, …).", schema: `{"type":"string"}`}, {ref: "Cursor"}, {ref: "Limit"}},
			out:    []reply{{200, "One page of the list.", keyward.Page[keyward.AuditRecord]{}, ""}},
			errs:   []int{400, 401, 403},
		}),

		page("GET /audit", keyward.ActAuditRead, s.auditPage),
	}
}
