package keyward

import (
	"net/url"
	"slices"
	"strings"
	"time"
)

// Events a webhook can subscribe to.
const (
	EventCheckoutOverdue = "checkout.overdue"
)

// WebhookEvents lists the events a webhook can subscribe to.
var WebhookEvents = []string{EventCheckoutOverdue}

// Webhook is a subscription; its secret is never shown again after creation.
type Webhook struct {
	ID        string    `json:"id"`
	URL       string    `json:"url"`
	Events    []string  `json:"events"`
	CreatedAt time.Time `json:"created_at"`
}

type WebhookInput struct {
	URL    string   `json:"url"`
	Secret string   `json:"secret"`
	Events []string `json:"events"`
}

// Validate checks the shape; whether the address may be reached is the network policy's call.
func (in *WebhookInput) Validate() error {
	var v Validator
	u, err := url.Parse(in.URL)
	v.Check(err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != "" && u.User == nil && len(in.URL) <= 2000,
		"url", "must be an http or https URL without credentials")
	v.Check(in.Secret != "" && len(in.Secret) <= 200, "secret", "is required, at most 200 characters")
	v.Check(len(in.Events) > 0, "events", "must list at least one event")
	for _, e := range in.Events {
		if !slices.Contains(WebhookEvents, e) {
			v.Check(false, "events", "must be one of "+strings.Join(WebhookEvents, ", "))
			break
		}
	}
	return v.Err()
}
