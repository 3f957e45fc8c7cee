package locksync_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"log/slog"
	"net"
	"os"
	"os/exec"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	mqtt "github.com/eclipse/paho.mqtt.golang"

	"github.com/keyward/keyward/internal/keyward"
	"github.com/keyward/keyward/internal/locksim"
	"github.com/keyward/keyward/internal/locksync"
	"github.com/keyward/keyward/internal/store"
	"github.com/keyward/keyward/internal/store/storetest"
)

// sharedBroker is the machine's Mosquitto (CI starts it).
const sharedBroker = "tcp://127.0.0.1:1883"

var admin = keyward.SystemActor("test")

// rig is one database, one syncer and one simulator on one broker, with
// topics of its own so tests sharing the broker never see each other.
type rig struct {
	t      testing.TB
	env    *storetest.Env
	db     *store.DB
	ls     *store.LockSync
	broker string
	native locksync.Native
	z2m    locksync.Z2M
	syncer *locksync.Syncer
	sim    *locksim.Sim
	logs   *logBuffer
	stop   context.CancelFunc
	done   chan struct{}
}

func needBroker(t testing.TB, addr string) {
	t.Helper()
	c, err := net.DialTimeout("tcp", strings.TrimPrefix(addr, "tcp://"), time.Second)
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("Mosquitto is required in CI at %s: %v", addr, err)
		}
		t.Skipf("no MQTT broker at %s: %v", addr, err)
	}
	c.Close()
}

func newRig(t testing.TB, b storetest.Backend, broker string) *rig {
	t.Helper()
	needBroker(t, broker)
	env := b(t)
	db := env.Open(t)
	tag := make([]byte, 5)
	_, _ = rand.Read(tag)
	ns := "kwtest-" + hex.EncodeToString(tag)
	r := &rig{t: t, env: env, db: db, ls: db.LockSync(env.Vault), broker: broker,
		native: locksync.Native{Prefix: ns + "/locks"}, z2m: locksync.Z2M{Base: ns + "-z2m"}, logs: &logBuffer{}}
	t.Cleanup(r.clearRetained)
	return r
}

// startSyncer runs the syncer until the test ends.
func (r *rig) startSyncer() {
	r.t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	r.syncer = locksync.New(locksync.Config{Broker: r.broker, Feed: r.ls, Native: r.native, Z2M: r.z2m,
		Log: slog.New(slog.NewTextHandler(r.logs, nil)), Now: r.env.Clock.Now, Poll: 20 * time.Millisecond, Tick: 200 * time.Millisecond,
		Retry: 500 * time.Millisecond})
	r.stop, r.done = cancel, make(chan struct{})
	go func() { defer close(r.done); _ = r.syncer.Run(ctx) }()
	r.t.Cleanup(func() { cancel(); <-r.done })
}

// addLocks adds n native locks (and the given zigbee devices) and starts
// simulators for them.
func (r *rig) addLocks(n int, devices ...string) []*keyward.SyncLock {
	r.t.Helper()
	ctx := context.Background()
	var out []*keyward.SyncLock
	var cfgs []locksim.LockConfig
	for i := 0; i < n; i++ {
		l, err := r.ls.AddSyncLock(ctx, admin, keyward.SyncLockInput{Name: fmt.Sprintf("Door %03d", i+1), Adapter: "keyward"})
		if err != nil {
			r.t.Fatal(err)
		}
		sec, err := r.ls.LockSecret(ctx, admin, l.ID)
		if err != nil {
			r.t.Fatal(err)
		}
		raw, _ := hex.DecodeString(sec.Reveal())
		cfgs = append(cfgs, locksim.LockConfig{ID: l.ID, Secret: raw})
		out = append(out, l)
	}
	for _, d := range devices {
		l, err := r.ls.AddSyncLock(ctx, admin, keyward.SyncLockInput{Name: "Zigbee " + d, Adapter: "zigbee2mqtt", Device: d})
		if err != nil {
			r.t.Fatal(err)
		}
		cfgs = append(cfgs, locksim.LockConfig{Device: d})
		out = append(out, l)
	}
	sim, err := locksim.Start(ctx, locksim.Config{Broker: r.broker, Prefix: r.native.Prefix, Z2MBase: r.z2m.Base,
		ControlPrefix: r.native.Prefix + "-sim", Locks: cfgs, Now: r.env.Clock.Now, ClientPrefix: r.native.Prefix + "-"})
	if err != nil {
		r.t.Fatal(err)
	}
	r.sim = sim
	r.t.Cleanup(sim.Close)
	return out
}

