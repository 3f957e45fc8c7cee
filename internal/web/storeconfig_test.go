package web_test

import (
	"github.com/keyward/keyward/internal/store"
	"github.com/keyward/keyward/internal/vault"
	"github.com/keyward/keyward/internal/web"
)

// storeConfig wires a server to the store's services bound to vault v, as
// cmd/keyward does; acc is the accounts service (it may alert by email).
func storeConfig(db *store.DB, v *vault.Key, acc *store.Accounts) web.Config {
	ks := db.KeySystems(v)
	return web.Config{
		DB: db, Accounts: acc, Webhooks: db.Notifications(v), Vault: v,
		Health:        db,
		Idempotency:   db,
		Audit:         db,
		ImportUploads: db,
		Imports:       db,
		Exports:       db,
		Dashboard:     db,
		Search:        db,
		Storage:       db.Storage(v),
		Credentials:   db.Credentials(v),
		Offboarding:   db.Offboarding(),
		Schedule:      db.Schedule(),
		KeySystems:    ks,
		KeyingSpecs:   ks,
	}
}
