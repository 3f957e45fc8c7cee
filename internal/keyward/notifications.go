package keyward

import (
	"context"
	"errors"
	"slices"
	"strings"
	"time"
)

// Webhooks are the organization's subscriptions to events.
type Webhooks interface {
	// CreateWebhook stores a subscription whose URL the caller has checked. EINVALID.
	CreateWebhook(ctx context.Context, a Actor, in WebhookInput) (*Webhook, error)
	// Webhooks lists the subscriptions with their health, never their secrets.
	Webhooks(ctx context.Context, a Actor) ([]Webhook, error)
	// Webhook is one subscription. ENOTFOUND.
	Webhook(ctx context.Context, a Actor, id string) (*Webhook, error)
	// UpdateWebhook changes the URL (checked by the caller), secret, events or
	// pause. EINVALID, ENOTFOUND.
	UpdateWebhook(ctx context.Context, a Actor, id string, p WebhookPatch) (*Webhook, error)
	// DeleteWebhook removes a subscription; what was still queued for it is cancelled. ENOTFOUND.
	DeleteWebhook(ctx context.Context, a Actor, id string) error
	// QueueWebhookTest queues a signed webhook.test delivery to it and returns the delivery's id.
	QueueWebhookTest(ctx context.Context, a Actor, id string) (string, error)
	// Deliveries lists its most recent deliveries, newest first.
	Deliveries(ctx context.Context, a Actor, webhookID string, limit int) ([]DeliveryRecord, error)
}

