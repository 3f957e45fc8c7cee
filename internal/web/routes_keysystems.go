package web

import "github.com/keyward/keyward/internal/keyward"

// keySystemRoutes are the master key system routes (key systems, pinning,
// lost-key plans): the JSON API and its HTML pages. Reading a bitting or a
// pinning chart is its own action (bitting.reveal), audited by the store.
func (s *Server) keySystemRoutes() []route {
	return []route{
		secret(api("POST /api/v1/keysystems", keyward.ActKeySystemEdit, s.createKeySystem)),
		api("GET /api/v1/keysystems", keyward.ActKeySystemRead, s.listKeySystems),
		api("GET /api/v1/keysystems/{id}", keyward.ActKeySystemRead, s.getKeySystem),
		secret(api("POST /api/v1/keysystems/{id}/reveal", keyward.ActBittingReveal, s.revealBittings)),
		api("POST /api/v1/keysystems/{id}/assignments", keyward.ActKeySystemEdit, s.assignOpening),
		api("GET /api/v1/keysystems/{id}/cylinders/{opening}", keyward.ActKeySystemRead, s.getCylinder),
		secret(api("POST /api/v1/keysystems/{id}/cylinders/{opening}/reveal", keyward.ActBittingReveal, s.revealPinning)),
		secret(api("GET /api/v1/keysystems/{id}/cylinders/{opening}/pinning.pdf", keyward.ActBittingReveal, s.pinningPDF)),
		api("GET /api/v1/keysystems/{id}/schedule.pdf", keyward.ActKeySystemRead, s.schedulePDF),
		api("GET /api/v1/keysystems/{id}/audit", keyward.ActKeySystemRead, s.getKeyAudit),
		api("POST /api/v1/keysystems/{id}/audit", keyward.ActKeySystemEdit, s.runKeyAudit),
		api("POST /api/v1/keysystems/{id}/lost", keyward.ActKeySystemEdit, s.reportLostKey),
		api("GET /api/v1/keysystems/{id}/plans/{plan}", keyward.ActKeySystemRead, s.getRekeyPlan),
		api("POST /api/v1/keysystems/{id}/plans/{plan}/items/{item}/done", keyward.ActKeySystemEdit, s.completePlanItem),

		page("GET /keysystems", keyward.ActKeySystemRead, s.keySystemsPage),
		page("POST /keysystems", keyward.ActKeySystemEdit, s.keySystemsCreate),
		page("GET /keysystems/{id}", keyward.ActKeySystemRead, s.keySystemPage),
		page("POST /keysystems/{id}/reveal", keyward.ActBittingReveal, s.keySystemReveal),
		page("POST /keysystems/{id}/assignments", keyward.ActKeySystemEdit, s.keySystemAssign),
		page("POST /keysystems/{id}/lost", keyward.ActKeySystemEdit, s.keySystemLost),
		page("GET /keysystems/{id}/schedule.pdf", keyward.ActKeySystemRead, s.schedulePDF),
		page("GET /keysystems/{id}/cylinders/{opening}", keyward.ActKeySystemRead, s.cylinderPage),
		page("POST /keysystems/{id}/cylinders/{opening}/reveal", keyward.ActBittingReveal, s.cylinderReveal),
		page("POST /keysystems/{id}/cylinders/{opening}/pinning.pdf", keyward.ActBittingReveal, s.pinningPDF),
		page("GET /keysystems/{id}/plans/{plan}", keyward.ActKeySystemRead, s.planPage),
		page("POST /keysystems/{id}/plans/{plan}/items/{item}/done", keyward.ActKeySystemEdit, s.planItemDone),

		api("GET /api/v1/keying-specs", keyward.ActKeySystemRead, s.listKeyingSpecs),
		api("POST /api/v1/keying-specs", keyward.ActKeySystemEdit, s.createKeyingSpec),
		page("POST /keysystems/specs", keyward.ActKeySystemEdit, s.keyingSpecCreate),
	}
}
