package auth

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha1"
	"crypto/subtle"
	"encoding/base32"
	"encoding/binary"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"
)

// TOTP as every authenticator app does it by default (RFC 6238): HMAC-SHA1,
// 6 digits, 30-second steps counted from the Unix epoch.
const (
	totpDigits = 6
	totpPeriod = 30 // seconds
)

var b32 = base32.StdEncoding.WithPadding(base32.NoPadding)

// NewTOTPSecret returns 20 random bytes (the RFC 4226 recommended size for
// SHA-1) in unpadded base32, as authenticator apps expect.
func NewTOTPSecret() string {
	b := make([]byte, 20)
	rand.Read(b)
	return b32.EncodeToString(b)
}

// TOTPCode returns the 6-digit code for secret at t.
func TOTPCode(secret string, t time.Time) (string, error) {
	key, err := decodeTOTPSecret(secret)
	if err != nil {
		return "", err
	}
	step, err := totpStep(t)
	if err != nil {
		return "", err
	}
	return hotp(key, uint64(step)), nil
}

// VerifyTOTP checks code against the steps just before, at and just after
// now, to allow for clock drift and slow typing. It returns the step that
// matched: the caller must store it and refuse any step at or below the
// last one it accepted, or an observed code could be replayed.
func VerifyTOTP(secret, code string, now time.Time) (step int64, ok bool) {
	key, err := decodeTOTPSecret(secret)
	if err != nil {
		return 0, false
	}
	cur, err := totpStep(now)
	if err != nil {
		return 0, false
	}
	code = strings.ReplaceAll(strings.TrimSpace(code), " ", "") // "123 456" as some apps show it
	if len(code) != totpDigits {
		return 0, false
	}
	// The current step first, so a code valid in two steps (one in a
	// million) is credited to the present one.
	for _, s := range [...]int64{cur, cur - 1, cur + 1} {
		if s < 0 {
			continue
		}
		if subtle.ConstantTimeCompare([]byte(hotp(key, uint64(s))), []byte(code)) == 1 {
			return s, true
		}
	}
	return 0, false
}

// TOTPURL returns the otpauth:// URL that authenticator apps read from a QR
// code, in the Google Authenticator key-URI format.
func TOTPURL(issuer, account, secret string) string {
	label := escapeLabel(account)
	if issuer != "" {
		label = escapeLabel(issuer) + ":" + label
	}
	q := url.Values{}
	q.Set("secret", secret)
	if issuer != "" {
		q.Set("issuer", issuer)
	}
	q.Set("algorithm", "SHA1")
	q.Set("digits", "6")
	q.Set("period", "30")
	// Some apps show "+" literally, so spaces go as %20; a real "+" is
	// already %2B at this point.
	return "otpauth://totp/" + label + "?" + strings.ReplaceAll(q.Encode(), "+", "%20")
}

// escapeLabel escapes a label part; ":" too, since it separates issuer from
// account.
func escapeLabel(s string) string {
	return strings.ReplaceAll(url.PathEscape(s), ":", "%3A")
}

// decodeTOTPSecret accepts base32 as people copy it: any case, with spaces
// or padding.
func decodeTOTPSecret(secret string) ([]byte, error) {
	s := strings.ToUpper(strings.ReplaceAll(secret, " ", ""))
	key, err := b32.DecodeString(strings.TrimRight(s, "="))
	if err != nil || len(key) == 0 {
		return nil, errors.New("auth: malformed TOTP secret")
	}
	return key, nil
}

func totpStep(t time.Time) (int64, error) {
	u := t.Unix()
	if u < 0 {
		return 0, errors.New("auth: TOTP time before 1970")
	}
	return u / totpPeriod, nil
}

// hotp is RFC 4226: HMAC-SHA1 of the counter, dynamically truncated to
// 31 bits, then to 6 decimal digits.
func hotp(key []byte, counter uint64) string {
	mac := hmac.New(sha1.New, key)
	mac.Write(binary.BigEndian.AppendUint64(nil, counter))
	sum := mac.Sum(nil)
	off := sum[len(sum)-1] & 0x0f
	v := binary.BigEndian.Uint32(sum[off:]) & 0x7fffffff
	return fmt.Sprintf("%06d", v%1_000_000)
}
