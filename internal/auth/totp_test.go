package auth

import (
	"net/url"
	"strings"
	"testing"
	"time"
)

// rfcSecret is the RFC 6238 appendix B SHA-1 seed "12345678901234567890".
const rfcSecret = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"

// RFC 6238 appendix B, SHA-1 rows, keeping the last 6 of the 8 digits.
var rfcVectors = []struct {
	unix int64
	code string
}{
	{59, "287082"},          // 94287082
	{1111111109, "081804"},  // 07081804
	{1111111111, "050471"},  // 14050471
	{1234567890, "005924"},  // 89005924
	{2000000000, "279037"},  // 69279037
	{20000000000, "353130"}, // 65353130
}

func TestTOTPCodeRFC6238(t *testing.T) {
	for _, v := range rfcVectors {
		got, err := TOTPCode(rfcSecret, time.Unix(v.unix, 0))
		if err != nil || got != v.code {
			t.Errorf("TOTPCode(t=%d) = %q, %v; want %q", v.unix, got, err, v.code)
		}
		// The same secret as people copy it: lower case, grouped, padded.
		loose := strings.ToLower(rfcSecret[:16]) + " " + rfcSecret[16:] + "===="
		if got, _ := TOTPCode(loose, time.Unix(v.unix, 0)); got != v.code {
			t.Errorf("TOTPCode(loose secret, t=%d) = %q, want %q", v.unix, got, v.code)
		}
	}
}

func TestTOTPCodeErrors(t *testing.T) {
	for _, s := range []string{"", "1!", "A"} {
		if _, err := TOTPCode(s, time.Unix(59, 0)); err == nil {
			t.Errorf("TOTPCode(%q) gave no error", s)
		}
	}
	if _, err := TOTPCode(rfcSecret, time.Unix(-1, 0)); err == nil {
		t.Errorf("TOTPCode before 1970 gave no error")
	}
}

func TestVerifyTOTPWindow(t *testing.T) {
	now := time.Unix(1111111111, 0) // step 37037037, 21 s into it
	step := now.Unix() / 30
	codeAt := func(d time.Duration) string {
		c, err := TOTPCode(rfcSecret, now.Add(d))
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	tests := []struct {
		name     string
		code     string
		wantStep int64
		wantOK   bool
	}{
		{"current", "050471", step, true},
		{"previous step", codeAt(-30 * time.Second), step - 1, true},
		{"next step", codeAt(30 * time.Second), step + 1, true},
		{"two steps back", codeAt(-60 * time.Second), 0, false},
		{"two steps ahead", codeAt(60 * time.Second), 0, false},
		{"grouped with a space", "050 471", step, true},
		{"wrong", "050472", 0, false},
		{"5 digits", "50471", 0, false},
		{"7 digits", "0050471", 0, false},
		{"letters", "abcdef", 0, false},
		{"empty", "", 0, false},
	}
	for _, tt := range tests {
		s, ok := VerifyTOTP(rfcSecret, tt.code, now)
		if s != tt.wantStep || ok != tt.wantOK {
			t.Errorf("%s: VerifyTOTP(%q) = %d, %v; want %d, %v", tt.name, tt.code, s, ok, tt.wantStep, tt.wantOK)
		}
	}
	if _, ok := VerifyTOTP("not base32!", "050471", now); ok {
		t.Errorf("VerifyTOTP with a malformed secret = true")
	}
	if _, ok := VerifyTOTP(rfcSecret, "050471", time.Unix(-100, 0)); ok {
		t.Errorf("VerifyTOTP before 1970 = true")
	}
}

// A caller that stores the last accepted step can refuse a replayed code:
// the replay reports the same step, even in the next period.
func TestVerifyTOTPReuse(t *testing.T) {
	secret := NewTOTPSecret()
	t0 := time.Unix(1700000000, 0) // start of a step
	code, _ := TOTPCode(secret, t0)

	var last int64 = -1
	accept := func(now time.Time) bool {
		s, ok := VerifyTOTP(secret, code, now)
		if !ok || s <= last {
			return false
		}
		last = s
		return true
	}
	if !accept(t0) {
		t.Fatalf("first use refused")
	}
	if accept(t0.Add(5 * time.Second)) {
		t.Errorf("replay in the same step accepted")
	}
	if accept(t0.Add(35 * time.Second)) {
		t.Errorf("replay in the next step accepted")
	}
	if last != t0.Unix()/30 {
		t.Errorf("last step = %d, want %d", last, t0.Unix()/30)
	}
	next, _ := TOTPCode(secret, t0.Add(30*time.Second))
	if s, ok := VerifyTOTP(secret, next, t0.Add(35*time.Second)); !ok || s <= last {
		t.Errorf("the next step's code = %d, %v; want a later step", s, ok)
	}
}

func TestNewTOTPSecret(t *testing.T) {
	a, b := NewTOTPSecret(), NewTOTPSecret()
	if a == b {
		t.Errorf("NewTOTPSecret twice = %q", a)
	}
	key, err := decodeTOTPSecret(a)
	if err != nil || len(key) != 20 || len(a) != 32 || strings.ContainsAny(a, "=") {
		t.Errorf("NewTOTPSecret = %q (%d bytes, %v); want 32 base32 chars for 20 bytes", a, len(key), err)
	}
}

func TestTOTPURL(t *testing.T) {
	got := TOTPURL("Acme Co", "alice@example.com", rfcSecret)
	want := "otpauth://totp/Acme%20Co:alice@example.com?algorithm=SHA1&digits=6&issuer=Acme%20Co&period=30&secret=" + rfcSecret
	if got != want {
		t.Errorf("TOTPURL =\n %q\nwant\n %q", got, want)
	}

	u, err := url.Parse(TOTPURL("A:B & C+D", "bob:x", rfcSecret))
	if err != nil {
		t.Fatal(err)
	}
	if u.Scheme != "otpauth" || u.Host != "totp" {
		t.Errorf("scheme, host = %q, %q", u.Scheme, u.Host)
	}
	issuer, account, _ := strings.Cut(strings.TrimPrefix(u.EscapedPath(), "/"), ":")
	if issuer != "A%3AB%20&%20C+D" || account != "bob%3Ax" {
		t.Errorf("label = %q : %q; the colons inside must be escaped", issuer, account)
	}
	if q := u.Query(); q.Get("issuer") != "A:B & C+D" || q.Get("secret") != rfcSecret {
		t.Errorf("query = %v", q)
	}

	if got := TOTPURL("", "bob", "S"); got != "otpauth://totp/bob?algorithm=SHA1&digits=6&period=30&secret=S" {
		t.Errorf("TOTPURL without issuer = %q", got)
	}
}
