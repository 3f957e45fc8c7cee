package keyward

import (
	"net/url"
	"slices"
	"strings"
	"time"
)

// Events a webhook can subscribe to and email can be sent for. Each is
// written to the outbox in the same transaction as the change that causes it,
// so it is delivered exactly once however many servers share the database.
const (
	EventCheckoutOverdue   = "checkout.overdue"
	EventKeyLost           = "key.lost"
	EventKeyFound          = "key.found"
	EventSealBroken        = "seal.broken"
	EventSecretRevealed    = "secret.revealed"
	EventOffboardingOpened = "offboarding.opened"
	// EventCodeIncident: a key code may have been disclosed (an incident opened).
	EventCodeIncident = "code.incident"
)

// Events that are sent on request only, never subscribed to.
const (
	// EventWebhookTest is the "send a test event" delivery to one webhook.
	EventWebhookTest = "webhook.test"
	// EventEmailTest is the "send a test email" message to the signed-in user.
	EventEmailTest = "email.test"
)

// WebhookEvents lists the events a webhook can subscribe to, in the order pages show them.
var WebhookEvents = []string{EventCheckoutOverdue, EventKeyLost, EventKeyFound, EventSealBroken, EventSecretRevealed, EventOffboardingOpened, EventCodeIncident}

// eventWords says what each event means, as a landlord would say it.
var eventWords = map[string]string{
	EventCheckoutOverdue:   "A checked-out key is overdue",
	EventKeyLost:           "A key is reported lost",
	EventKeyFound:          "A lost key is found",
	EventSealBroken:        "A sealed envelope is opened",
	EventSecretRevealed:    "Someone looks at a code, PIN or bittings",
	EventOffboardingOpened: "Someone starts leaving (offboarding)",
	EventCodeIncident:      "A key code may have been disclosed",
	EventWebhookTest:       "Test event",
	EventEmailTest:         "Test email",
}

// EventWords is the event in plain words; an unknown event is shown as it is.
func EventWords(event string) string {
	if w, ok := eventWords[event]; ok {
		return w
	}
	return event
}

// Webhook is a subscription; its secret is never shown again after creation.
type Webhook struct {
	ID        string    `json:"id"`
	URL       string    `json:"url"`
	Events    []string  `json:"events"`
	Paused    bool      `json:"paused"`
	CreatedAt time.Time `json:"created_at"`
	// Health is how its recent deliveries went.
	Health ChannelHealth `json:"health"`
}

type WebhookInput struct {
	URL    string   `json:"url"`
	Secret string   `json:"secret"`
	Events []string `json:"events"`
}

// Validate checks the shape; whether the address may be reached is the network policy's call.
func (in *WebhookInput) Validate() error {
	var v Validator
	checkWebhookURL(&v, in.URL)
	checkWebhookSecret(&v, in.Secret)
	checkEvents(&v, in.Events)
	return v.Err()
}

// WebhookPatch changes a webhook; a nil field stays as it is.
type WebhookPatch struct {
	URL    *string  `json:"url,omitempty"`
	Secret *string  `json:"secret,omitempty"`
	Events []string `json:"events,omitempty"`
	Paused *bool    `json:"paused,omitempty"`
}

// Validate checks the fields given.
func (p *WebhookPatch) Validate() error {
	var v Validator
	if p.URL != nil {
		checkWebhookURL(&v, *p.URL)
	}
	if p.Secret != nil {
		checkWebhookSecret(&v, *p.Secret)
	}
	if p.Events != nil {
		checkEvents(&v, p.Events)
	}
	return v.Err()
}

func checkWebhookURL(v *Validator, raw string) {
	u, err := url.Parse(raw)
	v.Check(err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Hostname() != "" && u.User == nil && len(raw) <= 2000,
		"url", "must be an http or https URL without credentials")
}

func checkWebhookSecret(v *Validator, s string) {
	v.Check(s != "" && len(s) <= 200, "secret", "is required, at most 200 characters")
}

func checkEvents(v *Validator, events []string) {
	v.Check(len(events) > 0, "events", "must list at least one event")
	for _, e := range events {
		if !slices.Contains(WebhookEvents, e) {
			v.Check(false, "events", "must be one of "+strings.Join(WebhookEvents, ", "))
			break
		}
	}
}

// KeyEventData is the data of key.lost and key.found.
type KeyEventData struct {
	KeyID      string `json:"key_id"`
	Stamp      string `json:"stamp"`
	Symbol     string `json:"symbol"`
	CopyNumber int    `json:"copy_number"`
	Status     string `json:"status"`
	HolderID   string `json:"holder_id,omitempty"`
	HolderName string `json:"holder_name,omitempty"`
	By         string `json:"by"`
	Note       string `json:"note,omitempty"`
}

// SealBrokenData is the data of seal.broken: seal numbers are printed on the
// envelope, not secrets.
type SealBrokenData struct {
	StorageID  string `json:"storage_id"`
	Name       string `json:"name"`
	BrokenSeal string `json:"broken_seal"`
	NewSeal    string `json:"new_seal"`
	Reason     string `json:"reason"`
	By         string `json:"by"`
}

// What a secret.revealed event says was looked at. The secret itself is
// never in an event.
const (
	RevealedLockboxCode   = "lockbox_code"
	RevealedCredentialPIN = "credential_pin"
	RevealedBittings      = "bittings"
	RevealedPinningChart  = "pinning_chart"
	RevealedKeyCode       = "key_code"
)

// SecretRevealedData is the data of secret.revealed: what was revealed, by
// whom and why — never the secret.
type SecretRevealedData struct {
	Secret     string   `json:"secret"` // one of the Revealed* kinds
	ObjectType string   `json:"object_type"`
	ObjectID   string   `json:"object_id"`
	Name       string   `json:"name"`
	Symbols    []string `json:"symbols,omitempty"` // for bittings: which keys' bittings, not the bittings
	By         string   `json:"by"`
	Role       Role     `json:"role"`
	Reason     string   `json:"reason"`
}

// CodeIncidentData is the data of code.incident: which code may be out,
// why, who reported it, the remedy it calls for and every reveal so far
// ("code retrieved from …, revealed to … at …") — never the code.
type CodeIncidentData struct {
	IncidentID string   `json:"incident_id"`
	KeyCodeID  string   `json:"key_code_id"`
	What       string   `json:"what"`
	Note       string   `json:"note"`
	By         string   `json:"by"`
	Remedy     string   `json:"remedy"`
	RevealedTo []string `json:"revealed_to"`
}

// OffboardingOpenedData is the data of offboarding.opened.
type OffboardingOpenedData struct {
	OffboardingID string `json:"offboarding_id"`
	HolderID      string `json:"holder_id"`
	HolderName    string `json:"holder_name"`
	By            string `json:"by"`
	Note          string `json:"note,omitempty"`
}
