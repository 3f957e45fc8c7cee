package web_test

import (
	"bufio"
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/keyward/keyward/internal/keyward"
	"github.com/keyward/keyward/internal/notify"
	"github.com/keyward/keyward/internal/store"
	"github.com/keyward/keyward/internal/store/storetest"
	"github.com/keyward/keyward/internal/vault"
	"github.com/keyward/keyward/internal/web"
)

// smtpSink is a real SMTP server on loopback that keeps what it is sent.
type smtpSink struct {
	addr string
	mu   sync.Mutex
	to   []string
	msgs []string
}

func newSMTPSink(t testing.TB) *smtpSink {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	s := &smtpSink{addr: ln.Addr().String()}
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go s.session(c)
		}
	}()
	return s
}

func (s *smtpSink) session(c net.Conn) {
	defer c.Close()
	r := bufio.NewReader(c)
	say := func(l string) { io.WriteString(c, l+"\r\n") }
	say("220 sink ESMTP")
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			return
		}
		cmd := strings.ToUpper(strings.TrimSpace(line))
		switch {
		case strings.HasPrefix(cmd, "RCPT TO"):
			s.mu.Lock()
			s.to = append(s.to, strings.Trim(strings.TrimSpace(line[8:]), "<>"))
			s.mu.Unlock()
			say("250 ok")
		case cmd == "DATA":
			say("354 go on")
			var b strings.Builder
			for {
				l, err := r.ReadString('\n')
				if err != nil || l == ".\r\n" {
					break
				}
				b.WriteString(l)
			}
			s.mu.Lock()
			s.msgs = append(s.msgs, b.String())
			s.mu.Unlock()
			say("250 queued")
		case cmd == "QUIT":
			say("221 bye")
			return
		default:
			say("250 ok")
		}
	}
}

func (s *smtpSink) sent() ([]string, []string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.to...), append([]string(nil), s.msgs...)
}

// hookSink is a real webhook receiver that checks nothing and keeps what it gets.
type hookSink struct {
	mu     sync.Mutex
	bodies []string
	sigs   []string
}

func (h *hookSink) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	b, _ := io.ReadAll(r.Body)
	h.mu.Lock()
	defer h.mu.Unlock()
	h.bodies, h.sigs = append(h.bodies, string(b)), append(h.sigs, r.Header.Get(notify.SignatureHeader))
}

func signed(secret, body string) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(body))
	return "sha256=" + hex.EncodeToString(m.Sum(nil))
}

