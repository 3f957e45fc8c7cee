package locksync

import (
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/keyward/keyward/internal/keyward"
)

func TestNativeDecode(t *testing.T) {
	n := Native{}
	cases := []struct {
		topic, payload string
		kind           ReportKind
		err            string
	}{
		{"keyward/locks/L1/ack", `{"lock":"L1","version":3,"keys":["b","a","a"],"slots":[2,1]}`, ReportAck, ""},
		{"keyward/locks/L1/status", `online`, ReportAvailability, ""},
		{"keyward/locks/L1/status", `offline`, ReportAvailability, ""},
		{"keyward/locks/L1/event", `{"lock":"L1","at":"2026-03-02T09:00:00Z","result":"opened","method":"pin","slot":2}`, ReportEvent, ""},
		{"keyward/locks/L1/desired", `{}`, "", "nothing to act on"},
		{"keyward/locks/L1/ack", `{"lock":"L2","version":3}`, "", "does not match"},
		{"keyward/locks/L1/ack", `{"lock":"L1","version":0}`, "", "version"},
		{"keyward/locks/L1/ack", `{"lock":"L1","version":1,"keys":["a/b"]}`, "", "key id"},
		{"keyward/locks/L1/ack", `{"lock":"L1","version":1,"slots":[0]}`, "", "slots"},
		{"keyward/locks/L1/ack", `{"lock":"L1","version":1} {}`, "", "more than one"},
		{"keyward/locks/L1/event", `{"lock":"L1","at":"now","result":"opened"}`, "", "RFC 3339"},
		{"keyward/locks/L1/event", `{"lock":"L1","at":"2026-03-02T09:00:00Z","result":"opened","method":"magic"}`, "", "method"},
		{"keyward/locks/L1/status", `sleeping`, "", "online or offline"},
		{"keyward/locks/L+1/status", `online`, "", "topic"},
		{"keyward/locks/L1/x/status", `online`, "", "topic"},
		{"keyward/locks/L1/ack", strings.Repeat(" ", MaxPayload+1), "", "payload over"},
	}
	for _, c := range cases {
		rs, err := n.Decode(c.topic, []byte(c.payload), nil)
		if c.err != "" {
			if err == nil || !strings.Contains(err.Error(), c.err) {
				t.Errorf("%s %q: err %v, want one saying %q", c.topic, c.payload, err, c.err)
			}
			continue
		}
		if err != nil || len(rs) != 1 || rs[0].Kind != c.kind {
			t.Errorf("%s %q: %+v, %v", c.topic, c.payload, rs, err)
		}
	}
	rs, _ := n.Decode("keyward/locks/L1/ack", []byte(`{"lock":"L1","version":3,"keys":["b","a","a"],"slots":[2,1]}`), nil)
	if !slices.Equal(rs[0].Keys, []string{"a", "b"}) || !slices.Equal(rs[0].SlotNs, []int{1, 2}) {
		t.Errorf("ack sets not sorted and unique: %+v", rs[0])
	}
}

