// Package offlinecode derives and verifies PIN codes for locks that have no
// network connection. The lock and Keyward share a per-lock secret; Keyward
// derives an 8-digit PIN for a time window from it, and the lock checks the
// PIN with its own clock, without asking anyone.
//
// The exact derivation is written down for lock-firmware authors in
// docs/offline-codes.md, with test vectors that this package's tests check.
//
// Limits, stated once here as in the document: an offline code cannot be
// revoked before its window ends (the lock never hears of the revocation);
// anyone who learns the code may use it during its window; the lock's clock
// decides, so a lock whose clock is wrong accepts the wrong windows.
package offlinecode

import (
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/binary"
	"errors"
	"fmt"
	"time"
)

// SecretSize is the length of a lock's secret in bytes.
const SecretSize = 32

// Digits is the length of an offline code.
const Digits = 8

// Skew is how far the lock's clock may be off: a code is accepted from
// Skew before its window starts until Skew after it ends.
const Skew = 10 * time.Minute

// MaxLockIDLen is the longest lock id, in bytes, that may be bound into a code.
const MaxLockIDLen = 255

// tag opens every HMAC message: it names the scheme and its version.
var tag = [4]byte{'K', 'W', 'O', '1'}

// Class is a window length class, the first digit of a code.
type Class uint8

// classInfo is one row of the class table in docs/offline-codes.md.
type classInfo struct {
	length time.Duration // how long the window lasts
	step   time.Duration // window starts are multiples of step since the Unix epoch
}

var classes = map[Class]classInfo{
	1: {time.Hour, time.Hour},
	2: {4 * time.Hour, time.Hour},
	3: {12 * time.Hour, time.Hour},
	4: {24 * time.Hour, time.Hour},
	5: {72 * time.Hour, time.Hour},
	6: {7 * 24 * time.Hour, 4 * time.Hour},
	7: {30 * 24 * time.Hour, 24 * time.Hour},
}

// Classes lists the valid classes, shortest window first.
func Classes() []Class { return []Class{1, 2, 3, 4, 5, 6, 7} }

// Length is how long a window of class c lasts (0 for an invalid class).
func (c Class) Length() time.Duration { return classes[c].length }

// Step is the alignment of a class-c window's start (0 for an invalid class).
func (c Class) Step() time.Duration { return classes[c].step }

// Valid reports whether c is one of the classes of the table.
func (c Class) Valid() bool { _, ok := classes[c]; return ok }

// Window is the time during which a code opens its lock (Skew aside).
type Window struct {
	Class Class
	Start time.Time // inclusive, UTC
	End   time.Time // exclusive, UTC
}

// Errors of Generate and Verify. Verify's errors never contain the code.
var (
	ErrMalformed   = errors.New("offline code: not an offline code (8 digits, first digit 1 to 7)")
	ErrWrongCode   = errors.New("offline code: wrong code for this lock")
	ErrExpired     = errors.New("offline code: its window has ended")
	ErrNotYetValid = errors.New("offline code: its window has not started")
)

// Generate derives the code for lock lockID and the class-c window that
// starts at start, which must be a multiple of the class's step since the
// Unix epoch (use Cover to find one).
func Generate(secret []byte, lockID string, c Class, start time.Time) (string, error) {
	if err := checkKey(secret, lockID); err != nil {
		return "", err
	}
	info, ok := classes[c]
	if !ok {
		return "", fmt.Errorf("offline code: class must be 1 to 7, got %d", c)
	}
	sec := start.Unix()
	if sec < 0 || start.Nanosecond() != 0 || sec%int64(info.step/time.Second) != 0 {
		return "", fmt.Errorf("offline code: window start %s is not a multiple of %s since 1970-01-01 UTC",
			start.UTC().Format(time.RFC3339), info.step)
	}
	k := sec / int64(info.step/time.Second)
	return format(c, k, truncate(secret, lockID, c, sec)), nil
}

