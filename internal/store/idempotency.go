package store

import (
	"context"
	"strings"

	"github.com/keyward/keyward/internal/keyward"
)

// StoredResponse is the first response to an idempotent request.
type StoredResponse = keyward.StoredResponse

// ClaimIdempotency claims (user, key) for a request. claimed is false when
// the key is already taken: prev is then the stored response, or a response
// with Status 0 while the first request is still running.
func (d *DB) ClaimIdempotency(ctx context.Context, userID, key, reqHash string) (claimed bool, prev *StoredResponse, err error) {
	err = d.withTx(ctx, func(tx *Tx) error {
		res, err := tx.Exec(ctx, `INSERT INTO idempotency (user_id, key, request_hash, status, body, created_at) VALUES (?, ?, ?, 0, '', ?) ON CONFLICT DO NOTHING`,
			userID, key, reqHash, ts(tx.now))
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 1 {
			claimed = true
			return nil
		}
		prev = &StoredResponse{}
		return tx.QueryRow(ctx, `SELECT request_hash, status, body FROM idempotency WHERE user_id = ? AND key = ?`, userID, key).
			Scan(&prev.RequestHash, &prev.Status, &prev.Body)
	})
	return claimed, prev, err
}

// FinishIdempotency stores the response of a claimed request; a server error
// releases the key instead, so the client may retry.
func (d *DB) FinishIdempotency(ctx context.Context, userID, key string, status int, body string) error {
	return d.withTx(ctx, func(tx *Tx) error {
		if status >= 500 {
			_, err := tx.Exec(ctx, `DELETE FROM idempotency WHERE user_id = ? AND key = ?`, userID, key)
			return err
		}
		_, err := tx.Exec(ctx, `UPDATE idempotency SET status = ?, body = ? WHERE user_id = ? AND key = ?`, status, body, userID, key)
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