func TestZ2MRenderAndDecode(t *testing.T) {
	z := Z2M{}
	b := Binding{Lock: "L1", Adapter: Z2MName, Device: "front door"}
	msgs, err := z.RenderHeld(b, Desired{Lock: "L1", Version: 2, Slots: []Slot{{N: 1, PIN: "123456"}, {N: 2, PIN: "654321"}}}, []int{2}, []int{2, 5})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, m := range msgs {
		got = append(got, m.Topic+" "+string(m.Payload))
	}
	want := []string{
		`zigbee2mqtt/front door/set {"pin_code":{"user":1,"user_type":"unrestricted","user_enabled":true,"pin_code":123456}}`,
		`zigbee2mqtt/front door/get {"pin_code":{"user":1}}`,
		`zigbee2mqtt/front door/set {"pin_code":{"user":5,"pin_code":null}}`,
		`zigbee2mqtt/front door/get {"pin_code":{"user":5}}`,
	}
	if !slices.Equal(got, want) {
		t.Fatalf("render:\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if _, err := z.Render(b, Desired{Slots: []Slot{{N: 1, PIN: "012345"}}}, nil); err == nil {
		t.Error("a PIN starting with 0 was rendered as a number")
	}
	if _, err := z.Render(Binding{Lock: "L1", Device: "a/#"}, Desired{}, nil); err == nil {
		t.Error("a device name with a wildcard was rendered")
	}

	known := func(d string) bool { return d == "front door" || d == "hall/lock" }
	rs, err := z.Decode("zigbee2mqtt/hall/lock", []byte(`{"users":{"3":{"status":"enabled","pin_code":"4321"}},"action":"unlock","action_source_name":"keypad","action_user":3}`), known)
	if err != nil || len(rs) != 2 {
		t.Fatalf("state with a slot and an action: %+v %v", rs, err)
	}
	if rs[0].Kind != ReportSlots || rs[0].Address != "hall/lock" || rs[0].SlotStates[0] != (SlotState{N: 3, Enabled: true, PIN: keyward.Secret("4321")}) {
		t.Errorf("slot report %+v", rs[0])
	}
	if ev := rs[1].Event; rs[1].Kind != ReportEvent || !ev.Opened || ev.Slot != 3 || ev.Method != "pin" {
		t.Errorf("event %+v", rs[1])
	}
	rs, err = z.Decode("zigbee2mqtt/front door", []byte(`{"action":"unlock_failure_invalid_pin_or_id","action_source_name":"keypad"}`), known)
	if err != nil || rs[0].Event.Opened {
		t.Errorf("refused keypad attempt: %+v %v", rs, err)
	}
	for _, p := range []string{`{"state":"online"}`, `online`} {
		rs, err = z.Decode("zigbee2mqtt/hall/lock/availability", []byte(p), known)
		if err != nil || !rs[0].Online || rs[0].Address != "hall/lock" {
			t.Errorf("availability %s: %+v %v", p, rs, err)
		}
	}
	for _, topic := range []string{"zigbee2mqtt/bridge/state", "zigbee2mqtt/unknown", "zigbee2mqtt/front door/set"} {
		if _, err := z.Decode(topic, []byte(`{"state":"LOCK"}`), known); !errors.Is(err, ErrIgnore) {
			t.Errorf("%s: %v, want ignored", topic, err)
		}
	}
	if _, err := z.Decode("zigbee2mqtt/front door", []byte(`{"state":"LOCK","battery":80}`), known); !errors.Is(err, ErrIgnore) {
		t.Errorf("a plain state report: %v, want ignored", err)
	}
}

// FuzzNativeDecode: no payload on any topic leaf makes the decoder panic,
// and what it accepts is within bounds.
func FuzzNativeDecode(f *testing.F) {
	f.Add("ack", []byte(`{"lock":"L1","version":3,"keys":["a"],"slots":[1]}`))
	f.Add("event", []byte(`{"lock":"L1","at":"2026-03-02T09:00:00Z","result":"denied","method":"offline_code"}`))
	f.Add("status", []byte("online"))
	f.Add("ack", []byte(`{"lock":"L1","version":1e400}`))
	f.Add("event", []byte("\xff\x00"))
	n := Native{}
	f.Fuzz(func(t *testing.T, leaf string, payload []byte) {
		rs, err := n.Decode("keyward/locks/L1/"+leaf, payload, nil)
		if err != nil {
			return
		}
		for _, r := range rs {
			if r.Address != "L1" {
				t.Fatalf("report for %q", r.Address)
			}
			for _, s := range r.SlotNs {
				if s < 1 || s > MaxSlot {
					t.Fatalf("slot %d accepted", s)
				}
			}
			if r.Kind == ReportAck && r.Version < 1 {
				t.Fatalf("version %d accepted", r.Version)
			}
		}
	})
}

// FuzzZ2MDecode: no zigbee2mqtt payload makes the decoder panic; slots it
// accepts are in range and PINs it keeps are digits.
func FuzzZ2MDecode(f *testing.F) {
	f.Add("front", []byte(`{"users":{"1":{"status":"enabled","pin_code":"1234"}},"action":"unlock","action_user":1}`))
	f.Add("front/availability", []byte(`{"state":"offline"}`))
	f.Add("front", []byte(`{"users":{"1":{"pin_code":1234}},"action_user":"x"}`))
	f.Add("front", []byte(`{"action":"keypad_unlock","action_user":1e99}`))
	z := Z2M{}
	f.Fuzz(func(t *testing.T, rest string, payload []byte) {
		rs, err := z.Decode("zigbee2mqtt/"+rest, payload, nil)
		if err != nil {
			return
		}
		for _, r := range rs {
			for _, s := range r.SlotStates {
				if s.N < 0 || s.N > MaxSlot || (s.PIN != "" && !ValidPIN(s.PIN.Reveal())) {
					t.Fatalf("slot state %+v accepted", s)
				}
			}
			if r.Event != nil && (r.Event.Slot < 0 || r.Event.Slot > MaxSlot) {
				t.Fatalf("event slot %d", r.Event.Slot)
			}
		}
		_, _ = json.Marshal(rs)
	})
}