// TestNotificationsAPI: the settings and webhook routes on both backends:
// role checks, the test email through a real SMTP server, recipients with bad
// input refused naming the field, and a webhook changed, paused, tested,
// listed with its deliveries and deleted.
func TestNotificationsAPI(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		mail := newSMTPSink(t)
		// The dispatcher shares the app's store, as serve's does.
		app := newTestAppWithDeliverer(t, b, mail.addr)
		for _, role := range keyward.Roles {
			var out map[string]any
			st := app.call(role, "GET", "/api/v1/notifications", nil, &out)
			want := 403
			if role == keyward.RoleOwner || role == keyward.RoleAdmin {
				want = 200
			}
			if st != want {
				t.Errorf("%s GET /api/v1/notifications = %d, want %d", role, st, want)
			}
			if st := app.call(role, "POST", "/api/v1/notifications/test-email", nil, &out); want == 403 && st != 403 {
				t.Errorf("%s sent a test email: %d", role, st)
			}
		}
		to, msgs := mail.sent()
		if len(msgs) != 2 || to[0] != "owner@acme.test" || to[1] != "admin@acme.test" || !strings.Contains(msgs[0], "Subject: Keyward test email") {
			t.Fatalf("test emails to %v: %v", to, msgs)
		}
		var ns web.NotificationSettings
		if st := app.call(keyward.RoleOwner, "GET", "/api/v1/notifications", nil, &ns); st != 200 || !ns.Email.Configured || ns.Email.Health.LastOKAt == nil || len(ns.Recipients) != len(keyward.WebhookEvents) {
			t.Fatalf("settings = %d %+v", st, ns)
		}
		var p problem
		if st := app.call(keyward.RoleOwner, "POST", "/api/v1/notifications/test-email", `{"to":"x@y.z"}`, &p); st != 400 {
			t.Fatalf("test email with a body = %d", st)
		}
		if st := app.call(keyward.RoleOwner, "PUT", "/api/v1/notifications/recipients/key.lost", map[string]any{"roles": []string{"holder"}, "addresses": []string{"not an address"}}, &p); st != 400 || !strings.Contains(errFields(p), "addresses") || !strings.Contains(errFields(p), "roles") {
			t.Fatalf("bad recipients = %d %+v", st, p)
		}
		if st := app.call(keyward.RoleOwner, "PUT", "/api/v1/notifications/recipients/key.stolen", map[string]any{"roles": []string{"owner"}}, &p); st != 404 {
			t.Fatalf("unknown event = %d", st)
		}
		var rule keyward.RecipientRule
		if st := app.call(keyward.RoleAdmin, "PUT", "/api/v1/notifications/recipients/key.found", map[string]any{"holder": true, "roles": []string{"manager"}, "addresses": []string{"Desk@Acme.test"}}, &rule); st != 200 || !rule.Holder || rule.Addresses[0] != "desk@acme.test" {
			t.Fatalf("recipients = %d %+v", st, rule)
		}

		rc := &hookSink{}
		hs := httptest.NewServer(rc)
		defer hs.Close()
		var hook keyward.Webhook
		if st := app.call(keyward.RoleAdmin, "POST", "/api/v1/webhooks", map[string]any{"url": hs.URL + "/a", "secret": "first-secret", "events": []string{"key.lost", "seal.broken"}}, &hook); st != 201 {
			t.Fatalf("create = %d", st)
		}
		if st := app.call(keyward.RoleOwner, "PATCH", "/api/v1/webhooks/"+hook.ID, map[string]any{"url": hs.URL + "/b", "secret": "second-secret", "paused": true, "events": []string{"secret.revealed"}}, &hook); st != 200 || !hook.Paused || hook.URL != hs.URL+"/b" || hook.Events[0] != "secret.revealed" {
			t.Fatalf("patch = %d %+v", st, hook)
		}
		if st := app.call(keyward.RoleOwner, "PATCH", "/api/v1/webhooks/"+hook.ID, map[string]any{"events": []string{"key.eaten"}}, &p); st != 400 || !strings.Contains(errFields(p), "events") {
			t.Fatalf("bad patch = %d %+v", st, p)
		}
		if st := app.call(keyward.RoleManager, "PATCH", "/api/v1/webhooks/"+hook.ID, map[string]any{"paused": false}, &p); st != 403 {
			t.Fatalf("manager patch = %d", st)
		}
		var res web.TestResult
		if st := app.call(keyward.RoleOwner, "POST", "/api/v1/webhooks/"+hook.ID+"/test", nil, &res); st != 200 || res.Status != "sent" {
			t.Fatalf("test event = %d %+v", st, res)
		}
		rc.mu.Lock()
		if len(rc.bodies) != 1 || rc.sigs[0] != signed("second-secret", rc.bodies[0]) || !strings.Contains(rc.bodies[0], `"event":"webhook.test"`) {
			t.Fatalf("test delivery %v %v", rc.bodies, rc.sigs)
		}
		rc.mu.Unlock()
		var ds struct{ Items []keyward.DeliveryRecord }
		if st := app.call(keyward.RoleOwner, "GET", "/api/v1/webhooks/"+hook.ID+"/deliveries", nil, &ds); st != 200 || len(ds.Items) != 1 || ds.Items[0].Status != "sent" {
			t.Fatalf("deliveries = %d %+v", st, ds)
		}
		if st := app.call(keyward.RoleOwner, "DELETE", "/api/v1/webhooks/"+hook.ID, nil, nil); st != 204 {
			t.Fatalf("delete = %d", st)
		}
		if st := app.call(keyward.RoleOwner, "GET", "/api/v1/webhooks/"+hook.ID, nil, &p); st != 404 {
			t.Fatalf("deleted webhook = %d", st)
		}
	})
}

func errFields(p problem) string {
	var b strings.Builder
	for _, e := range p.Errors {
		b.WriteString(e.Field + ":" + e.Rule + ";")
	}
	return b.String()
}