func (r *rig) lock(id string) keyward.SyncLock {
	r.t.Helper()
	l, err := r.ls.SyncLock(context.Background(), admin, id, r.env.Clock.Now())
	if err != nil {
		r.t.Fatal(err)
	}
	return *l
}

// eventually waits up to d for ok, then fails with what.
func (r *rig) eventually(d time.Duration, what string, ok func() bool) {
	r.t.Helper()
	deadline := time.Now().Add(d)
	for !ok() {
		if time.Now().After(deadline) {
			r.t.Fatalf("after %s: %s", d, what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func (r *rig) inSync(ids ...string) func() bool {
	return func() bool {
		for _, id := range ids {
			l := r.lock(id)
			if !l.InSync() || l.AckedVersion != l.Version || l.Version == 0 {
				return false
			}
		}
		return true
	}
}

func (r *rig) window(hours int) keyward.CodeSchedule {
	from := r.env.Clock.Now().Add(-time.Hour)
	until := r.env.Clock.Now().Add(time.Duration(hours) * time.Hour)
	return keyward.CodeSchedule{Kind: keyward.ScheduleWindow, From: &from, Until: &until}
}

// publish sends a raw message to the broker, as a lock or an attacker would.
func (r *rig) publish(topic string, payload []byte, retained bool) {
	r.t.Helper()
	c := mqtt.NewClient(mqtt.NewClientOptions().AddBroker(r.broker).SetClientID("kwtest-raw-" + hex.EncodeToString([]byte(topic))[:8] + fmt.Sprint(time.Now().UnixNano())))
	if tok := c.Connect(); tok.Wait() && tok.Error() != nil {
		r.t.Fatal(tok.Error())
	}
	defer c.Disconnect(50)
	if tok := c.Publish(topic, 1, retained, payload); tok.Wait() && tok.Error() != nil {
		r.t.Fatal(tok.Error())
	}
}

// clearRetained removes what the test left retained on the broker.
func (r *rig) clearRetained() {
	if r.sim == nil {
		return
	}
	c := mqtt.NewClient(mqtt.NewClientOptions().AddBroker(r.broker).SetClientID("kwtest-clean-" + fmt.Sprint(time.Now().UnixNano())))
	if tok := c.Connect(); !tok.WaitTimeout(2*time.Second) || tok.Error() != nil {
		return
	}
	defer c.Disconnect(50)
	for _, l := range r.sim.Locks() {
		for _, topic := range []string{r.native.DesiredTopic(l.Name()), r.native.Topic(l.Name(), "status"), r.z2m.Base + "/" + l.Name() + "/availability"} {
			c.Publish(topic, 1, true, []byte{}).WaitTimeout(time.Second)
		}
	}
}

type logBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

func entries(es []keyward.SyncEntry) []string {
	var out []string
	for _, e := range es {
		out = append(out, e.Entry)
	}
	return out
}

// TestSyncRevocationAndOfflineCatchUp: a code reaches three locks; one goes
// offline; the code is revoked; the two online locks drop it and the third is
// listed as an exposure (and really still opens) until it comes back, when the
// exposure list empties and the PIN stops working.
func TestSyncRevocationAndOfflineCatchUp(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		r := newRig(t, b, sharedBroker)
		locks := r.addLocks(3)
		ids := []string{locks[0].ID, locks[1].ID, locks[2].ID}
		r.startSyncer()
		ctx := context.Background()
		code, err := r.ls.IssueTempCode(ctx, admin, keyward.TempCodeInput{For: "Dana the cleaner", Locks: ids, Schedule: r.window(24)})
		if err != nil {
			t.Fatal(err)
		}
		// Before any ack the code is pending on every lock.
		if p := r.lock(ids[0]).Pending; len(p) != 1 && !r.lock(ids[0]).InSync() {
			t.Fatalf("pending before sync: %+v", p)
		}
		r.eventually(5*time.Second, "all three locks acknowledge the new code", r.inSync(ids...))
		pin := code.PIN.Reveal()
		for _, id := range ids {
			if !r.sim.Lock(id).TypePIN(pin) {
				t.Fatalf("lock %s refuses the synced PIN", id)
			}
		}
		if r.sim.Lock(ids[0]).TypePIN("999999") {
			t.Fatal("a wrong PIN opened")
		}
		r.eventually(5*time.Second, "the openings reach the logbook under Dana's name", func() bool {
			evs, _ := r.ls.LockEvents(ctx, admin, ids[0], 10)
			opened, denied := 0, 0
			for _, e := range evs {
				if e.Opened && e.Who == "Dana the cleaner" && e.Method == "pin" {
					opened++
				}
				if !e.Opened {
					denied++
				}
			}
			return opened == 1 && denied == 1
		})

		// The third lock loses its connection.
		off := r.sim.Lock(ids[2])
		off.GoOffline()
		r.eventually(5*time.Second, "Keyward sees the lock offline", func() bool { return !r.lock(ids[2]).Online })

		withCode := r.lock(ids[0]).Version
		if _, err := r.ls.RevokeTempCode(ctx, admin, code.ID); err != nil {
			t.Fatal(err)
		}
		r.eventually(5*time.Second, "the two online locks acknowledge the revocation", func() bool {
			return r.lock(ids[0]).Version > withCode && r.lock(ids[1]).Version > withCode && r.inSync(ids[0], ids[1])()
		})
		r.eventually(5*time.Second, "the offline lock is listed as exposed", func() bool { return len(r.lock(ids[2]).Exposed) > 0 })
		exposed := r.lock(ids[2])
		if got := entries(exposed.Exposed); !slices.Equal(got, []string{"pin:1"}) {
			t.Fatalf("offline lock exposures %v, want [pin:1]; lock %+v; sim version %d slots %v online %v", got, exposed, off.Version(), off.Slots(), off.Online())
		}
		if !strings.Contains(exposed.Exposed[0].Label, "Dana the cleaner") {
			t.Fatalf("exposure label %q does not name the holder", exposed.Exposed[0].Label)
		}
		if !off.TypePIN(pin) {
			t.Fatal("the offline lock should still accept the revoked PIN: that is the exposure")
		}
		if r.sim.Lock(ids[0]).TypePIN(pin) {
			t.Fatal("an online lock still accepts the revoked PIN")
		}

		// Back online: it catches up and the exposure list empties.
		if err := off.GoOnline(ctx); err != nil {
			t.Fatal(err)
		}
		r.eventually(5*time.Second, "the lock that came back acknowledges the revocation", r.inSync(ids...))
		all, err := r.ls.SyncLocks(ctx, admin, r.env.Clock.Now())
		if err != nil {
			t.Fatal(err)
		}
		for _, l := range all {
			if len(l.Exposed) != 0 || len(l.Pending) != 0 {
				t.Fatalf("lock %s still has exposures %v / pending %v", l.Name, l.Exposed, l.Pending)
			}
		}
		if off.TypePIN(pin) {
			t.Fatal("the lock that came back still accepts the revoked PIN")
		}
		// The opening made while offline was reported on reconnect.
		r.eventually(5*time.Second, "the offline opening reaches the logbook", func() bool {
			evs, _ := r.ls.LockEvents(ctx, admin, ids[2], 10)
			n := 0
			for _, e := range evs {
				if e.Opened && e.Who == "Dana the cleaner" {
					n++
				}
			}
			return n == 2
		})
		if strings.Contains(r.logs.String(), pin) {
			t.Fatal("the PIN reached the syncer's log")
		}
	})
}

// TestSyncIgnoresReplayedAck: an acknowledgement of an older version, sent
// again after the lock moved on, changes nothing; nor does one of a version
// never published.
func TestSyncIgnoresReplayedAck(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		r := newRig(t, b, sharedBroker)
		locks := r.addLocks(1)
		id := locks[0].ID
		r.startSyncer()
		ctx := context.Background()
		code, err := r.ls.IssueTempCode(ctx, admin, keyward.TempCodeInput{For: "Guest", Locks: []string{id}, Schedule: r.window(2)})
		if err != nil {
			t.Fatal(err)
		}
		r.eventually(5*time.Second, "the lock acknowledges the code", r.inSync(id))
		withCode := r.lock(id).Version
		if _, err := r.ls.RevokeTempCode(ctx, admin, code.ID); err != nil {
			t.Fatal(err)
		}
		r.eventually(5*time.Second, "the lock acknowledges the revocation", func() bool { return r.lock(id).Version > withCode && r.inSync(id)() })
		after := r.lock(id)
		if after.Version <= withCode {
			t.Fatalf("version %d did not move past %d", after.Version, withCode)
		}
		// An attacker (or a confused lock) replays the ack of the version that held the code.
		before := r.syncer.Stats().Reports
		old := fmt.Sprintf(`{"lock":%q,"version":%d,"keys":[],"slots":[1]}`, id, withCode)
		r.publish(r.native.Topic(id, "ack"), []byte(old), false)
		future := fmt.Sprintf(`{"lock":%q,"version":%d,"keys":[],"slots":[1]}`, id, after.Version+5)
		r.publish(r.native.Topic(id, "ack"), []byte(future), false)
		r.eventually(5*time.Second, "the replayed acks are read", func() bool { return r.syncer.Stats().Reports >= before+2 })
		now := r.lock(id)
		if now.AckedVersion != after.Version || !now.InSync() {
			t.Fatalf("after the replay: acked %d (want %d), exposed %v", now.AckedVersion, after.Version, now.Exposed)
		}
	})
}

