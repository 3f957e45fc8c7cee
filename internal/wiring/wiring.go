// Package wiring builds the web server's services from the store: the one
// place, besides cmd/keyward, that knows both the concrete store and the
// contracts the web server takes. The web tests use it too, so they run the
// server exactly as serve does.
package wiring

import (
	"github.com/keyward/keyward/internal/store"
	"github.com/keyward/keyward/internal/vault"
	"github.com/keyward/keyward/internal/web"
)

// WebServices hands the web server the store's services as the domain
// contracts it takes, those that seal secrets bound to the vault key v;
// accounts is the accounts service (it may alert by email).
func WebServices(db *store.DB, v *vault.Key, accounts *store.Accounts) web.Config {
	keySystems := db.KeySystems(v)
	return web.Config{
		Health:        db,
		Accounts:      accounts,
		Directory:     db.Directory(),
		Custody:       db.Custody().WithVault(v),
		Storage:       db.Storage(v),
		Credentials:   db.Credentials(v),
		LockSync:      db.LockSync(v),
		NetAccess:     db.NetAccess(),
		Offboarding:   db.Offboarding(),
		Schedule:      db.Schedule(),
		KeySystems:    keySystems,
		KeyingSpecs:   keySystems,
		LostKeys:      db.LostKeys(v),
		Search:        db,
		Dashboard:     db,
		Imports:       db,
		ImportUploads: db,
		Exports:       db,
		Webhooks:      db.Notifications(v),
		Notifications: db.Notifications(v),
		Duplication:   db.Duplication(v),
		KeyCodes:      db.KeyCodes(v),
		Spares:        db.Spares(),
		Audit:         db,
		Reports:       db,
		Idempotency:   db,
	}
}