// newTestAppWithDeliverer is the API test app whose server sends tests at
// once through a dispatcher on the same store, mailing through smtpAddr.
func newTestAppWithDeliverer(t *testing.T, b storetest.Backend, smtpAddr string) *testApp {
	var d *notify.Dispatcher
	app := newTestAppWith(t, b, func(c *web.Config) {
		c.Deliverer = deliverLater{&d}
	})
	d = notify.NewDispatcher(notify.Config{Outbox: app.db.Notifications(app.env.Vault), AllowPrivate: true, SMTPAddr: smtpAddr, SMTPFrom: "keyward@acme.test"})
	return app
}

// deliverLater hands the server a dispatcher made after it (the dispatcher needs the store the app opens).
type deliverLater struct{ d **notify.Dispatcher }

func (l deliverLater) DeliverNow(ctx context.Context, id string) error {
	return (*l.d).DeliverNow(ctx, id)
}
func (l deliverLater) EmailConfigured() bool { return (*l.d).EmailConfigured() }

// uiStartNotify is uiStart with the store's services bound to a vault key
// (webhook secrets are sealed) and a dispatcher mailing through smtpAddr.
func uiStartNotify(t *testing.T, smtpAddr string) *uiServer {
	t.Helper()
	return uiStartNotifyIn(t, smtpAddr, "")
}

