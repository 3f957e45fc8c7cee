package auth

import (
	"encoding/base64"
	"encoding/hex"
	"strings"
	"testing"
)

func TestNewToken(t *testing.T) {
	plain, hash := NewToken("kw_")
	if !strings.HasPrefix(plain, "kw_") || len(plain) != 3+43 {
		t.Errorf("NewToken = %q, want kw_ and 43 characters", plain)
	}
	if b, err := base64.RawURLEncoding.DecodeString(plain[3:]); err != nil || len(b) != 32 {
		t.Errorf("token body is %d bytes (%v), want 32", len(b), err)
	}
	if hash != HashToken(plain) || len(hash) != 64 {
		t.Errorf("hash = %q, want HashToken(plain)", hash)
	}
	if p2, h2 := NewToken("kw_"); p2 == plain || h2 == hash {
		t.Errorf("two tokens are equal")
	}

	id, idHash := NewSessionID()
	if len(id) != 43 || idHash != HashToken(id) {
		t.Errorf("NewSessionID = %q, %q", id, idHash)
	}
}

func TestHashToken(t *testing.T) {
	// FIPS 180-2 SHA-256 example.
	if got := HashToken("abc"); got != "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad" {
		t.Errorf("HashToken(abc) = %s", got)
	}
}

func TestCSRF(t *testing.T) {
	// RFC 4231 test case 2 for HMAC-SHA256.
	mac, _ := hex.DecodeString("5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843")
	if got, want := CSRFToken([]byte("Jefe"), "what do ya want for nothing?"), base64.RawURLEncoding.EncodeToString(mac); got != want {
		t.Errorf("CSRFToken = %q, want %q", got, want)
	}

	key := []byte("0123456789abcdef0123456789abcdef")
	sid, _ := NewSessionID()
	tok := CSRFToken(key, sid)
	if !CheckCSRF(key, sid, tok) {
		t.Fatalf("CheckCSRF rejected its own token")
	}
	other, _ := NewSessionID()
	tampered := []byte(tok)
	tampered[0] ^= 1
	bad := []struct {
		name     string
		key      []byte
		sid, tok string
	}{
		{"other session", key, other, tok},
		{"other key", []byte("another key, also 32 bytes long!"), sid, tok},
		{"tampered", key, sid, string(tampered)},
		{"truncated", key, sid, tok[:len(tok)-1]},
		{"empty token", key, sid, ""},
		{"no session", key, "", CSRFToken(key, "")},
		{"no key", nil, sid, CSRFToken(nil, sid)},
	}
	for _, b := range bad {
		if CheckCSRF(b.key, b.sid, b.tok) {
			t.Errorf("%s: CheckCSRF = true", b.name)
		}
	}
}
