package web

import "github.com/keyward/keyward/internal/keyward"

// keyCodeRoutes are key codes, kept as high-impact secrets: the codes
// (sealed, never answered but by an authorized reveal), the requests that
// allow a reveal, reveals, incidents of suspected disclosure and the
// exposures they raise, disposal, fleet accounts and the settings. The
// service enforces the separation of duties (keyward.CheckCodeStep,
// keyward.CheckReveal): a route open to a role may still answer 403.
func (s *Server) keyCodeRoutes() []route {
	stepErrs := []int{400, 401, 403, 404, 409}
	return []route{
		secret(api("POST /api/v1/key-codes", keyward.ActCodeCreate, s.createKeyCode)).describe(opDoc{
			id: "createKeyCode", tag: "key-codes", summary: "Record a key code",
			desc: "A vehicle's (`vin`) or a lock's (`opening_id`) key-cutting code, with where it came from (`source`: `" + joinCodes(keyward.CodeSources) + "`; `source_ref`: the order or reference there). A `technician`, `admin` or `owner`. The code is sealed at once and no answer holds it but an authorized reveal. The VIN is upper-cased, then must be 17 characters of A-Z and 0-9 without I, O or Q (else a 400 naming `vin`); a well-formed VIN whose North-American check digit does not match is accepted with a `warnings` entry naming `vin`. `Idempotency-Key` is refused (400): the request holds a secret.",
			in:   keyward.KeyCodeInput{},
			out:  []reply{{201, "Created: the code's record, never the code.", keyward.KeyCode{}, ""}},
			errs: []int{400, 401, 403},
		}),
		api("GET /api/v1/key-codes", keyward.ActCodeRead, s.listKeyCodes).describe(opDoc{
			id: "listKeyCodes", tag: "key-codes", summary: "List key codes",
			desc: "Newest first, never a code. `vin` finds a vehicle's codes; `disposed` (`yes`, `no`) narrows to the disposed ones or those still held.",
			params: []param{{name: "vin", in: "query", desc: "A vehicle's VIN.", schema: `{"type":"string"}`},
				{name: "disposed", in: "query", desc: "`yes` or `no`.", schema: `{"type":"string","enum":["yes","no"]}`},
				{ref: "Cursor"}, {ref: "Limit"}},
			out:  []reply{{200, "One page of codes.", keyward.Page[keyward.KeyCode]{}, ""}},
			errs: []int{400, 401, 403},
		}),
		api("GET /api/v1/key-codes/{id}", keyward.ActCodeRead, s.getKeyCode).describe(opDoc{
			id: "getKeyCode", tag: "key-codes", summary: "Get a key code's record",
			desc: "Its vehicle or lock, source, reveals so far, open incident, disposal record or when it falls due. Never the code.",
			out:  []reply{{200, "The record.", keyward.KeyCode{}, ""}},
			errs: []int{401, 403, 404},
		}),
		api("GET /api/v1/key-codes/{id}/reveals", keyward.ActCodeRead, s.listCodeReveals).describe(opDoc{
			id: "listCodeReveals", tag: "key-codes", summary: "Every reveal of a key code",
			desc: "Oldest first: who, when, why, under which request. Refused reveals are in the audit log (`denied.code.reveal`).",
			out:  []reply{{200, "The reveals.", itemList[keyward.CodeReveal]{}, ""}},
			errs: []int{401, 403, 404},
		}),
		secret(api("POST /api/v1/key-codes/{id}/reveal", keyward.ActCodeReveal, s.revealKeyCode)).describe(opDoc{
			id: "revealKeyCode", tag: "key-codes", summary: "Reveal a key code",
			desc: "A `technician`, `admin` or `owner` (an `advisor` or `manager`: 403), under an approved request for this code (`request_id`) that has not expired or been used up, for a `reason` (400 naming `reason` without one). 409 without such a request, after the code's disposal, or while an incident on it is open. Every reveal and every refused reveal is an audit record; the reveal's record says \"code retrieved from <source>, revealed to <technician> at <time>\" and never holds the code, nor does any log line, export or backup. `expires_at` is when the page stops showing the code. `Idempotency-Key` is refused (400): a reveal is never replayed.",
			in:   keyward.KeyCodeRevealInput{},
			out:  []reply{{200, "The code (`Cache-Control: no-store`). The reveal is recorded.", revealedKeyCode{}, ""}},
			errs: []int{400, 401, 403, 404, 409},
		}),
		api("POST /api/v1/key-codes/{id}/incidents", keyward.ActCodeIncident, s.openCodeIncident).describe(opDoc{
			id: "openCodeIncident", tag: "key-codes", summary: "Report a suspected disclosure",
			desc:   "Any staff role. Opens an incident: reveals of the code are refused (409) until it is closed; it lists every reveal of the code; the owners and managers are told (`code.incident`); and an exposure is raised for the vehicle (`reprogram`) or lock (`rekey`) that stays open until resolved. 409 when an incident on the code is already open.",
			params: []param{{ref: "IdempotencyKey"}},
			in:     keyward.CodeNoteInput{},
			out:    []reply{{201, "Created: the incident, with every reveal and the exposure.", keyward.CodeIncident{}, ""}},
			errs:   []int{400, 401, 403, 404, 409},
		}),
		api("GET /api/v1/key-codes/{id}/incidents", keyward.ActCodeRead, s.listCodeIncidents).describe(opDoc{
			id: "listCodeIncidents", tag: "key-codes", summary: "A key code's incidents",
			out:  []reply{{200, "Newest first.", itemList[keyward.CodeIncident]{}, ""}},
			errs: []int{401, 403, 404},
		}),
		api("POST /api/v1/key-codes/{id}/dispose", keyward.ActCodeManage, withNote(s, keyward.KeyCodes.DisposeKeyCode)).describe(opDoc{
			id: "disposeKeyCode", tag: "key-codes", summary: "Dispose of a key code now",
			desc:   "A `manager` (or above), with a `note`. Destroys the sealed code and writes the disposal record; reveals answer 409 from then on. The scheduler does the same when a code's retention ends. 409 if already disposed of, or while a job on it is approved and not closed.",
			params: []param{{ref: "IdempotencyKey"}},
			in:     keyward.CodeNoteInput{},
			out:    []reply{{200, "The record, with its disposal.", keyward.KeyCode{}, ""}},
			errs:   []int{400, 401, 403, 404, 409},
		}),
		api("GET /api/v1/code-disposals", keyward.ActCodeRead, s.listCodeDisposals).describe(opDoc{
			id: "listCodeDisposals", tag: "key-codes", summary: "The disposal report",
			desc:   "Every disposed code with its disposal record, newest disposal first.",
			params: []param{{ref: "Cursor"}, {ref: "Limit"}},
			out:    []reply{{200, "One page of disposed codes.", keyward.Page[keyward.KeyCode]{}, ""}},
			errs:   []int{400, 401, 403},
		}),
		api("GET /api/v1/code-incidents/{id}", keyward.ActCodeRead, s.getCodeIncident).describe(opDoc{
			id: "getCodeIncident", tag: "key-codes", summary: "Get an incident",
			out:  []reply{{200, "The incident with every reveal of its code and its exposure.", keyward.CodeIncident{}, ""}},
			errs: []int{401, 403, 404},
		}),
		api("POST /api/v1/code-incidents/{id}/close", keyward.ActCodeManage, withNote(s, keyward.KeyCodes.CloseIncident)).describe(opDoc{
			id: "closeCodeIncident", tag: "key-codes", summary: "Close an incident",
			desc:   "A `manager` (or above), with a `note`: reveals may go on. The exposure stays open until it is resolved. 409 if already closed.",
			params: []param{{ref: "IdempotencyKey"}},
			in:     keyward.CodeNoteInput{},
			out:    []reply{{200, "The incident, closed.", keyward.CodeIncident{}, ""}},
			errs:   []int{400, 401, 403, 404, 409},
		}),
		api("GET /api/v1/code-exposures", keyward.ActCodeRead, s.listCodeExposures).describe(opDoc{
			id: "listCodeExposures", tag: "key-codes", summary: "Vehicles and locks whose code may be out",
			params: []param{{name: "open", in: "query", desc: "`true`: only those not resolved.", schema: `{"type":"string","enum":["true","false"]}`}},
			out:    []reply{{200, "Open first.", itemList[keyward.CodeExposure]{}, ""}},
			errs:   []int{400, 401, 403},
		}),
		api("POST /api/v1/code-exposures/{id}/resolve", keyward.ActCodeExposure, withNote(s, keyward.KeyCodes.ResolveExposure)).describe(opDoc{
			id: "resolveCodeExposure", tag: "key-codes", summary: "Record a vehicle re-programmed or a lock rekeyed",
			desc:   "A `technician` or `manager` (or above), with a `note` saying what was done. 409 if already resolved.",
			params: []param{{ref: "IdempotencyKey"}},
			in:     keyward.CodeNoteInput{},
			out:    []reply{{200, "The exposure, resolved.", keyward.CodeExposure{}, ""}},
			errs:   []int{400, 401, 403, 404, 409},
		}),
		api("POST /api/v1/code-requests", keyward.ActCodeRequest, s.createCodeRequest).describe(opDoc{
			id: "createCodeRequest", tag: "key-codes", summary: "Ask for a key code",
			desc:   "An `advisor` (or a `manager`, `admin`, `owner`) asks for `key_code_id` to be revealed for a job, naming the `relationship` of whoever asks (`" + joinCodes(keyward.CodeRelationships) + "`) and the `reason`. The evidence may come along (or later, with `POST /api/v1/code-requests/{id}/evidence`): `channel` (`" + joinCodes(keyward.CodeChannels) + "`), `requester_name`, the photo ID checked (`id_type`, `id_last4`), `registration_ref`, `agent_letter_ref`, `fleet_id`. The organization's rules say which evidence each relationship needs before approval (`GET /api/v1/settings/key-codes`); `missing` lists what is still needed. 409 for a disposed code.",
			params: []param{{ref: "IdempotencyKey"}},
			in:     keyward.CodeRequestInput{},
			out:    []reply{{201, "Created: the request, `requested`.", keyward.CodeRequest{}, ""}},
			errs:   []int{400, 401, 403, 409},
		}),
		api("GET /api/v1/code-requests", keyward.ActCodeRead, s.listCodeRequests).describe(opDoc{
			id: "listCodeRequests", tag: "key-codes", summary: "List code requests",
			params: []param{{name: "state", in: "query", desc: "Only requests in these states, separated by commas.", schema: `{"type":"string"}`},
				{name: "key_code_id", in: "query", desc: "Only the requests for this code.", schema: `{"type":"string"}`},
				{ref: "Cursor"}, {ref: "Limit"}},
			out:  []reply{{200, "One page, newest first.", keyward.Page[keyward.CodeRequest]{}, ""}},
			errs: []int{400, 401, 403},
		}),
		api("GET /api/v1/code-requests/{id}", keyward.ActCodeRead, s.getCodeRequest).describe(opDoc{
			id: "getCodeRequest", tag: "key-codes", summary: "Get a code request (the job)",
			desc: "With its history and its service checklist (requester identity, relationship, code source, access logged, disposal after service), each item ticked from the records.",
			out:  []reply{{200, "The request.", keyward.CodeRequest{}, ""}},
			errs: []int{401, 403, 404},
		}),
		api("POST /api/v1/code-requests/{id}/evidence", keyward.ActCodeRequest, s.codeEvidence).describe(opDoc{
			id: "addCodeEvidence", tag: "key-codes", summary: "Record evidence on a code request",
			desc:   "The items given replace those recorded. 409 once the request is decided.",
			params: []param{{ref: "IdempotencyKey"}},
			in:     keyward.CodeEvidenceInput{},
			out:    []reply{{200, "The request.", keyward.CodeRequest{}, ""}},
			errs:   stepErrs,
		}),
		api("POST /api/v1/code-requests/{id}/approve", keyward.ActCodeApprove, s.approveCodeRequest).describe(opDoc{
			id: "approveCodeRequest", tag: "key-codes", summary: "Approve a code request",
			desc:         "A `manager`, `admin` or `owner` who did not make the request (403 for the requester, recorded). The approval allows reveals until `expires_at` and at most `max_reveals` times, as the organization's settings say. 409 when the request is not waiting for approval, or lacks evidence the organization's rules need.",
			params:       []param{{ref: "IdempotencyKey"}},
			in:           emptyInput{},
			optionalBody: true,
			out:          []reply{{200, "The request, `approved`.", keyward.CodeRequest{}, ""}},
			errs:         stepErrs,
		}),
		api("POST /api/v1/code-requests/{id}/deny", keyward.ActCodeApprove, withNote(s, keyward.KeyCodes.DenyCode)).describe(opDoc{
			id: "denyCodeRequest", tag: "key-codes", summary: "Deny a code request",
			desc:   "A `manager` (or above) who did not make the request, with a `note`.",
			params: []param{{ref: "IdempotencyKey"}},
			in:     keyward.CodeNoteInput{},
			out:    []reply{{200, "The request, `denied`.", keyward.CodeRequest{}, ""}},
			errs:   stepErrs,
		}),
		api("POST /api/v1/code-requests/{id}/cancel", keyward.ActCodeRequest, withNote(s, keyward.KeyCodes.CancelCode)).describe(opDoc{
			id: "cancelCodeRequest", tag: "key-codes", summary: "Cancel a code request",
			desc:   "Before the service is done, with a `note`.",
			params: []param{{ref: "IdempotencyKey"}},
			in:     keyward.CodeNoteInput{},
			out:    []reply{{200, "The request, `cancelled`.", keyward.CodeRequest{}, ""}},
			errs:   stepErrs,
		}),
		api("POST /api/v1/code-requests/{id}/done", keyward.ActCodeService, withNote(s, keyward.KeyCodes.CloseCodeJob)).describe(opDoc{
			id: "closeCodeJob", tag: "key-codes", summary: "Record the service done",
			desc:   "A `technician` (or an `admin`, `owner`), with a `note`: the job closes, its approval ends, and the code's retention starts (disposal follows the organization's `retention_days`, or when the vehicle leaves its fleet). 409 unless `approved`.",
			params: []param{{ref: "IdempotencyKey"}},
			in:     keyward.CodeNoteInput{},
			out:    []reply{{200, "The request, `closed`.", keyward.CodeRequest{}, ""}},
			errs:   stepErrs,
		}),
		api("POST /api/v1/fleets", keyward.ActCodeManage, s.createFleet).describe(opDoc{
			id: "createFleet", tag: "key-codes", summary: "Add a fleet account",
			desc:   "A fleet and its standing authorization (`authorization_ref`). Its vehicles' codes are kept while they are in the fleet.",
			params: []param{{ref: "IdempotencyKey"}},
			in:     keyward.FleetInput{},
			out:    []reply{{201, "Created: the fleet.", keyward.Fleet{}, ""}},
			errs:   []int{400, 401, 403},
		}),
		api("GET /api/v1/fleets", keyward.ActCodeRead, s.listFleets).describe(opDoc{
			id: "listFleets", tag: "key-codes", summary: "List fleet accounts",
			out:  []reply{{200, "By name.", itemList[keyward.Fleet]{}, ""}},
			errs: []int{401, 403},
		}),
		api("GET /api/v1/fleets/{id}", keyward.ActCodeRead, s.getFleet).describe(opDoc{
			id: "getFleet", tag: "key-codes", summary: "Get a fleet account",
			out:  []reply{{200, "The fleet with its vehicles, current first.", keyward.Fleet{}, ""}},
			errs: []int{401, 403, 404},
		}),
		api("POST /api/v1/fleets/{id}/vehicles", keyward.ActCodeManage, s.addFleetVehicle).describe(opDoc{
			id: "addFleetVehicle", tag: "key-codes", summary: "Add a vehicle to a fleet",
			desc:   "The VIN is checked as for a key code (400 naming `vin`; a check digit that does not match is a `warnings` entry). 409 if the vehicle is in a fleet already.",
			params: []param{{ref: "IdempotencyKey"}},
			in:     keyward.FleetVehicleInput{},
			out:    []reply{{201, "The fleet.", keyward.Fleet{}, ""}},
			errs:   []int{400, 401, 403, 404, 409},
		}),
		api("DELETE /api/v1/fleets/{id}/vehicles/{vin}", keyward.ActCodeManage, s.removeFleetVehicle).describe(opDoc{
			id: "removeFleetVehicle", tag: "key-codes", summary: "Record a vehicle leaving a fleet",
			desc:   "Its codes' retention starts. 404 if the vehicle is not in the fleet.",
			params: []param{{name: "vin", in: "path", desc: "The vehicle's VIN.", schema: `{"type":"string"}`}},
			out:    []reply{{200, "The fleet.", keyward.Fleet{}, ""}},
			errs:   []int{401, 403, 404},
		}),
		api("GET /api/v1/settings/key-codes", keyward.ActCodeRead, s.getCodeSettings).describe(opDoc{
			id: "getCodeSettings", tag: "key-codes", summary: "The organization's key code rules",
			out:  []reply{{200, "The settings.", keyward.CodeSettings{}, ""}},
			errs: []int{401, 403},
		}),
		api("PUT /api/v1/settings/key-codes", keyward.ActOrgManage, s.setCodeSettings).describe(opDoc{
			id: "setCodeSettings", tag: "key-codes", summary: "Change the organization's key code rules",
			desc: "The owner only. `approval_hours` (1 to 168) and `max_reveals` (1 to 10) bound what an approval allows; `reveal_seconds` (10 to 600) is how long the page shows a code; `retention_days` (0 to 3650) how long after its job closes a code is kept; `evidence` maps each relationship to the items it must show before approval (`" + joinCodes(keyward.EvidenceItems) + "`). Requests already approved keep what they were approved with.",
			in:   keyward.CodeSettings{},
			out:  []reply{{200, "The settings after the change.", keyward.CodeSettings{}, ""}},
			errs: []int{400, 401, 403},
		}),
	}
}
