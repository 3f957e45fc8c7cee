package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
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
		sealed := n.vault.Seal(keyward.Secret(in.Secret), webhookAAD(w.ID))
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

const webhookCols = `w.id, w.url, w.events, w.paused, w.created_at, COALESCE(h.failures, 0), h.last_ok_at, h.last_failed_at, COALESCE(h.last_error, '')`

const webhookFrom = ` FROM webhooks w LEFT JOIN delivery_health h ON h.channel = w.id WHERE w.disabled = 0`

func scanWebhook(r interface{ Scan(...any) error }) (keyward.Webhook, error) {
	var w keyward.Webhook
	var events, at string
	var ok, failed sql.NullString
	if err := r.Scan(&w.ID, &w.URL, &events, &w.Paused, &at, &w.Health.Failures, &ok, &failed, &w.Health.LastError); err != nil {
		return w, err
	}
	w.Events, w.CreatedAt = strings.Split(events, ","), parseTS(at)
	w.Health.Channel, w.Health.Name = w.ID, w.URL
	w.Health.LastOKAt, w.Health.LastFailedAt = parseNullTS(ok), parseNullTS(failed)
	return w, nil
}

func parseNullTS(s sql.NullString) *time.Time {
	if !s.Valid || s.String == "" {
		return nil
	}
	t := parseTS(s.String)
	return &t
}

// Webhooks lists subscriptions with their health (never their secrets).
func (n *Notifications) Webhooks(ctx context.Context, a keyward.Actor) ([]keyward.Webhook, error) {
	if err := keyward.Authorize(a, keyward.ActWebhookManage); err != nil {
		return nil, err
	}
	rows, err := n.db.query(ctx, `SELECT `+webhookCols+webhookFrom+` ORDER BY w.created_at, w.id`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []keyward.Webhook{}
	for rows.Next() {
		w, err := scanWebhook(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, w)
	}
	return out, rows.Err()
}

// Webhook is one subscription. ENOTFOUND.
func (n *Notifications) Webhook(ctx context.Context, a keyward.Actor, id string) (*keyward.Webhook, error) {
	if err := keyward.Authorize(a, keyward.ActWebhookManage); err != nil {
		return nil, err
	}
	w, err := scanWebhook(n.db.queryRow(ctx, `SELECT `+webhookCols+webhookFrom+` AND w.id = ?`, id))
	if err != nil {
		return nil, notFound(err, "webhook", id)
	}
	return &w, nil
}

func (t *Tx) webhook(ctx context.Context, id string) (*keyward.Webhook, error) {
	w, err := scanWebhook(t.QueryRow(ctx, `SELECT `+webhookCols+webhookFrom+` AND w.id = ?`, id))
	if err != nil {
		return nil, notFound(err, "webhook", id)
	}
	return &w, nil
}

// UpdateWebhook changes a subscription; a new URL was checked by the caller.
func (n *Notifications) UpdateWebhook(ctx context.Context, a keyward.Actor, id string, p keyward.WebhookPatch) (*keyward.Webhook, error) {
	if err := n.db.recordDenial(ctx, a, keyward.ActWebhookManage, "webhook", id); err != nil {
		return nil, err
	}
	if err := p.Validate(); err != nil {
		return nil, err
	}
	return inTx(ctx, n.db, func(tx *Tx) (*keyward.Webhook, error) {
		w, err := tx.webhook(ctx, id)
		if err != nil {
			return nil, err
		}
		details := map[string]any{}
		if p.URL != nil && *p.URL != w.URL {
			w.URL, details["url"] = *p.URL, *p.URL
		}
		if p.Events != nil && !slices.Equal(p.Events, w.Events) {
			w.Events, details["events"] = p.Events, p.Events
		}
		if p.Paused != nil && *p.Paused != w.Paused {
			w.Paused, details["paused"] = *p.Paused, *p.Paused
		}
		sealed := ""
		if p.Secret != nil {
			sealed, details["secret"] = n.vault.Seal(keyward.Secret(*p.Secret), webhookAAD(id)), keyward.Secret(*p.Secret)
		}
		if len(details) == 0 {
			return w, nil
		}
		if _, err := tx.Exec(ctx, `UPDATE webhooks SET url = ?, events = ?, paused = ?, secret_sealed = CASE WHEN ? = '' THEN secret_sealed ELSE ? END WHERE id = ?`,
			w.URL, strings.Join(w.Events, ","), b2i(w.Paused), sealed, sealed, id); err != nil {
			return nil, fmt.Errorf("store: update webhook: %w", err)
		}
		if p.URL != nil {
			// A new address starts with a clean record.
			if _, err := tx.Exec(ctx, `DELETE FROM delivery_health WHERE channel = ?`, id); err != nil {
				return nil, err
			}
			w.Health = keyward.ChannelHealth{Channel: id, Name: w.URL}
		}
		_, err = tx.record(ctx, a, "webhook.update", "webhook", id, details)
		return w, err
	})
}

// DeleteWebhook removes a subscription and cancels what was queued for it.
func (n *Notifications) DeleteWebhook(ctx context.Context, a keyward.Actor, id string) error {
	if err := n.db.recordDenial(ctx, a, keyward.ActWebhookManage, "webhook", id); err != nil {
		return err
	}
	return n.db.withTx(ctx, func(tx *Tx) error {
		w, err := tx.webhook(ctx, id)
		if err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `UPDATE webhooks SET disabled = 1 WHERE id = ?`, id); err != nil {
			return fmt.Errorf("store: delete webhook: %w", err)
		}
		if _, err := tx.Exec(ctx, `UPDATE outbox SET status = 'cancelled', claimed_until = NULL WHERE kind = 'webhook' AND target = ? AND status = 'pending'`, id); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `DELETE FROM delivery_health WHERE channel = ?`, id); err != nil {
			return err
		}
		_, err = tx.record(ctx, a, "webhook.delete", "webhook", id, map[string]any{"url": w.URL})
		return err
	})
}

