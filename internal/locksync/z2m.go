package locksync

import (
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/keyward/keyward/internal/keyward"
)

// Z2MName is the adapter name of locks paired to zigbee2mqtt.
const Z2MName = "zigbee2mqtt"

// Z2M speaks to Zigbee locks through zigbee2mqtt, following its documented
// topics and payloads (base topic default "zigbee2mqtt"):
//
//	zigbee2mqtt/<device>/set           {"pin_code":{"user":N,"user_type":"unrestricted","user_enabled":true,"pin_code":1234}}
//	                                   {"pin_code":{"user":N,"pin_code":null}} clears slot N
//	zigbee2mqtt/<device>/get           {"pin_code":{"user":N}} asks the lock to report slot N
//	zigbee2mqtt/<device>               the device state: "users" (slot reports), "action",
//	                                   "action_user", "action_source_name"
//	zigbee2mqtt/<device>/availability  {"state":"online"|"offline"} (or the bare word)
//
// Zigbee locks have no versions: a lock counts as having applied its desired
// state once every slot it reports matches it (the store decides that).
type Z2M struct{ Base string }

func (z Z2M) base() string {
	if z.Base == "" {
		return "zigbee2mqtt"
	}
	return z.Base
}

func (Z2M) Name() string { return Z2MName }

func (z Z2M) Filters() []string { return []string{z.base() + "/#"} }

type z2mPin struct {
	User        int    `json:"user"`
	UserType    string `json:"user_type,omitempty"`
	UserEnabled *bool  `json:"user_enabled,omitempty"`
	// PIN is a JSON number (zigbee2mqtt documents pin_code as numeric; Keyward's
	// PINs never start with 0), or null to clear.
	PIN json.RawMessage `json:"pin_code"`
}

// Render sets every desired slot the lock does not hold yet, clears every held
// slot that is no longer desired, and asks the lock to report each touched slot.
func (z Z2M) Render(b Binding, d Desired, held []int) ([]Message, error) {
	if !keyward.ValidLockDevice(b.Device) {
		return nil, fmt.Errorf("locksync: lock %s has no valid zigbee2mqtt device name", b.Lock)
	}
	isHeld := map[int]bool{}
	for _, n := range held {
		isHeld[n] = true
	}
	want := map[int]bool{}
	var out []Message
	set := z.base() + "/" + b.Device + "/set"
	get := z.base() + "/" + b.Device + "/get"
	yes := true
	touch := func(p z2mPin) error {
		body, err := json.Marshal(map[string]z2mPin{"pin_code": p})
		if err != nil {
			return err
		}
		q, _ := json.Marshal(map[string]any{"pin_code": map[string]int{"user": p.User}})
		out = append(out, Message{Topic: set, Payload: body}, Message{Topic: get, Payload: q})
		return nil
	}
	for _, s := range d.Slots {
		want[s.N] = true
		if isHeld[s.N] {
			continue
		}
		pin := s.PIN.Reveal()
		if !ValidPIN(pin) || pin[0] == '0' {
			return nil, fmt.Errorf("locksync: slot %d of lock %s: a zigbee2mqtt PIN must be 4 to 8 digits not starting with 0", s.N, b.Lock)
		}
		if err := touch(z2mPin{User: s.N, UserType: "unrestricted", UserEnabled: &yes, PIN: json.RawMessage(pin)}); err != nil {
			return nil, err
		}
	}
	for _, n := range held {
		if !want[n] {
			if err := touch(z2mPin{User: n, PIN: json.RawMessage("null")}); err != nil {
				return nil, err
			}
		}
	}
	return out, nil
}

// z2mState is the part of a zigbee2mqtt device state Keyward reads.
type z2mState struct {
	Users            map[string]z2mUser `json:"users"`
	Action           *string            `json:"action"`
	ActionUser       *json.Number       `json:"action_user"`
	ActionSourceName *string            `json:"action_source_name"`
}

type z2mUser struct {
	Status  string          `json:"status"`
	PINCode json.RawMessage `json:"pin_code"`
}

