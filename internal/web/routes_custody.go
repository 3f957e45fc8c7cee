package web

import "github.com/keyward/keyward/internal/keyward"

// custodyRoutes are keys and their custody: stamping copies, the logbook, and every
// custody move, the JSON API and the key pages side by side.
func (s *Server) custodyRoutes() []route {
	rs := []route{
		api("POST /api/v1/keys", keyward.ActKeyCreate, s.createKey).describe(opDoc{
			id: "createKey", tag: "keys", summary: "Stamp a new key copy",
			desc:   "The new key is `in_storage`. Without `copy_number` it gets the next free copy number for its symbol (1, 2, …). An unknown `keyway_id` is a 400; a copy number already taken for the symbol is a 409.",
			params: []param{{ref: "IdempotencyKey"}},
			in:     keyward.KeyInput{},
			out:    []reply{{201, "Created: the new key.", keyward.Key{}, ""}},
			errs:   []int{400, 401, 403, 409, 422},
		}),
		api("GET /api/v1/keys", keyward.ActInventoryRead, s.listKeys).describe(opDoc{
			id: "listKeys", tag: "keys", summary: "List keys",
			params: []param{{name: "symbol", in: "query", desc: "Only copies of this exact symbol, e.g. `AA1`.", schema: `{"type":"string"}`}, {name: "status", in: "query", desc: "Only keys in this status.", schema: `{"$ref":"#/components/schemas/KeyStatus"}`}, {name: "holder_id", in: "query", desc: "Only keys held by this holder.", schema: `{"type":"string"}`}, {name: "q", in: "query", desc: "Free-text search on the stamp and symbol.", schema: `{"type":"string"}`}, {ref: "Cursor"}, {ref: "Limit"}},
			out:    []reply{{200, "One page of the list.", keyward.Page[keyward.Key]{}, ""}},
			errs:   []int{400, 401, 403},
		}),
		scoped(api("GET /api/v1/keys/{id}", keyward.ActSelf, s.getKey)).describe(opDoc{
			id: "getKey", tag: "keys", summary: "Get a key",
			desc: "A user of role `holder` may read only keys they hold (403 otherwise).",
			out:  []reply{{200, "The key.", keyward.Key{}, ""}},
			errs: []int{401, 403, 404},
		}),
		api("PATCH /api/v1/keys/{id}", keyward.ActKeyCreate, s.updateKey).describe(opDoc{
			id: "updateKey", tag: "keys", summary: "Edit a key",
			desc: "Changes what is not stamped on the key: `keyway_id` (its home in storage changes with `POST /api/v1/storage/{id}/keys`); members left out stay as they are. `symbol` and `copy_number` are stamped on the metal: naming either is a 400 (" + keyward.RuleStamped + ").",
			in:   keyward.KeyPatch{},
			out:  []reply{{200, "The key after the change.", keyward.Key{}, ""}},
			errs: []int{400, 401, 403, 404},
		}),
		scoped(api("GET /api/v1/keys/{id}/history", keyward.ActSelf, s.keyHistory)).describe(opDoc{
			id: "listKeyHistory", tag: "keys", summary: "A key's logbook",
			desc:   "A user of role `holder` may read only the history of keys they hold (403 otherwise).",
			params: []param{{ref: "Cursor"}, {ref: "Limit"}},
			out:    []reply{{200, "One page of the key's custody events, oldest first across pages.", keyward.Page[keyward.Event]{}, ""}},
			errs:   []int{400, 401, 403, 404},
		}),

		page("GET /keys", keyward.ActInventoryRead, s.keysPage),
		page("POST /keys", keyward.ActKeyCreate, s.keysCreate),
		scoped(page("GET /keys/{id}", keyward.ActSelf, s.keyPage)),
		page("POST /keys/{id}", keyward.ActKeyCreate, s.keyEdit),
	}
	// The custody moves, one API route and one key-page form each, in the
	// order of keyward.CustodyMoves.
	for _, m := range keyward.CustodyMoves {
		rs = append(rs, custodyRoute(m, api("POST /api/v1/keys/{id}/"+m.Action, m.Policy, s.apiMove(m.Action)).describe(custodyDocs[m.Action])))
	}
	for _, m := range keyward.CustodyMoves {
		rs = append(rs, custodyRoute(m, page("POST /keys/{id}/"+m.Action, m.Policy, s.keyPost(m.Action))))
	}
	return rs
}

// custodyRoute scopes the route of a move a holder may make on their own key.
func custodyRoute(m keyward.CustodyMove, r route) route {
	if m.Own {
		return scoped(r)
	}
	return r
}

// sealOut and sealIn say what a move does to the sealed envelope a key is
// kept in (keyward.MoveBreaksSeal).
const (
	sealOut = "A key kept in a sealed envelope is taken out of it, which breaks the seal: `new_seal_number`, the seal now on the envelope, is then required (400 naming it otherwise, or when it repeats the broken seal), and the envelope's logbook records the break. `new_seal_number` for a key not kept in a sealed envelope is a 400."
	sealIn  = "A key kept in a sealed envelope goes back into it, which breaks the seal: `new_seal_number`, the seal now on the envelope, is then required (400 naming it otherwise, or when it repeats the broken seal), and the envelope's logbook records the break. `new_seal_number` for a key not kept in a sealed envelope is a 400."
)