// QueueWebhookTest queues a signed webhook.test delivery to one webhook, paused or not.
func (n *Notifications) QueueWebhookTest(ctx context.Context, a keyward.Actor, id string) (string, error) {
	if err := n.db.recordDenial(ctx, a, keyward.ActWebhookManage, "webhook", id); err != nil {
		return "", err
	}
	return inTx(ctx, n.db, func(tx *Tx) (string, error) {
		if _, err := tx.webhook(ctx, id); err != nil {
			return "", err
		}
		body, err := eventBody(keyward.EventWebhookTest, tx.now, map[string]any{"webhook_id": id, "by": actorName(a),
			"message": "This is a test event from Keyward. Your endpoint received and can verify it."})
		if err != nil {
			return "", err
		}
		did, err := tx.enqueue(ctx, "webhook", id, keyward.EventWebhookTest, "", body)
		if err != nil {
			return "", err
		}
		_, err = tx.record(ctx, a, "webhook.test", "webhook", id, map[string]any{"delivery_id": did})
		return did, err
	})
}

// Deliveries lists a webhook's latest deliveries, newest first.
func (n *Notifications) Deliveries(ctx context.Context, a keyward.Actor, webhookID string, limit int) ([]keyward.DeliveryRecord, error) {
	if err := keyward.Authorize(a, keyward.ActWebhookManage); err != nil {
		return nil, err
	}
	if limit <= 0 || limit > 200 {
		limit = 20
	}
	rows, err := n.db.query(ctx, `SELECT id, event, status, attempts, last_error, created_at, sent_at, next_at FROM outbox
		WHERE kind = 'webhook' AND target = ? ORDER BY created_at DESC, id DESC LIMIT ?`, webhookID, limit)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []keyward.DeliveryRecord{}
	for rows.Next() {
		var d keyward.DeliveryRecord
		var at, next string
		var sent sql.NullString
		if err := rows.Scan(&d.ID, &d.Event, &d.Status, &d.Attempts, &d.LastError, &at, &sent, &next); err != nil {
			return nil, err
		}
		d.CreatedAt, d.SentAt = parseTS(at), parseNullTS(sent)
		if d.Status == "pending" {
			t := parseTS(next)
			d.NextAt = &t
		}
		out = append(out, d)
	}
	return out, rows.Err()
}

