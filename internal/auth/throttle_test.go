package auth

import (
	"testing"
	"time"
)

func TestThrottleAllowed(t *testing.T) {
	th := Throttle{Window: 15 * time.Minute, MaxAccountFailures: 5, MaxAddressFailures: 20, Lockout: 10 * time.Minute}
	last := time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)
	tests := []struct {
		name       string
		acct, addr int
		now        time.Time
		wantOK     bool
		wantRetry  time.Duration
	}{
		{"no failures", 0, 0, last, true, 0},
		{"account one below limit", 4, 0, last, true, 0},
		{"account at limit", 5, 0, last, false, 10 * time.Minute},
		{"account at limit, 1s before end", 5, 0, last.Add(10*time.Minute - time.Second), false, time.Second},
		{"account at limit, lockout over", 5, 0, last.Add(10 * time.Minute), true, 0},
		{"account far over limit, lockout over", 50, 0, last.Add(11 * time.Minute), true, 0},
		{"address one below limit", 4, 19, last, true, 0},
		{"address at limit", 0, 20, last.Add(3 * time.Minute), false, 7 * time.Minute},
		{"both at limit", 5, 20, last.Add(time.Minute), false, 9 * time.Minute},
		{"negative counts", -1, -1, last, true, 0},
	}
	for _, tt := range tests {
		ok, retry := th.Allowed(tt.acct, tt.addr, last, tt.now)
		if ok != tt.wantOK || retry != tt.wantRetry {
			t.Errorf("%s: Allowed(%d, %d) = %v, %v; want %v, %v", tt.name, tt.acct, tt.addr, ok, retry, tt.wantOK, tt.wantRetry)
		}
	}
}

func TestThrottleZeroUsesDefaults(t *testing.T) {
	var zero Throttle
	d := DefaultThrottle()
	last := time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)
	if ok, _ := zero.Allowed(d.MaxAccountFailures-1, 0, last, last); !ok {
		t.Errorf("zero Throttle refused below the default limit")
	}
	if ok, retry := zero.Allowed(d.MaxAccountFailures, 0, last, last); ok || retry != d.Lockout {
		t.Errorf("zero Throttle at the default limit = %v, %v; want false, %v", ok, retry, d.Lockout)
	}
	if ok, _ := zero.Allowed(0, d.MaxAddressFailures, last, last); ok {
		t.Errorf("zero Throttle allowed an address at the default limit")
	}
}
