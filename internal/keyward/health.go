package keyward

import "context"

// Health answers whether the storage behind the server is reachable.
type Health interface {
	// Ping checks that the database answers.
	Ping(ctx context.Context) error
}
