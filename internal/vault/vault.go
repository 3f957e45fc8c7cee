// Package vault encrypts secrets at rest (TOTP seeds, lockbox codes, key codes,
// bittings) with AES-256-GCM under one key-encryption key.
package vault

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/keyward/keyward/internal/keyward"
	"github.com/keyward/keyward/internal/safefile"
)

// KeyFile is the name of the key file in the data directory.
const KeyFile = "vault.key"

// Key is a 32-byte AES-256 key.
type Key struct{ aead cipher.AEAD }

// NewKey wraps raw key bytes.
func NewKey(raw []byte) (*Key, error) {
	if len(raw) != 32 {
		return nil, errors.New("vault: key must be 32 bytes")
	}
	block, err := aes.NewCipher(raw)
	if err != nil {
		return nil, err
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, err
	}
	return &Key{aead: aead}, nil
}

// ParseKey reads a key in the form KEYWARD_VAULT_KEY and key files hold it:
// base64 of 32 bytes. The error never repeats the value.
func ParseKey(b64 string) (*Key, error) {
	raw, err := base64.StdEncoding.DecodeString(strings.TrimSpace(b64))
	if err != nil {
		return nil, errors.New("vault: the key is not base64 (want base64 of 32 bytes)")
	}
	if len(raw) != 32 {
		return nil, fmt.Errorf("vault: the key is %d bytes, want base64 of 32 bytes", len(raw))
	}
	return NewKey(raw)
}

// ReadKeyFile reads a key file that must exist.
func ReadKeyFile(path string) (*Key, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("vault: read key file: %w", err)
	}
	k, err := ParseKey(string(b))
	if err != nil {
		return nil, fmt.Errorf("%w (in %s)", err, path)
	}
	return k, nil
}

// WriteKeyFile writes b64 to a new key file (0600); it never replaces a file.
func WriteKeyFile(path, b64 string) error {
	if _, err := ParseKey(b64); err != nil {
		return err
	}
	if err := safefile.WriteNew(path, []byte(strings.TrimSpace(b64)+"\n")); err != nil {
		return fmt.Errorf("vault: %w", err)
	}
	return nil
}

// Load reads the key from env (base64) or from path, creating the file (0600)
// when it does not exist: SQLite's default key file in the data directory.
func Load(envValue, path string) (*Key, error) {
	if envValue != "" {
		return ParseKey(envValue)
	}
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		if err := safefile.MkdirAll(filepath.Dir(path)); err != nil {
			return nil, err
		}
		enc := NewKeyString()
		// Exclusive: two processes starting at once must not overwrite each other's key.
		if err := WriteKeyFile(path, enc); err == nil {
			return ParseKey(enc)
		}
		b, err = os.ReadFile(path)
	}
	if err != nil {
		return nil, fmt.Errorf("vault: read key: %w", err)
	}
	k, err := ParseKey(string(b))
	if err != nil {
		return nil, fmt.Errorf("%w (in %s)", err, path)
	}
	return k, nil
}

// Seal encrypts a secret; aad binds the ciphertext to its row (e.g. the user id).
func (k *Key) Seal(s keyward.Secret, aad string) string {
	nonce := make([]byte, k.aead.NonceSize())
	_, _ = rand.Read(nonce)
	ct := k.aead.Seal(nonce, nonce, []byte(s.Reveal()), []byte(aad))
	return "v1:" + base64.RawStdEncoding.EncodeToString(ct)
}

// Open decrypts what Seal produced with the same aad.
func (k *Key) Open(sealed, aad string) (keyward.Secret, error) {
	rest, ok := strings.CutPrefix(sealed, "v1:")
	if !ok {
		return "", errors.New("vault: unknown format")
	}
	ct, err := base64.RawStdEncoding.DecodeString(rest)
	if err != nil || len(ct) < k.aead.NonceSize() {
		return "", errors.New("vault: malformed ciphertext")
	}
	pt, err := k.aead.Open(nil, ct[:k.aead.NonceSize()], ct[k.aead.NonceSize():], []byte(aad))
	if err != nil {
		return "", errors.New("vault: cannot decrypt (wrong key or tampered value)")
	}
	return keyward.Secret(pt), nil
}

// NewKeyString returns a fresh random key, base64 encoded as Load reads it.
func NewKeyString() string {
	raw := make([]byte, 32)
	_, _ = rand.Read(raw)
	return base64.StdEncoding.EncodeToString(raw)
}