// TestSyncMalformedPayloads: garbage on every topic Keyward reads is logged
// and ignored, and sync goes on.
func TestSyncMalformedPayloads(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		r := newRig(t, b, sharedBroker)
		locks := r.addLocks(1, "porch")
		id, zid := locks[0].ID, locks[1].ID
		r.startSyncer()
		r.eventually(5*time.Second, "the syncer connects", r.syncer.Connected)
		bad := []struct{ topic, payload string }{
			{r.native.Topic(id, "ack"), `{"lock":`},
			{r.native.Topic(id, "ack"), `{"lock":"` + id + `","version":-3}`},
			{r.native.Topic(id, "ack"), `{"lock":"someone-else","version":1}`},
			{r.native.Topic(id, "ack"), `[1,2,3]`},
			{r.native.Topic(id, "ack"), `{"lock":"` + id + `","version":1,"slots":[99999]}`},
			{r.native.Topic(id, "event"), `{"lock":"` + id + `","at":"yesterday","result":"opened"}`},
			{r.native.Topic(id, "event"), `{"lock":"` + id + `","at":"2026-03-02T09:00:00Z","result":"exploded"}`},
			{r.native.Topic(id, "event"), "\x00\xff\xfe"},
			{r.native.Topic(id, "status"), `maybe`},
			{r.z2m.Base + "/porch", `{"users":{"one":{"status":"enabled"}}}`},
			{r.z2m.Base + "/porch", `{"users":{"1":{"status":"enabled","pin_code":"12ab"}}}`},
			{r.z2m.Base + "/porch", `not json`},
			{r.z2m.Base + "/porch/availability", `{"state":"sideways"}`},
		}
		before := r.syncer.Stats().Malformed
		for _, m := range bad {
			r.publish(m.topic, []byte(m.payload), false)
		}
		r.eventually(5*time.Second, "every malformed payload is counted", func() bool {
			return r.syncer.Stats().Malformed >= before+int64(len(bad))
		})
		if !strings.Contains(r.logs.String(), "malformed message ignored") {
			t.Fatal("malformed payloads were not logged")
		}
		// Sync still works.
		code, err := r.ls.IssueTempCode(context.Background(), admin, keyward.TempCodeInput{For: "Guest", Locks: []string{id, zid}, Schedule: r.window(2)})
		if err != nil {
			t.Fatal(err)
		}
		r.eventually(5*time.Second, "both locks take the code after the garbage", r.inSync(id, zid))
		if !r.sim.Lock(id).TypePIN(code.PIN.Reveal()) || !r.sim.Lock("porch").TypePIN(code.PIN.Reveal()) {
			t.Fatal("the code does not open")
		}
	})
}