// uiStartNotifyIn is uiStartNotify for an organization keeping time in zone.
func uiStartNotifyIn(t *testing.T, smtpAddr, zone string) *uiServer {
	t.Helper()
	ctx := context.Background()
	dir := t.TempDir()
	clock := storetest.NewClock()
	db, err := store.Open(ctx, store.Config{DataDir: dir, Now: clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	raw := make([]byte, 32)
	rand.Read(raw)
	v, err := vault.NewKey(raw)
	if err != nil {
		t.Fatal(err)
	}
	acc := db.Accounts(v)
	if _, _, err := acc.Init(ctx, store.InitInput{Org: "Harbour Point", Email: uiOwnerEmail, Password: uiOwnerPassword, TimeZone: zone}); err != nil {
		t.Fatal(err)
	}
	cfg := storeConfig(db, v, acc)
	cfg.Now, cfg.AllowPrivateWebhooks = clock.Now, true
	cfg.Deliverer = notify.NewDispatcher(notify.Config{Outbox: db.Notifications(v), AllowPrivate: true, SMTPAddr: smtpAddr, SMTPFrom: "keys@harbour.test"})
	hs := httptest.NewServer(web.NewServer(cfg).Handler())
	t.Cleanup(hs.Close)
	return &uiServer{t: t, URL: hs.URL, db: db, acc: acc, clock: clock, sys: keyward.SystemActor("ui-test"), sql: storetest.OpenSQL(t, "", dir)}
}

// TestNotificationsPages: the page without JavaScript. Owners and admins
// reach it (and see the link); other roles are refused. The test email goes
// to the signed-in user through a real SMTP server; a failing one says why;
// recipients with a bad address keep what was typed and name the field; a
// webhook is added, tested, paused and deleted; a webhook that keeps failing
// shows on the dashboard with a link to its deliveries.
func TestNotificationsPages(t *testing.T) {
	mail := newSMTPSink(t)
	s := uiStartNotify(t, mail.addr)
	owner := s.signIn(uiOwnerEmail, uiOwnerPassword)
	adminEmail, adminPW := s.user(keyward.RoleAdmin, "")
	for _, role := range []keyward.Role{keyward.RoleManager, keyward.RoleTechnician, keyward.RoleAuditor} {
		email, pw := s.user(role, "")
		c := s.signIn(email, pw)
		if st, body, _ := c.get("/settings/notifications"); st != http.StatusForbidden {
			t.Errorf("%s GET /settings/notifications = %d", role, st)
		} else if strings.Contains(body, "Send a test email") {
			t.Errorf("%s sees the page", role)
		}
		if st, _, _ := c.post("/settings/notifications/test-email", nil); st != http.StatusForbidden {
			t.Errorf("%s POST test-email = %d", role, st)
		}
		if doc := c.page("/"); doc.find(uiAttr("href", "/settings/notifications")) != nil {
			t.Errorf("%s sees the Notifications link", role)
		}
	}
	admin := s.signIn(adminEmail, adminPW)
	if doc := admin.page("/"); doc.find(uiAttr("href", "/settings/notifications")) == nil {
		t.Error("no Notifications link for an admin")
	}
	page := owner.page("/settings/notifications")
	if got := page.find(uiAttr("id", "email-configured")).Text(); !strings.Contains(got, "Email is set up") {
		t.Fatalf("email status: %q", got)
	}
	if got := page.find(uiAttr("id", "email-last")).Text(); !strings.Contains(got, "No email has been sent yet") {
		t.Fatalf("email last: %q", got)
	}

	// Send a test email.
	st, _, h := owner.post("/settings/notifications/test-email", nil)
	if st != http.StatusSeeOther || !strings.Contains(h.Get("Location"), "Test+email+sent+to+owner%40harbour.test") {
		t.Fatalf("test email = %d %s", st, h.Get("Location"))
	}
	to, msgs := mail.sent()
	if len(msgs) != 1 || to[0] != uiOwnerEmail || !strings.Contains(msgs[0], "Subject: Keyward test email") {
		t.Fatalf("sent %v %v", to, msgs)
	}
	if got := owner.page("/settings/notifications").find(uiAttr("id", "email-last")).Text(); !strings.Contains(got, "The last email went out") {
		t.Fatalf("after the test: %q", got)
	}

	// Recipients: a bad address is refused with what was typed kept.
	st, body, _ := owner.post("/settings/notifications/recipients", url.Values{"event": {"key.lost"}, "roles": {"owner", "manager"}, "addresses": {"office@harbour.test, not-an-address"}})
	if st != http.StatusBadRequest {
		t.Fatalf("bad recipients = %d", st)
	}
	doc := uiParse(t, body)
	form := doc.find(uiAttr("id", "recipients-key.lost"))
	if form == nil || !strings.Contains(form.Text(), "must be an email address") || form.find(uiAttr("value", "office@harbour.test, not-an-address")) == nil {
		t.Fatalf("the refused form does not keep the input and say why:\n%s", body)
	}
	st, _, _ = owner.post("/settings/notifications/recipients", url.Values{"event": {"key.lost"}, "roles": {"owner"}, "addresses": {"office@harbour.test"}})
	if st != http.StatusSeeOther {
		t.Fatalf("recipients = %d", st)
	}
	rules, _ := s.db.Notifications(nil).Recipients(context.Background(), keyward.Actor{Role: keyward.RoleOwner})
	if rules[1].Event != "key.lost" || len(rules[1].Roles) != 1 || rules[1].Roles[0] != keyward.RoleOwner || rules[1].Addresses[0] != "office@harbour.test" {
		t.Fatalf("saved rule %+v", rules[1])
	}

	// A webhook that fails.
	var fail sync.Mutex
	failing := true
	hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fail.Lock()
		defer fail.Unlock()
		if failing {
			w.WriteHeader(http.StatusBadGateway)
		}
	}))
	defer hs.Close()
	st, body, _ = owner.post("/settings/notifications/webhooks", url.Values{"url": {"ftp://nope"}, "secret": {"x"}, "events": {"key.lost"}})
	if st != http.StatusBadRequest || !strings.Contains(body, "must be an http or https URL") {
		t.Fatalf("bad webhook = %d", st)
	}
	st, _, h = owner.post("/settings/notifications/webhooks", url.Values{"url": {hs.URL + "/hook"}, "secret": {"a-long-secret"}, "events": {"key.lost", "seal.broken"}})
	if st != http.StatusSeeOther || !strings.HasPrefix(h.Get("Location"), "/settings/notifications/webhooks/whk_") {
		t.Fatalf("add webhook = %d %s", st, h.Get("Location"))
	}
	hookPath, _, _ := strings.Cut(h.Get("Location"), "?")
	for i := range keyward.FailingAfter {
		st, body, _ := owner.post(hookPath+"/test", nil)
		if st != http.StatusOK || !strings.Contains(body, "The test event was not delivered: the receiving server answered 502 Bad Gateway") {
			t.Fatalf("test %d = %d\n%s", i, st, body)
		}
	}
	dash := owner.page("/")
	alert := dash.find(uiAttr("class", "error delivery-failing"))
	if alert == nil || !strings.Contains(alert.Text(), "keeps failing") || alert.find(uiAttr("href", hookPath)) == nil {
		t.Fatalf("the dashboard does not show the failing webhook")
	}
	if got := owner.page(hookPath).find(uiAttr("id", "deliveries")).Text(); strings.Count(got, "502 Bad Gateway") != keyward.FailingAfter {
		t.Fatalf("deliveries:\n%s", got)
	}
	fail.Lock()
	failing = false
	fail.Unlock()
	if st, _, h := owner.post(hookPath+"/test", nil); st != http.StatusSeeOther || !strings.Contains(h.Get("Location"), "Test+event+delivered") {
		t.Fatalf("test after the fix = %d %s", st, h.Get("Location"))
	}
	if owner.page("/").find(uiAttr("class", "error delivery-failing")) != nil {
		t.Fatal("the dashboard still shows a webhook that works again")
	}
	if st, _, _ := owner.post(hookPath+"/pause", nil); st != http.StatusSeeOther {
		t.Fatalf("pause = %d", st)
	}
	if got := owner.page(hookPath).find(uiAttr("id", "webhook-state")).Text(); !strings.Contains(got, "Paused") {
		t.Fatalf("state = %q", got)
	}
	if st, _, _ := owner.post(hookPath, url.Values{"url": {hs.URL + "/new"}, "events": {}}); st != http.StatusBadRequest {
		t.Fatalf("edit without events = %d", st)
	}
	if st, _, _ := owner.post(hookPath+"/delete", nil); st != http.StatusSeeOther {
		t.Fatalf("delete = %d", st)
	}
	if st, _, _ := owner.get(hookPath); st != http.StatusNotFound {
		t.Fatalf("deleted webhook page = %d", st)
	}
}