// custodyDocs document the API route of each custody move.
var custodyDocs = map[string]opDoc{
	keyward.CustodyCheckout: {
		id: "checkoutKey", tag: "custody", summary: "Check a key out",
		desc:   "Lends an `in_storage` key to a holder until `due_at`, which must be in the future (400 otherwise). 409 if the key is not in storage (checked out, issued, lost or destroyed). The key becomes `checked_out`. " + sealOut + "",
		params: []param{{ref: "IdempotencyKey"}},
		in:     keyward.CheckoutInput{},
		out:    []reply{{200, "The key after the move.", keyward.Key{}, ""}},
		errs:   []int{400, 401, 403, 404, 409, 422},
	},
	keyward.CustodyCheckin: {
		id: "checkinKey", tag: "custody", summary: "Check a key back in",
		desc:         "Takes back a `checked_out` key; it becomes `in_storage`. 409 if the key is not checked out. The body may be empty or `{}`. " + sealIn,
		params:       []param{{ref: "IdempotencyKey"}},
		in:           keyward.CheckinInput{},
		optionalBody: true,
		out:          []reply{{200, "The key after the move.", keyward.Key{}, ""}},
		errs:         []int{400, 401, 403, 404, 409, 422},
	},
	keyward.CustodyIssue: {
		id: "issueKey", tag: "custody", summary: "Issue a key",
		desc:         "Hands an `in_storage` key to a holder for the long term (`holder_id` required); it becomes `issued`. 409 from any other status. " + sealOut,
		params:       []param{{ref: "IdempotencyKey"}},
		in:           keyward.CustodyInput{},
		optionalBody: true,
		out:          []reply{{200, "The key after the move.", keyward.Key{}, ""}},
		errs:         []int{400, 401, 403, 404, 409, 422},
	},
	keyward.CustodyReturn: {
		id: "returnKey", tag: "custody", summary: "Return an issued key",
		desc:         "An `issued` key comes back to storage; it becomes `in_storage`. 409 from any other status. `holder_id` must be empty. " + sealIn,
		params:       []param{{ref: "IdempotencyKey"}},
		in:           keyward.CustodyInput{},
		optionalBody: true,
		out:          []reply{{200, "The key after the move.", keyward.Key{}, ""}},
		errs:         []int{400, 401, 403, 404, 409, 422},
	},
	keyward.CustodyTransfer: {
		id: "transferKey", tag: "custody", summary: "Transfer a key to another holder",
		desc:         "Moves an `issued` or `checked_out` key to another holder (`holder_id` required, different from the current one); the status and due date stay. 409 from any other status.",
		params:       []param{{ref: "IdempotencyKey"}},
		in:           keyward.CustodyInput{},
		optionalBody: true,
		out:          []reply{{200, "The key after the move.", keyward.Key{}, ""}},
		errs:         []int{400, 401, 403, 404, 409, 422},
	},
	keyward.CustodyLost: {
		id: "reportKeyLost", tag: "custody", summary: "Report a key lost",
		desc:         "The key becomes `lost` (from `in_storage`, `issued` or `checked_out`; 409 otherwise); checking out a lost key is a 409. A user of role `holder` may report only keys they hold (403 otherwise). `holder_id` must be empty. For those who may read the inventory the answer adds `lost_key`: every door the key opens now and the next step (the key system's rekey plan, or a work list of doors to rekey or replace), as `GET /api/v1/keys/{id}/lost` answers.",
		params:       []param{{ref: "IdempotencyKey"}},
		in:           keyward.CustodyInput{},
		optionalBody: true,
		out:          []reply{{200, "The key after the move, and what it opens.", lostKeyReply{}, ""}},
		errs:         []int{400, 401, 403, 404, 409, 422},
	},
	keyward.CustodyFound: {
		id: "reportKeyFound", tag: "custody", summary: "Report a lost key found",
		desc:         "A `lost` key becomes `in_storage`. 409 from any other status. `holder_id` must be empty. " + sealIn,
		params:       []param{{ref: "IdempotencyKey"}},
		in:           keyward.CustodyInput{},
		optionalBody: true,
		out:          []reply{{200, "The key after the move.", keyward.Key{}, ""}},
		errs:         []int{400, 401, 403, 404, 409, 422},
	},
	keyward.CustodyDestroy: {
		id: "destroyKey", tag: "custody", summary: "Destroy a key",
		desc:         "The key becomes `destroyed` (from any status but `destroyed`; 409 then). `holder_id` must be empty. A key destroyed from storage gives up its storage place; " + sealOut,
		params:       []param{{ref: "IdempotencyKey"}},
		in:           keyward.CustodyInput{},
		optionalBody: true,
		out:          []reply{{200, "The key after the move.", keyward.Key{}, ""}},
		errs:         []int{400, 401, 403, 404, 409, 422},
	},
}
