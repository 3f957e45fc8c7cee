// Package locksim runs simulated network and smart locks against an MQTT
// broker, for tests, demos and load: each lock subscribes to its desired
// state, applies it, acknowledges it, checks PINs and offline codes typed on
// its keypad, reports who opened it, and goes offline and comes back on
// command. With Zigbee set, a lock speaks zigbee2mqtt's documented topics and
// payloads instead of Keyward's own protocol, as a paired Zigbee lock does
// through zigbee2mqtt. `keyward locksim` wraps this package.
package locksim

import (
	"context"
	"crypto/hmac"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	mqtt "github.com/eclipse/paho.mqtt.golang"

	"github.com/keyward/keyward/internal/locksync"
	"github.com/keyward/keyward/internal/offlinecode"
)

// Config says which locks to run and where.
type Config struct {
	Broker string // tcp://host:port
	// Prefix is Keyward's topic prefix (default keyward/locks); Z2MBase
	// zigbee2mqtt's base topic (default zigbee2mqtt).
	Prefix  string
	Z2MBase string
	// ControlPrefix is where commands for the simulator arrive (default
	// locksim): <ControlPrefix>/<lock>/control with "offline", "online",
	// "pin <digits>" or "key <id>".
	ControlPrefix string
	Locks         []LockConfig
	Now           func() time.Time
	Log           *slog.Logger
	// ClientPrefix names the MQTT client ids (default "locksim-").
	ClientPrefix string
}

// LockConfig is one simulated lock.
type LockConfig struct {
	ID     string // Keyward's lock id (native locks)
	Device string // the zigbee2mqtt friendly name; set for a Zigbee lock
	Secret []byte // the lock secret (native locks)
}

// Sim is a running set of simulated locks.
type Sim struct {
	cfg     Config
	locks   map[string]*Lock
	order   []*Lock
	control mqtt.Client
}

// Lock is one simulated lock.
type Lock struct {
	sim    *Sim
	id     string
	device string
	secret []byte
	zigbee bool

	mu      sync.Mutex
	client  mqtt.Client
	cut     *cutter
	online  bool
	version int64
	keys    []string
	macs    map[int]string // native: slot → PIN MAC
	pins    map[int]string // zigbee: slot → PIN
	queued  []func()       // events to send once back online
	applied chan struct{}  // closed and replaced whenever the lock applies something
}

// Start connects every lock (in parallel) and the control listener.
func Start(ctx context.Context, cfg Config) (*Sim, error) {
	if cfg.Prefix == "" {
		cfg.Prefix = "keyward/locks"
	}
	if cfg.Z2MBase == "" {
		cfg.Z2MBase = "zigbee2mqtt"
	}
	if cfg.ControlPrefix == "" {
		cfg.ControlPrefix = "locksim"
	}
	if cfg.ClientPrefix == "" {
		cfg.ClientPrefix = "locksim-"
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	s := &Sim{cfg: cfg, locks: map[string]*Lock{}}
	for _, lc := range cfg.Locks {
		l := &Lock{sim: s, id: lc.ID, device: lc.Device, secret: lc.Secret, zigbee: lc.Device != "",
			macs: map[int]string{}, pins: map[int]string{}, applied: make(chan struct{})}
		name := l.Name()
		if name == "" {
			return nil, errors.New("locksim: a lock needs an id or a device name")
		}
		if _, dup := s.locks[name]; dup {
			return nil, fmt.Errorf("locksim: lock %s twice", name)
		}
		s.locks[name] = l
		s.order = append(s.order, l)
	}
	// Connect in parallel, a few dozen at a time.
	sem := make(chan struct{}, 32)
	errs := make(chan error, len(s.order))
	var wg sync.WaitGroup
	for _, l := range s.order {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			errs <- l.connect(ctx)
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			s.Close()
			return nil, err
		}
	}
	s.control = mqtt.NewClient(s.options(cfg.ClientPrefix + "control"))
	if err := wait(ctx, s.control.Connect()); err != nil {
		s.Close()
		return nil, fmt.Errorf("locksim: control connection: %w", err)
	}
	if err := wait(ctx, s.control.Subscribe(cfg.ControlPrefix+"/+/control", 1, s.onControl)); err != nil {
		s.Close()
		return nil, err
	}
	return s, nil
}