// Decode reads one zigbee2mqtt device state or availability message into its
// reports: slot reports, then the event (a state may hold both).
func (z Z2M) Decode(topic string, payload []byte, known func(string) bool) ([]Report, error) {
	rest, ok := strings.CutPrefix(topic, z.base()+"/")
	if !ok {
		return nil, fmt.Errorf("locksync: topic outside %s", z.base())
	}
	if len(payload) > MaxPayload {
		return nil, fmt.Errorf("locksync: payload over %d bytes", MaxPayload)
	}
	if known == nil {
		known = func(string) bool { return true }
	}
	if dev, ok := strings.CutSuffix(rest, "/availability"); ok && known(dev) {
		on, err := decodeAvailability(payload)
		if err != nil {
			return nil, err
		}
		return []Report{{Kind: ReportAvailability, Address: dev, Online: on}}, nil
	}
	if strings.HasSuffix(rest, "/set") || strings.HasSuffix(rest, "/get") || strings.HasPrefix(rest, "bridge/") || !known(rest) {
		return nil, ErrIgnore
	}
	var st z2mState
	if err := strictJSON(payload, &st); err != nil {
		return nil, fmt.Errorf("locksync: zigbee2mqtt state: %w", err)
	}
	var out []Report
	if len(st.Users) > 0 {
		r := Report{Kind: ReportSlots, Address: rest}
		for k, u := range st.Users {
			n, err := strconv.Atoi(k)
			if err != nil || n < 0 || n > MaxSlot {
				return nil, errors.New("locksync: zigbee2mqtt state: users must be keyed by slot number")
			}
			s := SlotState{N: n, Enabled: u.Status == "enabled"}
			switch p := strings.Trim(string(u.PINCode), `"`); {
			case len(u.PINCode) == 0 || p == "null" || p == "":
			case ValidPIN(p):
				s.PIN = keyward.Secret(p)
			default:
				return nil, errors.New("locksync: zigbee2mqtt state: a pin_code is not digits")
			}
			r.SlotStates = append(r.SlotStates, s)
		}
		out = append(out, r)
	}
	if st.Action != nil && *st.Action != "" {
		ev, ok := z2mEvent(*st.Action, st.ActionSourceName, st.ActionUser)
		if ok {
			out = append(out, Report{Kind: ReportEvent, Address: rest, Event: ev})
		}
	}
	if len(out) == 0 {
		return nil, ErrIgnore
	}
	return out, nil
}

// z2mEvent turns a lock operation action into a logbook event; actions that
// are not an opening or a refused one (lock, auto_lock) are not events.
func z2mEvent(action string, source *string, user *json.Number) (*keyward.LockEventInput, bool) {
	ev := &keyward.LockEventInput{At: time.Time{}}
	switch {
	case strings.Contains(action, "unlock_failure"):
		ev.Opened = false
	case action == "unlock" || strings.HasSuffix(action, "_unlock") && !strings.HasPrefix(action, "schedule"):
		ev.Opened = true
	default:
		return nil, false
	}
	src := ""
	if source != nil {
		src = *source
	}
	switch {
	case src == "keypad" || strings.HasPrefix(action, "keypad"):
		ev.Method = "pin"
	case src == "manual" || strings.HasPrefix(action, "manual") || strings.HasPrefix(action, "key_"):
		ev.Method = "manual"
	}
	if user != nil {
		if n, err := strconv.Atoi(user.String()); err == nil && n > 0 && n <= MaxSlot {
			ev.Slot = n
		}
	}
	return ev, true
}

func decodeAvailability(p []byte) (bool, error) {
	s := strings.TrimSpace(string(p))
	if strings.HasPrefix(s, "{") {
		var v struct {
			State string `json:"state"`
		}
		if err := strictJSON(p, &v); err != nil {
			return false, errors.New("locksync: zigbee2mqtt availability: not a JSON object")
		}
		s = v.State
	}
	switch s {
	case "online":
		return true, nil
	case "offline":
		return false, nil
	}
	return false, errors.New("locksync: zigbee2mqtt availability must be online or offline")
}

// ValidPIN reports whether p is 4 to 8 ASCII digits.
func ValidPIN(p string) bool {
	if len(p) < 4 || len(p) > 8 {
		return false
	}
	for i := 0; i < len(p); i++ {
		if p[i] < '0' || p[i] > '9' {
			return false
		}
	}
	return true
}

// RenderHeld is Render for a lock that reported more than Keyward's own
// codes: confirmed are the slots holding the code Keyward put there, held
// every slot holding any code. Desired slots not confirmed are (re)written,
// held slots not desired are cleared.
func (z Z2M) RenderHeld(b Binding, d Desired, confirmed, held []int) ([]Message, error) {
	want := map[int]bool{}
	for _, s := range d.Slots {
		want[s.N] = true
	}
	msgs, err := z.Render(b, d, confirmed)
	if err != nil {
		return nil, err
	}
	isConfirmed := map[int]bool{}
	for _, n := range confirmed {
		isConfirmed[n] = true
	}
	var extra []int
	for _, n := range held {
		if !want[n] && !isConfirmed[n] {
			extra = append(extra, n)
		}
	}
	if len(extra) == 0 {
		return msgs, nil
	}
	clear, err := z.Render(b, Desired{Lock: d.Lock, Version: d.Version}, extra)
	if err != nil {
		return nil, err
	}
	return append(msgs, clear...), nil
}