// Cover picks the shortest window whose aligned start is at or before from
// and whose end is at or after until. The start is rounded down to the
// class's step, so the window may begin a little before from.
func Cover(from, until time.Time) (Window, error) {
	if !until.After(from) {
		return Window{}, errors.New("offline code: the window must end after it starts")
	}
	if from.Unix() < 0 {
		return Window{}, errors.New("offline code: the window must start after 1970")
	}
	for _, c := range Classes() {
		info := classes[c]
		step := int64(info.step / time.Second)
		st := time.Unix(from.Unix()/step*step, 0).UTC()
		end := st.Add(info.length)
		if !end.Before(until) {
			return Window{Class: c, Start: st, End: end}, nil
		}
	}
	return Window{}, fmt.Errorf("offline code: a window may last at most %s", Class(7).Length())
}

// Parsed is a code split into its fields, before any check of its MAC.
type Parsed struct {
	Class Class
	Slot  int    // window start index modulo 100
	MAC   string // the five truncated-HMAC digits
}

// Parse splits a code typed on a keypad into its fields. It accepts exactly
// 8 ASCII digits whose first is a valid class.
func Parse(pin string) (Parsed, error) {
	if len(pin) != Digits {
		return Parsed{}, ErrMalformed
	}
	for i := 0; i < len(pin); i++ {
		if pin[i] < '0' || pin[i] > '9' {
			return Parsed{}, ErrMalformed
		}
	}
	c := Class(pin[0] - '0')
	if !c.Valid() {
		return Parsed{}, ErrMalformed
	}
	return Parsed{Class: c, Slot: int(pin[1]-'0')*10 + int(pin[2]-'0'), MAC: pin[3:]}, nil
}

// Verify checks a code at time now, as the lock does with its own clock.
// It returns the code's window when the code opens the lock now.
func Verify(secret []byte, lockID, pin string, now time.Time) (Window, error) {
	if err := checkKey(secret, lockID); err != nil {
		return Window{}, err
	}
	p, err := Parse(pin)
	if err != nil {
		return Window{}, err
	}
	info := classes[p.Class]
	step := int64(info.step / time.Second)
	length := int64(info.length / time.Second)
	skew := int64(Skew / time.Second)
	t := now.Unix()
	if t+skew < 0 {
		return Window{}, ErrWrongCode
	}
	// The latest window index at or before now+skew whose last two digits match.
	kNow := (t + skew) / step
	kPrev := kNow - ((kNow-int64(p.Slot))%100+100)%100
	for _, k := range []int64{kPrev, kPrev + 100} {
		if k < 0 {
			continue
		}
		start := k * step
		want := truncate(secret, lockID, p.Class, start)
		if subtle.ConstantTimeCompare([]byte(fmt.Sprintf("%05d", want)), []byte(p.MAC)) != 1 {
			continue
		}
		switch {
		case k > kNow:
			return Window{}, ErrNotYetValid
		case t > start+length+skew:
			return Window{}, ErrExpired
		}
		return Window{Class: p.Class, Start: time.Unix(start, 0).UTC(), End: time.Unix(start+length, 0).UTC()}, nil
	}
	return Window{}, ErrWrongCode
}

// Message is the HMAC input for lock lockID and the class-c window starting
// at unix second start, laid out as docs/offline-codes.md says.
func Message(lockID string, c Class, start int64) []byte {
	msg := make([]byte, 0, 15+len(lockID))
	msg = append(msg, tag[:]...)
	msg = append(msg, byte(c))
	msg = binary.BigEndian.AppendUint64(msg, uint64(start))
	msg = binary.BigEndian.AppendUint16(msg, uint16(len(lockID)))
	return append(msg, lockID...)
}

// truncate is RFC 4226's dynamic truncation of HMAC-SHA256, modulo 10^5.
func truncate(secret []byte, lockID string, c Class, start int64) uint32 {
	m := hmac.New(sha256.New, secret)
	m.Write(Message(lockID, c, start))
	hs := m.Sum(nil)
	off := hs[len(hs)-1] & 0x0f
	bin := binary.BigEndian.Uint32(hs[off:off+4]) & 0x7fffffff
	return bin % 100000
}

func format(c Class, k int64, mac uint32) string {
	return fmt.Sprintf("%d%02d%05d", c, k%100, mac)
}

func checkKey(secret []byte, lockID string) error {
	if len(secret) != SecretSize {
		return fmt.Errorf("offline code: the lock secret must be %d bytes", SecretSize)
	}
	if lockID == "" || len(lockID) > MaxLockIDLen {
		return fmt.Errorf("offline code: the lock id must be 1 to %d bytes", MaxLockIDLen)
	}
	return nil
}
