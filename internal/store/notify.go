package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/keyward/keyward/internal/keyward"
	"github.com/keyward/keyward/internal/vault"
)

// Notifications is webhooks, overdue reminders and the delivery outbox.
type Notifications struct {
	db    *DB
	vault *vault.Key
}

// Notifications returns the service; webhook secrets are sealed with v.
func (d *DB) Notifications(v *vault.Key) *Notifications { return &Notifications{db: d, vault: v} }

// CreateWebhook stores a subscription; the URL was checked by the caller (network policy).
func (n *Notifications) CreateWebhook(ctx context.Context, a keyward.Actor, in keyward.WebhookInput) (*keyward.Webhook, error) {
	if err := n.db.recordDenial(ctx, a, keyward.ActWebhookManage, "webhook", ""); err != nil {
		return nil, err
	}
	if err := in.Validate(); err != nil {
		return nil, err
	}
	var w *keyward.Webhook
	err := n.db.withTx(ctx, func(tx *Tx) error {
		w = &keyward.Webhook{ID: newID("whk"), URL: in.URL, Events: in.Events, CreatedAt: tx.now}
		sealed := n.vault.Seal(keyward.Secret(in.Secret), "webhook:"+w.ID)
		if _, err := tx.Exec(ctx, `INSERT INTO webhooks (id, url, secret_sealed, events, created_at) VALUES (?, ?, ?, ?, ?)`,
			w.ID, w.URL, sealed, strings.Join(w.Events, ","), ts(w.CreatedAt)); err != nil {
			return fmt.Errorf("store: insert webhook: %w", err)
		}
		_, err := tx.record(ctx, a, "webhook.create", "webhook", w.ID, map[string]any{"url": w.URL, "events": w.Events, "secret": keyward.Secret(in.Secret)})
		return err
	})
	if err != nil {
		return nil, err
	}
	return w, nil
}

