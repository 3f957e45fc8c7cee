package web

import "github.com/keyward/keyward/internal/keyward"

// copyRoutes are duplication control: copy requests and their workflow, a
// keyway's signatories and authorization card, and the organization's copy
// settings. The service enforces who may take each step (keyward.CheckCopyStep):
// a route open to a role may still answer 403 for a step that role may not take.
func (s *Server) copyRoutes() []route {
	stepErrs := []int{400, 401, 403, 404, 409, 422}
	return []route{
		scoped(api("POST /api/v1/copy-requests", keyward.ActCopyRequest, s.createCopyRequest)).describe(opDoc{
			id: "createCopyRequest", tag: "copies", summary: "Request new copies of a key",
			desc:   "Asks for `count` (1 to 20) new copies of the key's symbol on its keyway. The keyway's duplication policy decides what follows: an `open` keyway's request is `approved` at once (and still counted); a `dnd` or `restricted` one needs a `reason` and starts `requested`, waiting for a manager who did not make it (a `restricted` one first needs the signatory's evidence). A user of role `holder` asks only for a key they hold now, and only for themselves (403 otherwise). `count` that is not a whole number from 1 to 20 is a 400 naming `count`.",
			params: []param{{ref: "IdempotencyKey"}},
			in:     keyward.CopyRequestInput{},
			out:    []reply{{201, "Created: the request, with `id` and `state`.", keyward.CopyRequest{}, ""}},
			errs:   []int{400, 401, 403, 409, 422},
		}),
		scoped(api("GET /api/v1/copy-requests", keyward.ActSelf, s.listCopyRequests)).describe(opDoc{
			id: "listCopyRequests", tag: "copies", summary: "List copy requests",
			desc: "Newest first. Staff and auditors see every request; a user of role `holder` the ones they made or that were made for them. Other roles: 403.",
			params: []param{{name: "state", in: "query", desc: "Only requests in these states: one state, or several separated by commas.", schema: `{"type":"string"}`},
				{ref: "Cursor"}, {ref: "Limit"}},
			out:  []reply{{200, "One page of requests.", keyward.Page[keyward.CopyRequest]{}, ""}},
			errs: []int{400, 401, 403},
		}),
		scoped(api("GET /api/v1/copy-requests/{id}", keyward.ActSelf, s.getCopyRequest)).describe(opDoc{
			id: "getCopyRequest", tag: "copies", summary: "Get a copy request",
			desc: "With its evidence (never the card), approvals, produced copies and history. A holder sees only their own (404 otherwise).",
			out:  []reply{{200, "The request.", keyward.CopyRequest{}, ""}},
			errs: []int{401, 403, 404},
		}),
		secret(scoped(api("POST /api/v1/copy-requests/{id}/evidence", keyward.ActCopyRequest, s.copyEvidence))).describe(opDoc{
			id: "acceptCopyEvidence", tag: "copies", summary: "Record the evidence of a restricted request",
			desc: "The counter checked the signatory's photo ID (`id_type`: " + "`" + joinCodes(keyward.IDTypes) + "`" + ", or a common spelling such as `driver_license`; `id_last4`: its last four letters or digits) and the keyway's authorization card. A holder who is not a current signatory of the keyway is a 400 naming `signatory_holder_id`; a card that does not match the one on file is a 400 naming `authorization_card`; each refusal is recorded. The card is compared, never stored with the request, never returned. 409 for a request that does not take evidence (not `restricted`, or already decided). `Idempotency-Key` is refused (400): the request holds a secret.",
			in:   keyward.CopyEvidenceInput{},
			out:  []reply{{200, "The request, `evidence_accepted`.", keyward.CopyRequest{}, ""}},
			errs: []int{400, 401, 403, 404, 409},
		}),
		scoped(api("POST /api/v1/copy-requests/{id}/approve", keyward.ActCopyRequest, s.copyStep(keyward.CopyStepApprove))).describe(opDoc{
			id: "approveCopyRequest", tag: "copies", summary: "Approve a copy request",
			desc:         "A `manager`, `admin` or `owner` who did not make the request; under the two-person rule, not the one who checked the ID either (403). Each manager's approval counts once; the last one the organization requires makes the request `approved`. An escalated request is decided by the owner alone. 409 when the state does not allow it: already decided, cancelled, or a `restricted` request without accepted evidence.",
			params:       []param{{ref: "IdempotencyKey"}},
			in:           emptyInput{},
			optionalBody: true,
			out:          []reply{{200, "The request after the approval.", keyward.CopyRequest{}, ""}},
			errs:         stepErrs,
		}),
		scoped(api("POST /api/v1/copy-requests/{id}/deny", keyward.ActCopyRequest, s.copyDecision(keyward.CopyStepDeny))).describe(opDoc{
			id: "denyCopyRequest", tag: "copies", summary: "Deny a copy request",
			desc:   "A `manager`, `admin` or `owner` who did not make the request, with a `reason`. 409 once decided.",
			params: []param{{ref: "IdempotencyKey"}},
			in:     keyward.CopyDecisionInput{},
			out:    []reply{{200, "The request, `denied`.", keyward.CopyRequest{}, ""}},
			errs:   stepErrs,
		}),
		scoped(api("POST /api/v1/copy-requests/{id}/escalate", keyward.ActCopyRequest, s.copyDecision(keyward.CopyStepEscalate))).describe(opDoc{
			id: "escalateCopyRequest", tag: "copies", summary: "Escalate a copy request to the owner",
			desc:   "When the authorization is unclear: only the owner decides it from then on. A `reason` is required.",
			params: []param{{ref: "IdempotencyKey"}},
			in:     keyward.CopyDecisionInput{},
			out:    []reply{{200, "The request, `escalated`.", keyward.CopyRequest{}, ""}},
			errs:   stepErrs,
		}),
		scoped(api("POST /api/v1/copy-requests/{id}/cancel", keyward.ActCopyRequest, s.copyDecision(keyward.CopyStepCancel))).describe(opDoc{
			id: "cancelCopyRequest", tag: "copies", summary: "Cancel a copy request",
			desc:   "Any step before production, with a `reason`; a holder cancels only their own request. 409 once produced, denied or cancelled.",
			params: []param{{ref: "IdempotencyKey"}},
			in:     keyward.CopyDecisionInput{},
			out:    []reply{{200, "The request, `cancelled`.", keyward.CopyRequest{}, ""}},
			errs:   stepErrs,
		}),
		scoped(api("POST /api/v1/copy-requests/{id}/produce", keyward.ActCopyRequest, s.copyStep(keyward.CopyStepProduce))).describe(opDoc{
			id: "produceCopies", tag: "copies", summary: "Record the copies cut",
			desc:         "Creates `count` new keys of the request's symbol and keyway with the next copy numbers, `in_storage`, each with its logbook line; once: 409 unless `approved`.",
			params:       []param{{ref: "IdempotencyKey"}},
			in:           emptyInput{},
			optionalBody: true,
			out:          []reply{{200, "The request, `produced`, with its new `keys`.", keyward.CopyRequest{}, ""}},
			errs:         stepErrs,
		}),
		scoped(api("POST /api/v1/copy-requests/{id}/hand-over", keyward.ActCopyRequest, s.copyHandOver)).describe(opDoc{
			id: "handOverCopies", tag: "copies", summary: "Issue the produced copies to a holder",
			desc:   "Each new key is issued to the holder (its logbook shows it). A request made for a holder hands its copies to that holder only (400 naming `holder_id`). 409 unless `produced`, or if a copy is no longer in storage.",
			params: []param{{ref: "IdempotencyKey"}},
			in:     keyward.HandOverInput{},
			out:    []reply{{200, "The request, `handed_over`, with its keys issued.", keyward.CopyRequest{}, ""}},
			errs:   stepErrs,
		}),
		api("GET /api/v1/keyways/{id}/control", keyward.ActCopyRead, s.getKeywayControl).describe(opDoc{
			id: "getKeywayControl", tag: "copies", summary: "A keyway's signatories and card",
			desc: "Its signatories, current first, and whether an authorization card is on file (never the number).",
			out:  []reply{{200, "The keyway's duplication control.", keyward.KeywayControl{}, ""}},
			errs: []int{401, 403, 404},
		}),
		api("POST /api/v1/keyways/{id}/signatories", keyward.ActCopyControl, s.addSignatory).describe(opDoc{
			id: "addSignatory", tag: "copies", summary: "Register a signatory of a keyway",
			desc:   "The holder may then authorize copies of the keyway's keys, until `until` (RFC 3339, optional, in the future) or until removed. 409 if they already are a current signatory, or the keyway is retired.",
			params: []param{{ref: "IdempotencyKey"}},
			in:     keyward.SignatoryInput{},
			out:    []reply{{201, "Created: the registration.", keyward.Signatory{}, ""}},
			errs:   []int{400, 401, 403, 404, 409, 422},
		}),
		api("DELETE /api/v1/keyways/{id}/signatories/{holder_id}", keyward.ActCopyControl, s.removeSignatory).describe(opDoc{
			id: "removeSignatory", tag: "copies", summary: "Remove a signatory of a keyway",
			desc:   "Ends the registration and cancels the pending requests the signatory's evidence authorized, each with a line saying why. 404 if the holder is not a signatory of the keyway.",
			params: []param{{name: "holder_id", in: "path", desc: "The signatory's holder id.", schema: `{"type":"string"}`}},
			out:    []reply{{204, "Done; no content.", nil, ""}},
			errs:   []int{400, 401, 403, 404},
		}),
		secret(api("PUT /api/v1/keyways/{id}/authorization-card", keyward.ActCopyControl, s.setAuthorizationCard)).describe(opDoc{
			id: "setAuthorizationCard", tag: "copies", summary: "Set a keyway's authorization card number",
			desc: "Stored sealed, compared when evidence is recorded, and never returned by any route or written to the audit log. `Idempotency-Key` is refused (400): the request holds a secret.",
			in:   keyward.CardInput{},
			out:  []reply{{204, "Done; no content.", nil, ""}},
			errs: []int{400, 401, 403, 404, 409},
		}),
		scoped(api("GET /api/v1/copy-requests/{id}/authorization.pdf", keyward.ActSelf, s.copyAuthorizationPDF)).describe(opDoc{
			id: "copyAuthorizationPDF", tag: "copies", summary: "A restricted request's authorization form (PDF)",
			desc: "For the signatory to sign: the organization, the keyway, the symbol, the number of copies, the signatory's name and photo ID (type and last four characters, once checked; blank lines before), the date, and signature lines for the signatory and the approving manager. Never the authorization card number. 409 unless the request is for a `restricted` keyway. A holder gets only their own requests' forms (404 otherwise).",
			out:  []reply{{200, "The authorization form.", nil, pdfContent}},
			errs: []int{401, 403, 404, 409},
		}),
		scoped(api("GET /api/v1/copy-requests/{id}/receipt.pdf", keyward.ActSelf, s.copyReceiptPDF)).describe(opDoc{
			id: "copyReceiptPDF", tag: "copies", summary: "The receipt of the copies produced (PDF)",
			desc: "After production: every copy cut with its stamp and where it is now, the evidence recorded (signatory, photo ID type and last four characters, who checked it and when), who approved, who cut and who handed over. Never a secret. 409 until the request is `produced`. A holder gets only their own requests' receipts (404 otherwise).",
			out:  []reply{{200, "The receipt.", nil, pdfContent}},
			errs: []int{401, 403, 404, 409},
		}),
		api("GET /api/v1/settings/copies", keyward.ActCopyRead, s.getCopySettings).describe(opDoc{
			id: "getCopySettings", tag: "copies", summary: "The organization's copy settings",
			out:  []reply{{200, "The settings.", keyward.CopySettings{}, ""}},
			errs: []int{401, 403},
		}),
		api("PUT /api/v1/settings/copies", keyward.ActOrgManage, s.setCopySettings).describe(opDoc{
			id: "setCopySettings", tag: "copies", summary: "Change the organization's copy settings",
			desc: "The owner only. `approvals_required` (1 to 3) different managers approve a `dnd` or `restricted` request; with `two_person_rule`, whoever checked the ID does not also approve. Requests already made keep the approvals they were made with.",
			in:   keyward.CopySettings{},
			out:  []reply{{200, "The settings after the change.", keyward.CopySettings{}, ""}},
			errs: []int{400, 401, 403},
		}),

		scoped(page("GET /keys/{id}/copy-request", keyward.ActCopyRequest, s.copyRequestNew)),
		scoped(page("POST /keys/{id}/copy-request", keyward.ActCopyRequest, s.copyRequestCreate)),
		scoped(page("GET /copy-requests", keyward.ActSelf, s.copyRequestsPage)),
		scoped(page("GET /copy-requests/{id}", keyward.ActSelf, s.copyRequestPage)),
		secret(scoped(page("POST /copy-requests/{id}/evidence", keyward.ActCopyRequest, s.copyStepPost(keyward.CopyStepEvidence)))),
		scoped(page("POST /copy-requests/{id}/approve", keyward.ActCopyRequest, s.copyStepPost(keyward.CopyStepApprove))),
		scoped(page("POST /copy-requests/{id}/deny", keyward.ActCopyRequest, s.copyStepPost(keyward.CopyStepDeny))),
		scoped(page("POST /copy-requests/{id}/escalate", keyward.ActCopyRequest, s.copyStepPost(keyward.CopyStepEscalate))),
		scoped(page("POST /copy-requests/{id}/cancel", keyward.ActCopyRequest, s.copyStepPost(keyward.CopyStepCancel))),
		scoped(page("POST /copy-requests/{id}/produce", keyward.ActCopyRequest, s.copyStepPost(keyward.CopyStepProduce))),
		scoped(page("POST /copy-requests/{id}/hand-over", keyward.ActCopyRequest, s.copyStepPost(keyward.CopyStepHandOver))),
		scoped(page("GET /copy-requests/{id}/authorization.pdf", keyward.ActSelf, s.copyAuthorizationPDF)),
		scoped(page("GET /copy-requests/{id}/receipt.pdf", keyward.ActSelf, s.copyReceiptPDF)),
		page("POST /keyways/{id}/signatories", keyward.ActCopyControl, s.signatoryAdd),
		page("GET /keyways/{id}/signatories/{holder_id}/remove", keyward.ActCopyControl, s.signatoryRemoveConfirm),
		page("POST /keyways/{id}/signatories/{holder_id}/remove", keyward.ActCopyControl, s.signatoryRemove),
		secret(page("POST /keyways/{id}/card", keyward.ActCopyControl, s.keywayCardSet)),
		page("POST /settings/copies", keyward.ActOrgManage, s.copySettingsSubmit),
	}
}
