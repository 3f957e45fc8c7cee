package vault

import (
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"os"
	"path/filepath"
	"strings"
)

// Where the vault key comes from is decided here, without I/O, so the rule
// has one place and a table test: a configured key (KEYWARD_VAULT_KEY or
// KEYWARD_VAULT_KEY_FILE) wins; PostgreSQL needs one, because several servers
// share the database and the key must never be kept in it; SQLite defaults to
// its own key file in the data directory. A key still held in the database
// (an installation from before) stops everything until it is moved out.

// Setup is what the operator configured and what the database holds.
type Setup struct {
	Env        string // KEYWARD_VAULT_KEY
	File       string // KEYWARD_VAULT_KEY_FILE
	Postgres   bool
	InDatabase bool // the keyring table still holds a key
	DataDir    string
}

// Source is where to read the key.
type Source struct {
	Env    string // base64 key from the environment
	File   string // key file that must exist
	Create string // SQLite's default key file, created (0600) on first use
}

var (
	// ErrBothSet: KEYWARD_VAULT_KEY and KEYWARD_VAULT_KEY_FILE are both set.
	ErrBothSet = errors.New("vault: set KEYWARD_VAULT_KEY or KEYWARD_VAULT_KEY_FILE, not both")
	// ErrNoKey: PostgreSQL without a configured key.
	ErrNoKey = errors.New("vault: PostgreSQL needs a vault key kept outside the database (KEYWARD_VAULT_KEY_FILE or KEYWARD_VAULT_KEY)")
	// ErrKeyInDatabase: the database still holds the vault key.
	ErrKeyInDatabase = errors.New("vault: the database still holds the vault key, so every backup of it opens every secret")
)

// Choose decides where the key comes from.
func Choose(s Setup) (Source, error) {
	switch {
	case s.Env != "" && s.File != "":
		return Source{}, ErrBothSet
	case s.InDatabase:
		return Source{}, ErrKeyInDatabase
	case s.Env != "":
		return Source{Env: s.Env}, nil
	case s.File != "":
		return Source{File: s.File}, nil
	case s.Postgres:
		return Source{}, ErrNoKey
	}
	return Source{Create: filepath.Join(s.DataDir, KeyFile)}, nil
}

// Open reads the key from its source.
func (s Source) Open() (*Key, error) {
	switch {
	case s.Env != "":
		k, err := ParseKey(s.Env)
		if err != nil {
			return nil, errors.New(strings.Replace(err.Error(), "the key", "KEYWARD_VAULT_KEY", 1))
		}
		return k, nil
	case s.File != "":
		return ReadKeyFile(s.File)
	}
	return Load("", s.Create)
}

// SameKey reports whether two base64 keys are the same 32 bytes.
func SameKey(a, b string) bool {
	ra, errA := base64.StdEncoding.DecodeString(strings.TrimSpace(a))
	rb, errB := base64.StdEncoding.DecodeString(strings.TrimSpace(b))
	return errA == nil && errB == nil && len(ra) == 32 && subtle.ConstantTimeCompare(ra, rb) == 1
}

// Text is the configured key as written (base64), for comparing with another;
// "" for SQLite's default file.
func (s Source) Text() (string, error) {
	if s.File != "" {
		b, err := os.ReadFile(s.File)
		return strings.TrimSpace(string(b)), err
	}
	return strings.TrimSpace(s.Env), nil
}
