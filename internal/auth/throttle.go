package auth

import "time"

// Throttle is the rule that slows password guessing. It keeps no state: the
// caller counts recent failed sign-ins in its database, which all server
// processes share, and asks Allowed before checking a password.
//
// Below both limits every attempt is allowed. At or above either, the next
// attempt waits until Lockout after the last failure; nothing is locked for
// good, so no administrator has to unlock an account. A zero field takes its value from DefaultThrottle, so a forgotten
// field never turns throttling off.
type Throttle struct {
	Window             time.Duration // how far back the caller counts failures
	MaxAccountFailures int           // failures on one account within Window
	MaxAddressFailures int           // failures from one client address within Window
	Lockout            time.Duration // wait after the last failure once over a limit
}

// DefaultThrottle returns 5 failures per account and 20 per address in 15
// minutes, then a 15-minute wait: under 500 guesses a day at one account,
// while the policy already refuses the 10,000 a guesser would try first.
func DefaultThrottle() Throttle {
	return Throttle{
		Window:             15 * time.Minute,
		MaxAccountFailures: 5,
		MaxAddressFailures: 20,
		Lockout:            15 * time.Minute,
	}
}

// Allowed says whether a sign-in attempt may go ahead now. The counts are
// failures within t.Window for this account and for this client address;
// lastFailure is the latest failure counted in either. When not ok,
// retryAfter is how long to wait, e.g. for a Retry-After header.
func (t Throttle) Allowed(recentAccountFailures, recentAddressFailures int, lastFailure time.Time, now time.Time) (ok bool, retryAfter time.Duration) {
	t = t.withDefaults()
	if recentAccountFailures < t.MaxAccountFailures && recentAddressFailures < t.MaxAddressFailures {
		return true, 0
	}
	if wait := lastFailure.Add(t.Lockout).Sub(now); wait > 0 {
		return false, wait
	}
	return true, 0
}

func (t Throttle) withDefaults() Throttle {
	d := DefaultThrottle()
	if t.Window <= 0 {
		t.Window = d.Window
	}
	if t.MaxAccountFailures <= 0 {
		t.MaxAccountFailures = d.MaxAccountFailures
	}
	if t.MaxAddressFailures <= 0 {
		t.MaxAddressFailures = d.MaxAddressFailures
	}
	if t.Lockout <= 0 {
		t.Lockout = d.Lockout
	}
	return t
}