// Recipients is every event's email rule, the default where none was chosen.
func (n *Notifications) Recipients(ctx context.Context, a keyward.Actor) ([]keyward.RecipientRule, error) {
	if err := keyward.Authorize(a, keyward.ActWebhookManage); err != nil {
		return nil, err
	}
	rules, err := n.db.recipientRules(ctx, n.db.query)
	if err != nil {
		return nil, err
	}
	out := make([]keyward.RecipientRule, 0, len(keyward.WebhookEvents))
	for _, e := range keyward.WebhookEvents {
		out = append(out, rules[e])
	}
	return out, nil
}

type queryFunc func(ctx context.Context, q string, args ...any) (*sql.Rows, error)

// recipientRules reads the chosen rules over the defaults.
func (d *DB) recipientRules(ctx context.Context, query queryFunc) (map[string]keyward.RecipientRule, error) {
	out := map[string]keyward.RecipientRule{}
	for _, e := range keyward.WebhookEvents {
		out[e] = keyward.DefaultRecipients(e)
	}
	rows, err := query(ctx, `SELECT event, holder, roles, addresses FROM notify_recipients`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var r keyward.RecipientRule
		var roles, addrs string
		if err := rows.Scan(&r.Event, &r.Holder, &roles, &addrs); err != nil {
			return nil, err
		}
		r.Roles, r.Addresses = []keyward.Role{}, splitList(addrs)
		for _, role := range splitList(roles) {
			r.Roles = append(r.Roles, keyward.Role(role))
		}
		if _, ok := out[r.Event]; ok {
			out[r.Event] = r
		}
	}
	return out, rows.Err()
}

func splitList(s string) []string {
	if s == "" {
		return []string{}
	}
	return strings.Split(s, ",")
}

// SetRecipients stores one event's email rule, with its audit record.
func (n *Notifications) SetRecipients(ctx context.Context, a keyward.Actor, r keyward.RecipientRule) (*keyward.RecipientRule, error) {
	if err := n.db.recordDenial(ctx, a, keyward.ActWebhookManage, "notifications", r.Event); err != nil {
		return nil, err
	}
	r.Normalize()
	if err := r.Validate(); err != nil {
		return nil, err
	}
	err := n.db.withTx(ctx, func(tx *Tx) error {
		roles := make([]string, len(r.Roles))
		for i, role := range r.Roles {
			roles[i] = string(role)
		}
		if _, err := tx.Exec(ctx, `INSERT INTO notify_recipients (event, holder, roles, addresses, updated_at) VALUES (?, ?, ?, ?, ?)
			ON CONFLICT (event) DO UPDATE SET holder = excluded.holder, roles = excluded.roles, addresses = excluded.addresses, updated_at = excluded.updated_at`,
			r.Event, b2i(r.Holder), strings.Join(roles, ","), strings.Join(r.Addresses, ","), ts(tx.now)); err != nil {
			return fmt.Errorf("store: save recipients: %w", err)
		}
		_, err := tx.record(ctx, a, "notify.recipients", "notifications", r.Event, map[string]any{"holder": r.Holder, "roles": r.Roles, "addresses": r.Addresses})
		return err
	})
	if err != nil {
		return nil, err
	}
	return &r, nil
}

// EmailChannel is the delivery_health channel of all email.
const EmailChannel = "email"