// Close disconnects every lock.
func (s *Sim) Close() {
	for _, l := range s.order {
		l.mu.Lock()
		c := l.client
		l.mu.Unlock()
		if c != nil && c.IsConnected() {
			c.Disconnect(50)
		}
	}
	if s.control != nil && s.control.IsConnected() {
		s.control.Disconnect(50)
	}
}

// Lock returns the lock with this id or device name.
func (s *Sim) Lock(name string) *Lock { return s.locks[name] }

// Locks lists the locks in the order they were configured.
func (s *Sim) Locks() []*Lock { return slices.Clone(s.order) }

func (s *Sim) options(clientID string) *mqtt.ClientOptions {
	o := mqtt.NewClientOptions().AddBroker(s.cfg.Broker).SetClientID(clientID).
		SetCleanSession(true).SetAutoReconnect(true).SetConnectRetry(false).
		SetConnectTimeout(5 * time.Second).SetMaxReconnectInterval(time.Second).
		SetKeepAlive(30 * time.Second).SetOrderMatters(false)
	return o
}

// Name is the lock's id, or its device name for a Zigbee lock.
func (l *Lock) Name() string {
	if l.zigbee {
		return l.device
	}
	return l.id
}

func (l *Lock) statusTopic() string {
	if l.zigbee {
		return l.sim.cfg.Z2MBase + "/" + l.device + "/availability"
	}
	return l.sim.cfg.Prefix + "/" + l.id + "/status"
}

func (l *Lock) onlinePayload(on bool) string {
	w := "offline"
	if on {
		w = "online"
	}
	if l.zigbee {
		return `{"state":"` + w + `"}`
	}
	return w
}

func (l *Lock) connect(ctx context.Context) error {
	o := l.sim.options(l.sim.cfg.ClientPrefix + strings.ReplaceAll(l.Name(), "/", "_"))
	o.SetWill(l.statusTopic(), l.onlinePayload(false), 1, true)
	o.SetOnConnectHandler(func(c mqtt.Client) { l.onConnect(c) })
	cut := &cutter{}
	o.SetCustomOpenConnectionFn(cut.dial)
	c := mqtt.NewClient(o)
	l.mu.Lock()
	l.client, l.cut = c, cut
	l.mu.Unlock()
	if err := wait(ctx, c.Connect()); err != nil {
		return fmt.Errorf("locksim: lock %s: connect: %w", l.Name(), err)
	}
	// onConnect runs in its own goroutine; wait until it announced the lock.
	deadline := time.Now().Add(10 * time.Second)
	for !l.Online() && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	return nil
}

// onConnect subscribes, says the lock is online and sends what it queued.
func (l *Lock) onConnect(c mqtt.Client) {
	var tok mqtt.Token
	if l.zigbee {
		base := l.sim.cfg.Z2MBase + "/" + l.device
		tok = c.SubscribeMultiple(map[string]byte{base + "/set": 1, base + "/get": 1}, l.onZigbee)
	} else {
		tok = c.Subscribe(l.sim.cfg.Prefix+"/"+l.id+"/desired", 1, l.onDesired)
	}
	if tok.Wait() && tok.Error() != nil {
		l.sim.cfg.Log.Warn("locksim: subscribe failed", "lock", l.Name(), "err", tok.Error())
	}
	c.Publish(l.statusTopic(), 1, true, l.onlinePayload(true)).Wait()
	l.mu.Lock()
	l.online = true
	q := l.queued
	l.queued = nil
	l.mu.Unlock()
	for _, f := range q {
		f()
	}
}

// Online reports whether the lock is connected and announced.
func (l *Lock) Online() bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.online && l.client != nil && l.client.IsConnected()
}

// GoOffline drops the lock's connection without a goodbye, as a lock that
// loses power or network does: the broker publishes its last will.
func (l *Lock) GoOffline() {
	l.mu.Lock()
	c, cut := l.client, l.cut
	l.online = false
	l.client, l.cut = nil, nil
	l.mu.Unlock()
	if c != nil {
		cut.cutOff()
		c.Disconnect(0) // stops the client's reconnecting; the broker already saw the connection drop
	}
}

