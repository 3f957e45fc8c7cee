package notify_test

import (
	"context"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/keyward/keyward/internal/keyward"
	"github.com/keyward/keyward/internal/notify"
	"github.com/keyward/keyward/internal/store"
	"github.com/keyward/keyward/internal/store/storetest"
)

// TestSMTPDownRetried: the mail server is down when a check-out becomes
// overdue. Each attempt fails and is retried later, the outbox says so and
// the email channel counts as failing; when the mail server is back, each
// reminder goes out exactly once, and later ticks send nothing again.
func TestSMTPDownRetried(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		ctx := context.Background()
		env := b(t)
		db := env.Open(t)
		acc := db.Accounts(env.Vault)
		owner, _, err := acc.Init(ctx, store.InitInput{Org: "Acme", Email: "owner@acme.test", Password: "correct horse battery"})
		if err != nil {
			t.Fatal(err)
		}
		a := keyward.Actor{UserID: owner.ID, Email: owner.Email, Role: owner.Role}
		kw, _ := db.Directory().CreateKeyway(ctx, a, keyward.KeywayInput{Name: "SC1", DuplicationPolicy: "open"})
		h, _ := db.Directory().CreateHolder(ctx, a, keyward.HolderInput{Name: "Dana", Email: "dana@acme.test"})
		k, err := db.Custody().CreateKey(ctx, a, keyward.KeyInput{KeywayID: kw.ID, Symbol: "AA1"})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := db.Custody().Checkout(ctx, a, k.ID, keyward.CheckoutInput{HolderID: h.ID, DueAt: env.Clock.Now().Add(time.Hour)}); err != nil {
			t.Fatal(err)
		}
		// An address where nothing listens: the mail server is down.
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		addr := ln.Addr().String()
		ln.Close()
		outbox := db.Notifications(env.Vault)
		d := notify.NewDispatcher(notify.Config{Outbox: outbox, SMTPAddr: addr, SMTPFrom: "keyward@acme.test"})

		env.Clock.Advance(2 * time.Hour)
		for range 3 {
			d.Tick(ctx)
			env.Clock.Advance(10 * time.Minute) // past each backoff so far
		}
		stats, err := outbox.OutboxStats(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if stats["pending"] == 0 || stats["sent"] != 0 || stats["failed"] != 0 {
			t.Fatalf("with the mail server down: outbox %v, want pending reminders, none sent or given up", stats)
		}
		pending := stats["pending"]

		mail := newSMTPServerAt(t, addr)
		env.Clock.Advance(time.Hour)
		for range 4 {
			d.Tick(ctx)
			env.Clock.Advance(time.Hour)
		}
		mail.mu.Lock()
		n, rcpt := len(mail.msgs), strings.Join(mail.rcpt, ",")
		mail.mu.Unlock()
		if n != pending || !strings.Contains(rcpt, "dana@acme.test") {
			t.Fatalf("%d emails once the mail server was back (recipients %s), want exactly %d", n, rcpt, pending)
		}
		seen := map[string]bool{}
		for _, r := range mail.rcpt {
			if seen[r] {
				t.Fatalf("%s got the reminder twice", r)
			}
			seen[r] = true
		}
		stats, _ = outbox.OutboxStats(ctx)
		if stats["sent"] != pending || stats["pending"] != 0 {
			t.Fatalf("outbox after recovery: %v", stats)
		}
	})
}
