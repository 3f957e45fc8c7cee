package auth

import (
	"testing"
	"time"
)

func TestThrottleAllowed(t *testing.T) {
	th := Throttle{Window: 15 * time.Minute, MaxNewAddressFailures: 10, MaxAddressFailures: 20, Lockout: 10 * time.Minute,
		FreeAttempts: 5, FirstDelay: time.Second, MaxDelay: 15 * time.Minute}
	last := time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)
	pair := func(n int) SignInCounts { return SignInCounts{Pair: n, PairLast: last} }
	newAddr := func(n int, known, totp bool) SignInCounts {
		return SignInCounts{NewAddress: n, NewAddressLast: last, KnownAddress: known, SecondFactor: totp}
	}
	tests := []struct {
		name      string
		c         SignInCounts
		now       time.Time
		wantOK    bool
		wantRetry time.Duration
	}{
		{"no failures", SignInCounts{}, last, true, 0},
		{"negative counts", SignInCounts{Pair: -1, NewAddress: -1, Address: -1}, last, true, 0},

		// The pair backs off exponentially after its free attempts, and only after them.
		{"pair: last free attempt", pair(4), last, true, 0},
		{"pair: first wait", pair(5), last, false, time.Second},
		{"pair: first wait over", pair(5), last.Add(time.Second), true, 0},
		{"pair: doubles", pair(6), last, false, 2 * time.Second},
		{"pair: doubles again", pair(8), last.Add(3 * time.Second), false, 5 * time.Second},
		{"pair: 512 s", pair(14), last, false, 512 * time.Second},
		{"pair: capped", pair(15), last, false, 15 * time.Minute},
		{"pair: capped far out (no overflow)", pair(500), last, false, 15 * time.Minute},
		{"pair: cap over", pair(500), last.Add(15 * time.Minute), true, 0},

		// The ceiling holds new addresses only.
		{"ceiling: one below", newAddr(9, false, false), last, true, 0},
		{"ceiling: at it, new address", newAddr(10, false, false), last, false, 10 * time.Minute},
		{"ceiling: at it, 1 s before the end", newAddr(10, false, false), last.Add(10*time.Minute - time.Second), false, time.Second},
		{"ceiling: over, lockout over", newAddr(50, false, false), last.Add(10 * time.Minute), true, 0},
		{"ceiling: known address passes", newAddr(50, true, false), last, true, 0},
		{"ceiling: second factor passes", newAddr(50, false, true), last, true, 0},
		{"ceiling: code step of a second factor is held",
			SignInCounts{NewAddress: 10, NewAddressLast: last, SecondFactor: true, CodeStep: true}, last, false, 10 * time.Minute},
		{"ceiling: code step, one below", SignInCounts{NewAddress: 9, NewAddressLast: last, SecondFactor: true, CodeStep: true}, last, true, 0},
		{"ceiling: code step at a known address passes",
			SignInCounts{NewAddress: 50, NewAddressLast: last, KnownAddress: true, SecondFactor: true, CodeStep: true}, last, true, 0},
		{"ceiling: known address still has its own pair wait",
			SignInCounts{Pair: 6, PairLast: last, NewAddress: 50, NewAddressLast: last, KnownAddress: true}, last, false, 2 * time.Second},
		{"ceiling: second factor still has its own pair wait",
			SignInCounts{Pair: 5, PairLast: last, NewAddress: 50, NewAddressLast: last, SecondFactor: true}, last.Add(500 * time.Millisecond), false, 500 * time.Millisecond},

		// The address limit (many accounts from one address) holds everyone.
		{"address: one below", SignInCounts{Address: 19, AddressLast: last}, last, true, 0},
		{"address: at it", SignInCounts{Address: 20, AddressLast: last}, last.Add(3 * time.Minute), false, 7 * time.Minute},
		{"address: at it, known address too", SignInCounts{Address: 20, AddressLast: last, KnownAddress: true, SecondFactor: true}, last, false, 10 * time.Minute},

		// Over several limits, the longest wait counts.
		{"pair and ceiling: the ceiling is longer",
			SignInCounts{Pair: 5, PairLast: last, NewAddress: 10, NewAddressLast: last.Add(-time.Minute)}, last, false, 9 * time.Minute},
		{"pair and address: the pair is longer",
			SignInCounts{Pair: 20, PairLast: last, Address: 20, AddressLast: last.Add(-time.Minute)}, last, false, 15 * time.Minute},
	}
	for _, tt := range tests {
		ok, retry := th.Allowed(tt.c, tt.now)
		if ok != tt.wantOK || retry != tt.wantRetry {
			t.Errorf("%s: Allowed(%+v) = %v, %v; want %v, %v", tt.name, tt.c, ok, retry, tt.wantOK, tt.wantRetry)
		}
	}
}