// TestSyncBrokerDownAndUp: a private broker stops; a code is revoked while it
// is down (the exposure is listed); the broker comes back and sync resumes.
func TestSyncBrokerDownAndUp(t *testing.T) {
	if _, err := exec.LookPath("mosquitto"); err != nil {
		t.Skip("mosquitto is not installed")
	}
	port := freePort(t)
	broker := startMosquitto(t, port)
	r := newRig(t, storetest.SQLite, fmt.Sprintf("tcp://127.0.0.1:%d", port))
	locks := r.addLocks(2)
	ids := []string{locks[0].ID, locks[1].ID}
	r.startSyncer()
	ctx := context.Background()
	code, err := r.ls.IssueTempCode(ctx, admin, keyward.TempCodeInput{For: "Contractor", Locks: ids, Schedule: r.window(8)})
	if err != nil {
		t.Fatal(err)
	}
	r.eventually(5*time.Second, "both locks take the code", r.inSync(ids...))

	broker.stop()
	r.eventually(5*time.Second, "the syncer notices the broker is gone", func() bool { return !r.syncer.Connected() })
	if _, err := r.ls.RevokeTempCode(ctx, admin, code.ID); err != nil {
		t.Fatal(err)
	}
	r.eventually(5*time.Second, "the revocation gives both locks a new version", func() bool {
		return r.lock(ids[0]).Version > r.lock(ids[0]).AckedVersion && r.lock(ids[1]).Version > r.lock(ids[1]).AckedVersion
	})
	for _, id := range ids {
		if got := entries(r.lock(id).Exposed); !slices.Equal(got, []string{"pin:1"}) {
			t.Fatalf("while the broker is down, lock %s exposures %v, want [pin:1]", id, got)
		}
	}

	startMosquitto(t, port) // a new broker: nothing retained, every client reconnects
	r.eventually(10*time.Second, "sync resumes and both locks drop the revoked code", r.inSync(ids...))
	for _, id := range ids {
		if r.sim.Lock(id).TypePIN(code.PIN.Reveal()) {
			t.Fatalf("lock %s still opens for the revoked code", id)
		}
	}
}

