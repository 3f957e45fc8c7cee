// Package locksync carries Keyward's intended lock state to network and
// smart locks over MQTT and brings back what the locks report: the version
// they applied, whether they are online, and who opened them.
//
// An Adapter speaks one family of locks: Keyward's own protocol (Native,
// docs/lock-sync.md) or zigbee2mqtt (Z2M). The Syncer (syncer.go) owns the
// MQTT connection, asks the store for each lock's desired state, has the
// lock's adapter render it into messages, and hands decoded reports back to
// the store, which decides what they change. Nothing here decides access:
// the intended sets come from the store, exposures from internal/access.
package locksync

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/keyward/keyward/internal/keyward"
)

// MaxPayload is the largest payload a decoder reads; longer ones are refused.
const MaxPayload = 64 << 10

// Desired is what Keyward wants one lock to accept, as of Version.
type Desired struct {
	Lock    string
	Version int64
	// Keys are the ids of the network keys the lock should accept, sorted.
	Keys []string
	// Slots are the PIN slots that should hold a code, by slot number.
	Slots []Slot
}

// Slot is one PIN slot and the code it should hold.
type Slot struct {
	N   int
	PIN keyward.Secret
}

// Binding is how Keyward reaches one lock.
type Binding struct {
	Lock    string // Keyward's lock id
	Adapter string // NativeName or Z2MName
	Device  string // the zigbee2mqtt friendly name, for Z2M
	Secret  []byte // the lock secret (native locks: PIN MACs and offline codes)
}

// Message is one MQTT publication.
type Message struct {
	Topic    string
	Payload  []byte
	Retained bool
}

// ReportKind says what a lock reported.
type ReportKind string

const (
	ReportAck          ReportKind = "ack"          // the lock applied a version (native)
	ReportSlots        ReportKind = "slots"        // the lock says what its PIN slots hold (zigbee2mqtt)
	ReportAvailability ReportKind = "availability" // online or offline
	ReportEvent        ReportKind = "event"        // opened or denied
)

// Report is one decoded message from a lock. Address is the lock id (native)
// or the zigbee2mqtt device name; the Syncer turns it into a lock id.
type Report struct {
	Kind    ReportKind
	Address string
	Lock    string
	// Ack: the version applied and the set it applied.
	Version int64
	Keys    []string
	SlotNs  []int
	// Slots: what each reported slot holds now.
	SlotStates []SlotState
	// Availability.
	Online bool
	// Event.
	Event *keyward.LockEventInput
}

// SlotState is what a lock reports for one PIN slot.
type SlotState struct {
	N       int
	Enabled bool
	PIN     keyward.Secret // "" when the lock does not report codes
}

// Adapter speaks one family of locks over MQTT.
type Adapter interface {
	// Name is the adapter's name as bindings store it.
	Name() string
	// Filters are the topic filters the Syncer subscribes to for it.
	Filters() []string
	// Render turns a lock's desired state into the messages that bring the
	// lock to it, given the slots the lock last reported holding.
	Render(b Binding, d Desired, held []int) ([]Message, error)
	// Decode reads one message on one of its filters. known says whether an
	// address (device name) is bound, for adapters whose topics are ambiguous.
	Decode(topic string, payload []byte, known func(address string) bool) ([]Report, error)
}

// ErrIgnore is returned for messages an adapter recognises but that carry
// nothing to act on (Keyward's own publications, a bridge message).
var ErrIgnore = errors.New("locksync: nothing to act on")

// ---- Keyward's own protocol -------------------------------------------------

// NativeName is the adapter name of locks that speak Keyward's protocol.
const NativeName = "keyward"

// Native is Keyward's own lock protocol under a topic prefix (default
// "keyward/locks"): see docs/lock-sync.md.
type Native struct{ Prefix string }

func (n Native) prefix() string {
	if n.Prefix == "" {
		return "keyward/locks"
	}
	return n.Prefix
}

func (Native) Name() string { return NativeName }

func (n Native) Filters() []string {
	p := n.prefix()
	return []string{p + "/+/ack", p + "/+/event", p + "/+/status"}
}

// DesiredTopic is where a native lock's desired state is published (retained).
func (n Native) DesiredTopic(lock string) string { return n.prefix() + "/" + lock + "/desired" }

// Topic is one of a native lock's topics: desired, ack, event, status or control.
func (n Native) Topic(lock, leaf string) string { return n.prefix() + "/" + lock + "/" + leaf }

// DesiredPayload is the JSON of a native lock's desired state.
type DesiredPayload struct {
	V       int          `json:"v"`
	Lock    string       `json:"lock"`
	Version int64        `json:"version"`
	Keys    []string     `json:"keys"`
	PINs    []PINPayload `json:"pins"`
}

// PINPayload is one PIN slot in a desired state: the code itself never
// travels, only its MAC under the lock secret (PINMAC).
type PINPayload struct {
	Slot int    `json:"slot"`
	MAC  string `json:"mac"`
}

// AckPayload is what a native lock publishes once it applied a version.
type AckPayload struct {
	Lock    string   `json:"lock"`
	Version int64    `json:"version"`
	Keys    []string `json:"keys"`
	Slots   []int    `json:"slots"`
}

// EventPayload is an access event from a native lock.
type EventPayload struct {
	Lock   string `json:"lock"`
	At     string `json:"at"`     // RFC 3339
	Result string `json:"result"` // "opened" or "denied"
	Method string `json:"method"` // "key", "pin", "offline_code", "manual"
	Key    string `json:"key,omitempty"`
	Slot   int    `json:"slot,omitempty"`
}

