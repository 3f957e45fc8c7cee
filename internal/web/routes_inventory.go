package web

import "github.com/keyward/keyward/internal/keyward"

// inventoryRoutes are the storage, credential, keying schedule and offboarding
// routes: the JSON API first, then the pages.
func (s *Server) inventoryRoutes() []route {
	rs := []route{
		secret(api("POST /api/v1/storage", keyward.ActStorageEdit, s.createStorage)),
		api("GET /api/v1/storage", keyward.ActInventoryRead, s.listStorage),
		api("GET /api/v1/storage/{id}", keyward.ActInventoryRead, s.getStorage),
		api("GET /api/v1/storage/{id}/events", keyward.ActInventoryRead, s.storageEvents),
		api("POST /api/v1/storage/{id}/keys", keyward.ActStorageEdit, s.assignKeyHome),
		secret(api("POST /api/v1/storage/{id}/reveal", keyward.ActSecretReveal, s.revealStorageCode)),
		secret(api("POST /api/v1/storage/{id}/code", keyward.ActSecretReveal, s.changeStorageCode)),
		api("POST /api/v1/storage/{id}/break-seal", keyward.ActCustody, s.breakSeal),
		api("POST /api/v1/storage/{id}/acknowledge", keyward.ActStorageEdit, s.acknowledgeStorage),
		api("POST /api/v1/storage/{id}/retire", keyward.ActStorageEdit, s.retireStorage),
		api("GET /api/v1/keys/{id}/home", keyward.ActInventoryRead, s.getKeyHome),
		api("DELETE /api/v1/keys/{id}/home", keyward.ActStorageEdit, s.deleteKeyHome),
		api("GET /api/v1/key-tags", keyward.ActInventoryRead, s.keyTagsPDF),

		api("POST /api/v1/openings/{id}/symbols", keyward.ActInventoryEdit, s.addOpeningSymbol),
		api("DELETE /api/v1/openings/{id}/symbols/{symbol}", keyward.ActInventoryEdit, s.removeOpeningSymbol),
		api("GET /api/v1/openings/{id}/access", keyward.ActInventoryRead, s.openingAccess),

		secret(api("POST /api/v1/credentials", keyward.ActCredential, s.createCredential)),
		api("GET /api/v1/credentials", keyward.ActInventoryRead, s.listCredentials),
		api("GET /api/v1/credentials/{id}", keyward.ActInventoryRead, s.getCredential),
		api("POST /api/v1/credentials/{id}/revoke", keyward.ActCredential, s.revokeCredential),
		secret(api("POST /api/v1/credentials/{id}/reveal", keyward.ActSecretReveal, s.revealCredentialPIN)),

		api("GET /api/v1/offboardings", keyward.ActInventoryRead, s.listOffboardings),
		api("POST /api/v1/holders/{id}/offboarding", keyward.ActOffboard, s.startOffboarding),
		api("GET /api/v1/holders/{id}/offboarding", keyward.ActInventoryRead, s.getOffboarding),
		api("POST /api/v1/holders/{id}/offboarding/clear", keyward.ActOffboard, s.clearOffboarding),
		api("POST /api/v1/holders/{id}/offboarding/keys/{key_id}/collect", keyward.ActCustody, s.offboardCollectKey),
		api("POST /api/v1/holders/{id}/offboarding/credentials/{credential_id}/revoke", keyward.ActCredential, s.offboardRevokeCredential),
		api("POST /api/v1/holders/{id}/offboarding/storage/{storage_id}/release", keyward.ActStorageEdit, s.offboardReleaseStorage),

		api("GET /api/v1/stats/keys-out", keyward.ActInventoryRead, s.keysOutSeries),
	}
	rs = append(rs, s.inventoryPages()...)
	return append(rs, s.importPages()...)
}
