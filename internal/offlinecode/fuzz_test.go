package offlinecode

import (
	"testing"
	"time"
)

// FuzzVerify feeds arbitrary keypad input and clocks to the verifier: it
// must never panic, and whatever it accepts must parse and lie in a window
// that covers the clock.
func FuzzVerify(f *testing.F) {
	f.Add("12161256", int64(1772357400))
	f.Add("9999999", int64(0))
	f.Add("7000000000", int64(-1))
	f.Add("1\x00345678", int64(1<<40))
	f.Add("", int64(1772357400))
	secret := testSecret()
	f.Fuzz(func(t *testing.T, pin string, now int64) {
		w, err := Verify(secret, "lock-1", pin, time.Unix(now, 0))
		if err != nil {
			return
		}
		if _, perr := Parse(pin); perr != nil {
			t.Fatalf("accepted %q that does not parse: %v", pin, perr)
		}
		at := time.Unix(now, 0)
		if at.Before(w.Start.Add(-Skew)) || at.After(w.End.Add(Skew)) {
			t.Fatalf("accepted %q at %v outside its window %v–%v", pin, at, w.Start, w.End)
		}
	})
}