// NotificationSettings is who gets email for which event, how email is
// doing, and which delivery channels keep failing.
type NotificationSettings interface {
	// Recipients is the rule of every event, the default where none was set.
	Recipients(ctx context.Context, a Actor) ([]RecipientRule, error)
	// SetRecipients stores one event's rule. EINVALID.
	SetRecipients(ctx context.Context, a Actor, r RecipientRule) (*RecipientRule, error)
	// EmailHealth is how the latest emails went.
	EmailHealth(ctx context.Context, a Actor) (*ChannelHealth, error)
	// QueueTestEmail queues a test email to the signed-in user and returns the delivery's id.
	QueueTestEmail(ctx context.Context, a Actor) (string, error)
	// Failing lists the channels (email, webhooks) whose latest attempts all failed,
	// FailingAfter or more in a row.
	Failing(ctx context.Context, a Actor) ([]ChannelHealth, error)
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

// ErrNotConfigured is a delivery that could not be tried because its channel
// is not set up (no mail server): it is recorded as skipped, not as a failure
// of a channel that works.
var ErrNotConfigured = errors.New("email is not set up on this server (KEYWARD_SMTP_ADDR)")

// Outbox is the queue of notifications the scheduler delivers. Several
// servers may share it: a claim decides which one delivers each item.
type Outbox interface {
	// ScanOverdue queues the reminders of check-outs that became overdue and returns how many.
	ScanOverdue(ctx context.Context) (int, error)
	// ClaimDeliveries takes up to limit due deliveries for this process for lease.
	ClaimDeliveries(ctx context.Context, limit int, lease time.Duration) ([]Delivery, error)
	// ClaimDelivery takes one pending delivery by id now, whatever its next
	// time; ok is false when another process holds it or it is done.
	ClaimDelivery(ctx context.Context, id string, lease time.Duration) (d Delivery, ok bool, err error)
	// Finish records a delivery's outcome: sent, retried later, or failed for
	// good, and the health of its channel. sendErr is said in words (it is shown
	// to people); ErrNotConfigured is a skip.
	Finish(ctx context.Context, d Delivery, sendErr error, permanent bool) error
}

// DeliveryRecord is one delivery as the notification page lists it.
type DeliveryRecord struct {
	ID        string     `json:"id"`
	Event     string     `json:"event"`
	Status    string     `json:"status"` // pending, sent, failed, skipped, cancelled
	Attempts  int        `json:"attempts"`
	LastError string     `json:"last_error,omitempty"`
	CreatedAt time.Time  `json:"created_at"`
	SentAt    *time.Time `json:"sent_at,omitempty"`
	NextAt    *time.Time `json:"next_at,omitempty"` // when it is tried again, while pending
}

// FailingAfter is how many failed attempts in a row make a channel "failing":
// the dashboard then shows it to owners and admins.
const FailingAfter = 3

// ChannelHealth is how one delivery channel — email, or one webhook — has
// been doing: its consecutive failed attempts and the latest of each outcome.
type ChannelHealth struct {
	Channel      string     `json:"-"` // "email" or the webhook's id
	Name         string     `json:"-"` // "Email" or the webhook's URL
	Failures     int        `json:"consecutive_failures"`
	LastOKAt     *time.Time `json:"last_ok_at,omitempty"`
	LastFailedAt *time.Time `json:"last_failed_at,omitempty"`
	LastError    string     `json:"last_error,omitempty"`
}

// Failing reports whether the channel has failed FailingAfter times in a row.
func (h ChannelHealth) Failing() bool { return h.Failures >= FailingAfter }

// LastFailed reports whether the latest attempt failed.
func (h ChannelHealth) LastFailed() bool {
	return h.LastFailedAt != nil && (h.LastOKAt == nil || h.LastFailedAt.After(*h.LastOKAt))
}

// RecipientRule is who gets an email when event happens: the key's holder
// (for events about a key someone holds), every active user of the roles
// listed, and fixed addresses.
type RecipientRule struct {
	Event     string   `json:"event"`
	Holder    bool     `json:"holder"`
	Roles     []Role   `json:"roles"`
	Addresses []string `json:"addresses"`
}

// MaxRecipientAddresses bounds the fixed addresses of one event.
const MaxRecipientAddresses = 20

// RecipientRoles are the roles an event's email can go to: every role but the
// self-service holder's, whose own keys are covered by Holder.
var RecipientRoles = []Role{RoleOwner, RoleAdmin, RoleManager, RoleAdvisor, RoleTechnician, RoleAuditor}

// HolderEvents are the events about a key someone holds or held, where Holder means something.
var HolderEvents = []string{EventCheckoutOverdue, EventKeyLost, EventKeyFound}

// DefaultRecipients is an event's rule until the organization sets one: the
// overdue reminder goes to the holder and the managers, as it always has; a
// lost key, a broken seal and a revealed secret to the managers; a key code
// that may have been disclosed to the owners and the managers; a found key
// and an opened offboarding to nobody by email (webhooks still get them).
func DefaultRecipients(event string) RecipientRule {
	r := RecipientRule{Event: event, Roles: []Role{}, Addresses: []string{}}
	switch event {
	case EventCheckoutOverdue:
		r.Holder, r.Roles = true, []Role{RoleManager}
	case EventKeyLost, EventSealBroken, EventSecretRevealed:
		r.Roles = []Role{RoleManager}
	case EventCodeIncident:
		r.Roles = []Role{RoleOwner, RoleManager}
	}
	return r
}

// Normalize lowercases and trims addresses, drops empty ones and repeats,
// and orders roles as RecipientRoles does.
func (r *RecipientRule) Normalize() {
	var addrs []string
	for _, a := range r.Addresses {
		a = NormalEmail(a)
		if a != "" && !slices.Contains(addrs, a) {
			addrs = append(addrs, a)
		}
	}
	if addrs == nil {
		addrs = []string{}
	}
	roles := []Role{}
	for _, role := range Roles {
		if slices.Contains(r.Roles, role) {
			roles = append(roles, role)
		}
	}
	for _, role := range r.Roles {
		if !slices.Contains(Roles, role) && !slices.Contains(roles, role) {
			roles = append(roles, role) // kept so Validate can name it
		}
	}
	r.Addresses, r.Roles = addrs, roles
}

// Validate checks the event, the roles and the addresses.
func (r *RecipientRule) Validate() error {
	var v Validator
	v.Check(slices.Contains(WebhookEvents, r.Event), "event", "must be one of "+strings.Join(WebhookEvents, ", "))
	for _, role := range r.Roles {
		if !slices.Contains(RecipientRoles, role) {
			v.Check(false, "roles", "must be among owner, admin, manager, advisor, technician, auditor")
			break
		}
	}
	v.Check(!r.Holder || slices.Contains(HolderEvents, r.Event), "holder", "only overdue, lost and found keys have a holder to tell")
	v.Check(len(r.Addresses) <= MaxRecipientAddresses, "addresses", "must be at most 20 addresses")
	for _, a := range r.Addresses {
		before := len(v.fields)
		CheckEmail(&v, "addresses", a, true)
		if len(v.fields) > before {
			break
		}
	}
	return v.Err()
}

// Contact is a user an email can go to.
type Contact struct {
	Email string
	Role  Role
}

// Resolve is the addresses the rule sends to, each once, in order: the
// holder, the users of the rule's roles (owners when none of those roles has
// an active user, so an event is never silenced by an empty role), then the
// fixed addresses.
func (r RecipientRule) Resolve(users []Contact, holderEmail string) []string {
	out := []string{}
	add := func(e string) {
		e = NormalEmail(e)
		if e != "" && !slices.Contains(out, e) {
			out = append(out, e)
		}
	}
	if r.Holder {
		add(holderEmail)
	}
	matched := false
	for _, u := range users {
		if slices.Contains(r.Roles, u.Role) {
			add(u.Email)
			matched = true
		}
	}
	if len(r.Roles) > 0 && !matched {
		for _, u := range users {
			if u.Role == RoleOwner {
				add(u.Email)
			}
		}
	}
	for _, a := range r.Addresses {
		add(a)
	}
	return out
}