func TestThrottleZeroUsesDefaults(t *testing.T) {
	var zero Throttle
	d := DefaultThrottle()
	last := time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)
	if ok, _ := zero.Allowed(SignInCounts{Pair: d.FreeAttempts - 1, PairLast: last}, last); !ok {
		t.Errorf("zero Throttle refused a free attempt")
	}
	if ok, retry := zero.Allowed(SignInCounts{Pair: d.FreeAttempts, PairLast: last}, last); ok || retry != d.FirstDelay {
		t.Errorf("zero Throttle after the free attempts = %v, %v; want false, %v", ok, retry, d.FirstDelay)
	}
	if ok, retry := zero.Allowed(SignInCounts{Pair: 1000, PairLast: last}, last); ok || retry != d.MaxDelay {
		t.Errorf("zero Throttle far over = %v, %v; want false, %v", ok, retry, d.MaxDelay)
	}
	if ok, retry := zero.Allowed(SignInCounts{NewAddress: d.MaxNewAddressFailures, NewAddressLast: last}, last); ok || retry != d.Lockout {
		t.Errorf("zero Throttle at the default ceiling = %v, %v; want false, %v", ok, retry, d.Lockout)
	}
	if ok, _ := zero.Allowed(SignInCounts{Address: d.MaxAddressFailures, AddressLast: last}, last); ok {
		t.Errorf("zero Throttle allowed an address at the default limit")
	}
	if !zero.Alert(d.AlertAfter) || zero.Alert(d.AlertAfter-1) {
		t.Errorf("zero Throttle alerts at the wrong count")
	}
	if got := zero.WindowSince(last); got != last.Add(-d.Window) {
		t.Errorf("WindowSince = %v", got)
	}
	if got := zero.KnownSince(last); got != last.Add(-d.KnownFor) {
		t.Errorf("KnownSince = %v", got)
	}
}

func TestThrottleSince(t *testing.T) {
	th := Throttle{PairWindow: 24 * time.Hour}
	now := time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)
	tests := []struct {
		name       string
		lastSignIn time.Time
		want       time.Time
	}{
		{"never signed in from there", time.Time{}, now.Add(-24 * time.Hour)},
		{"signed in there long ago", now.Add(-48 * time.Hour), now.Add(-24 * time.Hour)},
		{"signed in there an hour ago", now.Add(-time.Hour), now.Add(-time.Hour)},
	}
	for _, tt := range tests {
		if got := th.PairSince(now, tt.lastSignIn); !got.Equal(tt.want) {
			t.Errorf("%s: PairSince = %v, want %v", tt.name, got, tt.want)
		}
	}
}

func TestThrottleAlert(t *testing.T) {
	th := Throttle{AlertAfter: 3}
	for n, want := range map[int]bool{0: false, 2: false, 3: true, 40: true} {
		if got := th.Alert(n); got != want {
			t.Errorf("Alert(%d) = %v, want %v", n, got, want)
		}
	}
}

func TestThrottleAddress(t *testing.T) {
	tests := map[string]string{
		"203.0.113.7":                   "203.0.113.7",
		"::ffff:203.0.113.7":            "203.0.113.7",
		"2001:db8:1:2:aaaa:bbbb:cccc:1": "2001:db8:1:2::/64",
		"2001:db8:1:2::99":              "2001:db8:1:2::/64",
		"fe80::1%eth0":                  "fe80::/64",
		"pipe":                          "pipe",
		"":                              "",
	}
	for in, want := range tests {
		if got := ThrottleAddress(in); got != want {
			t.Errorf("ThrottleAddress(%q) = %q, want %q", in, got, want)
		}
	}
}