// GoOnline reconnects the lock; it then receives its retained desired state
// (native) or Keyward's commands (Zigbee) and acknowledges.
func (l *Lock) GoOnline(ctx context.Context) error {
	if l.Online() {
		return nil
	}
	return l.connect(ctx)
}

// Version is the desired-state version the lock last applied (native).
func (l *Lock) Version() int64 {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.version
}

// Keys are the network keys the lock accepts.
func (l *Lock) Keys() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return slices.Clone(l.keys)
}

// Slots are the PIN slots that hold a code.
func (l *Lock) Slots() []int {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []int
	for n := range l.macs {
		out = append(out, n)
	}
	for n := range l.pins {
		out = append(out, n)
	}
	slices.Sort(out)
	return out
}

// Applied returns a channel closed the next time the lock applies a change.
func (l *Lock) Applied() <-chan struct{} {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.applied
}

func (l *Lock) bump() { // with l.mu held
	close(l.applied)
	l.applied = make(chan struct{})
}

// onDesired applies a native desired state and acknowledges it. An older or
// equal version is acknowledged again without applying, so a lost ack heals.
func (l *Lock) onDesired(c mqtt.Client, m mqtt.Message) {
	var d locksync.DesiredPayload
	if err := json.Unmarshal(m.Payload(), &d); err != nil || d.Lock != l.id || d.Version < 1 {
		l.sim.cfg.Log.Warn("locksim: malformed desired state ignored", "lock", l.id)
		return
	}
	l.mu.Lock()
	if d.Version > l.version {
		l.version = d.Version
		l.keys = slices.Clone(d.Keys)
		slices.Sort(l.keys)
		l.macs = map[int]string{}
		for _, p := range d.PINs {
			l.macs[p.Slot] = p.MAC
		}
		l.bump()
	}
	ack := locksync.AckPayload{Lock: l.id, Version: l.version, Keys: slices.Clone(l.keys), Slots: []int{}}
	for n := range l.macs {
		ack.Slots = append(ack.Slots, n)
	}
	l.mu.Unlock()
	slices.Sort(ack.Slots)
	if ack.Keys == nil {
		ack.Keys = []string{}
	}
	body, _ := json.Marshal(ack)
	c.Publish(l.sim.cfg.Prefix+"/"+l.id+"/ack", 1, false, body)
}

// onZigbee handles zigbee2mqtt set and get commands for the lock's PIN slots.
func (l *Lock) onZigbee(c mqtt.Client, m mqtt.Message) {
	var cmd struct {
		PINCode *struct {
			User        *int            `json:"user"`
			UserEnabled *bool           `json:"user_enabled"`
			PIN         json.RawMessage `json:"pin_code"`
		} `json:"pin_code"`
	}
	if err := json.Unmarshal(m.Payload(), &cmd); err != nil || cmd.PINCode == nil || cmd.PINCode.User == nil {
		return // not a pin_code command (a lock also takes {"state":"LOCK"})
	}
	n := *cmd.PINCode.User
	if strings.HasSuffix(m.Topic(), "/set") {
		pin := strings.Trim(string(cmd.PINCode.PIN), `"`)
		l.mu.Lock()
		if len(cmd.PINCode.PIN) == 0 || pin == "null" || (cmd.PINCode.UserEnabled != nil && !*cmd.PINCode.UserEnabled) {
			delete(l.pins, n)
		} else if locksync.ValidPIN(pin) {
			l.pins[n] = pin
		}
		l.bump()
		l.mu.Unlock()
	}
	l.publishState(c, map[string]any{"users": map[string]any{strconv.Itoa(n): l.userState(n)}})
}

func (l *Lock) userState(n int) map[string]any {
	l.mu.Lock()
	defer l.mu.Unlock()
	if p, ok := l.pins[n]; ok {
		return map[string]any{"status": "enabled", "pin_code": p}
	}
	return map[string]any{"status": "available", "pin_code": nil}
}

func (l *Lock) publishState(c mqtt.Client, st map[string]any) {
	body, _ := json.Marshal(st)
	c.Publish(l.sim.cfg.Z2MBase+"/"+l.device, 1, false, body)
}

