package store

import (
	"context"
	"fmt"
	"time"

	"github.com/keyward/keyward/internal/auth"
	"github.com/keyward/keyward/internal/keyward"
)

// How long rows that only serve a short-lived purpose are kept.
const (
	// IdempotencyTTL: a retry with the same Idempotency-Key within a day
	// gets the first answer; after that the key is forgotten and may act again.
	IdempotencyTTL = 24 * time.Hour
	// LoginFailureTTL is far longer than any throttle window, so a recent
	// attack can still be looked at in the database.
	LoginFailureTTL = 7 * 24 * time.Hour
)

// pruneBatch bounds each delete, so a large backlog never holds SQLite's write
// lock (or a PostgreSQL transaction) for long.
const pruneBatch = 500

// Pruned counts the rows one Prune deleted: KnownAddresses are sign-in
// addresses no longer known (auth.Throttle.KnownFor), SignInAlerts claims of
// failed sign-in emails older than LoginFailureTTL.
type Pruned = keyward.Pruned

// Prune deletes expired sessions, failed sign-ins older than LoginFailureTTL
// (and the claims of the emails that told of them), sign-in addresses that are
// no longer known, and idempotency keys older than IdempotencyTTL; without it these tables grow
// with every sign-in, every attack and every retried request. Several servers
// may prune at once: a row is deleted by whichever gets there first.
func (d *DB) Prune(ctx context.Context) (Pruned, error) {
	now := d.Now()
	var p Pruned
	var err error
	if p.Sessions, err = d.pruneTable(ctx, `DELETE FROM sessions WHERE id_hash IN
		(SELECT id_hash FROM sessions WHERE expires_at < ? LIMIT ?)`, ts(now)); err != nil {
		return p, fmt.Errorf("store: prune sessions: %w", err)
	}
	if p.LoginFailures, err = d.pruneTable(ctx, `DELETE FROM login_failures WHERE id IN
		(SELECT id FROM login_failures WHERE at < ? LIMIT ?)`, ts(now.Add(-LoginFailureTTL))); err != nil {
		return p, fmt.Errorf("store: prune failed sign-ins: %w", err)
	}
	if p.IdempotencyKeys, err = d.pruneTable(ctx, `DELETE FROM idempotency WHERE (user_id, key) IN
		(SELECT user_id, key FROM idempotency WHERE created_at < ? LIMIT ?)`, ts(now.Add(-IdempotencyTTL))); err != nil {
		return p, fmt.Errorf("store: prune idempotency keys: %w", err)
	}
	if p.KnownAddresses, err = d.pruneTable(ctx, `DELETE FROM known_addresses WHERE (user_id, addr) IN
		(SELECT user_id, addr FROM known_addresses WHERE last_sign_in_at < ? LIMIT ?)`, ts(now.Add(-auth.DefaultThrottle().KnownFor))); err != nil {
		return p, fmt.Errorf("store: prune known addresses: %w", err)
	}
	if p.SignInAlerts, err = d.pruneTable(ctx, `DELETE FROM sign_in_alerts WHERE (user_id, since) IN
		(SELECT user_id, since FROM sign_in_alerts WHERE sent_at < ? LIMIT ?)`, ts(now.Add(-LoginFailureTTL))); err != nil {
		return p, fmt.Errorf("store: prune sign-in alerts: %w", err)
	}
	return p, nil
}

// pruneTable runs a batched delete until a batch deletes less than a full one.
func (d *DB) pruneTable(ctx context.Context, q, before string) (int64, error) {
	var total int64
	for {
		res, err := d.db.ExecContext(ctx, d.rebind(q), before, pruneBatch)
		if err != nil {
			return total, err
		}
		n, err := res.RowsAffected()
		if err != nil {
			return total, err
		}
		total += n
		if n < pruneBatch {
			return total, nil
		}
	}
}
