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
	// doc describes an API route for the OpenAPI document (openapi.go).
	doc *opDoc
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
			id: "search", tag: "inventory", summary: "Search keys, holders and openings",
			desc:   "Keys by symbol prefix or stamp (`AA1-3`), holders by name or email, openings by name (case-insensitive).",
			params: []param{{name: "q", in: "query", desc: "1 to 200 characters.", schema: `{"type":"string","minLength":1,"maxLength":200}`, required: true}, {ref: "Limit"}},
			out:    []reply{{200, "Up to `limit` matches of each kind.", keyward.SearchResult{}, ""}},
			errs:   []int{400, 401, 403},
		}),

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
		scoped(api("GET /api/v1/keys/{id}/history", keyward.ActSelf, s.keyHistory)).describe(opDoc{
			id: "listKeyHistory", tag: "keys", summary: "A key's logbook",
			desc:   "A user of role `holder` may read only the history of keys they hold (403 otherwise).",
			params: []param{{ref: "Cursor"}, {ref: "Limit"}},
			out:    []reply{{200, "One page of the key's custody events, oldest first across pages.", keyward.Page[keyward.Event]{}, ""}},
			errs:   []int{400, 401, 403, 404},
		}),
		api("POST /api/v1/keys/{id}/checkout", keyward.ActCustody, s.checkoutKey).describe(opDoc{
			id: "checkoutKey", tag: "custody", summary: "Check a key out",
			desc:   "Lends an `in_storage` key to a holder until `due_at`, which must be in the future (400 otherwise). 409 if the key is not in storage (checked out, issued, lost or destroyed). The key becomes `checked_out`.",
			params: []param{{ref: "IdempotencyKey"}},
			in:     keyward.CheckoutInput{},
			out:    []reply{{200, "The key after the move.", keyward.Key{}, ""}},
			errs:   []int{400, 401, 403, 404, 409, 422},
		}),
		api("POST /api/v1/keys/{id}/checkin", keyward.ActCustody, s.checkinKey).describe(opDoc{
			id: "checkinKey", tag: "custody", summary: "Check a key back in",
			desc:         "Takes back a `checked_out` key; it becomes `in_storage`. 409 if the key is not checked out. The body may be empty or `{}`.",
			params:       []param{{ref: "IdempotencyKey"}},
			in:           keyward.NoteInput{},
			optionalBody: true,
			out:          []reply{{200, "The key after the move.", keyward.Key{}, ""}},
			errs:         []int{400, 401, 403, 404, 409, 422},
		}),
		api("POST /api/v1/keys/{id}/issue", keyward.ActCustody, s.moveKey(keyward.CustodyIssue)).describe(opDoc{
			id: "issueKey", tag: "custody", summary: "Issue a key",
			desc:         "Hands an `in_storage` key to a holder for the long term (`holder_id` required); it becomes `issued`. 409 from any other status.",
			params:       []param{{ref: "IdempotencyKey"}},
			in:           keyward.CustodyInput{},
			optionalBody: true,
			out:          []reply{{200, "The key after the move.", keyward.Key{}, ""}},
			errs:         []int{400, 401, 403, 404, 409, 422},
		}),
		api("POST /api/v1/keys/{id}/return", keyward.ActCustody, s.moveKey(keyward.CustodyReturn)).describe(opDoc{
			id: "returnKey", tag: "custody", summary: "Return an issued key",
			desc:         "An `issued` key comes back to storage; it becomes `in_storage`. 409 from any other status. `holder_id` must be empty.",
			params:       []param{{ref: "IdempotencyKey"}},
			in:           keyward.CustodyInput{},
			optionalBody: true,
			out:          []reply{{200, "The key after the move.", keyward.Key{}, ""}},
			errs:         []int{400, 401, 403, 404, 409, 422},
		}),
		api("POST /api/v1/keys/{id}/transfer", keyward.ActCustody, s.moveKey(keyward.CustodyTransfer)).describe(opDoc{
			id: "transferKey", tag: "custody", summary: "Transfer a key to another holder",
			desc:         "Moves an `issued` or `checked_out` key to another holder (`holder_id` required, different from the current one); the status and due date stay. 409 from any other status.",
			params:       []param{{ref: "IdempotencyKey"}},
			in:           keyward.CustodyInput{},
			optionalBody: true,
			out:          []reply{{200, "The key after the move.", keyward.Key{}, ""}},
			errs:         []int{400, 401, 403, 404, 409, 422},
		}),
		scoped(api("POST /api/v1/keys/{id}/lost", keyward.ActKeyReportLost, s.moveKey(keyward.CustodyLost))).describe(opDoc{
			id: "reportKeyLost", tag: "custody", summary: "Report a key lost",
			desc:         "The key becomes `lost` (from `in_storage`, `issued` or `checked_out`; 409 otherwise); checking out a lost key is a 409. A user of role `holder` may report only keys they hold (403 otherwise). `holder_id` must be empty.",
			params:       []param{{ref: "IdempotencyKey"}},
			in:           keyward.CustodyInput{},
			optionalBody: true,
			out:          []reply{{200, "The key after the move.", keyward.Key{}, ""}},
			errs:         []int{400, 401, 403, 404, 409, 422},
		}),
		api("POST /api/v1/keys/{id}/found", keyward.ActCustody, s.moveKey(keyward.CustodyFound)).describe(opDoc{
			id: "reportKeyFound", tag: "custody", summary: "Report a lost key found",
			desc:         "A `lost` key becomes `in_storage`. 409 from any other status. `holder_id` must be empty.",
			params:       []param{{ref: "IdempotencyKey"}},
			in:           keyward.CustodyInput{},
			optionalBody: true,
			out:          []reply{{200, "The key after the move.", keyward.Key{}, ""}},
			errs:         []int{400, 401, 403, 404, 409, 422},
		}),
		api("POST /api/v1/keys/{id}/destroy", keyward.ActCustody, s.moveKey(keyward.CustodyDestroy)).describe(opDoc{
			id: "destroyKey", tag: "custody", summary: "Destroy a key",
			desc:         "The key becomes `destroyed` (from any status but `destroyed`; 409 then). `holder_id` must be empty.",
			params:       []param{{ref: "IdempotencyKey"}},
			in:           keyward.CustodyInput{},
			optionalBody: true,
			out:          []reply{{200, "The key after the move.", keyward.Key{}, ""}},
			errs:         []int{400, 401, 403, 404, 409, 422},
		}),

		api("POST /api/v1/imports", keyward.ActImport, s.importKeys).describe(opDoc{
			id: "importKeys", tag: "imports", summary: "Import keys from a spreadsheet",
			desc:    "One key per data row. The canonical headers are `symbol`, `keyway` (a keyway name), `copy_number`, `holder_name`, `holder_email` and `due_at` (RFC 3339); other columns are ignored and a UTF-8 byte-order mark is allowed. Row numbers are 1-based data rows (the header is row 0); a row repeating an earlier row's `symbol` + `copy_number` is reported at the later row. A `holder_email` the organization does not know yet creates that holder, named by `holder_name`. The import is all or nothing: 409 if another request created one of its keys or holders meanwhile (run it again). The file may be at most 32 MiB.",
			params:  []param{{name: "dry_run", in: "query", desc: "`true`: check the file and report, writing nothing.", schema: `{"type":"boolean","default":false}`}, {ref: "IdempotencyKey"}},
			rawBody: `{"required":true,"description":"The spreadsheet as the raw body (\u0060text/csv\u0060 or XLSX), or one file of a \u0060multipart/form-data\u0060 upload. A body without a spreadsheet type is read as XLSX or CSV by its first bytes.","content":{"text/csv":{"schema":{"type":"string"}},"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet":{"schema":{"type":"string","contentMediaType":"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet","description":"An XLSX workbook; its first sheet is read."}},"multipart/form-data":{"schema":{"type":"object","required":["file"],"properties":{"file":{"type":"string","contentMediaType":"application/octet-stream","description":"A CSV or XLSX file (\u0060.xlsx\u0060 by name or type)."}}}}}}`,
			out:     []reply{{200, "Dry run: how many data rows the file has and every error found; nothing is written.", importReport{}, ""}, {201, "Imported: every row was written.", importResult{}, ""}, {422, "The file has errors and nothing at all was written; `errors` lists them as a dry run would. (Also: the `Idempotency-Key` was already used for a different request, without `errors`.)", importProblem{}, ""}},
			errs:    []int{400, 401, 403, 409},
		}),
		api("GET /api/v1/exports/{kind}", keyward.ActInventoryRead, s.exportCSV).describe(opDoc{
			id: "exportCSV", tag: "imports", summary: "Export a list as CSV",
			desc:   "`keys`: every key; its first six columns are the import's, so an export loads into another database. `holders`: every holder. `logbook`: every custody event, oldest first. 404 for another `kind`. Each export is recorded in the audit log.",
			params: []param{{name: "kind", in: "path", desc: "What to export.", schema: `{"type":"string","enum":["keys","holders","logbook"]}`}},
			out:    []reply{{200, "The table as CSV with a header row, as a download. Cells a spreadsheet would run as a formula get a leading apostrophe.", nil, `{"headers":{"Content-Disposition":{"schema":{"type":"string","examples":["attachment; filename=\"keyward-keys.csv\""]}}},"content":{"text/csv":{"schema":{"type":"string"}}}}`}},
			errs:   []int{401, 403, 404},
		}),
		secret(api("POST /api/v1/webhooks", keyward.ActWebhookManage, s.createWebhook)).describe(opDoc{
			id: "createWebhook", tag: "webhooks", summary: "Subscribe a URL to events",
			desc: "A delivery is a `POST` of JSON `{\"event\", \"at\", \"data\"}` with the header `X-Keyward-Signature: sha256=<hex HMAC-SHA256 of the raw body, keyed with the secret>`. `checkout.overdue` is delivered exactly once per overdue check-out. A URL that resolves to a loopback or private address is a 400 unless the server runs with `KEYWARD_ALLOW_PRIVATE_WEBHOOKS=1`. `Idempotency-Key` is refused (400): the request or the answer holds a secret, which a stored replay would keep in the database.",
			in:   keyward.WebhookInput{},
			out:  []reply{{201, "Created: the new webhook.", keyward.Webhook{}, ""}},
			errs: []int{400, 401, 403},
		}),
		api("GET /api/v1/webhooks", keyward.ActWebhookManage, s.listWebhooks).describe(opDoc{
			id: "listWebhooks", tag: "webhooks", summary: "List webhook subscriptions",
			out:  []reply{{200, "Every subscription. Not paginated; secrets are never shown.", keyward.Page[keyward.Webhook]{}, ""}},
			errs: []int{401, 403},
		}),

		api("GET /api/v1/audit", keyward.ActAuditRead, s.listAudit).describe(opDoc{
			id: "listAudit", tag: "audit", summary: "The audit log",
			desc:   "The tamper-evident log, newest first, paginated.",
			params: []param{{name: "action", in: "query", desc: "Only records of this action, e.g. `key.checkout`.", schema: `{"type":"string"}`}, {name: "actor", in: "query", desc: "Only records by this actor (email).", schema: `{"type":"string"}`}, {name: "subject_id", in: "query", desc: "Only records about this object id.", schema: `{"type":"string"}`}, {ref: "Cursor"}, {ref: "Limit"}},
			out:    []reply{{200, "One page of the list.", keyward.Page[keyward.AuditRecord]{}, ""}},
			errs:   []int{400, 401, 403},
		}),
		api("GET /api/v1/users", keyward.ActUserManage, s.listUsers).describe(opDoc{
			id: "listUsers", tag: "users", summary: "List user accounts",
			out:  []reply{{200, "Every account, by email. Not paginated.", keyward.Page[keyward.User]{}, ""}},
			errs: []int{401, 403},
		}),
		secret(api("POST /api/v1/users", keyward.ActUserManage, s.createUser)).describe(opDoc{
			id: "createUser", tag: "users", summary: "Create a user account",
			desc: "Only owners may create owners (403). 409 if an account with that email exists. `Idempotency-Key` is refused (400): the request or the answer holds a secret, which a stored replay would keep in the database.",
			in:   keyward.UserInput{},
			out:  []reply{{201, "Created: the new account. `initial_password` is present when no password was given.", newAccount{}, ""}},
			errs: []int{400, 401, 403, 409},
		}),
		api("PATCH /api/v1/users/{id}", keyward.ActUserManage, s.updateUser).describe(opDoc{
			id: "updateUser", tag: "users", summary: "Change a user's role or disable the account",
			desc: "Sets both fields: an omitted `disabled` means `false`, so the account is enabled. Disabling ends the user's sessions and revokes their tokens. Only owners may change an owner or make one (403). 409 for your own account.",
			in:   userUpdate{},
			out:  []reply{{200, "The updated account.", keyward.User{}, ""}},
			errs: []int{400, 401, 403, 404, 409},
		}),
		// Tokens: everyone mints their own only; others' tokens are listed and
		// revoked with token.manage (the service decides, so scoped).
		secret(scoped(api("POST /api/v1/tokens", keyward.ActSelf, s.createToken))).describe(opDoc{
			id: "createToken", tag: "users", summary: "Create an API token",
			desc: "A token signs in as its user with that user's role, so you mint tokens only for yourself: `user` may be omitted or name you (compared without case or surrounding spaces); naming anyone else, whatever your role, is a 403 and writes nothing but the audit record of the refusal. An owner or admin makes a token for someone else offline with `keyward token create --user EMAIL`. `Idempotency-Key` is refused (400): the request or the answer holds a secret, which a stored replay would keep in the database.",
			in:   tokenInput{},
			out:  []reply{{201, "Created: the token, shown only this once.", createdToken{}, ""}},
			errs: []int{400, 401, 403},
		}),
		scoped(api("GET /api/v1/tokens", keyward.ActSelf, s.listTokens)).describe(opDoc{
			id: "listTokens", tag: "users", summary: "List API tokens",
			desc:   "Tokens that have not been revoked, never their secret or hash, by user then age. Your own by default; `user` (a user id) or `all=true` show another user's or everyone's, for owners and admins (403 otherwise).",
			params: []param{{name: "user", in: "query", desc: "Only this user's tokens (a user id); 404 for an unknown user.", schema: `{"type":"string"}`}, {name: "all", in: "query", desc: "`true`: every user's tokens. Not with `user`.", schema: `{"type":"boolean","default":false}`}},
			out:    []reply{{200, "The tokens (no further pages).", keyward.Page[keyward.APIToken]{}, ""}},
			errs:   []int{400, 401, 403, 404},
		}),
		scoped(api("DELETE /api/v1/tokens/{id}", keyward.ActSelf, s.revokeToken)).describe(opDoc{
			id: "revokeToken", tag: "users", summary: "Revoke an API token",
			desc: "Your own token, or anyone's for owners and admins (403 otherwise). The token is refused (401) from the next request on. 404 for an unknown or already revoked token. The audit record `token.revoke` names who revoked it and whose token it was.",
			out:  []reply{{200, "The revoked token, with `revoked_at`.", keyward.APIToken{}, ""}},
			errs: []int{401, 403, 404},
		}),
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