// Webhooks lists subscriptions (never their secrets).
func (n *Notifications) Webhooks(ctx context.Context, a keyward.Actor) ([]keyward.Webhook, error) {
	if err := keyward.Authorize(a, keyward.ActWebhookManage); err != nil {
		return nil, err
	}
	rows, err := n.db.query(ctx, `SELECT id, url, events, created_at FROM webhooks WHERE disabled = 0 ORDER BY created_at, id`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []keyward.Webhook{}
	for rows.Next() {
		var w keyward.Webhook
		var events, at string
		if err := rows.Scan(&w.ID, &w.URL, &events, &at); err != nil {
			return nil, err
		}
		w.Events, w.CreatedAt = strings.Split(events, ","), parseTS(at)
		out = append(out, w)
	}
	return out, rows.Err()
}

// OverduePayload is the data of a checkout.overdue event.
type OverduePayload struct {
	CheckoutID  string    `json:"checkout_id"`
	KeyID       string    `json:"key_id"`
	Stamp       string    `json:"stamp"`
	Symbol      string    `json:"symbol"`
	CopyNumber  int       `json:"copy_number"`
	HolderID    string    `json:"holder_id"`
	HolderName  string    `json:"holder_name"`
	HolderEmail string    `json:"holder_email"`
	DueAt       time.Time `json:"due_at"`
}

// ScanOverdue finds check-outs past due that have no reminder yet and, for
// each, claims it (the overdue_notices primary key makes exactly one process
// win), queues one delivery per subscribed webhook and one email per
// recipient, and writes the audit record — all in one transaction per check-out.
func (n *Notifications) ScanOverdue(ctx context.Context) (int, error) {
	now := n.db.Now()
	rows, err := n.db.query(ctx, `SELECT k.id, k.checkout_id, k.symbol, k.copy_number, COALESCE(k.holder_id, ''), k.due_at,
		COALESCE(h.name, ''), COALESCE(h.email, '')
		FROM keys k LEFT JOIN holders h ON h.id = k.holder_id
		WHERE k.status = ? AND k.due_at < ? AND k.checkout_id IS NOT NULL
		AND NOT EXISTS (SELECT 1 FROM overdue_notices o WHERE o.checkout_id = k.checkout_id)
		ORDER BY k.due_at LIMIT 500`, keyward.StatusCheckedOut, ts(now))
	if err != nil {
		return 0, fmt.Errorf("store: scan overdue: %w", err)
	}
	var due []OverduePayload
	for rows.Next() {
		var p OverduePayload
		var at string
		if err := rows.Scan(&p.KeyID, &p.CheckoutID, &p.Symbol, &p.CopyNumber, &p.HolderID, &at, &p.HolderName, &p.HolderEmail); err != nil {
			rows.Close()
			return 0, err
		}
		p.DueAt, p.Stamp = parseTS(at), stamp(p.Symbol, p.CopyNumber)
		due = append(due, p)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, err
	}
	sent := 0
	for _, p := range due {
		won, err := n.noticeOverdue(ctx, p)
		if err != nil {
			return sent, err
		}
		if won {
			sent++
		}
	}
	return sent, nil
}

func (n *Notifications) noticeOverdue(ctx context.Context, p OverduePayload) (bool, error) {
	won := false
	err := n.db.withTx(ctx, func(tx *Tx) error {
		res, err := tx.Exec(ctx, `INSERT INTO overdue_notices (checkout_id, key_id, holder_id, due_at, noticed_at) VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`,
			p.CheckoutID, p.KeyID, nullStr(p.HolderID), ts(p.DueAt), ts(tx.now))
		if err != nil {
			return fmt.Errorf("store: claim overdue notice: %w", err)
		}
		if c, _ := res.RowsAffected(); c == 0 {
			return nil // another server already sent this reminder
		}
		won = true
		body, _ := json.Marshal(map[string]any{"event": keyward.EventCheckoutOverdue, "at": tx.now.Format(time.RFC3339Nano), "data": p})
		hooks, err := tx.subscribers(ctx, keyward.EventCheckoutOverdue)
		if err != nil {
			return err
		}
		for _, id := range hooks {
			if err := tx.enqueue(ctx, "webhook", id, keyward.EventCheckoutOverdue, "", string(body)); err != nil {
				return err
			}
		}
		recipients, err := tx.overdueRecipients(ctx, p.HolderEmail)
		if err != nil {
			return err
		}
		subject := fmt.Sprintf("Overdue key %s", p.Stamp)
		text := fmt.Sprintf("Key %s was due back at %s and has not been checked in.\r\nHolder: %s <%s>\r\n\r\nKeyward",
			p.Stamp, p.DueAt.UTC().Format("2006-01-02 15:04 UTC"), p.HolderName, p.HolderEmail)
		for _, to := range recipients {
			if err := tx.enqueue(ctx, "email", to, keyward.EventCheckoutOverdue, subject, text); err != nil {
				return err
			}
		}
		_, err = tx.record(ctx, keyward.SystemActor("scheduler"), "key.overdue_notice", "key", p.KeyID,
			map[string]any{"checkout_id": p.CheckoutID, "webhooks": len(hooks), "emails": len(recipients)})
		return err
	})
	return won, err
}

func (t *Tx) subscribers(ctx context.Context, event string) ([]string, error) {
	rows, err := t.Query(ctx, `SELECT id, events FROM webhooks WHERE disabled = 0 ORDER BY id`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var ids []string
	for rows.Next() {
		var id, events string
		if err := rows.Scan(&id, &events); err != nil {
			return nil, err
		}
		if slices.Contains(strings.Split(events, ","), event) {
			ids = append(ids, id)
		}
	}
	return ids, rows.Err()
}

// overdueRecipients is the holder and every manager (owners when there is no manager).
func (t *Tx) overdueRecipients(ctx context.Context, holderEmail string) ([]string, error) {
	rows, err := t.Query(ctx, `SELECT email, role FROM users WHERE disabled = 0 AND role IN ('manager', 'owner') ORDER BY email`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var managers, owners []string
	for rows.Next() {
		var email, role string
		if err := rows.Scan(&email, &role); err != nil {
			return nil, err
		}
		if role == "manager" {
			managers = append(managers, email)
		} else {
			owners = append(owners, email)
		}
	}
	if len(managers) == 0 {
		managers = owners
	}
	out := []string{}
	if holderEmail != "" {
		out = append(out, holderEmail)
	}
	for _, m := range managers {
		if !slices.Contains(out, m) {
			out = append(out, m)
		}
	}
	return out, rows.Err()
}

func (t *Tx) enqueue(ctx context.Context, kind, target, event, subject, body string) error {
	_, err := t.Exec(ctx, `INSERT INTO outbox (id, kind, target, event, subject, body, next_at, status, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, 'pending', ?)`,
		newID("out"), kind, target, event, subject, body, ts(t.now), ts(t.now))
	if err != nil {
		return fmt.Errorf("store: enqueue: %w", err)
	}
	return nil
}

// Delivery is one claimed outbox item, with what is needed to send it.
type Delivery = keyward.Delivery

// ClaimDeliveries takes up to limit due items for this process. The guarded
// UPDATE is the claim: of two processes only one changes the row.
func (n *Notifications) ClaimDeliveries(ctx context.Context, limit int, lease time.Duration) ([]Delivery, error) {
	now := n.db.Now()
	rows, err := n.db.query(ctx, `SELECT id FROM outbox WHERE status = 'pending' AND next_at <= ? AND (claimed_until IS NULL OR claimed_until < ?) ORDER BY next_at LIMIT ?`,
		ts(now), ts(now), limit)
	if err != nil {
		return nil, err
	}
	var ids []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return nil, err
		}
		ids = append(ids, id)
	}
	rows.Close()
	var out []Delivery
	for _, id := range ids {
		res, err := n.db.db.ExecContext(ctx, n.db.rebind(`UPDATE outbox SET claimed_until = ? WHERE id = ? AND status = 'pending' AND (claimed_until IS NULL OR claimed_until < ?)`),
			ts(now.Add(lease)), id, ts(now))
		if err != nil {
			return out, err
		}
		if c, _ := res.RowsAffected(); c == 0 {
			continue
		}
		var d Delivery
		if err := n.db.queryRow(ctx, `SELECT id, kind, target, event, subject, body, attempts FROM outbox WHERE id = ?`, id).
			Scan(&d.ID, &d.Kind, &d.Target, &d.Event, &d.Subject, &d.Body, &d.Attempts); err != nil {
			return out, err
		}
		if d.Kind == "webhook" {
			var sealed string
			if err := n.db.queryRow(ctx, `SELECT url, secret_sealed FROM webhooks WHERE id = ?`, d.Target).Scan(&d.URL, &sealed); err != nil {
				if err == sql.ErrNoRows {
					_ = n.Finish(ctx, d, fmt.Errorf("webhook was deleted"), true)
					continue
				}
				return out, err
			}
			if d.Secret, err = n.vault.Open(sealed, "webhook:"+d.Target); err != nil {
				return out, err
			}
		}
		out = append(out, d)
	}
	return out, nil
}

// MaxAttempts is how often a delivery is tried before it is marked failed.
const MaxAttempts = 8

// Finish records the outcome of a delivery: sent, retried later with
// exponential backoff, or failed for good.
func (n *Notifications) Finish(ctx context.Context, d Delivery, sendErr error, permanent bool) error {
	now := n.db.Now()
	return n.db.withTx(ctx, func(tx *Tx) error {
		if sendErr == nil {
			_, err := tx.Exec(ctx, `UPDATE outbox SET status = 'sent', attempts = attempts + 1, sent_at = ?, claimed_until = NULL WHERE id = ?`, ts(now), d.ID)
			return err
		}
		attempts := d.Attempts + 1
		status := "pending"
		if permanent || attempts >= MaxAttempts {
			status = "failed"
		}
		backoff := time.Duration(1<<min(attempts, 12)) * 15 * time.Second
		msg := sendErr.Error()
		if len(msg) > 500 {
			msg = msg[:500]
		}
		_, err := tx.Exec(ctx, `UPDATE outbox SET status = ?, attempts = ?, next_at = ?, last_error = ?, claimed_until = NULL WHERE id = ?`,
			status, attempts, ts(now.Add(backoff)), msg, d.ID)
		return err
	})
}

// OutboxStats counts deliveries by status, for the dashboard and tests.
func (n *Notifications) OutboxStats(ctx context.Context) (map[string]int, error) {
	rows, err := n.db.query(ctx, `SELECT status, COUNT(*) FROM outbox GROUP BY status`)
	if err != nil {
		return nil, err
	}
	return scanCounts(rows)
}
