package web

import "github.com/keyward/keyward/internal/keyward"

// offboardingRoutes collect everything from a leaving holder: the JSON API, then the pages.
func (s *Server) offboardingRoutes() []route {
	return []route{
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
			desc:         "A checked-out key is checked in, an issued key returned. 409 if the holder does not have it. " + sealIn,
			params:       []param{{name: "key_id", in: "path", desc: "The key to collect.", schema: `{"type":"string"}`}, {ref: "IdempotencyKey"}},
			in:           keyward.CheckinInput{},
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

		page("GET /offboardings", keyward.ActInventoryRead, s.offboardingsPage),
		page("POST /offboardings", keyward.ActOffboard, s.offboardingsStart),
		page("GET /holders/{id}/offboarding", keyward.ActInventoryRead, s.offboardingPage),
		page("POST /holders/{id}/offboarding", keyward.ActOffboard, s.offboardingStart),
		page("POST /holders/{id}/offboarding/keys/{key_id}/collect", keyward.ActCustody, s.offboardingCollect),
		page("POST /holders/{id}/offboarding/credentials/{credential_id}/revoke", keyward.ActCredential, s.offboardingRevoke),
		page("POST /holders/{id}/offboarding/storage/{storage_id}/release", keyward.ActStorageEdit, s.offboardingRelease),
		page("POST /holders/{id}/offboarding/clear", keyward.ActOffboard, s.offboardingClear),
	}
}
