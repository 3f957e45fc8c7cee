package keyward

import "context"

// StoredResponse is the first response to a request sent with an
// Idempotency-Key; Status 0 while that request is still running.
type StoredResponse struct {
	RequestHash string
	Status      int
	Body        string
}

// Idempotency keeps the first answer to each (user, Idempotency-Key), so a
// retried request does not act twice.
type Idempotency interface {
	// ClaimIdempotency claims (user, key); when taken, prev is the stored response.
	ClaimIdempotency(ctx context.Context, userID, key, reqHash string) (claimed bool, prev *StoredResponse, err error)
	// FinishIdempotency stores a claimed request's response; a server error releases the key.
	FinishIdempotency(ctx context.Context, userID, key string, status int, body string) error
}
