package web

import "github.com/keyward/keyward/internal/keyward"

// credentialRoutes are electronic credentials (PIN, card, fob): the JSON API, then the pages.
func (s *Server) credentialRoutes() []route {
	return []route{
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
		s.reveals(secret(api("POST /api/v1/credentials/{id}/reveal", keyward.ActSecretReveal, s.revealCredentialPIN))).describe(opDoc{
			id: "revealCredentialPIN", tag: "credentials", summary: "Reveal a credential's PIN",
			desc: "409 if the credential has no PIN. 403 also when the organization requires an authenticator app and the user has none after their grace period (`rule`: `authenticator_required`, with `deadline` and `enrol`); inside the grace the answer carries the reminder in the `Keyward-Notice` header. A `reason` holding the record's own code is refused (400 naming `reason`, audited without the note); after 5 such refusals in 10 minutes every note on a record with a code is 429 until the window moves on. `Idempotency-Key` is refused (400): a reveal is never replayed.",
			in:   keyward.CodeRevealInput{},
			out:  []reply{{200, "The plaintext PIN (`Cache-Control: no-store`). The reveal is recorded.", revealedPIN{}, ""}},
			errs: []int{400, 401, 403, 404, 409, 429},
		}),

		page("GET /credentials", keyward.ActInventoryRead, s.credentialsPage),
		page("POST /credentials", keyward.ActCredential, s.credentialsCreate),
		page("POST /credentials/{id}/revoke", keyward.ActCredential, s.credentialsRevoke),
	}
}
