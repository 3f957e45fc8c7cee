package web

import "github.com/keyward/keyward/internal/keyward"

// inventoryRoutes are sites, openings (with their hand-kept keying schedule and who can open
// them), keyways, holders and search: the JSON API, then the pages.
func (s *Server) inventoryRoutes() []route {
	return []route{
		api("POST /api/v1/sites", keyward.ActInventoryEdit, s.createSite).describe(opDoc{
			id: "createSite", tag: "inventory", summary: "Create a site",
			params: []param{{ref: "IdempotencyKey"}},
			in:     keyward.SiteInput{},
			out:    []reply{{201, "Created: the new site.", keyward.Site{}, ""}},
			errs:   []int{400, 401, 403, 422},
		}),
		api("GET /api/v1/sites", keyward.ActInventoryRead, s.listSites).describe(opDoc{
			id: "listSites", tag: "inventory", summary: "List sites",
			desc:   "Sites ordered by name.",
			params: []param{{ref: "Cursor"}, {ref: "Limit"}},
			out:    []reply{{200, "One page of the list.", keyward.Page[keyward.Site]{}, ""}},
			errs:   []int{400, 401, 403},
		}),
		api("GET /api/v1/sites/{id}", keyward.ActInventoryRead, s.getSite).describe(opDoc{
			id: "getSite", tag: "inventory", summary: "Get a site",
			out:  []reply{{200, "The site.", keyward.Site{}, ""}},
			errs: []int{401, 403, 404},
		}),
		api("POST /api/v1/openings", keyward.ActInventoryEdit, s.createOpening).describe(opDoc{
			id: "createOpening", tag: "inventory", summary: "Create an opening",
			desc:   "An unknown `site_id` is a 400 naming the field `site_id`.",
			params: []param{{ref: "IdempotencyKey"}},
			in:     keyward.OpeningInput{},
			out:    []reply{{201, "Created: the new opening.", keyward.Opening{}, ""}},
			errs:   []int{400, 401, 403, 422},
		}),
		api("GET /api/v1/openings", keyward.ActInventoryRead, s.listOpenings).describe(opDoc{
			id: "listOpenings", tag: "inventory", summary: "List openings",
			desc:   "Openings ordered by name.",
			params: []param{{name: "site_id", in: "query", desc: "Only the openings of this site.", schema: `{"type":"string"}`}, {ref: "Cursor"}, {ref: "Limit"}},
			out:    []reply{{200, "One page of the list.", keyward.Page[keyward.Opening]{}, ""}},
			errs:   []int{400, 401, 403},
		}),
		api("GET /api/v1/openings/{id}", keyward.ActInventoryRead, s.getOpening).describe(opDoc{
			id: "getOpening", tag: "inventory", summary: "Get an opening",
			out:  []reply{{200, "The opening.", keyward.Opening{}, ""}},
			errs: []int{401, 403, 404},
		}),
		api("POST /api/v1/keyways", keyward.ActInventoryEdit, s.createKeyway).describe(opDoc{
			id: "createKeyway", tag: "inventory", summary: "Create a keyway",
			desc:   "409 if a keyway with that name already exists.",
			params: []param{{ref: "IdempotencyKey"}},
			in:     keyward.KeywayInput{},
			out:    []reply{{201, "Created: the new keyway.", keyward.Keyway{}, ""}},
			errs:   []int{400, 401, 403, 409, 422},
		}),
		api("GET /api/v1/keyways", keyward.ActInventoryRead, s.listKeyways).describe(opDoc{
			id: "listKeyways", tag: "inventory", summary: "List keyways",
			desc:   "Keyways ordered by name.",
			params: []param{{ref: "Cursor"}, {ref: "Limit"}},
			out:    []reply{{200, "One page of the list.", keyward.Page[keyward.Keyway]{}, ""}},
			errs:   []int{400, 401, 403},
		}),
		api("GET /api/v1/keyways/{id}", keyward.ActInventoryRead, s.getKeyway).describe(opDoc{
			id: "getKeyway", tag: "inventory", summary: "Get a keyway",
			out:  []reply{{200, "The keyway.", keyward.Keyway{}, ""}},
			errs: []int{401, 403, 404},
		}),
		api("POST /api/v1/holders", keyward.ActHolderEdit, s.createHolder).describe(opDoc{
			id: "createHolder", tag: "holders", summary: "Create a holder",
			desc:   "409 if a holder with that email already exists.",
			params: []param{{ref: "IdempotencyKey"}},
			in:     keyward.HolderInput{},
			out:    []reply{{201, "Created: the new holder.", keyward.Holder{}, ""}},
			errs:   []int{400, 401, 403, 409, 422},
		}),
		api("GET /api/v1/holders", keyward.ActInventoryRead, s.listHolders).describe(opDoc{
			id: "listHolders", tag: "holders", summary: "List holders",
			desc:   "Holders ordered by name.",
			params: []param{{ref: "Cursor"}, {ref: "Limit"}},
			out:    []reply{{200, "One page of the list.", keyward.Page[keyward.Holder]{}, ""}},
			errs:   []int{400, 401, 403},
		}),
		scoped(api("GET /api/v1/holders/{id}", keyward.ActSelf, s.getHolder)).describe(opDoc{
			id: "getHolder", tag: "holders", summary: "Get a holder",
			desc: "Staff and auditors may read any holder; a user of role `holder` only their own record (403 otherwise).",
			out:  []reply{{200, "The holder.", keyward.Holder{}, ""}},
			errs: []int{401, 403, 404},
		}),
		scoped(api("GET /api/v1/holders/{id}/keys", keyward.ActSelf, s.holderKeys)).describe(opDoc{
			id: "listHolderKeys", tag: "holders", summary: "The keys a holder has now",
			desc: "Staff and auditors may read any holder's keys; a user of role `holder` only their own (403 otherwise).",
			out:  []reply{{200, "The keys issued or checked out to the holder, by symbol and copy number. Not paginated.", keyward.Page[keyward.Key]{}, ""}},
			errs: []int{401, 403, 404},
		}),
		scoped(api("GET /api/v1/holders/{id}/history", keyward.ActSelf, s.holderHistory)).describe(opDoc{
			id: "listHolderHistory", tag: "holders", summary: "A holder's logbook",
			desc:   "Every move of a key to the holder or away from them (check-in, return, lost), newest first across pages. A user of role `holder` may read only their own history (403 otherwise).",
			params: []param{{ref: "Cursor"}, {ref: "Limit"}},
			out:    []reply{{200, "One page of the holder's custody events, newest first; each event has the key's `stamp`.", keyward.Page[keyward.Event]{}, ""}},
			errs:   []int{400, 401, 403, 404},
		}),
		api("GET /api/v1/search", keyward.ActInventoryRead, s.search).describe(opDoc{
			id: "search", tag: "inventory", summary: "Search keys, holders, openings, storage places and hooks",
			desc:   "Keys by their stamp as written on the key, whatever the case and dashes (`AA-2`, `aa2`, `AA2-1`: every reading that exists, and only those); holders by part of the name, email or phone; openings by part of the name; storage places in use by part of the name or location, or an envelope by its seal number (`4471`, `#4471`); cabinet hooks by place and number (`Cabinet A 12`, `cabinet a, hook 12`) with the key on each.",
			params: []param{{name: "q", in: "query", desc: "1 to 200 characters.", schema: `{"type":"string","minLength":1,"maxLength":200}`, required: true}, {ref: "Limit"}},
			out:    []reply{{200, "Up to `limit` matches of each kind.", keyward.SearchResult{}, ""}},
			errs:   []int{400, 401, 403},
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

		page("GET /search", keyward.ActInventoryRead, s.searchPage),
		page("GET /holders", keyward.ActInventoryRead, s.holdersPage),
		page("POST /holders", keyward.ActHolderEdit, s.holdersCreate),
		scoped(page("GET /holders/{id}", keyward.ActSelf, s.holderPage)),
		page("GET /sites", keyward.ActInventoryRead, s.sitesPage),
		page("POST /sites", keyward.ActInventoryEdit, s.sitesCreate),
		page("GET /sites/{id}", keyward.ActInventoryRead, s.sitePage),
		page("POST /openings", keyward.ActInventoryEdit, s.openingsCreate),
		page("GET /keyways", keyward.ActInventoryRead, s.keywaysPage),
		page("POST /keyways", keyward.ActInventoryEdit, s.keywaysCreate),
		page("GET /openings/{id}", keyward.ActInventoryRead, s.openingAccessPage),
		page("POST /openings/{id}/symbols", keyward.ActInventoryEdit, s.openingSymbolAdd),
		page("POST /openings/{id}/symbols/{symbol}/delete", keyward.ActInventoryEdit, s.openingSymbolRemove),
	}
}
