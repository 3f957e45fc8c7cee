package web

import "github.com/keyward/keyward/internal/keyward"

// storageRoutes are cabinets, lockboxes, envelopes and designated holders, a key's home
// in storage, and printed key tags: the JSON API, then the pages.
func (s *Server) storageRoutes() []route {
	return []route{
		secret(api("POST /api/v1/storage", keyward.ActStorageEdit, s.createStorage)).describe(opDoc{
			id: "createStorage", tag: "storage", summary: "Create a storage place",
			desc: "Which fields apply depends on `kind`: a `cabinet` has `hooks`, a `lockbox` a `code` (sealed; only revealed), an `envelope` a `seal_number`, a `holder` place a `holder_id` (and `acknowledged_at`). A field that does not apply to the kind is a 400. `Idempotency-Key` is refused (400): the request or the answer holds a secret, which a stored replay would keep in the database.",
			in:   keyward.StorageInput{},
			out:  []reply{{201, "Created: the new storage place.", keyward.StoragePlace{}, ""}},
			errs: []int{400, 401, 403},
		}),
		api("GET /api/v1/storage", keyward.ActInventoryRead, s.listStorage).describe(opDoc{
			id: "listStorage", tag: "storage", summary: "List storage places",
			params: []param{{name: "kind", in: "query", desc: "Only places of this kind.", schema: `{"$ref":"#/components/schemas/StorageKind"}`}, {name: "holder_id", in: "query", desc: "Only the places designated to this holder.", schema: `{"type":"string"}`}, {name: "include_retired", in: "query", desc: "`true` lists retired places too; they are left out by default.", schema: `{"type":"boolean"}`}, {ref: "Cursor"}, {ref: "Limit"}},
			out:    []reply{{200, "One page of the list.", keyward.Page[keyward.StoragePlace]{}, ""}},
			errs:   []int{400, 401, 403},
		}),
		api("GET /api/v1/storage/{id}", keyward.ActInventoryRead, s.getStorage).describe(opDoc{
			id: "getStorage", tag: "storage", summary: "Get a storage place",
			desc: "With `keys`: the keys whose home it is.",
			out:  []reply{{200, "The storage place.", keyward.StoragePlace{}, ""}},
			errs: []int{401, 403, 404},
		}),
		api("GET /api/v1/storage/{id}/events", keyward.ActInventoryRead, s.storageEvents).describe(opDoc{
			id: "listStorageEvents", tag: "storage", summary: "A storage place's logbook",
			params: []param{{ref: "Cursor"}, {ref: "Limit"}},
			out:    []reply{{200, "One page of the place's events, oldest first across pages.", keyward.Page[keyward.StorageEvent]{}, ""}},
			errs:   []int{401, 403, 404, 400},
		}),
		api("POST /api/v1/storage/{id}/keys", keyward.ActStorageEdit, s.assignKeyHome).describe(opDoc{
			id: "assignKeyHome", tag: "storage", summary: "Make this place a key's home",
			desc:   "Moves the key here if it had another home. 409 if the place is retired, the key destroyed, or the hook taken.",
			params: []param{{ref: "IdempotencyKey"}},
			in:     keyward.HookInput{},
			out:    []reply{{200, "The key home after the change.", keyward.KeyHome{}, ""}},
			errs:   []int{400, 401, 403, 404, 409, 422},
		}),
		secret(api("POST /api/v1/storage/{id}/reveal", keyward.ActSecretReveal, s.revealStorageCode)).describe(opDoc{
			id: "revealStorageCode", tag: "storage", summary: "Reveal a lockbox code",
			desc: "409 if the place has no code. `Idempotency-Key` is refused (400): a reveal is never replayed.",
			in:   keyward.CodeRevealInput{},
			out:  []reply{{200, "The plaintext code (`Cache-Control: no-store`). The reveal is recorded.", revealedCode{}, ""}},
			errs: []int{400, 401, 403, 404, 409},
		}),
		secret(api("POST /api/v1/storage/{id}/code", keyward.ActSecretReveal, s.changeStorageCode)).describe(opDoc{
			id: "changeStorageCode", tag: "storage", summary: "Change a lockbox code",
			desc: "A `reason` is required and goes into the audit record; the code never does, and is never echoed back. 409 if the place is not a lockbox, or is retired. `Idempotency-Key` is refused (400): the request or the answer holds a secret, which a stored replay would keep in the database.",
			in:   keyward.CodeChangeInput{},
			out:  []reply{{200, "The storage place after the change.", keyward.StoragePlace{}, ""}},
			errs: []int{400, 401, 403, 404, 409},
		}),
		api("POST /api/v1/storage/{id}/break-seal", keyward.ActCustody, s.breakSeal).describe(opDoc{
			id: "breakSeal", tag: "storage", summary: "Record an envelope's seal broken and resealed",
			desc:   "409 if the place is not a sealed envelope, or its seal changed meanwhile.",
			params: []param{{ref: "IdempotencyKey"}},
			in:     keyward.BreakSealInput{},
			out:    []reply{{200, "The storage place after the change.", keyward.StoragePlace{}, ""}},
			errs:   []int{400, 401, 403, 404, 409, 422},
		}),
		api("POST /api/v1/storage/{id}/acknowledge", keyward.ActStorageEdit, s.acknowledgeStorage).describe(opDoc{
			id: "acknowledgeStorage", tag: "storage", summary: "Record a designated holder's acknowledgement",
			desc:         "409 if the place is not a designated holder.",
			params:       []param{{ref: "IdempotencyKey"}},
			in:           emptyInput{},
			optionalBody: true,
			out:          []reply{{200, "The storage place after the change.", keyward.StoragePlace{}, ""}},
			errs:         []int{400, 401, 403, 404, 409, 422},
		}),
		api("PATCH /api/v1/storage/{id}", keyward.ActStorageEdit, s.updateStorage).describe(opDoc{
			id: "updateStorage", tag: "storage", summary: "Edit a storage place",
			desc: "Changes `name`, `site_id`, `location`, and a cabinet's `hooks` (never fewer than the highest hook a key hangs on); members left out stay as they are. The kind never changes; a lockbox code changes with `POST /api/v1/storage/{id}/code`, an envelope's seal with `POST /api/v1/storage/{id}/break-seal`.",
			in:   keyward.StoragePatch{},
			out:  []reply{{200, "The storage place after the change.", keyward.StoragePlace{}, ""}},
			errs: []int{400, 401, 403, 404},
		}),
		api("DELETE /api/v1/storage/{id}", keyward.ActStorageEdit, s.deleteStorage).describe(opDoc{
			id: "deleteStorage", tag: "storage", summary: "Retire an empty storage place",
			desc: "Retires, never erases: the place leaves the default list and stays readable by id, with its logbook; `POST /api/v1/storage/{id}/restore` brings it back. 409 naming the keys that still belong there, or if already retired.",
			out:  []reply{{200, "The storage place after the change, with `retired_at`.", keyward.StoragePlace{}, ""}},
			errs: []int{401, 403, 404, 409},
		}),
		api("POST /api/v1/storage/{id}/restore", keyward.ActStorageEdit, s.restoreStorage).describe(opDoc{
			id: "restoreStorage", tag: "storage", summary: "Restore a retired storage place",
			desc:         "409 if the place is not retired.",
			params:       []param{{ref: "IdempotencyKey"}},
			in:           emptyInput{},
			optionalBody: true,
			out:          []reply{{200, "The storage place after the change.", keyward.StoragePlace{}, ""}},
			errs:         []int{400, 401, 403, 404, 409, 422},
		}),
		api("POST /api/v1/storage/{id}/retire", keyward.ActStorageEdit, s.retireStorage).describe(opDoc{
			id: "retireStorage", tag: "storage", summary: "Retire a storage place",
			desc:         "The keys homed there lose their home. 409 if already retired.",
			params:       []param{{ref: "IdempotencyKey"}},
			in:           emptyInput{},
			optionalBody: true,
			out:          []reply{{200, "The storage place after the change.", keyward.StoragePlace{}, ""}},
			errs:         []int{400, 401, 403, 404, 409, 422},
		}),
		api("GET /api/v1/keys/{id}/home", keyward.ActInventoryRead, s.getKeyHome).describe(opDoc{
			id: "getKeyHome", tag: "storage", summary: "Where a key belongs",
			desc: "404 if the key is unknown or has no storage place.",
			out:  []reply{{200, "The key's storage place (and hook).", keyward.KeyHome{}, ""}},
			errs: []int{401, 403, 404},
		}),
		api("DELETE /api/v1/keys/{id}/home", keyward.ActStorageEdit, s.deleteKeyHome).describe(opDoc{
			id: "deleteKeyHome", tag: "storage", summary: "Remove a key's storage place",
			desc: "404 if the key has no storage place.",
			out:  []reply{{204, "Done; no content.", nil, ""}},
			errs: []int{401, 403, 404},
		}),
		api("GET /api/v1/key-tags", keyward.ActInventoryRead, s.keyTagsPDF).describe(opDoc{
			id: "printKeyTags", tag: "storage", summary: "Printable key tags (PDF)",
			desc:   "The keys named by `ids`, or else those matching the filters. 404 if no key matches.",
			params: []param{{name: "ids", in: "query", desc: "Comma-separated key ids, at most 240; each must exist (400 otherwise).", schema: `{"type":"string"}`}, {name: "symbol", in: "query", desc: "Only copies of this exact symbol.", schema: `{"type":"string"}`}, {name: "status", in: "query", desc: "Only keys in this status.", schema: `{"$ref":"#/components/schemas/KeyStatus"}`}, {name: "q", in: "query", desc: "Free-text search on the stamp and symbol.", schema: `{"type":"string"}`}},
			out:    []reply{{200, "An A4 PDF of tags with a QR code per key (at most 240).", nil, `{"content":{"application/pdf":{"schema":{"type":"string","contentMediaType":"application/pdf"}}}}`}},
			errs:   []int{400, 401, 403, 404},
		}),

		page("GET /storage", keyward.ActInventoryRead, s.storageListPage),
		page("POST /storage", keyward.ActStorageEdit, s.storageCreate),
		page("GET /storage/{id}", keyward.ActInventoryRead, s.storagePlacePage),
		page("POST /storage/{id}/keys", keyward.ActStorageEdit, s.storageAssign),
		page("POST /storage/{id}/reveal", keyward.ActSecretReveal, s.storageReveal),
		page("POST /storage/{id}/break-seal", keyward.ActCustody, s.storageBreakSeal),
		page("POST /storage/{id}/acknowledge", keyward.ActStorageEdit, s.storageAcknowledge),
		page("POST /storage/{id}/edit", keyward.ActStorageEdit, s.storageEdit),
		secret(page("POST /storage/{id}/code", keyward.ActSecretReveal, s.storageCode)),
		page("POST /storage/{id}/retire", keyward.ActStorageEdit, s.storageRetire),
		page("POST /storage/{id}/restore", keyward.ActStorageEdit, s.storageRestore),
		page("GET /key-tags.pdf", keyward.ActInventoryRead, s.keyTagsPDF),
		page("GET /keys/{id}/storage", keyward.ActInventoryRead, s.keyStoragePage),
	}
}
