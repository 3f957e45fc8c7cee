package store

import (
	"context"
	"strings"

	"github.com/keyward/keyward/internal/keyward"
)

// StoredResponse is the first response to an idempotent request.
type StoredResponse struct {
	RequestHash string
	Status      int
	Body        string
}

// ContentType is problem+json for errors, JSON otherwise.
func (r *StoredResponse) ContentType() string {
	if r.Status >= 400 {
		return "application/problem+json"
	}
	return "application/json"
}

// IdempotentResponse returns the stored response for (user, key), or nil.
func (d *DB) IdempotentResponse(ctx context.Context, userID, key string) (*StoredResponse, error) {
	var r StoredResponse
	err := d.queryRow(ctx, `SELECT request_hash, status, body FROM idempotency WHERE user_id = ? AND key = ?`, userID, key).Scan(&r.RequestHash, &r.Status, &r.Body)
	if err != nil {
		return nil, err
	}
	return &r, nil
}

// SaveIdempotentResponse remembers a response; the first one saved wins.
func (d *DB) SaveIdempotentResponse(ctx context.Context, userID, key, reqHash string, status int, body string) error {
	return d.withTx(ctx, func(tx *Tx) error {
		_, err := tx.Exec(ctx, `INSERT INTO idempotency (user_id, key, request_hash, status, body, created_at) VALUES (?, ?, ?, ?, ?, ?)`,
			userID, key, reqHash, status, body, ts(tx.now))
		if isUnique(err) {
			return nil
		}
		return err
	})
}

// RecordDenial writes the audit record of a refused request and returns nil when it committed.
func (d *DB) RecordDenial(ctx context.Context, a keyward.Actor, action keyward.Action, path string) error {
	return d.withTx(ctx, func(tx *Tx) error {
		_, err := tx.record(ctx, a, "denied."+string(action), "route", strings.TrimPrefix(path, "/"), nil)
		return err
	})
}
