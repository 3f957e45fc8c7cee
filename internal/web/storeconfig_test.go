package web_test

import (
	"github.com/keyward/keyward/internal/store"
	"github.com/keyward/keyward/internal/vault"
	"github.com/keyward/keyward/internal/web"
)

// storeConfig wires a server to the store's services bound to vault v, as
// cmd/keyward does; acc is the accounts service (it may alert by email).
func storeConfig(db *store.DB, v *vault.Key, acc *store.Accounts) web.Config {
	keySystems := db.KeySystems(v)
	return web.Config{
		Health:        db,
		Accounts:      acc,
		Directory:     db.Directory(),
		Custody:       db.Custody(),
		Storage:       db.Storage(v),
		Credentials:   db.Credentials(v),
		Offboarding:   db.Offboarding(),
		Schedule:      db.Schedule(),
		KeySystems:    keySystems,
		KeyingSpecs:   keySystems,
		Search:        db,
		Dashboard:     db,
		Imports:       db,
		ImportUploads: db,
		Exports:       db,
		Webhooks:      db.Notifications(v),
		Audit:         db,
		Idempotency:   db,
	}
}
