package locksync

import (
	"context"
	"encoding/hex"
	"errors"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	mqtt "github.com/eclipse/paho.mqtt.golang"

	"github.com/keyward/keyward/internal/keyward"
)

// Config configures a Syncer.
type Config struct {
	Broker   string // tcp://host:port
	ClientID string // default keyward-sync-<random>
	Username string
	Password keyward.Secret
	Feed     keyward.LockSyncFeed
	Native   Native
	Z2M      Z2M
	Log      *slog.Logger
	Now      func() time.Time
	// Poll is how often the change mark is read (default 100 ms); Tick how
	// often desired states are recomputed anyway, for schedule edges (default 1 s).
	Poll, Tick time.Duration
	// Retry is how often a Zigbee lock that is online but not in sync is sent
	// its commands again (default 10 s).
	Retry time.Duration
}

// Stats counts what a Syncer did, for tests and /metrics.
type Stats struct {
	Published, Reports, Malformed, Refreshes int64
}

// Syncer keeps locks in sync with the store over MQTT: it publishes each
// lock's desired state when its version changes and again after every
// reconnect, and feeds what locks report back to the store in batches.
type Syncer struct {
	cfg    Config
	client mqtt.Client
	kick   chan struct{}
	inbox  chan keyward.LockReport

	mu        sync.Mutex
	published map[string]int64     // lock → version published since the last (re)connect
	rendered  map[string]time.Time // zigbee lock → when its commands were last sent
	devices   map[string]string    // zigbee device → lock
	rerender  map[string]bool      // zigbee locks to send commands to at the next refresh
	announced map[string]bool      // zigbee devices whose availability was asked for since the last connect

	published_, reports, malformed, refreshes atomic.Int64
	connected                                 atomic.Bool
}

