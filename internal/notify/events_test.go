package notify_test

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
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

// TestEventsDeliveredOnce: each event beyond checkout.overdue is queued in
// the transaction of the change that causes it (a refused change queues
// nothing), carries no secret, and reaches a real HTTP receiver exactly once
// with a valid signature, however many dispatchers on however many database
// handles run at once.
func TestEventsDeliveredOnce(t *testing.T) {
	storetest.Each(t, testEventsDeliveredOnce)
}

func testEventsDeliveredOnce(t *testing.T, b storetest.Backend) {
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
	manager := keyward.Actor{UserID: "usr_manager", Email: "manager@acme.test", Role: keyward.RoleManager}
	notes := db1.Notifications(env.Vault)
	rc := &receiver{}
	hs := httptest.NewServer(rc)
	defer hs.Close()
	const secret = "whsec-events-secret-5678"
	if _, err := notes.CreateWebhook(ctx, a, keyward.WebhookInput{URL: hs.URL + "/hook", Secret: secret, Events: keyward.WebhookEvents}); err != nil {
		t.Fatal(err)
	}
	// A found key emails a fixed address the organization chose.
	if _, err := notes.SetRecipients(ctx, a, keyward.RecipientRule{Event: keyward.EventKeyFound, Addresses: []string{"Desk@Acme.test"}}); err != nil {
		t.Fatal(err)
	}

	dir, cus := db1.Directory(), db1.Custody()
	kw, _ := dir.CreateKeyway(ctx, a, keyward.KeywayInput{Name: "SC1", DuplicationPolicy: "open"})
	h, _ := dir.CreateHolder(ctx, a, keyward.HolderInput{Name: "Dana", Email: "dana@acme.test"})
	site, err := dir.CreateSite(ctx, a, keyward.SiteInput{Name: "HQ"})
	if err != nil {
		t.Fatal(err)
	}
	door, err := dir.CreateOpening(ctx, a, keyward.OpeningInput{SiteID: site.ID, Name: "Front door", Kind: "door"})
	if err != nil {
		t.Fatal(err)
	}
	key, err := cus.CreateKey(ctx, a, keyward.KeyInput{KeywayID: kw.ID, Symbol: "AA1"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := cus.Move(ctx, a, key.ID, keyward.CustodyIssue, keyward.CustodyInput{HolderID: h.ID}); err != nil {
		t.Fatal(err)
	}
	st := db1.Storage(env.Vault)
	const lockboxCode = "8642"
	box, err := st.Create(ctx, a, keyward.StorageInput{Kind: keyward.StorageLockbox, Name: "Side gate box", Code: lockboxCode})
	if err != nil {
		t.Fatal(err)
	}
	env1, err := st.Create(ctx, a, keyward.StorageInput{Kind: keyward.StorageEnvelope, Name: "Spare master", SealNumber: "S-100"})
	if err != nil {
		t.Fatal(err)
	}
	const pin = "975310"
	cred, err := db1.Credentials(env.Vault).Issue(ctx, a, keyward.CredentialInput{Kind: keyward.CredentialPIN, Label: "Dana's keypad", PIN: pin, HolderID: h.ID, OpeningIDs: []string{door.ID}})
	if err != nil {
		t.Fatal(err)
	}
	ks := db1.KeySystems(env.Vault)
	system, err := ks.CreateKeySystem(ctx, a, keyward.KeySystemInput{Name: "HQ system", Manufacturer: "schlage_sc4", TMK: "555555",
		Levels: []keyward.KeySystemLevel{{Level: "master", Sequence: []int{1}}, {Level: "change", Sequence: []int{2, 3}}}})
	if err != nil {
		t.Fatal(err)
	}

	sq := env.SQL()
	queued := func(event string) int64 {
		t.Helper()
		n, err := sq.Count(`SELECT COUNT(*) FROM outbox WHERE kind = 'webhook' AND event = ?`, event)
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	// step makes one change, then checks that it queued exactly one delivery of its event.
	step := func(event string, change func() error) {
		t.Helper()
		before := queued(event)
		if err := change(); err != nil {
			t.Fatalf("%s: %v", event, err)
		}
		if n := queued(event) - before; n != 1 {
			t.Fatalf("%s: %d deliveries queued with the change, want 1", event, n)
		}
	}
	// refused tries a change that must fail, and checks it queued nothing.
	refused := func(event string, change func() error) {
		t.Helper()
		before := queued(event)
		if err := change(); err == nil {
			t.Fatalf("%s: a change that should be refused went through", event)
		}
		if n := queued(event) - before; n != 0 {
			t.Fatalf("%s: a refused change queued %d deliveries", event, n)
		}
	}
	move := func(action string) func() error {
		return func() error {
			_, err := cus.Move(ctx, a, key.ID, action, keyward.CustodyInput{Note: "left on the bus"})
			return err
		}
	}
	refused(keyward.EventKeyFound, move(keyward.CustodyFound)) // not lost yet
	step(keyward.EventKeyLost, move(keyward.CustodyLost))
	refused(keyward.EventKeyLost, move(keyward.CustodyLost)) // already lost
	step(keyward.EventKeyFound, move(keyward.CustodyFound))

	refused(keyward.EventSealBroken, func() error {
		_, err := st.BreakSeal(ctx, a, env1.ID, keyward.BreakSealInput{Reason: "audit", NewSealNumber: "S-100"})
		return err
	})
	step(keyward.EventSealBroken, func() error {
		_, err := st.BreakSeal(ctx, a, env1.ID, keyward.BreakSealInput{Reason: "spare needed", NewSealNumber: "S-101"})
		return err
	})
	// Putting a key in and taking it out break the seal too, each once.
	step(keyward.EventSealBroken, func() error {
		_, err := st.Assign(ctx, a, env1.ID, keyward.HookInput{KeyID: key.ID, NewSealNumber: "S-102", Reason: "spare sealed in"})
		return err
	})
	step(keyward.EventSealBroken, func() error {
		return st.Unassign(ctx, a, key.ID, keyward.ResealInput{NewSealNumber: "S-103", Reason: "spare taken out"})
	})

	refused(keyward.EventSecretRevealed, func() error {
		_, err := st.RevealCode(ctx, manager, box.ID, keyward.CodeRevealInput{Reason: "not allowed"})
		return err
	})
	var revealed []string
	step(keyward.EventSecretRevealed, func() error {
		code, err := st.RevealCode(ctx, a, box.ID, keyward.CodeRevealInput{Reason: "contractor visit"})
		revealed = append(revealed, code.Reveal())
		return err
	})
	step(keyward.EventSecretRevealed, func() error {
		p, err := db1.Credentials(env.Vault).RevealPIN(ctx, a, cred.ID, keyward.CodeRevealInput{Reason: "forgot it"})
		revealed = append(revealed, p.Reveal())
		return err
	})
	step(keyward.EventSecretRevealed, func() error {
		bs, err := ks.Reveal(ctx, a, system.ID, keyward.RevealInput{Reason: "cut a spare"})
		for _, b := range bs {
			revealed = append(revealed, b.Bitting)
		}
		return err
	})
	if len(revealed) < 4 || revealed[0] != lockboxCode || revealed[1] != pin {
		t.Fatalf("revealed %v", revealed)
	}

	step(keyward.EventOffboardingOpened, func() error {
		_, err := db1.Offboarding().Start(ctx, a, h.ID, keyward.OffboardingInput{Note: "moving out"})
		return err
	})
	refused(keyward.EventOffboardingOpened, func() error {
		_, err := db1.Offboarding().Start(ctx, a, h.ID, keyward.OffboardingInput{})
		return err
	})

	mail := newSMTPServer(t)
	var wg sync.WaitGroup
	for range 2 {
		for _, db := range []*store.DB{db1, db2} {
			d := notify.NewDispatcher(notify.Config{Outbox: db.Notifications(env.Vault), AllowPrivate: true, SMTPAddr: mail.ln.Addr().String(), SMTPFrom: "keyward@acme.test"})
			wg.Add(1)
			go func() { defer wg.Done(); d.Tick(ctx) }()
		}
	}
	wg.Wait()

	rc.mu.Lock()
	defer rc.mu.Unlock()
	got := map[string]int{}
	for i, body := range rc.bodies {
		m := hmac.New(sha256.New, []byte(secret))
		m.Write(body)
		if rc.sigs[i] != "sha256="+hex.EncodeToString(m.Sum(nil)) {
			t.Fatalf("bad signature %q on %s", rc.sigs[i], body)
		}
		var ev struct {
			Event string          `json:"event"`
			At    string          `json:"at"`
			Data  json.RawMessage `json:"data"`
		}
		if err := json.Unmarshal(body, &ev); err != nil || ev.At == "" || len(ev.Data) < 3 {
			t.Fatalf("delivery %s: %v", body, err)
		}
		got[ev.Event]++
		for _, s := range revealed {
			if strings.Contains(string(body), `"`+s+`"`) || strings.Contains(string(body), ":"+s) {
				t.Fatalf("%s carries a revealed secret %q: %s", ev.Event, s, body)
			}
		}
		if ev.Event == keyward.EventSecretRevealed && !strings.Contains(string(ev.Data), `"reason"`) {
			t.Fatalf("secret.revealed says no reason: %s", body)
		}
	}
	want := map[string]int{keyward.EventKeyLost: 1, keyward.EventKeyFound: 1, keyward.EventSealBroken: 3, keyward.EventSecretRevealed: 3, keyward.EventOffboardingOpened: 1}
	for e, n := range want {
		if got[e] != n {
			t.Errorf("%s delivered %d times, want %d (all: %v)", e, got[e], n, got)
		}
	}
	if len(rc.bodies) != 9 {
		t.Errorf("%d deliveries, want 9: %v", len(rc.bodies), got)
	}

	mail.mu.Lock()
	defer mail.mu.Unlock()
	// Defaults: lost, 3 seals, 3 reveals → the manager (7); the chosen address for the found key (1).
	rcpt := strings.Join(mail.rcpt, ",")
	if len(mail.msgs) != 8 || strings.Count(rcpt, "manager@acme.test") != 7 || strings.Count(rcpt, "desk@acme.test") != 1 {
		t.Fatalf("%d emails to %v, want 7 to the manager and 1 to desk@acme.test", len(mail.msgs), mail.rcpt)
	}
	for _, msg := range mail.msgs {
		for _, s := range revealed {
			if strings.Contains(msg, s) {
				t.Fatalf("email carries a revealed secret %q:\n%s", s, msg)
			}
		}
	}
	stats, _ := db2.Notifications(env.Vault).OutboxStats(ctx)
	if stats["sent"] != 17 || stats["pending"] != 0 { // 9 webhook deliveries and 8 emails
		t.Fatalf("outbox = %v", stats)
	}
}

// TestFailingWebhookRecorded: a receiver that keeps failing is recorded with
// each attempt, in words, and after keyward.FailingAfter failures in a row
// the webhook is listed as failing; one success clears it. An email that
// cannot be sent is recorded the same way.
func TestFailingWebhookRecorded(t *testing.T) {
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
		var mu sync.Mutex
		status := http.StatusInternalServerError
		hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			mu.Lock()
			defer mu.Unlock()
			w.WriteHeader(status)
		}))
		defer hs.Close()
		notes := db.Notifications(env.Vault)
		hook, err := notes.CreateWebhook(ctx, a, keyward.WebhookInput{URL: hs.URL, Secret: "s3cret-value", Events: []string{keyward.EventKeyLost}})
		if err != nil {
			t.Fatal(err)
		}
		// A mail server that is not there: a closed port refuses connections.
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		gone := ln.Addr().String()
		ln.Close()
		d := notify.NewDispatcher(notify.Config{Outbox: notes, AllowPrivate: true, SMTPAddr: gone, SMTPFrom: "k@acme.test"})
		for i := range keyward.FailingAfter {
			id, err := notes.QueueWebhookTest(ctx, a, hook.ID)
			if err != nil {
				t.Fatal(err)
			}
			if err := d.DeliverNow(ctx, id); err == nil || !strings.Contains(err.Error(), "the receiving server answered 500") {
				t.Fatalf("attempt %d: %v, want the 500 in words", i+1, err)
			}
			failing, err := notes.Failing(ctx, a)
			if err != nil {
				t.Fatal(err)
			}
			if want := i+1 >= keyward.FailingAfter; (len(failing) == 1) != want {
				t.Fatalf("after %d failures: failing = %+v", i+1, failing)
			}
		}
		failing, _ := notes.Failing(ctx, a)
		if failing[0].Channel != hook.ID || failing[0].Name != hs.URL || failing[0].Failures != keyward.FailingAfter || failing[0].LastFailedAt == nil {
			t.Fatalf("failing = %+v", failing[0])
		}
		ds, _ := notes.Deliveries(ctx, a, hook.ID, 10)
		if len(ds) != keyward.FailingAfter || ds[0].Status != "pending" || ds[0].Attempts != 1 || !strings.Contains(ds[0].LastError, "answered 500") || ds[0].NextAt == nil {
			t.Fatalf("deliveries = %+v", ds)
		}
		mu.Lock()
		status = http.StatusNoContent
		mu.Unlock()
		id, _ := notes.QueueWebhookTest(ctx, a, hook.ID)
		if err := d.DeliverNow(ctx, id); err != nil {
			t.Fatal(err)
		}
		if failing, _ := notes.Failing(ctx, a); len(failing) != 0 {
			t.Fatalf("still failing after a success: %+v", failing)
		}
		// A paused webhook gets no new events; a deleted one cancels what waits.
		paused := true
		if _, err := notes.UpdateWebhook(ctx, a, hook.ID, keyward.WebhookPatch{Paused: &paused}); err != nil {
			t.Fatal(err)
		}
		sq := env.SQL()
		kw, _ := db.Directory().CreateKeyway(ctx, a, keyward.KeywayInput{Name: "SC1", DuplicationPolicy: "open"})
		k, _ := db.Custody().CreateKey(ctx, a, keyward.KeyInput{KeywayID: kw.ID, Symbol: "AA1"})
		if _, err := db.Custody().Move(ctx, a, k.ID, keyward.CustodyLost, keyward.CustodyInput{}); err != nil {
			t.Fatal(err)
		}
		if n, _ := sq.Count(`SELECT COUNT(*) FROM outbox WHERE kind = 'webhook' AND event = ?`, keyward.EventKeyLost); n != 0 {
			t.Fatalf("a paused webhook got %d events queued", n)
		}
		if err := notes.DeleteWebhook(ctx, a, hook.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := notes.Webhook(ctx, a, hook.ID); keyward.ErrorCode(err) != keyward.ENOTFOUND {
			t.Fatalf("deleted webhook: %v", err)
		}
		if n, _ := sq.Count(`SELECT COUNT(*) FROM outbox WHERE kind = 'webhook' AND status = 'pending'`); n != 0 {
			t.Fatalf("%d deliveries still wait for a deleted webhook", n)
		}

		// Email: the key.lost above emailed the owner (no managers); the mail server refuses.
		env.Clock.Advance(time.Minute)
		d.Tick(ctx)
		eh, err := notes.EmailHealth(ctx, a)
		if err != nil {
			t.Fatal(err)
		}
		if eh.Failures != 1 || !eh.LastFailed() || !strings.Contains(eh.LastError, "refused the connection") {
			t.Fatalf("email health = %+v", eh)
		}
		// No mail server at all: a skip, not a failure of a working channel.
		off := notify.NewDispatcher(notify.Config{Outbox: notes})
		id, err = notes.QueueTestEmail(ctx, a)
		if err != nil {
			t.Fatal(err)
		}
		if err := off.DeliverNow(ctx, id); err == nil || !strings.Contains(err.Error(), "not set up") {
			t.Fatalf("no mail server: %v", err)
		}
		if eh2, _ := notes.EmailHealth(ctx, a); eh2.Failures != 1 {
			t.Fatalf("a skipped email counted as a failure: %+v", eh2)
		}
	})
}
