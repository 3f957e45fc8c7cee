package auth

import (
	"net/netip"
	"time"
)

// Throttle is the rule that slows password guessing without letting a
// guesser lock the account's owner out. It keeps no state: the caller counts
// recent failed sign-ins in its database, which all server processes share,
// and asks Allowed before checking a password.
//
// Three limits apply, and an attempt waits for the longest one it is over:
//
//   - The pair limit: failures of one account from one address back off
//     exponentially (FreeAttempts free, then FirstDelay, doubling up to
//     MaxDelay after the last failure). Only the pair that failed waits.
//   - The new-address ceiling: failures of one account at one step (password,
//     or authenticator code) from every address it has not signed in from
//     (within KnownFor) share a ceiling of MaxNewAddressFailures per Window;
//     over it, unknown addresses wait until Lockout after the last such
//     failure, so a guesser spread over many addresses stays slow. An address
//     the account signed in from before is not held by it, nor is the
//     password step of an account with a second factor: its code step is.
//   - The address limit: failures from one address on any accounts, at most
//     MaxAddressFailures per Window, then Lockout after the last one.
//
// Nothing is locked for good, so no administrator has to unlock an account.
// A zero field takes its value from DefaultThrottle, so a forgotten field
// never turns throttling off.
type Throttle struct {
	Window                time.Duration // how far back the ceiling and the address limit count
	MaxNewAddressFailures int           // failures on one account from unknown addresses within Window
	MaxAddressFailures    int           // failures from one address within Window
	Lockout               time.Duration // wait after the last failure once over the ceiling or the address limit

	FreeAttempts int           // failures of one (account, address) pair before it waits
	FirstDelay   time.Duration // the pair's first wait; each further failure doubles it
	MaxDelay     time.Duration // the pair's longest wait
	PairWindow   time.Duration // how far back a pair's failures count (and never before its last sign-in)

	KnownFor   time.Duration // how long after a sign-in its address stays known to the account
	AlertAfter int           // failures since the last sign-in that make an email to the account's user
}

// DefaultThrottle: per pair 5 free failures, then 1 s, 2 s, 4 s … up to 15
// minutes; at most 10 failures per 15 minutes from all new addresses of one
// account together (under 1,000 a day, while the password policy already
// refuses the 10,000 a guesser would try first), 20 per 15 minutes from one
// address; addresses stay known for 90 days; an email after 5 failures.
func DefaultThrottle() Throttle {
	return Throttle{
		Window:                15 * time.Minute,
		MaxNewAddressFailures: 10,
		MaxAddressFailures:    20,
		Lockout:               15 * time.Minute,
		FreeAttempts:          5,
		FirstDelay:            time.Second,
		MaxDelay:              15 * time.Minute,
		PairWindow:            24 * time.Hour,
		KnownFor:              90 * 24 * time.Hour,
		AlertAfter:            5,
	}
}

// SignInCounts is what the caller counted for one attempt. A Last time is
// the latest failure counted in the number beside it.
type SignInCounts struct {
	Pair     int // failures of this account from this address since PairSince
	PairLast time.Time

	NewAddress     int // failures at this step of this account from addresses it does not know, since WindowSince
	NewAddressLast time.Time

	Address     int // failures from this address on any account, since WindowSince
	AddressLast time.Time

	KnownAddress bool // the account signed in from this address (see Known)
	SecondFactor bool // the account has an authenticator enrolled
	CodeStep     bool // the attempt is the authenticator code, after the right password
}

// Allowed says whether a sign-in attempt may go ahead now. When not ok,
// retryAfter is how long to wait, e.g. for a Retry-After header.
func (t Throttle) Allowed(c SignInCounts, now time.Time) (ok bool, retryAfter time.Duration) {
	t = t.withDefaults()
	wait := func(last time.Time, d time.Duration) {
		if w := last.Add(d).Sub(now); w > retryAfter {
			retryAfter = w
		}
	}
	if c.Pair >= t.FreeAttempts {
		wait(c.PairLast, t.pairDelay(c.Pair))
	}
	if c.NewAddress >= t.MaxNewAddressFailures && !c.KnownAddress && (c.CodeStep || !c.SecondFactor) {
		wait(c.NewAddressLast, t.Lockout)
	}
	if c.Address >= t.MaxAddressFailures {
		wait(c.AddressLast, t.Lockout)
	}
	return retryAfter <= 0, max(retryAfter, 0)
}

// pairDelay is the wait after n failures of one pair, n >= FreeAttempts.
func (t Throttle) pairDelay(n int) time.Duration {
	shift := n - t.FreeAttempts
	if shift > 40 {
		return t.MaxDelay
	}
	if d := t.FirstDelay << shift; d > 0 && d < t.MaxDelay {
		return d
	}
	return t.MaxDelay
}

// WindowSince is where the new-address ceiling and the address limit start counting.
func (t Throttle) WindowSince(now time.Time) time.Time {
	return now.Add(-t.withDefaults().Window)
}

// PairSince is where a pair's failures start counting: PairWindow back, and
// never before the account last signed in from that address (zero: never).
func (t Throttle) PairSince(now, lastSignIn time.Time) time.Time {
	since := now.Add(-t.withDefaults().PairWindow)
	if lastSignIn.After(since) {
		return lastSignIn
	}
	return since
}

// KnownSince is the oldest sign-in that still makes its address known.
func (t Throttle) KnownSince(now time.Time) time.Time {
	return now.Add(-t.withDefaults().KnownFor)
}

// Alert says whether failures since the account's last sign-in are enough
// to tell its user by email. The caller sends at most one per sign-in.
func (t Throttle) Alert(failuresSinceSignIn int) bool {
	return failuresSinceSignIn >= t.withDefaults().AlertAfter
}

// ThrottleAddress is the address a sign-in is counted against: an IPv4
// address as it is, an IPv6 address as its /64 network, since one host is
// usually given a whole /64 and picks new addresses in it at will; anything
// that is not an IP address (a test's made-up peer) as it is.
func ThrottleAddress(addr string) string {
	a, err := netip.ParseAddr(addr)
	if err != nil {
		return addr
	}
	a = a.Unmap()
	if a.Is4() {
		return a.String()
	}
	return netip.PrefixFrom(a.WithZone(""), 64).Masked().String()
}

func (t Throttle) withDefaults() Throttle {
	d := DefaultThrottle()
	setDur := func(v *time.Duration, def time.Duration) {
		if *v <= 0 {
			*v = def
		}
	}
	setInt := func(v *int, def int) {
		if *v <= 0 {
			*v = def
		}
	}
	setDur(&t.Window, d.Window)
	setInt(&t.MaxNewAddressFailures, d.MaxNewAddressFailures)
	setInt(&t.MaxAddressFailures, d.MaxAddressFailures)
	setDur(&t.Lockout, d.Lockout)
	setInt(&t.FreeAttempts, d.FreeAttempts)
	setDur(&t.FirstDelay, d.FirstDelay)
	setDur(&t.MaxDelay, d.MaxDelay)
	setDur(&t.PairWindow, d.PairWindow)
	setDur(&t.KnownFor, d.KnownFor)
	setInt(&t.AlertAfter, d.AlertAfter)
	return t
}