// New makes a Syncer; Run starts it.
func New(cfg Config) *Syncer {
	if cfg.Log == nil {
		cfg.Log = slog.Default()
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Poll == 0 {
		cfg.Poll = 100 * time.Millisecond
	}
	if cfg.Tick == 0 {
		cfg.Tick = time.Second
	}
	if cfg.Retry == 0 {
		cfg.Retry = 10 * time.Second
	}
	if cfg.ClientID == "" {
		cfg.ClientID = "keyward-sync-" + newToken()
	}
	return &Syncer{cfg: cfg, kick: make(chan struct{}, 1), inbox: make(chan keyward.LockReport, 8192),
		published: map[string]int64{}, rendered: map[string]time.Time{}, devices: map[string]string{}, rerender: map[string]bool{}, announced: map[string]bool{}}
}

// Stats returns the counters.
func (s *Syncer) Stats() Stats {
	return Stats{Published: s.published_.Load(), Reports: s.reports.Load(), Malformed: s.malformed.Load(), Refreshes: s.refreshes.Load()}
}

// Connected reports whether the broker connection is up.
func (s *Syncer) Connected() bool { return s.connected.Load() }

// Kick asks for a refresh now (after a change this process made).
func (s *Syncer) Kick() {
	select {
	case s.kick <- struct{}{}:
	default:
	}
}

// Run connects (retrying while the broker is down) and syncs until ctx ends.
func (s *Syncer) Run(ctx context.Context) error {
	o := mqtt.NewClientOptions().AddBroker(s.cfg.Broker).SetClientID(s.cfg.ClientID).
		SetCleanSession(true).SetAutoReconnect(true).SetConnectRetry(true).
		SetConnectRetryInterval(500 * time.Millisecond).SetMaxReconnectInterval(2 * time.Second).
		SetConnectTimeout(5 * time.Second).SetKeepAlive(20 * time.Second).SetOrderMatters(false).
		SetWriteTimeout(10 * time.Second)
	if s.cfg.Username != "" {
		o.SetUsername(s.cfg.Username).SetPassword(s.cfg.Password.Reveal())
	}
	o.SetOnConnectHandler(s.onConnect)
	o.SetConnectionLostHandler(func(_ mqtt.Client, err error) {
		s.connected.Store(false)
		s.cfg.Log.Warn("lock sync: broker connection lost; reconnecting", "err", err)
	})
	s.client = mqtt.NewClient(o)
	s.client.Connect() // with ConnectRetry it keeps trying in the background
	defer s.client.Disconnect(250)

	done := make(chan struct{})
	go func() { defer close(done); s.applyLoop(ctx) }()

	poll := time.NewTicker(s.cfg.Poll)
	defer poll.Stop()
	var mark int64 = -1
	last := time.Time{}
	for {
		refresh := false
		select {
		case <-ctx.Done():
			<-done
			return nil
		case <-s.kick:
			refresh = true
		case <-poll.C:
			m, err := s.cfg.Feed.ChangeMark(ctx)
			if err != nil {
				if ctx.Err() == nil {
					s.cfg.Log.Warn("lock sync: change mark", "err", err)
				}
				continue
			}
			refresh = m != mark || time.Since(last) >= s.cfg.Tick
			mark = m
		}
		if refresh {
			last = time.Now()
			s.refresh(ctx)
		}
	}
}

func (s *Syncer) onConnect(c mqtt.Client) {
	filters := map[string]byte{}
	for _, f := range s.cfg.Native.Filters() {
		filters[f] = 1
	}
	for _, f := range s.cfg.Z2M.Filters() {
		filters[f] = 1
	}
	if t := c.SubscribeMultiple(filters, s.onMessage); t.Wait() && t.Error() != nil {
		s.cfg.Log.Error("lock sync: subscribe", "err", t.Error())
	}
	s.mu.Lock()
	s.published = map[string]int64{} // republish every desired state after a (re)connect
	s.rendered = map[string]time.Time{}
	s.announced = map[string]bool{}
	s.mu.Unlock()
	s.connected.Store(true)
	s.cfg.Log.Info("lock sync: connected to the broker")
	s.Kick()
}

// refresh asks the store for every lock's desired state and publishes what
// has not been published since the last connect.
func (s *Syncer) refresh(ctx context.Context) {
	s.refreshes.Add(1)
	ds, err := s.cfg.Feed.RefreshDesired(ctx, s.cfg.Now())
	if err != nil {
		if ctx.Err() == nil {
			s.cfg.Log.Error("lock sync: refresh desired states", "err", err)
		}
		return
	}
	devices := map[string]string{}
	for _, d := range ds {
		if d.Adapter == Z2MName {
			devices[d.Device] = d.Lock
		}
	}
	s.mu.Lock()
	var added []string
	for d := range devices {
		if _, ok := s.devices[d]; !ok || !s.announced[d] {
			added = append(added, d)
		}
	}
	s.devices = devices
	s.mu.Unlock()
	if !s.connected.Load() {
		return
	}
	// A device's retained availability may have arrived before the device was
	// known: subscribing to it again has the broker send it again.
	for _, d := range added {
		t := s.client.Subscribe(s.cfg.Z2M.base()+"/"+d+"/availability", 1, s.onMessage)
		if t.WaitTimeout(5*time.Second) && t.Error() == nil {
			s.mu.Lock()
			s.announced[d] = true
			s.mu.Unlock()
		}
	}
	var tokens []mqtt.Token
	var sent []keyward.LockDesired
	now := time.Now()
	for _, d := range ds {
		s.mu.Lock()
		pub, ok := s.published[d.Lock]
		again := s.rerender[d.Lock]
		last := s.rendered[d.Lock]
		s.mu.Unlock()
		var msgs []Message
		var err error
		b := Binding{Lock: d.Lock, Adapter: d.Adapter, Device: d.Device}
		if sec, herr := hex.DecodeString(d.Secret.Reveal()); herr == nil {
			b.Secret = sec
		}
		want := Desired{Lock: d.Lock, Version: d.Version, Keys: d.Keys}
		for _, sl := range d.Slots {
			want.Slots = append(want.Slots, Slot{N: sl.N, PIN: sl.PIN})
		}
		switch d.Adapter {
		case NativeName:
			if ok && pub == d.Version {
				continue
			}
			msgs, err = s.cfg.Native.Render(b, want, nil)
		case Z2MName:
			// Zigbee locks take commands, not retained state: send them when
			// the version changed, when the lock came back, or now and then
			// while it is online and not in sync.
			due := !ok || pub != d.Version || again || (!d.InSync && now.Sub(last) >= s.cfg.Retry)
			if !due || d.InSync || !d.Online {
				if d.InSync {
					s.mu.Lock()
					s.published[d.Lock] = d.Version
					delete(s.rerender, d.Lock)
					s.mu.Unlock()
				}
				continue
			}
			msgs, err = s.cfg.Z2M.RenderHeld(b, want, d.Confirmed, d.Held)
		default:
			continue
		}
		if err != nil {
			s.cfg.Log.Error("lock sync: render", "lock", d.Lock, "err", err)
			continue
		}
		for _, m := range msgs {
			tokens = append(tokens, s.client.Publish(m.Topic, 1, m.Retained, m.Payload))
		}
		sent = append(sent, d)
	}
	for _, t := range tokens {
		if !t.WaitTimeout(10 * time.Second) {
			s.cfg.Log.Warn("lock sync: publish not confirmed in time")
			return
		}
		if t.Error() != nil {
			s.cfg.Log.Warn("lock sync: publish", "err", t.Error())
			return
		}
	}
	s.published_.Add(int64(len(tokens)))
	s.mu.Lock()
	for _, d := range sent {
		s.published[d.Lock] = d.Version
		s.rendered[d.Lock] = now
		delete(s.rerender, d.Lock)
	}
	s.mu.Unlock()
}

// onMessage decodes a lock's message and queues its reports. A malformed
// payload is logged (topic and reason, never the payload) and dropped.
func (s *Syncer) onMessage(_ mqtt.Client, m mqtt.Message) {
	defer func() {
		if r := recover(); r != nil {
			s.malformed.Add(1)
			s.cfg.Log.Error("lock sync: a message could not be read", "topic", m.Topic(), "panic", r)
		}
	}()
	topic := m.Topic()
	var reports []Report
	var err error
	var z2m bool
	switch {
	case hasPrefix(topic, s.cfg.Native.prefix()+"/"):
		reports, err = s.cfg.Native.Decode(topic, m.Payload(), nil)
	case hasPrefix(topic, s.cfg.Z2M.base()+"/"):
		z2m = true
		reports, err = s.cfg.Z2M.Decode(topic, m.Payload(), s.knownDevice)
	default:
		return
	}
	if errors.Is(err, ErrIgnore) {
		return
	}
	if err != nil {
		s.malformed.Add(1)
		s.cfg.Log.Warn("lock sync: malformed message ignored", "topic", topic, "err", err)
		return
	}
	for _, r := range reports {
		lock := r.Address
		if z2m {
			s.mu.Lock()
			lock = s.devices[r.Address]
			s.mu.Unlock()
			if lock == "" {
				continue
			}
		}
		lr := keyward.LockReport{Lock: lock}
		switch r.Kind {
		case ReportAck:
			lr.Ack = &keyward.LockAck{Version: r.Version, Keys: r.Keys, Slots: r.SlotNs}
		case ReportSlots:
			for _, st := range r.SlotStates {
				lr.Slots = append(lr.Slots, keyward.ReportedSlot{N: st.N, Enabled: st.Enabled, PIN: st.PIN})
			}
		case ReportAvailability:
			on := r.Online
			lr.Availability = &on
		case ReportEvent:
			lr.Event = r.Event
		}
		s.inbox <- lr
	}
}

func (s *Syncer) knownDevice(d string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	_, ok := s.devices[d]
	return ok
}

// applyLoop hands queued reports to the store, as many at once as are waiting.
func (s *Syncer) applyLoop(ctx context.Context) {
	for {
		var batch []keyward.LockReport
		select {
		case <-ctx.Done():
			return
		case r := <-s.inbox:
			batch = append(batch, r)
		}
	drain:
		for len(batch) < 4096 {
			select {
			case r := <-s.inbox:
				batch = append(batch, r)
			default:
				break drain
			}
		}
		if _, err := s.cfg.Feed.ApplyReports(ctx, batch); err != nil {
			if ctx.Err() == nil {
				s.cfg.Log.Error("lock sync: apply reports", "err", err, "reports", len(batch))
			}
			continue
		}
		s.reports.Add(int64(len(batch)))
		// A Zigbee lock that came back needs its commands again. Acks need no
		// refresh: the next change or tick looks at the locks again.
		kick := false
		for _, r := range batch {
			if r.Availability != nil && *r.Availability {
				s.mu.Lock()
				s.rerender[r.Lock] = true
				s.mu.Unlock()
				kick = true
			}
		}
		if kick {
			s.Kick()
		}
	}
}

func hasPrefix(s, p string) bool { return len(s) >= len(p) && s[:len(p)] == p }
