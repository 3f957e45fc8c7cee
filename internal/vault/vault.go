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

// Load reads the key from env (base64, for several servers sharing one
// PostgreSQL) or from path, creating the file (0600) when it does not exist.
func Load(envValue, path string) (*Key, error) {
	if envValue != "" {
		raw, err := base64.StdEncoding.DecodeString(strings.TrimSpace(envValue))
		if err != nil {
			return nil, errors.New("vault: KEYWARD_VAULT_KEY is not base64")
		}
		return NewKey(raw)
	}
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		raw := make([]byte, 32)
		_, _ = rand.Read(raw)
		if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
			return nil, err
		}
		enc := base64.StdEncoding.EncodeToString(raw)
		// O_EXCL: two processes starting at once must not overwrite each other's key.
		f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
		if err == nil {
			_, err = f.WriteString(enc + "\n")
			if cerr := f.Close(); err == nil {
				err = cerr
			}
			if err != nil {
				return nil, err
			}
			return NewKey(raw)
		}
		b, err = os.ReadFile(path)
	}
	if err != nil {
		return nil, fmt.Errorf("vault: read key: %w", err)
	}
	raw, err := base64.StdEncoding.DecodeString(strings.TrimSpace(string(b)))
	if err != nil {
		return nil, errors.New("vault: key file is not base64")
	}
	return NewKey(raw)
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
