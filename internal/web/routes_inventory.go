package web

import "github.com/keyward/keyward/internal/keyward"

// inventoryRoutes are the storage, credential, keying schedule and offboarding
// routes: the JSON API first, then the pages.
func (s *Server) inventoryRoutes() []route {
	rs := []route{
		secret(api("POST /api/v1/storage", keyward.ActStorageEdit, s.createStorage)).describe(opDoc{
			id: "createStorage", tag: "storage", summary: "Create a storage place",
			desc: "Which fields apply depends on `kind`: a `cabinet` has `hooks`, a `lockbox` a `code` (sealed; only revealed), an `envelope` a `seal_number`, a `holder` place a `holder_id` (and `acknowledged_at`). A field that does not apply to the kind is a 400. `Idempotency-Key` is refused (400): the request or the answer holds a secret, which a stored replay would keep in the database.",
			in:   keyward.StorageInput{},
			out:  []reply{{201, "Created: the new storage place.", keyward.StoragePlace{}, ""}},
			errs: []int{400, 401, 403},
		}),
		api("GET /api/v1/storage", keyward.ActInventoryRead, s.listStorage).describe(opDoc{
			id: "listStorage", tag: "storage", summary: "List storage places",
			params: []param{{name: "kind", in: "query", desc: "Only places of this kind.", schema: `{"$ref":"#/components/schemas/StorageKind"}`}, {name: "holder_id", in: "query", desc: "Only the places designated to this holder.", schema: `{"type":"string"}`}, {ref: "Cursor"}, {ref: "Limit"}},
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
			desc: "409 if the place is not a lockbox. `Idempotency-Key` is refused (400): the request or the answer holds a secret, which a stored replay would keep in the database.",
			in:   codeInput{},
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

		api("POST /api/v1/openings/{id}/symbols", keyward.ActInventoryEdit, s.addOpeningSymbol).describe(opDoc{
			id: "addOpeningSymbol", tag: "inventory", summary: "Add a key symbol to an opening's keying schedule",
			desc:   "409 if the symbol already operates the opening.",
			params: []param{{ref: "IdempotencyKey"}},
			in:     keyward.SymbolInput{},
			out:    []reply{{201, "Created: the opening's symbols now.", openingSymbols{}, ""}},
			errs:   []int{400, 401, 403, 404, 409, 422},
		}),
		api("DELETE /api/v1/openings/{id}/symbols/{symbol}", keyward.ActInventoryEdit, s.removeOpeningSymbol).describe(opDoc{
			id: "removeOpeningSymbol", tag: "inventory", summary: "Remove a key symbol from an opening's keying schedule",
			desc:   "404 if the symbol does not operate the opening.",
			params: []param{{name: "symbol", in: "path", desc: "A key symbol, e.g. `AA1`.", schema: `{"type":"string"}`}},
			out:    []reply{{204, "Done; no content.", nil, ""}},
			errs:   []int{401, 403, 404},
		}),
		api("GET /api/v1/openings/{id}/access", keyward.ActInventoryRead, s.openingAccess).describe(opDoc{
			id: "getOpeningAccess", tag: "inventory", summary: "Who can open this opening",
			desc: "The opening's symbols, every key of them and where it is now, and the credentials for it.",
			out:  []reply{{200, "The opening access.", keyward.OpeningAccess{}, ""}},
			errs: []int{401, 403, 404},
		}),

		secret(api("POST /api/v1/credentials", keyward.ActCredential, s.createCredential)).describe(opDoc{
			id: "createCredential", tag: "credentials", summary: "Issue a credential",
			desc: "A `pin` credential has a `pin` (sealed; only revealed); a `card` or `fob` a `number`. `Idempotency-Key` is refused (400): the request or the answer holds a secret, which a stored replay would keep in the database.",
			in:   keyward.CredentialInput{},
			out:  []reply{{201, "Created: the new credential.", keyward.Credential{}, ""}},
			errs: []int{400, 401, 403},
		}),
		api("GET /api/v1/credentials", keyward.ActInventoryRead, s.listCredentials).describe(opDoc{
			id: "listCredentials", tag: "credentials", summary: "List credentials",
			params: []param{{name: "holder_id", in: "query", desc: "Only this holder's credentials.", schema: `{"type":"string"}`}, {name: "active", in: "query", desc: "`true`: only active credentials.", schema: `{"type":"boolean","default":false}`}, {ref: "Cursor"}, {ref: "Limit"}},
			out:    []reply{{200, "Every matching credential. Not paginated.", keyward.Page[keyward.Credential]{}, ""}},
			errs:   []int{400, 401, 403},
		}),
		api("GET /api/v1/credentials/{id}", keyward.ActInventoryRead, s.getCredential).describe(opDoc{
			id: "getCredential", tag: "credentials", summary: "Get a credential",
			out:  []reply{{200, "The credential.", keyward.Credential{}, ""}},
			errs: []int{401, 403, 404},
		}),
		api("POST /api/v1/credentials/{id}/revoke", keyward.ActCredential, s.revokeCredential).describe(opDoc{
			id: "revokeCredential", tag: "credentials", summary: "Revoke a credential",
			desc:   "409 if it is already revoked.",
			params: []param{{ref: "IdempotencyKey"}},
			in:     keyward.RevokeInput{},
			out:    []reply{{200, "The credential after the change.", keyward.Credential{}, ""}},
			errs:   []int{400, 401, 403, 404, 409, 422},
		}),
		secret(api("POST /api/v1/credentials/{id}/reveal", keyward.ActSecretReveal, s.revealCredentialPIN)).describe(opDoc{
			id: "revealCredentialPIN", tag: "credentials", summary: "Reveal a credential's PIN",
			desc: "409 if the credential has no PIN. `Idempotency-Key` is refused (400): a reveal is never replayed.",
			in:   keyward.CodeRevealInput{},
			out:  []reply{{200, "The plaintext PIN (`Cache-Control: no-store`). The reveal is recorded.", revealedPIN{}, ""}},
			errs: []int{400, 401, 403, 404, 409},
		}),

		api("GET /api/v1/offboardings", keyward.ActInventoryRead, s.listOffboardings).describe(opDoc{
			id: "listOffboardings", tag: "offboarding", summary: "Open offboardings",
			out:  []reply{{200, "Every offboarding not yet cleared. Not paginated.", keyward.Page[keyward.Offboarding]{}, ""}},
			errs: []int{401, 403},
		}),
		api("POST /api/v1/holders/{id}/offboarding", keyward.ActOffboard, s.startOffboarding).describe(opDoc{
			id: "startOffboarding", tag: "offboarding", summary: "Start offboarding a holder",
			desc:         "409 if one is already open for the holder.",
			params:       []param{{ref: "IdempotencyKey"}},
			in:           keyward.OffboardingInput{},
			optionalBody: true,
			out:          []reply{{201, "Created: the offboarding with everything outstanding.", keyward.Offboarding{}, ""}},
			errs:         []int{400, 401, 403, 404, 409, 422},
		}),
		api("GET /api/v1/holders/{id}/offboarding", keyward.ActInventoryRead, s.getOffboarding).describe(opDoc{
			id: "getOffboarding", tag: "offboarding", summary: "A holder's open offboarding",
			desc: "What the leaving holder still has. 404 if the holder is unknown or none is open.",
			out:  []reply{{200, "The offboarding.", keyward.Offboarding{}, ""}},
			errs: []int{401, 403, 404},
		}),
		api("POST /api/v1/holders/{id}/offboarding/clear", keyward.ActOffboard, s.clearOffboarding).describe(opDoc{
			id: "clearOffboarding", tag: "offboarding", summary: "Clear an offboarding",
			desc:         "409 naming what is still outstanding, or if it was already cleared.",
			params:       []param{{ref: "IdempotencyKey"}},
			in:           emptyInput{},
			optionalBody: true,
			out:          []reply{{200, "The offboarding after the change.", keyward.Offboarding{}, ""}},
			errs:         []int{400, 401, 403, 404, 409, 422},
		}),
		api("POST /api/v1/holders/{id}/offboarding/keys/{key_id}/collect", keyward.ActCustody, s.offboardCollectKey).describe(opDoc{
			id: "offboardCollectKey", tag: "offboarding", summary: "Collect a key from a leaving holder",
			desc:         "A checked-out key is checked in, an issued key returned. 409 if the holder does not have it.",
			params:       []param{{name: "key_id", in: "path", desc: "The key to collect.", schema: `{"type":"string"}`}, {ref: "IdempotencyKey"}},
			in:           keyward.NoteInput{},
			optionalBody: true,
			out:          []reply{{200, "The key after the change.", keyward.Key{}, ""}},
			errs:         []int{400, 401, 403, 404, 409, 422},
		}),
		api("POST /api/v1/holders/{id}/offboarding/credentials/{credential_id}/revoke", keyward.ActCredential, s.offboardRevokeCredential).describe(opDoc{
			id: "offboardRevokeCredential", tag: "offboarding", summary: "Revoke a leaving holder's credential",
			desc:         "409 if the credential is not the holder's or already revoked.",
			params:       []param{{name: "credential_id", in: "path", desc: "The credential to revoke.", schema: `{"type":"string"}`}, {ref: "IdempotencyKey"}},
			in:           keyward.RevokeInput{},
			optionalBody: true,
			out:          []reply{{200, "The credential after the change.", keyward.Credential{}, ""}},
			errs:         []int{400, 401, 403, 404, 409, 422},
		}),
		api("POST /api/v1/holders/{id}/offboarding/storage/{storage_id}/release", keyward.ActStorageEdit, s.offboardReleaseStorage).describe(opDoc{
			id: "offboardReleaseStorage", tag: "offboarding", summary: "Release a storage place designated to a leaving holder",
			desc:         "The place is retired. 409 if it is not designated to this holder.",
			params:       []param{{name: "storage_id", in: "path", desc: "The designated-holder storage place.", schema: `{"type":"string"}`}, {ref: "IdempotencyKey"}},
			in:           emptyInput{},
			optionalBody: true,
			out:          []reply{{200, "The storage place after the change.", keyward.StoragePlace{}, ""}},
			errs:         []int{400, 401, 403, 404, 409, 422},
		}),

		api("GET /api/v1/stats/keys-out", keyward.ActInventoryRead, s.keysOutSeries).describe(opDoc{
			id: "keysOutSeries", tag: "keys", summary: "Keys out per day",
			params: []param{{name: "days", in: "query", desc: "How many days.", schema: `{"type":"integer","minimum":1,"maximum":366,"default":90}`}},
			out:    []reply{{200, "One point per day, oldest first, ending today (UTC).", keyward.Page[keyward.DayCount]{}, ""}},
			errs:   []int{400, 401, 403},
		}),
	}
	rs = append(rs, s.inventoryPages()...)
	return append(rs, s.importPages()...)
}
