package web

import "github.com/keyward/keyward/internal/keyward"

// keySystemRoutes are master key systems (key tree, pinning, cross-key audit, lost-key rekey
// plans) and keying specs: the JSON API, then the pages. Reading a bitting or
// a pinning chart is its own action (bitting.reveal), audited by the store.
func (s *Server) keySystemRoutes() []route {
	return []route{
		secret(api("POST /api/v1/keysystems", keyward.ActKeySystemEdit, s.createKeySystem)).describe(opDoc{
			id: "createKeySystem", tag: "keysystems", summary: "Create a master key system",
			desc: "Generates the key tree from the spec (or a modeled manufacturer's) and the levels, and seals every bitting; the answer never holds a bitting. A keying rule that fails is a 400 naming it; 409 if a symbol is already used by another key system. `Idempotency-Key` is refused (400): the request or the answer holds a secret, which a stored replay would keep in the database.",
			in:   keyward.KeySystemInput{},
			out:  []reply{{201, "Created: the new key system.", keyward.KeySystem{}, ""}},
			errs: []int{400, 401, 403, 409},
		}),
		api("GET /api/v1/keysystems", keyward.ActKeySystemRead, s.listKeySystems).describe(opDoc{
			id: "listKeySystems", tag: "keysystems", summary: "List key systems",
			out:  []reply{{200, "Every key system. Not paginated.", keyward.Page[keyward.KeySystemSummary]{}, ""}},
			errs: []int{401, 403},
		}),
		api("GET /api/v1/keysystems/{id}", keyward.ActKeySystemRead, s.getKeySystem).describe(opDoc{
			id: "getKeySystem", tag: "keysystems", summary: "Get a key system",
			desc: "The key tree, the keying schedule (cylinders), the latest cross-key audit and the rekey plans. Never holds a bitting.",
			out:  []reply{{200, "The key system.", keyward.KeySystem{}, ""}},
			errs: []int{401, 403, 404},
		}),
		s.reveals(secret(api("POST /api/v1/keysystems/{id}/reveal", keyward.ActBittingReveal, s.revealBittings))).describe(opDoc{
			id: "revealBittings", tag: "keysystems", summary: "Reveal bittings",
			desc: "No `symbols`: every symbol of the system. 403 also when the organization requires an authenticator app and the user has none after their grace period (`rule`: `authenticator_required`); inside the grace the answer carries the reminder in the `Keyward-Notice` header. `Idempotency-Key` is refused (400): the request or the answer holds a secret, which a stored replay would keep in the database.",
			in:   keyward.RevealInput{},
			out:  []reply{{200, "The plaintext bittings (`Cache-Control: no-store`). The reveal is recorded first.", keyward.Page[keyward.RevealedBitting]{}, ""}},
			errs: []int{400, 401, 403, 404},
		}),
		api("POST /api/v1/keysystems/{id}/assignments", keyward.ActKeySystemEdit, s.assignOpening).describe(opDoc{
			id: "assignOpening", tag: "keysystems", summary: "Key an opening to a symbol",
			desc:   "Pins (or re-pins) the opening's cylinder for the symbol, its masters, the top master key and any cross keys. 409 if the opening is keyed in another key system, or was keyed by another request at the same time.",
			params: []param{{ref: "IdempotencyKey"}},
			in:     keyward.AssignInput{},
			out:    []reply{{200, "The cylinder after the change.", keyward.Cylinder{}, ""}},
			errs:   []int{400, 401, 403, 404, 409, 422},
		}),
		api("GET /api/v1/keysystems/{id}/cylinders/{opening}", keyward.ActKeySystemRead, s.getCylinder).describe(opDoc{
			id: "getCylinder", tag: "keysystems", summary: "An opening's cylinder",
			desc:   "Its current pinning summary and history, without bittings. 404 if the opening is not keyed in this system.",
			params: []param{{name: "opening", in: "path", desc: "The opening id.", schema: `{"type":"string"}`}},
			out:    []reply{{200, "The cylinder.", keyward.Cylinder{}, ""}},
			errs:   []int{401, 403, 404},
		}),
		s.reveals(secret(api("POST /api/v1/keysystems/{id}/cylinders/{opening}/reveal", keyward.ActBittingReveal, s.revealPinning))).describe(opDoc{
			id: "revealPinning", tag: "keysystems", summary: "Reveal a cylinder's pinning chart",
			desc:   "The reason is required and recorded with the reveal. `Idempotency-Key` is refused (400): the request or the answer holds a secret, which a stored replay would keep in the database.",
			params: []param{{name: "opening", in: "path", desc: "The opening id.", schema: `{"type":"string"}`}},
			in:     keyward.PinningRevealInput{},
			out:    []reply{{200, "The pinning chart with the bittings of its key list (`Cache-Control: no-store`). The reveal is recorded first.", keyward.PinningChart{}, ""}},
			errs:   []int{400, 401, 403, 404},
		}),
		s.reveals(secret(api("GET /api/v1/keysystems/{id}/cylinders/{opening}/pinning.pdf", keyward.ActBittingReveal, s.pinningPDF))).describe(opDoc{
			id: "pinningPDF", tag: "keysystems", summary: "A cylinder's pinning chart as PDF",
			desc:   "`Idempotency-Key` is refused (400): the request or the answer holds a secret, which a stored replay would keep in the database.",
			params: []param{{name: "opening", in: "path", desc: "The opening id.", schema: `{"type":"string"}`}, {name: "reason", in: "query", desc: "Why the chart (which shows bittings) is printed: recorded with the reveal.", schema: `{"type":"string","minLength":1,"maxLength":2000}`, required: true}},
			out:    []reply{{200, "The pinning chart, bittings included, as a PDF. The reveal is recorded first.", nil, `{"content":{"application/pdf":{"schema":{"type":"string","contentMediaType":"application/pdf"}}}}`}},
			errs:   []int{400, 401, 403, 404},
		}),
		api("GET /api/v1/keysystems/{id}/schedule.pdf", keyward.ActKeySystemRead, s.schedulePDF).describe(opDoc{
			id: "schedulePDF", tag: "keysystems", summary: "The keying schedule as PDF",
			out:  []reply{{200, "The key tree and keying schedule, without bittings, as a PDF.", nil, `{"content":{"application/pdf":{"schema":{"type":"string","contentMediaType":"application/pdf"}}}}`}},
			errs: []int{401, 403, 404},
		}),
		api("GET /api/v1/keysystems/{id}/audit", keyward.ActKeySystemRead, s.getKeyAudit).describe(opDoc{
			id: "getKeyAudit", tag: "keysystems", summary: "The latest cross-key audit",
			desc: "Before the first audit: zero counts and no findings.",
			out:  []reply{{200, "The key audit.", keyward.KeyAudit{}, ""}},
			errs: []int{401, 403, 404},
		}),
		api("POST /api/v1/keysystems/{id}/audit", keyward.ActKeySystemEdit, s.runKeyAudit).describe(opDoc{
			id: "runKeyAudit", tag: "keysystems", summary: "Run the cross-key audit",
			desc:   "Takes no body. A finding is a key whose bitting operates a cylinder it is not listed for. The run is stored and writes an audit record, so it needs the right to edit key systems (owner, admin, manager, technician); auditors and advisors read the last run with GET.",
			params: []param{{ref: "IdempotencyKey"}},
			out:    []reply{{200, "The new audit: every cylinder checked against every key in use.", keyward.KeyAudit{}, ""}},
			errs:   []int{401, 403, 404, 422},
		}),
		api("POST /api/v1/keysystems/{id}/lost", keyward.ActKeySystemEdit, s.reportLostKey).describe(opDoc{
			id: "reportLostKey", tag: "keysystems", summary: "Report a key symbol lost",
			desc:   "Computes what the lost bitting opens and the rekey plan that makes it open nothing. 409 if the symbol is already reported lost.",
			params: []param{{ref: "IdempotencyKey"}},
			in:     keyward.LostKeyInput{},
			out:    []reply{{201, "Created: the rekey plan.", keyward.RekeyPlan{}, ""}},
			errs:   []int{400, 401, 403, 404, 409, 422},
		}),
		api("GET /api/v1/keysystems/{id}/plans/{plan}", keyward.ActKeySystemRead, s.getRekeyPlan).describe(opDoc{
			id: "getRekeyPlan", tag: "keysystems", summary: "Get a rekey plan",
			params: []param{{name: "plan", in: "path", desc: "The rekey plan id.", schema: `{"type":"string"}`}},
			out:    []reply{{200, "The rekey plan.", keyward.RekeyPlan{}, ""}},
			errs:   []int{401, 403, 404},
		}),
		api("POST /api/v1/keysystems/{id}/plans/{plan}/items/{item}/done", keyward.ActKeySystemEdit, s.completePlanItem).describe(opDoc{
			id: "completePlanItem", tag: "keysystems", summary: "Mark a rekey plan item done",
			desc:   "`confirm` must be true: marking done changes what opens a door. A `rekey` item applies its pinning (its `new_keys` are the key list it is re-pinned for; the body names none). A `replace_cylinder` item ends the cylinder's pinning, so `new_keys` must name the keys that operate the new cylinder, keys outside any key system: they join the door's keying schedule and the system's symbols leave it, so the door is never left without keys. 400 naming the field; 409 if the item is already done.",
			params: []param{{name: "plan", in: "path", desc: "The rekey plan id.", schema: `{"type":"string"}`}, {name: "item", in: "path", desc: "The plan item id.", schema: `{"type":"string"}`}, {ref: "IdempotencyKey"}},
			in:     keyward.ItemDoneInput{},
			out:    []reply{{200, "The plan after the change; the last item closes it.", keyward.RekeyPlan{}, ""}},
			errs:   []int{400, 401, 403, 404, 409, 422},
		}),
		api("GET /api/v1/keysystems/{id}/plans/{plan}/workorder.pdf", keyward.ActKeySystemRead, s.planPDF).describe(opDoc{
			id: "planWorkOrderPDF", tag: "keysystems", summary: "A rekey plan as a locksmith's work order (PDF)",
			params: []param{{name: "plan", in: "path", desc: "The rekey plan id.", schema: `{"type":"string"}`}},
			out:    []reply{{200, "The work order: the organization, the date, the keys to cut, each door with its site and what to do in plain words, boxes to tick and a signature line. Never a bitting.", nil, pdfContent}},
			errs:   []int{401, 403, 404},
		}),
		api("GET /api/v1/keying-specs", keyward.ActKeySystemRead, s.listKeyingSpecs).describe(opDoc{
			id: "listKeyingSpecs", tag: "keysystems", summary: "List keying specs",
			desc: "The manufacturer spec table with each row's confidence note, then the organization's own specs; each item says its `source`.",
			out:  []reply{{200, "Every keying spec. Not paginated.", keyward.Page[keyward.KeyingSpec]{}, ""}},
			errs: []int{401, 403},
		}),
		api("POST /api/v1/keying-specs", keyward.ActKeySystemEdit, s.createKeyingSpec).describe(opDoc{
			id: "createKeyingSpec", tag: "keysystems", summary: "Add an organization keying spec",
			desc:   "House rules (MACS, depths, step, maximum master pins per chamber and per cylinder) that key-system creation accepts by name in `manufacturer`. 400 naming the spec member and rule; 409 if the name is taken.",
			params: []param{{ref: "IdempotencyKey"}},
			in:     keyward.KeyingSpecInput{},
			out:    []reply{{201, "Created: the new spec.", keyward.KeyingSpec{}, ""}},
			errs:   []int{400, 401, 403, 409, 422},
		}),

		page("GET /keysystems", keyward.ActKeySystemRead, s.keySystemsPage),
		page("POST /keysystems", keyward.ActKeySystemEdit, s.keySystemsCreate),
		page("GET /keysystems/{id}", keyward.ActKeySystemRead, s.keySystemPage),
		s.reveals(page("POST /keysystems/{id}/reveal", keyward.ActBittingReveal, s.keySystemReveal)),
		page("POST /keysystems/{id}/assignments", keyward.ActKeySystemEdit, s.keySystemAssign),
		page("POST /keysystems/{id}/lost", keyward.ActKeySystemEdit, s.keySystemLost),
		page("GET /keysystems/{id}/schedule.pdf", keyward.ActKeySystemRead, s.schedulePDF),
		page("GET /keysystems/{id}/cylinders/{opening}", keyward.ActKeySystemRead, s.cylinderPage),
		s.reveals(page("POST /keysystems/{id}/cylinders/{opening}/reveal", keyward.ActBittingReveal, s.cylinderReveal)),
		s.reveals(page("POST /keysystems/{id}/cylinders/{opening}/pinning.pdf", keyward.ActBittingReveal, s.pinningPDF)),
		page("GET /keysystems/{id}/plans/{plan}", keyward.ActKeySystemRead, s.planPage),
		page("GET /keysystems/{id}/plans/{plan}/workorder.pdf", keyward.ActKeySystemRead, s.planPDF),
		page("GET /keysystems/{id}/plans/{plan}/items/{item}/done", keyward.ActKeySystemEdit, s.planItemConfirm),
		page("POST /keysystems/{id}/plans/{plan}/items/{item}/done", keyward.ActKeySystemEdit, s.planItemDone),
		page("POST /keysystems/specs", keyward.ActKeySystemEdit, s.keyingSpecCreate),
	}
}
