package storetest

import (
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/keyward/keyward/internal/auth"
	"github.com/keyward/keyward/internal/keyward"
	"github.com/keyward/keyward/internal/store"
)

// guessFor makes 50 wrong-password attempts at email from addr, one a
// second, taking turns between the given server processes, and returns the
// answers as a string of "u" (checked, 401) and "t" (refused, 429).
func guessFor(t *testing.T, f *fixture, email, addr string, procs ...*store.Accounts) string {
	t.Helper()
	var out []byte
	for i := range 50 {
		_, err := procs[i%len(procs)].Authenticate(ctx, email, "wrong password", addr)
		switch keyward.ErrorCode(err) {
		case keyward.EUNAUTHORIZED:
			out = append(out, 'u')
		case keyward.ETOOMANY:
			out = append(out, 't')
		default:
			t.Fatalf("guess %d: %v", i, err)
		}
		f.env.Clock.Advance(time.Second)
	}
	return string(out)
}

func retryAfter(err error) any {
	if e, ok := err.(*keyward.Error); ok {
		return e.Extra["retry_after"]
	}
	return nil
}

// testSignInThrottle is the attack of issue 10: a guesser hammers the
// owner's account from address A (taking turns between two server
// processes). The owner still signs in from B, where they signed in before;
// a new address C waits once the account is over its new-address ceiling,
// unless the account has an authenticator; an unknown email is throttled
// exactly alike; the owner is told once by email and once at sign-in.
func testSignInThrottle(t *testing.T, b Backend) {
	f := setup(t, b)
	acc := f.db.Accounts(f.env.Vault).EmailSignInAlerts(true)
	other := f.env.Open(t).Accounts(f.env.Vault).EmailSignInAlerts(true)
	const a, home, c = "203.0.113.7", "198.51.100.9", "192.0.2.44"
	u := must[*keyward.User](t)(acc.Authenticate(ctx, "owner@acme.test", "correct horse battery", home))
	if got := must[store.FailedSignIns](t)(acc.RecordSignIn(ctx, u.ID, home)); got.Count != 0 {
		t.Fatalf("first sign-in notice = %+v, want none", got)
	}
	f.env.Clock.Advance(time.Minute)
	start := f.env.Clock.Now()

	// 5 free guesses, then 1, 2, 4 and 8 s apart, then the new-address ceiling (10).
	want := "uuuuuu" + "tu" + "tttu" + strings.Repeat("t", 7) + "u" + strings.Repeat("t", 15) + "u" + strings.Repeat("t", 14)
	if got := guessFor(t, f, "owner@acme.test", a, acc, other); got != want {
		t.Fatalf("answers to 50 guesses:\n got %s\nwant %s", got, want)
	}
	// The same guesses at an email that has no account get the same answers.
	if got := guessFor(t, f, "nobody@acme.test", "203.0.113.8", acc, other); got != want {
		t.Fatalf("answers to 50 guesses at an unknown email:\n got %s\nwant %s", got, want)
	}

	// The owner at home gets in, from either process.
	if _, err := other.Authenticate(ctx, "owner@acme.test", "correct horse battery", home); err != nil {
		t.Fatalf("the owner at a known address during the attack: %v", err)
	}
	// A new address waits, with the right password too: until 15 minutes
	// after the 10th failure (35 s into the attack, now 100 s in).
	_, err := acc.Authenticate(ctx, "owner@acme.test", "correct horse battery", c)
	wantCode(t, err, keyward.ETOOMANY)
	if got := retryAfter(err); got != 835 {
		t.Fatalf("retry_after = %v, want 835", got)
	}
	// With an authenticator, the password step lets it through to the code.
	secret := auth.NewTOTPSecret()
	code, _ := auth.TOTPCode(secret, f.env.Clock.Now())
	if err := acc.EnrolTOTP(ctx, f.owner, secret, code); err != nil {
		t.Fatal(err)
	}
	if u, err := acc.Authenticate(ctx, "owner@acme.test", "correct horse battery", c); err != nil || !u.TOTPEnabled {
		t.Fatalf("a new address with an authenticator: %v", err)
	}

	// One email, from the 5th failure on, however many processes saw them.
	if n := count(t, f, `SELECT COUNT(*) FROM outbox WHERE kind = 'email' AND target = 'owner@acme.test' AND event = '`+store.EventSignInFailures+`'`); n != 1 {
		t.Fatalf("%d failed sign-in emails to the owner, want 1", n)
	}
	if n := count(t, f, `SELECT COUNT(*) FROM outbox WHERE event = '`+store.EventSignInFailures+`'`); n != 1 {
		t.Fatalf("%d failed sign-in emails in all (none for an unknown email), want 1", n)
	}
	// The notice at the next completed sign-in, then never again.
	got := must[store.FailedSignIns](t)(other.RecordSignIn(ctx, u.ID, c))
	if got.Count != 10 || got.LastAddr != a || !got.LastAt.Equal(start.Add(35*time.Second)) {
		t.Fatalf("notice = %+v, want 10 from %s at %v", got, a, start.Add(35*time.Second))
	}
	if got := must[store.FailedSignIns](t)(acc.RecordSignIn(ctx, u.ID, c)); got.Count != 0 {
		t.Fatalf("second notice = %+v, want none", got)
	}
	// Wrong codes back off per pair too, at a known address as well.
	f.env.Clock.Advance(time.Second)
	for range 5 {
		wantCode(t, acc.CheckSignInCode(ctx, u.ID, "000000x", c), keyward.EUNAUTHORIZED)
	}
	next, _ := auth.TOTPCode(secret, f.env.Clock.Now().Add(30*time.Second))
	err = other.CheckSignInCode(ctx, u.ID, next, c)
	wantCode(t, err, keyward.ETOOMANY)
	if got := retryAfter(err); got != 1 {
		t.Fatalf("retry_after after 5 wrong codes = %v, want 1", got)
	}
	f.env.Clock.Advance(30 * time.Second)
	if err := other.CheckSignInCode(ctx, u.ID, next, c); err != nil {
		t.Fatalf("the right code after the wait: %v", err)
	}
	if n := count(t, f, `SELECT COUNT(*) FROM login_failures WHERE step = 'code' AND addr = '`+c+`'`); n != 5 {
		t.Fatalf("%d wrong codes recorded, want 5", n)
	}

	// Sign-ins and the alert are in the audit log, which still verifies.
	auditCount(t, f)
	if n := count(t, f, `SELECT COUNT(*) FROM audit_log WHERE action = 'user.sign_in'`); n != 3 {
		t.Fatalf("%d sign-in audit records, want 3", n)
	}
	// One alert for the guesses, one for the 5 wrong codes since the last sign-in.
	if n := count(t, f, `SELECT COUNT(*) FROM audit_log WHERE action = 'user.sign_in_alert'`); n != 2 {
		t.Fatalf("%d alert audit records, want 2", n)
	}
	if n := count(t, f, `SELECT COUNT(*) FROM outbox WHERE event = '`+store.EventSignInFailures+`'`); n != 2 {
		t.Fatalf("%d failed sign-in emails in all, want 2", n)
	}

	// C is known now; after 90 days without a sign-in it is not, and its row goes.
	f.env.Clock.Advance(91 * 24 * time.Hour)
	p := must[store.Pruned](t)(f.db.Prune(ctx))
	if p.KnownAddresses != 2 || p.SignInAlerts != 2 {
		t.Fatalf("pruned %+v, want 2 known addresses and 2 alerts", p)
	}
}