// EmailHealth is how the latest emails went.
func (n *Notifications) EmailHealth(ctx context.Context, a keyward.Actor) (*keyward.ChannelHealth, error) {
	if err := keyward.Authorize(a, keyward.ActWebhookManage); err != nil {
		return nil, err
	}
	h := keyward.ChannelHealth{Channel: EmailChannel, Name: "Email"}
	var ok, failed sql.NullString
	err := n.db.queryRow(ctx, `SELECT failures, last_ok_at, last_failed_at, last_error FROM delivery_health WHERE channel = ?`, EmailChannel).
		Scan(&h.Failures, &ok, &failed, &h.LastError)
	if err != nil && err != sql.ErrNoRows {
		return nil, err
	}
	h.LastOKAt, h.LastFailedAt = parseNullTS(ok), parseNullTS(failed)
	return &h, nil
}

// QueueTestEmail queues a test email to the signed-in user.
func (n *Notifications) QueueTestEmail(ctx context.Context, a keyward.Actor) (string, error) {
	if err := n.db.recordDenial(ctx, a, keyward.ActWebhookManage, "notifications", "email"); err != nil {
		return "", err
	}
	if a.Email == "" {
		return "", keyward.Errorf(keyward.ECONFLICT, "your account has no email address to send a test to")
	}
	return inTx(ctx, n.db, func(tx *Tx) (string, error) {
		did, err := tx.enqueue(ctx, "email", a.Email, keyward.EventEmailTest, "Keyward test email",
			"This is a test email from Keyward. Email from Keyward reaches you.\r\n\r\nKeyward")
		if err != nil {
			return "", err
		}
		_, err = tx.record(ctx, a, "email.test", "notifications", "email", map[string]any{"to": a.Email, "delivery_id": did})
		return did, err
	})
}

// Failing lists the channels that failed keyward.FailingAfter times or more in a row.
func (n *Notifications) Failing(ctx context.Context, a keyward.Actor) ([]keyward.ChannelHealth, error) {
	if err := keyward.Authorize(a, keyward.ActWebhookManage); err != nil {
		return nil, err
	}
	rows, err := n.db.query(ctx, `SELECT h.channel, COALESCE(w.url, ''), h.failures, h.last_ok_at, h.last_failed_at, h.last_error
		FROM delivery_health h LEFT JOIN webhooks w ON w.id = h.channel
		WHERE h.failures >= ? AND (h.channel = ? OR w.disabled = 0) ORDER BY h.channel`, keyward.FailingAfter, EmailChannel)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []keyward.ChannelHealth{}
	for rows.Next() {
		var h keyward.ChannelHealth
		var ok, failed sql.NullString
		if err := rows.Scan(&h.Channel, &h.Name, &h.Failures, &ok, &failed, &h.LastError); err != nil {
			return nil, err
		}
		if h.Channel == EmailChannel {
			h.Name = "Email"
		}
		h.LastOKAt, h.LastFailedAt = parseNullTS(ok), parseNullTS(failed)
		out = append(out, h)
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
		subject := fmt.Sprintf("Overdue key %s", p.Stamp)
		text := fmt.Sprintf("Key %s was due back at %s and has not been checked in.\r\nHolder: %s <%s>\r\n\r\nKeyward",
			p.Stamp, p.DueAt.UTC().Format("2006-01-02 15:04 UTC"), p.HolderName, p.HolderEmail)
		hooks, emails, err := tx.emit(ctx, keyward.EventCheckoutOverdue, p, p.HolderEmail, subject, text)
		if err != nil {
			return err
		}
		_, err = tx.record(ctx, keyward.SystemActor("scheduler"), "key.overdue_notice", "key", p.KeyID,
			map[string]any{"checkout_id": p.CheckoutID, "webhooks": hooks, "emails": emails})
		return err
	})
	return won, err
}

// eventBody is the JSON every webhook delivery carries: {"event", "at", "data"}.
func eventBody(event string, at time.Time, data any) (string, error) {
	b, err := json.Marshal(map[string]any{"event": event, "at": at.UTC().Format(time.RFC3339Nano), "data": data})
	if err != nil {
		return "", fmt.Errorf("store: event body: %w", err)
	}
	return string(b), nil
}

