package auth

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
)

// NewToken returns a new API token, prefix followed by 32 random bytes in
// unpadded base64url (e.g. "kw_" + 43 characters), and the hash to store.
// The prefix lets people and secret scanners recognise a leaked token.
// Only the hash goes in the database: reading it does not let anyone in.
func NewToken(prefix string) (plain, hash string) {
	b := make([]byte, 32)
	rand.Read(b) // never fails since Go 1.24
	plain = prefix + base64.RawURLEncoding.EncodeToString(b)
	return plain, HashToken(plain)
}

// HashToken returns the hex SHA-256 of a token or session id, the form they
// are stored and looked up in. A fast hash is right here, unlike for
// passwords: with 256 random bits there is nothing to guess, so slowing each
// guess down buys nothing, and every request has to hash its token.
func HashToken(plain string) string {
	sum := sha256.Sum256([]byte(plain))
	return hex.EncodeToString(sum[:])
}

// NewSessionID returns a new session id for the cookie and the hash to store,
// made like a token but without a prefix.
func NewSessionID() (id, hash string) {
	return NewToken("")
}

// CSRFToken returns the anti-CSRF token for a session: base64url HMAC-SHA256
// of the session id under key (32 random bytes kept by the server). It needs
// no storage and changes whenever the session does.
func CSRFToken(key []byte, sessionID string) string {
	mac := hmac.New(sha256.New, key)
	mac.Write([]byte(sessionID))
	return base64.RawURLEncoding.EncodeToString(mac.Sum(nil))
}

// CheckCSRF reports, in constant time, whether token is CSRFToken(key,
// sessionID). Without a key or a session nothing is valid.
func CheckCSRF(key []byte, sessionID, token string) bool {
	if len(key) == 0 || sessionID == "" {
		return false
	}
	return hmac.Equal([]byte(CSRFToken(key, sessionID)), []byte(token))
}