// TestUIBrowserNotifications: in Chromium, the owner goes from the dashboard
// to Notifications, sends a test email (it arrives at a real SMTP server),
// adds a webhook and sends it a test event; the page fits a phone.
func TestUIBrowserNotifications(t *testing.T) {
	mail := newSMTPSink(t)
	s := uiStartNotify(t, mail.addr)
	rc := &hookSink{}
	hs := httptest.NewServer(rc)
	defer hs.Close()
	b := newUIBrowser(t, 60*time.Second)
	step, do, text, screenshot := b.step, b.do, b.text, b.screenshot
	step("open Keyward", chromedp.Navigate(s.URL+"/"))
	b.signIn(uiOwnerEmail, uiOwnerPassword, s.URL+"/")
	step("open Notifications", chromedp.Click(chromedp.CSS(`nav a[href="/settings/notifications"]`)))
	step("send a test email", chromedp.Click(chromedp.CSS(`#test-email button`)))
	if got := text("p.flash"); !strings.Contains(got, "Test email sent to "+uiOwnerEmail) {
		t.Fatalf("flash after the test email: %q", got)
	}
	if to, msgs := mail.sent(); len(msgs) != 1 || to[0] != uiOwnerEmail {
		t.Fatalf("emails %v", to)
	}
	do("fill in a webhook",
		chromedp.SendKeys(chromedp.CSS(`#add-webhook input[name=url]`), hs.URL+"/keyward"),
		chromedp.SendKeys(chromedp.CSS(`#add-webhook input[name=secret]`), "browser-secret-123"))
	step("add the webhook", chromedp.Click(chromedp.CSS(`#add-webhook button[type=submit]`)))
	step("send a test event", chromedp.Click(chromedp.CSS(`#webhook-test button`)))
	if got := text("p.flash"); !strings.Contains(got, "Test event delivered") {
		t.Fatalf("flash after the test event: %q", got)
	}
	rc.mu.Lock()
	if len(rc.bodies) != 1 || rc.sigs[0] != signed("browser-secret-123", rc.bodies[0]) {
		t.Fatalf("webhook got %v %v", rc.bodies, rc.sigs)
	}
	rc.mu.Unlock()
	if got := text("#deliveries"); !strings.Contains(got, "Delivered") || !strings.Contains(got, "Test event") {
		t.Fatalf("deliveries: %q", got)
	}
	screenshot("webhook-desktop.png")
	step("back to Notifications", chromedp.Navigate(s.URL+"/settings/notifications"))
	do("phone viewport", chromedp.EmulateViewport(390, 844, chromedp.EmulateScale(2), chromedp.EmulateMobile, chromedp.EmulateTouch, chromedp.EmulatePortrait))
	wide, err := chromedp.Run(b.ctx, chromedp.Evaluate[bool](`document.documentElement.scrollWidth > window.innerWidth + 1`))
	if err != nil {
		t.Fatal(err)
	}
	if wide {
		t.Error("the notifications page is wider than a 390 px phone")
	}
	screenshot("notifications-phone.png")
}
