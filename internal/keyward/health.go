package keyward

import "context"

// Health answers whether the storage behind the server is reachable.
type Health interface {
	// Ping checks that the database answers.
	Ping(ctx context.Context) error
	// Unavailable turns an error that means the storage cannot answer for
	// now (the database restarting or out of reach, its disk full) into an
	// EUNAVAILABLE *Error saying so in words; any other error is returned
	// as it is. Only the store knows its drivers' errors, so it decides.
	Unavailable(err error) error
}