// PINMAC is the hex HMAC-SHA256 under the lock secret of "KWP1" followed by
// the PIN's digits: what a native lock compares a typed PIN against.
func PINMAC(secret []byte, pin string) string {
	m := hmac.New(sha256.New, secret)
	m.Write([]byte("KWP1"))
	m.Write([]byte(pin))
	return hex.EncodeToString(m.Sum(nil))
}

func (n Native) Render(b Binding, d Desired, _ []int) ([]Message, error) {
	if len(b.Secret) == 0 && len(d.Slots) > 0 {
		return nil, fmt.Errorf("locksync: lock %s has no secret for its PINs", b.Lock)
	}
	p := DesiredPayload{V: 1, Lock: b.Lock, Version: d.Version, Keys: d.Keys, PINs: []PINPayload{}}
	if p.Keys == nil {
		p.Keys = []string{}
	}
	for _, s := range d.Slots {
		p.PINs = append(p.PINs, PINPayload{Slot: s.N, MAC: PINMAC(b.Secret, s.PIN.Reveal())})
	}
	body, err := json.Marshal(p)
	if err != nil {
		return nil, err
	}
	return []Message{{Topic: n.DesiredTopic(b.Lock), Payload: body, Retained: true}}, nil
}

func (n Native) Decode(topic string, payload []byte, _ func(string) bool) ([]Report, error) {
	r, err := n.decode(topic, payload)
	if err != nil {
		return nil, err
	}
	return []Report{r}, nil
}

func (n Native) decode(topic string, payload []byte) (Report, error) {
	rest, ok := strings.CutPrefix(topic, n.prefix()+"/")
	if !ok {
		return Report{}, fmt.Errorf("locksync: topic outside %s", n.prefix())
	}
	lock, leaf, ok := strings.Cut(rest, "/")
	if !ok || !ValidID(lock) || strings.Contains(leaf, "/") {
		return Report{}, errors.New("locksync: topic is not <prefix>/<lock>/<leaf>")
	}
	if len(payload) > MaxPayload {
		return Report{}, fmt.Errorf("locksync: payload over %d bytes", MaxPayload)
	}
	switch leaf {
	case "status":
		switch strings.TrimSpace(string(payload)) {
		case "online":
			return Report{Kind: ReportAvailability, Address: lock, Online: true}, nil
		case "offline":
			return Report{Kind: ReportAvailability, Address: lock, Online: false}, nil
		case "":
			return Report{}, ErrIgnore // a cleared retained status
		}
		return Report{}, errors.New("locksync: status must be online or offline")
	case "ack":
		var a AckPayload
		if err := strictJSON(payload, &a); err != nil {
			return Report{}, fmt.Errorf("locksync: ack: %w", err)
		}
		if a.Lock != lock {
			return Report{}, errors.New("locksync: ack: lock does not match its topic")
		}
		if a.Version < 1 {
			return Report{}, errors.New("locksync: ack: version must be 1 or more")
		}
		for _, k := range a.Keys {
			if !ValidID(k) {
				return Report{}, errors.New("locksync: ack: a key id is not valid")
			}
		}
		for _, s := range a.Slots {
			if s < 1 || s > MaxSlot {
				return Report{}, fmt.Errorf("locksync: ack: slots must be 1 to %d", MaxSlot)
			}
		}
		return Report{Kind: ReportAck, Address: lock, Version: a.Version, Keys: sortedUnique(a.Keys), SlotNs: sortedUniqueInts(a.Slots)}, nil
	case "event":
		var e EventPayload
		if err := strictJSON(payload, &e); err != nil {
			return Report{}, fmt.Errorf("locksync: event: %w", err)
		}
		if e.Lock != lock {
			return Report{}, errors.New("locksync: event: lock does not match its topic")
		}
		at, err := time.Parse(time.RFC3339, e.At)
		if err != nil {
			return Report{}, errors.New("locksync: event: at must be an RFC 3339 time")
		}
		ev := &keyward.LockEventInput{At: at.UTC(), Method: e.Method, Key: e.Key, Slot: e.Slot}
		switch e.Result {
		case "opened":
			ev.Opened = true
		case "denied":
		default:
			return Report{}, errors.New("locksync: event: result must be opened or denied")
		}
		if err := ev.Check(); err != nil {
			return Report{}, fmt.Errorf("locksync: event: %w", err)
		}
		return Report{Kind: ReportEvent, Address: lock, Event: ev}, nil
	case "desired", "control":
		return Report{}, ErrIgnore
	}
	return Report{}, fmt.Errorf("locksync: unknown topic leaf")
}

// MaxSlot is the highest PIN slot number Keyward uses.
const MaxSlot = 250

// ValidID reports whether s can be a lock or key id in a topic or payload:
// 1 to 128 bytes of letters, digits, '-', '_', '.' or ':'.
func ValidID(s string) bool {
	if s == "" || len(s) > 128 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.' || c == ':') {
			return false
		}
	}
	return true
}

// strictJSON decodes exactly one JSON object into v; unknown members are
// allowed (a newer lock may send more).
func strictJSON(b []byte, v any) error {
	dec := json.NewDecoder(strings.NewReader(string(b)))
	if err := dec.Decode(v); err != nil {
		return errors.New("not a JSON object of the expected shape")
	}
	if dec.More() {
		return errors.New("more than one JSON value")
	}
	return nil
}

func sortedUnique(s []string) []string {
	out := slices.Clone(s)
	slices.Sort(out)
	return slices.Compact(out)
}

func sortedUniqueInts(s []int) []int {
	out := slices.Clone(s)
	slices.Sort(out)
	return slices.Compact(out)
}
