// Package auth holds the primitives behind sign-in: password hashing and
// policy, TOTP, tokens, CSRF tokens and the login throttle rule.
//
// It keeps no state and reads no clock: callers pass the time in and keep
// counts and used TOTP steps in their database, since several server
// processes share one database.
package auth

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"golang.org/x/crypto/argon2"
	"golang.org/x/text/unicode/norm"
)

// argonParams are the argon2id costs stored in each PHC string.
type argonParams struct {
	memory  uint32 // KiB
	time    uint32
	threads uint8
	saltLen int
	keyLen  int
}

// defaultParams is OWASP's argon2id minimum (19 MiB, 2 passes, 1 lane): about
// 40 ms on one core, so a 2-core server can still take a burst of sign-ins.
var defaultParams = argonParams{memory: 19 * 1024, time: 2, threads: 1, saltLen: 16, keyLen: 32}

// Limits on what VerifyPassword accepts from a stored hash, so a corrupt or
// planted row cannot make one sign-in allocate gigabytes or run for minutes.
const (
	maxMemory  = 256 * 1024 // KiB
	maxTime    = 16
	maxThreads = 16
	minSaltLen = 8
	maxSaltLen = 64
	minKeyLen  = 16
	maxKeyLen  = 64
)

// b64 is the PHC string encoding: standard alphabet, no padding.
var b64 = base64.RawStdEncoding

// ErrMalformedHash means a stored password hash cannot be parsed or has
// costs outside the accepted limits.
var ErrMalformedHash = errors.New("auth: malformed password hash")

// HashPassword hashes pw with argon2id and returns a PHC string:
// $argon2id$v=19$m=19456,t=2,p=1$<salt>$<hash>.
func HashPassword(pw string) (string, error) {
	return hashPassword(pw, defaultParams)
}

// hashPassword lets tests use cheaper costs; the exported path never does.
func hashPassword(pw string, p argonParams) (string, error) {
	if pw == "" {
		return "", errors.New("auth: empty password")
	}
	salt := make([]byte, p.saltLen)
	rand.Read(salt) // never fails since Go 1.24
	key := argon2.IDKey(normalize(pw), salt, p.time, p.memory, p.threads, uint32(p.keyLen))
	return encodePHC(p, salt, key), nil
}

func encodePHC(p argonParams, salt, key []byte) string {
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s",
		argon2.Version, p.memory, p.time, p.threads, b64.EncodeToString(salt), b64.EncodeToString(key))
}

// VerifyPassword reports whether pw matches the PHC string encoded. A wrong
// password is (false, nil); an unparsable hash is (false, ErrMalformedHash).
func VerifyPassword(encoded, pw string) (bool, error) {
	p, salt, want, err := parsePHC(encoded)
	if err != nil {
		return false, err
	}
	got := argon2.IDKey(normalize(pw), salt, p.time, p.memory, p.threads, uint32(len(want)))
	return subtle.ConstantTimeCompare(got, want) == 1, nil
}

// NeedsRehash reports whether encoded was made with other costs than
// HashPassword uses now, so a caller can store a fresh hash after a
// successful sign-in. A malformed hash needs one too.
func NeedsRehash(encoded string) bool {
	p, salt, key, err := parsePHC(encoded)
	if err != nil {
		return true
	}
	d := defaultParams
	return p.memory != d.memory || p.time != d.time || p.threads != d.threads ||
		len(salt) != d.saltLen || len(key) != d.keyLen
}

// parsePHC splits $argon2id$v=19$m=M,t=T,p=P$salt$hash. It is strict: it
// takes only what encodePHC writes, with costs inside the limits above.
func parsePHC(s string) (p argonParams, salt, key []byte, err error) {
	parts := strings.Split(s, "$")
	if len(parts) != 6 || parts[0] != "" || parts[1] != "argon2id" {
		return p, nil, nil, ErrMalformedHash
	}
	if parts[2] != "v="+strconv.Itoa(argon2.Version) {
		return p, nil, nil, ErrMalformedHash
	}
	costs := strings.Split(parts[3], ",")
	if len(costs) != 3 {
		return p, nil, nil, ErrMalformedHash
	}
	m, okM := costParam(costs[0], "m=", maxMemory)
	t, okT := costParam(costs[1], "t=", maxTime)
	threads, okP := costParam(costs[2], "p=", maxThreads)
	// Argon2 needs at least 8 KiB of memory per lane.
	if !okM || !okT || !okP || m < 8*threads {
		return p, nil, nil, ErrMalformedHash
	}
	salt, ok1 := decodeB64(parts[4])
	key, ok2 := decodeB64(parts[5])
	if !ok1 || !ok2 ||
		len(salt) < minSaltLen || len(salt) > maxSaltLen ||
		len(key) < minKeyLen || len(key) > maxKeyLen {
		return p, nil, nil, ErrMalformedHash
	}
	p = argonParams{memory: m, time: t, threads: uint8(threads), saltLen: len(salt), keyLen: len(key)}
	return p, salt, key, nil
}

// decodeB64 decodes a PHC salt or hash, refusing any other spelling of the
// same bytes: the decoder alone would skip newlines.
func decodeB64(s string) ([]byte, bool) {
	b, err := b64.DecodeString(s)
	if err != nil || b64.EncodeToString(b) != s {
		return nil, false
	}
	return b, true
}

// costParam parses "name=N" with 1 <= N <= limit, in plain decimal.
func costParam(s, name string, limit uint32) (uint32, bool) {
	v, ok := strings.CutPrefix(s, name)
	if !ok || v == "" || (len(v) > 1 && v[0] == '0') {
		return 0, false
	}
	n, err := strconv.ParseUint(v, 10, 32)
	if err != nil || n < 1 || n > uint64(limit) {
		return 0, false
	}
	return uint32(n), true
}

// normalize applies NFKC, as SP 800-63B asks, so the same password typed on
// another keyboard or OS (composed or decomposed accents, full-width digits)
// hashes the same. It must not change once hashes are stored.
func normalize(pw string) []byte {
	return norm.NFKC.Bytes([]byte(pw))
}