// emit queues event in the transaction of the change that causes it: one
// signed delivery per webhook subscribed to it (and not paused), and one email
// per recipient of the organization's rule for it (holderEmail is the key's
// holder, for events that have one). It returns how many of each it queued.
// data must never hold a secret.
func (t *Tx) emit(ctx context.Context, event string, data any, holderEmail, subject, text string) (int, int, error) {
	body, err := eventBody(event, t.now, data)
	if err != nil {
		return 0, 0, err
	}
	hooks, err := t.subscribers(ctx, event)
	if err != nil {
		return 0, 0, err
	}
	for _, id := range hooks {
		if _, err := t.enqueue(ctx, "webhook", id, event, "", body); err != nil {
			return 0, 0, err
		}
	}
	recipients, err := t.recipients(ctx, event, holderEmail)
	if err != nil {
		return 0, 0, err
	}
	for _, to := range recipients {
		if _, err := t.enqueue(ctx, "email", to, event, subject, text); err != nil {
			return 0, 0, err
		}
	}
	return len(hooks), len(recipients), nil
}

func (t *Tx) subscribers(ctx context.Context, event string) ([]string, error) {
	rows, err := t.Query(ctx, `SELECT id, events FROM webhooks WHERE disabled = 0 AND paused = 0 ORDER BY id`)
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

// recipients resolves the organization's rule for event (keyward.RecipientRule.Resolve).
func (t *Tx) recipients(ctx context.Context, event, holderEmail string) ([]string, error) {
	rules, err := t.db.recipientRules(ctx, t.Query)
	if err != nil {
		return nil, err
	}
	rule, ok := rules[event]
	if !ok {
		return nil, nil
	}
	rows, err := t.Query(ctx, `SELECT email, role FROM users WHERE disabled = 0 ORDER BY email`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var users []keyward.Contact
	for rows.Next() {
		var c keyward.Contact
		if err := rows.Scan(&c.Email, &c.Role); err != nil {
			return nil, err
		}
		users = append(users, c)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	return rule.Resolve(users, holderEmail), nil
}

func (t *Tx) enqueue(ctx context.Context, kind, target, event, subject, body string) (string, error) {
	id := newID("out")
	_, err := t.Exec(ctx, `INSERT INTO outbox (id, kind, target, event, subject, body, next_at, status, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, 'pending', ?)`,
		id, kind, target, event, subject, body, ts(t.now), ts(t.now))
	if err != nil {
		return "", fmt.Errorf("store: enqueue: %w", err)
	}
	return id, nil
}

// Delivery is one claimed outbox item, with what is needed to send it.
type Delivery = keyward.Delivery

// ClaimDeliveries takes up to limit due items for this process. The guarded
// UPDATE is the claim: of two processes only one changes the row. Deliveries
// to a paused webhook wait.
func (n *Notifications) ClaimDeliveries(ctx context.Context, limit int, lease time.Duration) ([]Delivery, error) {
	now := n.db.Now()
	rows, err := n.db.query(ctx, `SELECT o.id FROM outbox o WHERE o.status = 'pending' AND o.next_at <= ? AND (o.claimed_until IS NULL OR o.claimed_until < ?)
		AND NOT (o.kind = 'webhook' AND EXISTS (SELECT 1 FROM webhooks w WHERE w.id = o.target AND w.paused = 1))
		ORDER BY o.next_at LIMIT ?`, ts(now), ts(now), limit)
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
		d, ok, err := n.ClaimDelivery(ctx, id, lease)
		if err != nil {
			return out, err
		}
		if ok {
			out = append(out, d)
		}
	}
	return out, nil
}

// ClaimDelivery claims one pending delivery by id, whatever its next time
// (a test someone asked for is sent at once). ok is false when another
// process holds it or it is no longer pending.
func (n *Notifications) ClaimDelivery(ctx context.Context, id string, lease time.Duration) (Delivery, bool, error) {
	now := n.db.Now()
	var d Delivery
	res, err := n.db.db.ExecContext(ctx, n.db.rebind(`UPDATE outbox SET claimed_until = ? WHERE id = ? AND status = 'pending' AND (claimed_until IS NULL OR claimed_until < ?)`),
		ts(now.Add(lease)), id, ts(now))
	if err != nil {
		return d, false, err
	}
	if c, _ := res.RowsAffected(); c == 0 {
		return d, false, nil
	}
	if err := n.db.queryRow(ctx, `SELECT id, kind, target, event, subject, body, attempts FROM outbox WHERE id = ?`, id).
		Scan(&d.ID, &d.Kind, &d.Target, &d.Event, &d.Subject, &d.Body, &d.Attempts); err != nil {
		return d, false, err
	}
	if d.Kind == "webhook" {
		var sealed string
		if err := n.db.queryRow(ctx, `SELECT url, secret_sealed FROM webhooks WHERE id = ? AND disabled = 0`, d.Target).Scan(&d.URL, &sealed); err != nil {
			if err == sql.ErrNoRows {
				return d, false, n.Finish(ctx, d, fmt.Errorf("the webhook was deleted"), true)
			}
			return d, false, err
		}
		if d.Secret, err = n.vault.Open(sealed, webhookAAD(d.Target)); err != nil {
			return d, false, err
		}
	}
	return d, true, nil
}

// MaxAttempts is how often a delivery is tried before it is marked failed.
const MaxAttempts = 8

// Finish records the outcome of a delivery — sent, retried later with
// exponential backoff, failed for good, or skipped (keyward.ErrNotConfigured)
// — and, in the same transaction, the health of its channel: email, or the
// webhook it went to.
func (n *Notifications) Finish(ctx context.Context, d Delivery, sendErr error, permanent bool) error {
	now := n.db.Now()
	channel := EmailChannel
	if d.Kind == "webhook" {
		channel = d.Target
	}
	return n.db.withTx(ctx, func(tx *Tx) error {
		if sendErr == nil {
			if _, err := tx.Exec(ctx, `UPDATE outbox SET status = 'sent', attempts = attempts + 1, sent_at = ?, last_error = '', claimed_until = NULL WHERE id = ?`, ts(now), d.ID); err != nil {
				return err
			}
			_, err := tx.Exec(ctx, `INSERT INTO delivery_health (channel, failures, last_ok_at) VALUES (?, 0, ?)
				ON CONFLICT (channel) DO UPDATE SET failures = 0, last_ok_at = excluded.last_ok_at`, channel, ts(now))
			return err
		}
		msg := sendErr.Error()
		if len(msg) > 500 {
			msg = msg[:500]
		}
		if errors.Is(sendErr, keyward.ErrNotConfigured) {
			_, err := tx.Exec(ctx, `UPDATE outbox SET status = 'skipped', last_error = ?, claimed_until = NULL WHERE id = ?`, msg, d.ID)
			return err
		}
		attempts := d.Attempts + 1
		status := "pending"
		if permanent || attempts >= MaxAttempts {
			status = "failed"
		}
		backoff := time.Duration(1<<min(attempts, 12)) * 15 * time.Second
		if _, err := tx.Exec(ctx, `UPDATE outbox SET status = ?, attempts = ?, next_at = ?, last_error = ?, claimed_until = NULL WHERE id = ?`,
			status, attempts, ts(now.Add(backoff)), msg, d.ID); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, `INSERT INTO delivery_health (channel, failures, last_failed_at, last_error) VALUES (?, 1, ?, ?)
			ON CONFLICT (channel) DO UPDATE SET failures = delivery_health.failures + 1, last_failed_at = excluded.last_failed_at, last_error = excluded.last_error`,
			channel, ts(now), msg)
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
