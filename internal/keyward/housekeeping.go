package keyward

import "context"

// Pruned counts the rows one Prune deleted.
type Pruned struct {
	Sessions, LoginFailures, IdempotencyKeys int64
	// KnownAddresses: sign-in addresses no longer known;
	// SignInAlerts: claims of failed sign-in emails older than the failures they told of.
	KnownAddresses, SignInAlerts int64
}

// Total is the number of rows deleted.
func (p Pruned) Total() int64 {
	return p.Sessions + p.LoginFailures + p.IdempotencyKeys + p.KnownAddresses + p.SignInAlerts
}

// Housekeeping is the scheduler's upkeep of the database. Every server may
// run it at once.
type Housekeeping interface {
	// KeepKeysOut keeps the keys-out count of each finished day of the dashboard chart not kept yet.
	KeepKeysOut(ctx context.Context) error
	// Prune deletes expired sessions, old failed sign-ins, unknown addresses and old idempotency keys.
	Prune(ctx context.Context) (Pruned, error)
	// CodeDisposer disposes of the key codes whose retention has ended
	// (CodeDisposalDue), each once however many servers run it.
	CodeDisposer
}
