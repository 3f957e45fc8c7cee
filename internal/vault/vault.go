// Package vault encrypts secrets at rest (TOTP seeds, lockbox codes, key codes,
// bittings) by envelope encryption: a data key per secret, wrapped by a
// key-encryption key (KEK) of a keyring kept outside the database.
package vault

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/keyward/keyward/internal/keyward"
	"github.com/keyward/keyward/internal/safefile"
)

// KeyFile is the name of the key file in the data directory.
const KeyFile = "vault.key"

// Key is the vault as the store holds it: a keyring, reloaded from its file
// when the file changes (Watch, Reload) so several servers sharing the file
// agree. Seal and Open are safe for concurrent use.
type Key struct {
	ring atomic.Pointer[Ring]
	path string // the keyring file; "" when the keyring came from the environment

	mu    sync.Mutex // serializes reloads
	stamp stamp
}

// stamp is what tells a changed keyring file: its size, mtime and contents.
type stamp struct {
	size  int64
	mtime time.Time
	data  []byte
}

// NewKey is a vault whose keyring holds the one KEK raw.
func NewKey(raw []byte) (*Key, error) {
	r, err := RingOf(raw)
	if err != nil {
		return nil, err
	}
	return FromRing(r), nil
}

// FromRing is a vault on a keyring held in memory only.
func FromRing(r *Ring) *Key {
	k := &Key{}
	k.ring.Store(r)
	return k
}

// ParseKey reads a key in the form KEYWARD_VAULT_KEY and key files hold it:
// base64 of 32 bytes, or a whole keyring. The error never repeats the value.
func ParseKey(b64 string) (*Key, error) {
	r, err := ParseKeyring([]byte(b64))
	if err != nil {
		return nil, err
	}
	return FromRing(r), nil
}

// ReadKeyFile reads a key or keyring file that must exist; the vault reloads
// it when it changes.
func ReadKeyFile(path string) (*Key, error) {
	k := &Key{path: path}
	if _, err := k.Reload(); err != nil {
		return nil, err
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

// Load reads the key from env (base64 or a keyring) or from path, creating
// the file (0600) when it does not exist: SQLite's default key file in the
// data directory.
func Load(envValue, path string) (*Key, error) {
	if envValue != "" {
		return ParseKey(envValue)
	}
	if _, err := os.Stat(path); errors.Is(err, os.ErrNotExist) {
		if err := safefile.MkdirAll(filepath.Dir(path)); err != nil {
			return nil, err
		}
		// Exclusive: two processes starting at once must not overwrite each
		// other's key; the loser reads the winner's.
		_ = WriteKeyFile(path, NewKeyString())
	}
	return ReadKeyFile(path)
}

// Path is the keyring file the vault reloads, "" for a keyring from the
// environment.
func (k *Key) Path() string { return k.path }

// Ring is the keyring as the vault holds it now.
func (k *Key) Ring() *Ring { return k.ring.Load() }

// Reload reads the keyring file again if it changed; changed says whether
// the vault now holds another keyring. A file that cannot be read or parsed
// leaves the keyring as it was.
func (k *Key) Reload() (changed bool, err error) {
	if k.path == "" {
		return false, nil
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	st, err := os.Stat(k.path)
	if err != nil {
		return false, fmt.Errorf("vault: read key file: %w", err)
	}
	if k.ring.Load() != nil && st.Size() == k.stamp.size && st.ModTime().Equal(k.stamp.mtime) {
		return false, nil
	}
	b, err := os.ReadFile(k.path)
	if err != nil {
		return false, fmt.Errorf("vault: read key file: %w", err)
	}
	if k.ring.Load() != nil && bytes.Equal(b, k.stamp.data) {
		k.stamp.size, k.stamp.mtime = st.Size(), st.ModTime()
		return false, nil
	}
	r, err := ParseKeyring(b)
	if err != nil {
		return false, fmt.Errorf("%w (in %s)", err, k.path)
	}
	k.ring.Store(r)
	k.stamp = stamp{size: st.Size(), mtime: st.ModTime(), data: b}
	return true, nil
}

// ReloadEvery is how often Watch looks at the keyring file.
const ReloadEvery = 2 * time.Second

// Watch reloads the keyring every interval, and at once on each value of
// now (e.g. SIGHUP), until ctx ends. report hears of each reload and each
// failure (never a key).
func (k *Key) Watch(ctx context.Context, every time.Duration, now <-chan struct{}, report func(changed bool, err error)) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		case <-now:
		}
		changed, err := k.Reload()
		if (changed || err != nil) && report != nil {
			report(changed, err)
		}
	}
}

// Seal encrypts a secret under a new data key wrapped by the current KEK;
// aad binds the value to its row (e.g. the user id).
func (k *Key) Seal(s keyward.Secret, aad string) string {
	return k.ring.Load().Seal(s, aad)
}

// Open decrypts what Seal produced with the same aad. A value under a KEK
// this server has not heard of yet makes it read the keyring file at once:
// another server may have begun a rotation a moment ago.
func (k *Key) Open(sealed, aad string) (keyward.Secret, error) {
	s, err := k.ring.Load().Open(sealed, aad)
	var missing *MissingKEKError
	if errors.As(err, &missing) {
		if changed, _ := k.Reload(); changed {
			return k.ring.Load().Open(sealed, aad)
		}
	}
	return s, err
}

// Rewrap puts a sealed value under the current KEK (see Ring.Rewrap),
// reading the keyring file first when the value names a KEK not heard of.
func (k *Key) Rewrap(sealed, aad string) (string, bool, error) {
	out, changed, err := k.ring.Load().Rewrap(sealed, aad)
	var missing *MissingKEKError
	if errors.As(err, &missing) {
		if ok, _ := k.Reload(); ok {
			return k.ring.Load().Rewrap(sealed, aad)
		}
	}
	return out, changed, err
}

// NewKeyString returns a fresh random key, base64 encoded as Load reads it.
func NewKeyString() string {
	return base64.StdEncoding.EncodeToString(NewRaw())
}

// NewRaw returns 32 fresh random bytes for a KEK.
func NewRaw() []byte {
	raw := make([]byte, 32)
	_, _ = rand.Read(raw)
	return raw
}
