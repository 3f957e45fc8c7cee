package keyward

import (
	"context"
	"time"
)

// Webhooks are the organization's subscriptions to events.
type Webhooks interface {
	// CreateWebhook stores a subscription whose URL the caller has checked. EINVALID.
	CreateWebhook(ctx context.Context, a Actor, in WebhookInput) (*Webhook, error)
	// Webhooks lists the subscriptions, never their secrets.
	Webhooks(ctx context.Context, a Actor) ([]Webhook, error)
}

// Delivery is one queued notification: a webhook call or an email.
type Delivery struct {
	ID       string
	Kind     string // "webhook" or "email"
	Target   string
	Event    string
	Subject  string
	Body     string
	Attempts int
	// For webhooks:
	URL    string
	Secret Secret
}

// Outbox is the queue of notifications the scheduler delivers. Several
// servers may share it: a claim decides which one delivers each item.
type Outbox interface {
	// ScanOverdue queues the reminders of check-outs that became overdue and returns how many.
	ScanOverdue(ctx context.Context) (int, error)
	// ClaimDeliveries takes up to limit due deliveries for this process for lease.
	ClaimDeliveries(ctx context.Context, limit int, lease time.Duration) ([]Delivery, error)
	// Finish records a delivery's outcome: sent, retried later, or failed for good.
	Finish(ctx context.Context, d Delivery, sendErr error, permanent bool) error
}
