package notify_test

import (
	"bufio"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/keyward/keyward/internal/keyward"
	"github.com/keyward/keyward/internal/notify"
	"github.com/keyward/keyward/internal/store"
	"github.com/keyward/keyward/internal/store/storetest"
)

// receiver is a real HTTP endpoint that records webhook deliveries.
type receiver struct {
	mu     sync.Mutex
	bodies [][]byte
	sigs   []string
	fail   int // answer 503 to this many requests first
}

func (rc *receiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	b, _ := io.ReadAll(r.Body)
	rc.mu.Lock()
	defer rc.mu.Unlock()
	if rc.fail > 0 {
		rc.fail--
		w.WriteHeader(http.StatusServiceUnavailable)
		return
	}
	rc.bodies = append(rc.bodies, b)
	rc.sigs = append(rc.sigs, r.Header.Get(notify.SignatureHeader))
}

// smtpServer is a real SMTP listener on loopback that keeps each message.
type smtpServer struct {
	ln   net.Listener
	mu   sync.Mutex
	msgs []string
	rcpt []string
}

func newSMTPServer(t *testing.T) *smtpServer { return newSMTPServerAt(t, "127.0.0.1:0") }

// newSMTPServerAt listens on addr (a server that was down coming back).
func newSMTPServerAt(t *testing.T, addr string) *smtpServer {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	s := &smtpServer{ln: ln}
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go s.session(c)
		}
	}()
	t.Cleanup(func() { ln.Close() })
	return s
}

