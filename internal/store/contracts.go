package store

import (
	"github.com/keyward/keyward/internal/importer"
	"github.com/keyward/keyward/internal/keyward"
)

// The store's services implement the domain contracts that cmd/keyward hands
// to the transports.
var (
	_ keyward.Housekeeping            = (*DB)(nil)
	_ keyward.Health                  = (*DB)(nil)
	_ keyward.Idempotency             = (*DB)(nil)
	_ keyward.AuditLog                = (*DB)(nil)
	_ keyward.Imports[*importer.File] = (*DB)(nil)
	_ keyward.ImportUploads           = (*DB)(nil)
	_ keyward.Exports                 = (*DB)(nil)
	_ keyward.Dashboard               = (*DB)(nil)
	_ keyward.Search                  = (*DB)(nil)
	_ keyward.Reports                 = (*DB)(nil)
	_ keyward.LoadSeeder              = (*DB)(nil)
	_ keyward.Accounts                = (*Accounts)(nil)
	_ keyward.Webhooks                = (*Notifications)(nil)
	_ keyward.Outbox                  = (*Notifications)(nil)
	_ keyward.NotificationSettings    = (*Notifications)(nil)
	_ keyward.Storage                 = (*Storage)(nil)
	_ keyward.Credentials             = (*Credentials)(nil)
	_ keyward.Offboardings            = (*Offboarding)(nil)
	_ keyward.Schedule                = (*Schedule)(nil)
	_ keyward.Duplication             = (*Duplication)(nil)
	_ keyward.KeyCodes                = (*KeyCodes)(nil)
	_ keyward.VehicleSpares           = (*Spares)(nil)
	_ keyward.CodeDisposer            = (*KeyCodes)(nil)
	_ keyward.CodeDisposer            = (*DB)(nil)
	_ keyward.LostKeys                = (*LostKeys)(nil)
	_ keyward.LockSync                = (*LockSync)(nil)
	_ keyward.LockSyncFeed            = (*LockSync)(nil)
	_ keyward.NetworkAccess           = (*NetAccess)(nil)
)