// TypePIN types a PIN on the lock's keypad: a synced PIN, or an offline code
// checked with the lock's clock. The lock reports the attempt (at once when
// online, on reconnecting when not) and says whether it opened.
func (l *Lock) TypePIN(pin string) bool {
	now := l.sim.cfg.Now().UTC()
	l.mu.Lock()
	slot := 0
	if l.zigbee {
		for n, p := range l.pins {
			if hmac.Equal([]byte(p), []byte(pin)) {
				slot = n
			}
		}
	} else {
		mac := locksync.PINMAC(l.secret, pin)
		for n, m := range l.macs {
			if hmac.Equal([]byte(m), []byte(mac)) {
				slot = n
			}
		}
	}
	l.mu.Unlock()
	method := "pin"
	opened := slot > 0
	if !opened && !l.zigbee && len(l.secret) == offlinecode.SecretSize {
		if _, err := offlinecode.Verify(l.secret, l.id, pin, now); err == nil {
			opened, method = true, "offline_code"
		}
	}
	l.report(now, opened, method, "", slot)
	return opened
}

// PresentKey presents a network key (native locks) and says whether it opened.
func (l *Lock) PresentKey(key string) bool {
	now := l.sim.cfg.Now().UTC()
	l.mu.Lock()
	_, ok := slices.BinarySearch(l.keys, key)
	l.mu.Unlock()
	l.report(now, ok, "key", key, 0)
	return ok
}

func (l *Lock) report(at time.Time, opened bool, method, key string, slot int) {
	send := func() {
		l.mu.Lock()
		c := l.client
		l.mu.Unlock()
		if c == nil {
			return
		}
		if l.zigbee {
			st := map[string]any{"action_source_name": "keypad"}
			if opened {
				st["action"], st["action_user"], st["state"] = "unlock", slot, "UNLOCK"
			} else {
				st["action"] = "unlock_failure_invalid_pin_or_id"
			}
			l.publishState(c, st)
			return
		}
		res := "denied"
		if opened {
			res = "opened"
		}
		body, _ := json.Marshal(locksync.EventPayload{Lock: l.id, At: at.Format(time.RFC3339), Result: res, Method: method, Key: key, Slot: slot})
		c.Publish(l.sim.cfg.Prefix+"/"+l.id+"/event", 1, false, body)
	}
	l.mu.Lock()
	if !l.online {
		l.queued = append(l.queued, send)
		l.mu.Unlock()
		return
	}
	l.mu.Unlock()
	send()
}

// onControl takes a command for one lock: offline, online, pin <digits>, key <id>.
func (s *Sim) onControl(_ mqtt.Client, m mqtt.Message) {
	rest := strings.TrimPrefix(m.Topic(), s.cfg.ControlPrefix+"/")
	name := strings.TrimSuffix(rest, "/control")
	l := s.locks[name]
	if l == nil {
		return
	}
	verb, arg, _ := strings.Cut(strings.TrimSpace(string(m.Payload())), " ")
	switch verb {
	case "offline":
		go l.GoOffline()
	case "online":
		go func() { _ = l.GoOnline(context.Background()) }()
	case "pin":
		go l.TypePIN(arg)
	case "key":
		go l.PresentKey(arg)
	default:
		s.cfg.Log.Warn("locksim: unknown control command", "lock", name)
	}
}

func wait(ctx context.Context, t mqtt.Token) error {
	select {
	case <-t.Done():
		return t.Error()
	case <-ctx.Done():
		return ctx.Err()
	}
}

// cutter dials the broker for one client and can cut that connection off
// without an MQTT DISCONNECT, so the broker publishes the lock's last will;
// once cut, it refuses to dial again.
type cutter struct {
	mu   sync.Mutex
	conn net.Conn
	off  bool
}

func (c *cutter) dial(uri *url.URL, o mqtt.ClientOptions) (net.Conn, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.off {
		return nil, errors.New("locksim: lock is offline")
	}
	conn, err := net.DialTimeout("tcp", uri.Host, o.ConnectTimeout)
	if err != nil {
		return nil, err
	}
	c.conn = conn
	return conn, nil
}

func (c *cutter) cutOff() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.off = true
	if c.conn != nil {
		c.conn.Close()
	}
}
