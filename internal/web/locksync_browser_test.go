package web_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	mqtt "github.com/eclipse/paho.mqtt.golang"

	"github.com/keyward/keyward/internal/keyward"
	"github.com/keyward/keyward/internal/locksim"
	"github.com/keyward/keyward/internal/locksync"
	"github.com/keyward/keyward/internal/store/storetest"
)

// TestUIBrowserTempCodeReachesLock: on a phone, an owner issues a temporary
// code in three taps (New temporary code, a duration, Issue code); the code
// reaches a simulated lock over Mosquitto, opens it, and the code's page then
// says it is on the lock.
func TestUIBrowserTempCodeReachesLock(t *testing.T) {
	const broker = "tcp://127.0.0.1:1883"
	if c, err := net.DialTimeout("tcp", "127.0.0.1:1883", time.Second); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("Mosquitto is required in CI: %v", err)
		}
		t.Skipf("no MQTT broker: %v", err)
	} else {
		c.Close()
	}
	app := newTestApp(t, storetest.SQLite)
	ctx := context.Background()
	ls := app.db.LockSync(app.env.Vault)
	owner := keyward.SystemActor("test")
	lock, err := ls.AddSyncLock(ctx, owner, keyward.SyncLockInput{Name: "Front door", Adapter: "keyward"})
	if err != nil {
		t.Fatal(err)
	}
	sec, err := ls.LockSecret(ctx, owner, lock.ID)
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := hex.DecodeString(sec.Reveal())
	tag := make([]byte, 5)
	_, _ = rand.Read(tag)
	prefix := "kwtest-" + hex.EncodeToString(tag) + "/locks"
	sim, err := locksim.Start(ctx, locksim.Config{Broker: broker, Prefix: prefix, ControlPrefix: prefix + "-sim", ClientPrefix: prefix + "-",
		Locks: []locksim.LockConfig{{ID: lock.ID, Secret: raw}}, Now: app.env.Clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(sim.Close)
	t.Cleanup(func() { // leave nothing retained on the shared broker
		c := mqtt.NewClient(mqtt.NewClientOptions().AddBroker(broker).SetClientID(prefix + "-clean"))
		if tok := c.Connect(); tok.WaitTimeout(2*time.Second) && tok.Error() == nil {
			for _, leaf := range []string{"desired", "status"} {
				c.Publish(prefix+"/"+lock.ID+"/"+leaf, 1, true, []byte{}).WaitTimeout(time.Second)
			}
			c.Disconnect(50)
		}
	})
	sctx, stop := context.WithCancel(ctx)
	syncer := locksync.New(locksync.Config{Broker: broker, Feed: ls, Native: locksync.Native{Prefix: prefix}, Now: app.env.Clock.Now,
		Poll: 20 * time.Millisecond, Tick: 200 * time.Millisecond})
	done := make(chan struct{})
	go func() { defer close(done); _ = syncer.Run(sctx) }()
	t.Cleanup(func() { stop(); <-done })

	b := newUIBrowser(t, 120*time.Second)
	b.do("phone viewport", chromedp.EmulateViewport(390, 844, chromedp.EmulateScale(2), chromedp.EmulateMobile, chromedp.EmulateTouch))
	b.step("open Keyward", chromedp.Navigate(app.http.URL+"/"))
	b.signIn("owner@acme.test", "correct horse battery", app.http.URL+"/")
	if !strings.Contains(b.text("#lock-sync"), "1 lock") {
		t.Fatalf("the dashboard does not show the lock: %q", b.text("#lock-sync"))
	}
	b.step("tap 1: New temporary code", chromedp.Click(chromedp.CSS(`#lock-sync a[href="/codes/new"]`)))
	b.do("type who it is for", chromedp.SendKeys(chromedp.CSS(`#code-for`), "Grace Guest"))
	b.do("tap 2: for the next 7 days", chromedp.Click(chromedp.CSS(`input[name=preset][value=week]`)))
	b.step("tap 3: Issue code", chromedp.Click(chromedp.CSS(`#issue-code`)))
	pin := strings.TrimSpace(b.text("#pin"))
	if len(pin) != 6 {
		t.Fatalf("the issued page shows %q, not a 6-digit code", pin)
	}
	if link := uiEval[string](b, `document.querySelector('#code-link').value`); !strings.Contains(link, "/c/") {
		t.Fatalf("no link for the recipient: %q", link)
	}

	l := sim.Lock(lock.ID)
	deadline := time.Now().Add(10 * time.Second)
	for !slices.Equal(l.Slots(), []int{1}) {
		if time.Now().After(deadline) {
			t.Fatalf("the code did not reach the lock: slots %v", l.Slots())
		}
		time.Sleep(20 * time.Millisecond)
	}
	if !l.TypePIN(pin) {
		t.Fatal("the code from the page does not open the simulated lock")
	}
	for {
		b.step("open the code list", chromedp.Navigate(app.http.URL+"/codes"))
		b.step("open the code", chromedp.Click(chromedp.CSS(`table.codes a`)))
		if strings.Contains(b.text("#code-locks"), "on the lock") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the code page never says the code is on the lock: %q", b.text("#code-locks"))
		}
		time.Sleep(100 * time.Millisecond)
	}
	b.fits("temporary code", 390)
}