// testSignInAlertOnce: failures that cross the alert threshold at the same
// moment in two server processes queue one email.
func testSignInAlertOnce(t *testing.T, b Backend) {
	f := setup(t, b)
	procs := []*store.Accounts{f.db.Accounts(f.env.Vault).EmailSignInAlerts(true), f.env.Open(t).Accounts(f.env.Vault).EmailSignInAlerts(true)}
	f.env.Clock.Advance(time.Minute)
	var wg sync.WaitGroup
	errs := make(chan error, 12)
	for i := range 12 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := procs[i%2].Authenticate(ctx, "owner@acme.test", "wrong password", fmt.Sprintf("203.0.113.%d", i))
			if keyward.ErrorCode(err) != keyward.EUNAUTHORIZED {
				errs <- err
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatalf("a concurrent guess: %v", err)
	}
	if n := count(t, f, `SELECT COUNT(*) FROM outbox WHERE event = '`+store.EventSignInFailures+`'`); n != 1 {
		t.Fatalf("%d failed sign-in emails, want 1", n)
	}
	auditCount(t, f)
}

func count(t *testing.T, f *fixture, q string) int64 {
	t.Helper()
	n, err := f.env.SQL().Count(q)
	if err != nil {
		t.Fatal(err)
	}
	return n
}
