package web

import "github.com/keyward/keyward/internal/keyward"

// pdfContent documents an answer that is a PDF.
const pdfContent = `{"content":{"application/pdf":{"schema":{"type":"string","contentMediaType":"application/pdf"}}}}`

// lostKeyRoutes are a lost key, end to end: what it opens and the next step,
// the work lists of keys outside key systems (one door each to rekey or
// replace) with their work orders, and the open rekey work. Reporting a key
// lost is a custody move (routes_custody.go); rekey plans are key systems'
// (routes_keysystems.go). Rekey work is done by those who carry out rekey
// plans (keysystem.edit).
func (s *Server) lostKeyRoutes() []route {
	return []route{
		api("GET /api/v1/keys/{id}/lost", keyward.ActInventoryRead, s.getLostKey).describe(opDoc{
			id: "getLostKey", tag: "keys", summary: "What a lost key opens, and the next step",
			desc: "Every door the key opens now: within a key system the doors it was meant to open and those it opens by accident through master pins (the keying math over every pinned cylinder), and the doors whose keying schedule lists it. `next` is the next step: the key system's rekey plan, or a work list for a key outside key systems. `POST /api/v1/keys/{id}/lost` answers the same in `lost_key`. 409 if the key is not lost.",
			out:  []reply{{200, "The lost key's doors and next step.", keyward.LostKey{}, ""}},
			errs: []int{401, 403, 404, 409},
		}),
		api("POST /api/v1/worklists", keyward.ActKeySystemEdit, s.createWorkList).describe(opDoc{
			id: "createWorkList", tag: "keys", summary: "Make the work list of a lost key",
			desc:   "For a lost key outside any key system (`key_id`), or a copy of one found outside Keyward (`uncontrolled_copy_id`, from `POST /api/v1/uncontrolled-copies`): one item per door whose keying schedule lists its symbol, each to rekey or replace. 400 naming `key_id` or `uncontrolled_copy_id` when it names nothing, or when both are given; 409 if the key is not lost, the symbol belongs to a key system (its rekey plan answers it), opens no door on record, or a work list for its symbol is open.",
			params: []param{{ref: "IdempotencyKey"}},
			in:     keyward.WorkListInput{},
			out:    []reply{{201, "Created: the work list.", keyward.WorkList{}, ""}},
			errs:   []int{400, 401, 403, 409, 422},
		}),
		api("GET /api/v1/worklists", keyward.ActInventoryRead, s.listWorkLists).describe(opDoc{
			id: "listWorkLists", tag: "keys", summary: "List work lists",
			params: []param{{name: "status", in: "query", desc: "Only `open` or only `done` lists.", schema: `{"type":"string","enum":["open","done"]}`}},
			out:    []reply{{200, "Work lists, newest first (at most 1000). Not paginated.", keyward.Page[keyward.WorkList]{}, ""}},
			errs:   []int{400, 401, 403},
		}),
		api("GET /api/v1/worklists/{id}", keyward.ActInventoryRead, s.getWorkList).describe(opDoc{
			id: "getWorkList", tag: "keys", summary: "Get a work list",
			out:  []reply{{200, "The work list with its doors.", keyward.WorkList{}, ""}},
			errs: []int{401, 403, 404},
		}),
		api("POST /api/v1/worklists/{id}/items/{item}/done", keyward.ActKeySystemEdit, s.completeWorkItem).describe(opDoc{
			id: "completeWorkItem", tag: "keys", summary: "Mark a work-list door done",
			desc:   "`confirm` must be true. `method` says whether the door was rekeyed or its cylinder replaced, and `new_keys` names the keys that open it now: the lost symbol leaves the door's keying schedule and the new keys join it, in one transaction with the audit record, so the door is never left without keys. The last door closes the list. 400 naming the field; 409 if the door is already done.",
			params: []param{{name: "item", in: "path", desc: "The work list item id.", schema: `{"type":"string"}`}, {ref: "IdempotencyKey"}},
			in:     keyward.ItemDoneInput{},
			out:    []reply{{200, "The work list after the change.", keyward.WorkList{}, ""}},
			errs:   []int{400, 401, 403, 404, 409, 422},
		}),
		api("GET /api/v1/worklists/{id}/workorder.pdf", keyward.ActInventoryRead, s.workListPDF).describe(opDoc{
			id: "workListPDF", tag: "keys", summary: "A work list as a locksmith's work order (PDF)",
			out:  []reply{{200, "The work order: the organization, the date, each door with its site and what to do, boxes to tick and a signature line. Never a bitting.", nil, pdfContent}},
			errs: []int{401, 403, 404},
		}),
		api("GET /api/v1/rekey-work", keyward.ActInventoryRead, s.listOpenWork).describe(opDoc{
			id: "listOpenWork", tag: "keys", summary: "Open rekey plans and work lists",
			out:  []reply{{200, "Every open rekey plan and work list, oldest first. Not paginated.", keyward.Page[keyward.OpenWork]{}, ""}},
			errs: []int{401, 403},
		}),

		page("POST /keys/{id}/worklist", keyward.ActKeySystemEdit, s.keyWorkListCreate),
		page("GET /worklists/{id}", keyward.ActInventoryRead, s.workListPage),
		page("GET /worklists/{id}/workorder.pdf", keyward.ActInventoryRead, s.workListPDF),
		page("GET /worklists/{id}/items/{item}/done", keyward.ActKeySystemEdit, s.workItemConfirm),
		page("POST /worklists/{id}/items/{item}/done", keyward.ActKeySystemEdit, s.workItemDone),
	}
}