// TestZigbeeGuestWindow: a zigbee2mqtt lock gets a guest PIN in its slot when
// the window starts and loses it when it ends; the keypad opening lands in
// the logbook under the guest's name.
func TestZigbeeGuestWindow(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		r := newRig(t, b, sharedBroker)
		locks := r.addLocks(0, "front_door")
		id := locks[0].ID
		r.startSyncer()
		ctx := context.Background()
		start := r.env.Clock.Now().Add(2 * time.Hour)
		end := start.Add(3 * time.Hour)
		code, err := r.ls.IssueTempCode(ctx, admin, keyward.TempCodeInput{For: "Grace Guest", Locks: []string{id},
			Schedule: keyward.CodeSchedule{Kind: keyward.ScheduleWindow, From: &start, Until: &end}})
		if err != nil {
			t.Fatal(err)
		}
		lock := r.sim.Lock("front_door")
		r.eventually(5*time.Second, "Keyward sees the Zigbee lock online", func() bool { return r.lock(id).Online })
		time.Sleep(400 * time.Millisecond) // two refreshes before the window
		if s := lock.Slots(); len(s) != 0 {
			t.Fatalf("slots %v before the window", s)
		}
		if lock.TypePIN(code.PIN.Reveal()) {
			t.Fatal("the PIN opens before its window")
		}

		r.env.Clock.Advance(2 * time.Hour) // the window starts
		r.syncer.Kick()
		r.eventually(5*time.Second, "the guest PIN reaches slot 1", func() bool { return slices.Equal(lock.Slots(), []int{1}) })
		r.eventually(5*time.Second, "the lock's report confirms the slot", r.inSync(id))
		if !lock.TypePIN(code.PIN.Reveal()) {
			t.Fatal("the guest PIN does not open in its window")
		}
		r.eventually(5*time.Second, "the keypad opening is in the logbook under the guest's name", func() bool {
			evs, _ := r.ls.LockEvents(ctx, admin, id, 10)
			return slices.ContainsFunc(evs, func(e keyward.LockEvent) bool { return e.Opened && e.Who == "Grace Guest" && e.Slot == 1 })
		})

		r.env.Clock.Advance(3 * time.Hour) // the window ends
		r.syncer.Kick()
		r.eventually(5*time.Second, "the slot is cleared at the window's end", func() bool { return len(lock.Slots()) == 0 })
		r.eventually(5*time.Second, "the lock confirms the cleared slot", func() bool { return len(r.lock(id).Exposed) == 0 && r.inSync(id)() })
		if lock.TypePIN(code.PIN.Reveal()) {
			t.Fatal("the guest PIN still opens after its window")
		}
		// The slot is free again once the lock let it go.
		next, err := r.ls.IssueTempCode(ctx, admin, keyward.TempCodeInput{For: "Next guest", Locks: []string{id}, Slot: 1, Schedule: r.window(1)})
		if err != nil {
			t.Fatalf("slot 1 is not free after the code ended and was cleared: %v", err)
		}
		if next.Locks[0].Slot != 1 {
			t.Fatalf("slot %d", next.Locks[0].Slot)
		}
	})
}

func freePort(t testing.TB) int {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

type mosquitto struct {
	cmd  *exec.Cmd
	once sync.Once
}

func (m *mosquitto) stop() {
	m.once.Do(func() {
		_ = m.cmd.Process.Kill()
		_ = m.cmd.Wait()
	})
}

// startMosquitto runs a private broker on port until the test ends.
func startMosquitto(t testing.TB, port int) *mosquitto {
	t.Helper()
	cmd := exec.Command("mosquitto", "-p", fmt.Sprint(port))
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	m := &mosquitto{cmd: cmd}
	t.Cleanup(m.stop)
	deadline := time.Now().Add(5 * time.Second)
	for {
		c, err := net.DialTimeout("tcp", fmt.Sprintf("127.0.0.1:%d", port), 200*time.Millisecond)
		if err == nil {
			c.Close()
			return m
		}
		if time.Now().After(deadline) {
			t.Fatalf("mosquitto did not start on port %d", port)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