func (s *smtpServer) session(c net.Conn) {
	defer c.Close()
	r := bufio.NewReader(c)
	say := func(l string) { io.WriteString(c, l+"\r\n") }
	say("220 test ESMTP")
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			return
		}
		cmd := strings.ToUpper(strings.TrimSpace(line))
		switch {
		case strings.HasPrefix(cmd, "EHLO"), strings.HasPrefix(cmd, "HELO"):
			say("250 test")
		case strings.HasPrefix(cmd, "MAIL FROM"):
			say("250 ok")
		case strings.HasPrefix(cmd, "RCPT TO"):
			s.mu.Lock()
			s.rcpt = append(s.rcpt, strings.Trim(strings.TrimSpace(line[8:]), "<>"))
			s.mu.Unlock()
			say("250 ok")
		case cmd == "DATA":
			say("354 go on")
			var b strings.Builder
			for {
				l, err := r.ReadString('\n')
				if err != nil {
					return
				}
				if l == ".\r\n" {
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

func TestOverdueExactlyOnce(t *testing.T) {
	storetest.Each(t, testOverdueExactlyOnce)
}

// testOverdueExactlyOnce runs two dispatchers on two database handles (two
// server processes) and checks one webhook and one email per recipient per
// overdue check-out, with a signature the receiver can verify.
func testOverdueExactlyOnce(t *testing.T, b storetest.Backend) {
	ctx := context.Background()
	env := b(t)
	db1, db2 := env.Open(t), env.Open(t)
	acc := db1.Accounts(env.Vault)
	owner, _, err := acc.Init(ctx, store.InitInput{Org: "Acme", Email: "owner@acme.test", Password: "correct horse battery"})
	if err != nil {
		t.Fatal(err)
	}
	sys := keyward.SystemActor("test")
	if _, _, err := acc.CreateUser(ctx, sys, store.UserInput{Email: "manager@acme.test", Role: keyward.RoleManager}); err != nil {
		t.Fatal(err)
	}
	a := keyward.Actor{UserID: owner.ID, Email: owner.Email, Role: owner.Role}
	rc := &receiver{fail: 1}
	hs := httptest.NewServer(rc)
	defer hs.Close()
	const secret = "whsec-test-secret-1234"
	if _, err := db1.Notifications(env.Vault).CreateWebhook(ctx, a, keyward.WebhookInput{URL: hs.URL + "/hook", Secret: secret, Events: []string{keyward.EventCheckoutOverdue}}); err != nil {
		t.Fatal(err)
	}
	kw, _ := db1.Directory().CreateKeyway(ctx, a, keyward.KeywayInput{Name: "SC1", DuplicationPolicy: "open"})
	h, _ := db1.Directory().CreateHolder(ctx, a, keyward.HolderInput{Name: "Dana", Email: "dana@acme.test"})
	var keys []*keyward.Key
	for range 3 {
		k, err := db1.Custody().CreateKey(ctx, a, keyward.KeyInput{KeywayID: kw.ID, Symbol: "AA1"})
		if err != nil {
			t.Fatal(err)
		}
		keys = append(keys, k)
	}
	for i, k := range keys {
		if _, err := db1.Custody().Checkout(ctx, a, k.ID, keyward.CheckoutInput{HolderID: h.ID, DueAt: env.Clock.Now().Add(time.Duration(i+1) * time.Hour)}); err != nil {
			t.Fatal(err)
		}
	}
	// The third key comes back before it is due: no reminder for it.
	if _, err := db1.Custody().Checkin(ctx, a, keys[2].ID, keyward.CheckinInput{}); err != nil {
		t.Fatal(err)
	}
	mail := newSMTPServer(t)
	dispatchers := []*notify.Dispatcher{}
	for _, db := range []*store.DB{db1, db2} {
		dispatchers = append(dispatchers, notify.NewDispatcher(notify.Config{Outbox: db.Notifications(env.Vault), AllowPrivate: true,
			SMTPAddr: mail.ln.Addr().String(), SMTPFrom: "keyward@acme.test"}))
	}
	tickAll := func() {
		var wg sync.WaitGroup
		for _, d := range dispatchers {
			for range 2 {
				wg.Add(1)
				go func() { defer wg.Done(); d.Tick(ctx) }()
			}
		}
		wg.Wait()
	}
	tickAll() // nothing is overdue yet
	if len(rc.bodies) != 0 || len(mail.msgs) != 0 {
		t.Fatalf("reminders before anything was due: %d webhooks, %d mails", len(rc.bodies), len(mail.msgs))
	}
	env.Clock.Advance(5 * time.Hour)
	tickAll()
	// The receiver failed the first attempt: that delivery waits for its backoff.
	env.Clock.Advance(time.Hour)
	tickAll()
	tickAll()
	rc.mu.Lock()
	defer rc.mu.Unlock()
	if len(rc.bodies) != 2 {
		t.Fatalf("%d webhook deliveries, want exactly 2 (one per overdue check-out)", len(rc.bodies))
	}
	seen := map[string]bool{}
	for i, body := range rc.bodies {
		m := hmac.New(sha256.New, []byte(secret))
		m.Write(body)
		if rc.sigs[i] != "sha256="+hex.EncodeToString(m.Sum(nil)) {
			t.Fatalf("bad signature %q", rc.sigs[i])
		}
		var ev struct {
			Event string `json:"event"`
			At    string `json:"at"`
			Data  struct {
				KeyID      string `json:"key_id"`
				CheckoutID string `json:"checkout_id"`
			} `json:"data"`
		}
		if err := json.Unmarshal(body, &ev); err != nil || ev.Event != "checkout.overdue" || ev.At == "" {
			t.Fatalf("delivery %s: %v", body, err)
		}
		if seen[ev.Data.CheckoutID] {
			t.Fatalf("check-out %s delivered twice", ev.Data.CheckoutID)
		}
		seen[ev.Data.CheckoutID] = true
		if ev.Data.KeyID == keys[2].ID {
			t.Fatal("a key checked in on time got a reminder")
		}
	}
	mail.mu.Lock()
	defer mail.mu.Unlock()
	// Two overdue check-outs × (holder + the manager).
	if len(mail.msgs) != 4 {
		t.Fatalf("%d emails, want 4; recipients %v", len(mail.msgs), mail.rcpt)
	}
	if !strings.Contains(strings.Join(mail.rcpt, ","), "dana@acme.test") || !strings.Contains(strings.Join(mail.rcpt, ","), "manager@acme.test") {
		t.Fatalf("recipients %v", mail.rcpt)
	}
	if !strings.Contains(mail.msgs[0], "Subject: Overdue key AA1-") {
		t.Fatalf("mail = %s", mail.msgs[0])
	}
	stats, _ := db2.Notifications(env.Vault).OutboxStats(ctx)
	if stats["sent"] != 6 || stats["pending"] != 0 {
		t.Fatalf("outbox = %v", stats)
	}
}

func TestCheckURL(t *testing.T) {
	ctx := context.Background()
	for _, u := range []string{"http://127.0.0.1:9/x", "http://localhost/x", "http://10.1.2.3/", "http://192.168.0.1/", "http://[::1]/", "http://169.254.169.254/latest"} {
		if err := notify.CheckURL(ctx, u, false); keyward.ErrorCode(err) != keyward.EINVALID {
			t.Errorf("%s: %v, want refused", u, err)
		}
		if err := notify.CheckURL(ctx, u, true); err != nil {
			t.Errorf("%s allowed: %v", u, err)
		}
	}
	if err := notify.CheckURL(ctx, "http://203.0.113.10/hook", false); err != nil {
		t.Errorf("public address refused: %v", err)
	}
}

func TestSign(t *testing.T) {
	got := notify.Sign("key", []byte("The quick brown fox jumps over the lazy dog"))
	// HMAC-SHA256 test value from Wikipedia's HMAC article.
	if got != "sha256=f7bc83f430538424b13298e6aa6fb143ef4d59a14946175997479dbc2d1a3cd8" {
		t.Fatalf("Sign = %s", got)
	}
}

// TestSignInAlertMailedOnce: failed sign-ins seen by two server processes
// reach the account's user as one email, sent by whichever dispatcher claims it.
func TestSignInAlertMailedOnce(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		ctx := context.Background()
		env := b(t)
		db1, db2 := env.Open(t), env.Open(t)
		if _, _, err := db1.Accounts(env.Vault).Init(ctx, store.InitInput{Org: "Acme", Email: "owner@acme.test", Password: "correct horse battery"}); err != nil {
			t.Fatal(err)
		}
		env.Clock.Advance(time.Minute)
		procs := []*store.Accounts{db1.Accounts(env.Vault).EmailSignInAlerts(true), db2.Accounts(env.Vault).EmailSignInAlerts(true)}
		for i := range 8 {
			if _, err := procs[i%2].Authenticate(ctx, "owner@acme.test", "hunter2 guess", "203.0.113.7"); keyward.ErrorCode(err) != keyward.EUNAUTHORIZED {
				t.Fatalf("guess %d: %v", i, err)
			}
			env.Clock.Advance(time.Minute)
		}
		mail := newSMTPServer(t)
		var wg sync.WaitGroup
		for _, db := range []*store.DB{db1, db2, db1, db2} {
			d := notify.NewDispatcher(notify.Config{Outbox: db.Notifications(env.Vault), SMTPAddr: mail.ln.Addr().String(), SMTPFrom: "keyward@acme.test"})
			wg.Add(1)
			go func() { defer wg.Done(); d.Tick(ctx) }()
		}
		wg.Wait()
		mail.mu.Lock()
		defer mail.mu.Unlock()
		if len(mail.msgs) != 1 || len(mail.rcpt) != 1 || mail.rcpt[0] != "owner@acme.test" {
			t.Fatalf("%d emails to %v, want 1 to owner@acme.test", len(mail.msgs), mail.rcpt)
		}
		msg := mail.msgs[0]
		if !strings.Contains(msg, "Subject: Failed sign-ins to your Keyward account") ||
			!strings.Contains(msg, "5 failed sign-in attempts") || !strings.Contains(msg, "203.0.113.7") || strings.Contains(msg, "hunter2") {
			t.Fatalf("mail = %s", msg)
		}
	})
}
