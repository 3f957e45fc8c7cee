// Package safefile creates the files that hold data or keys (databases,
// backups, key files, exports) so that no other user of the machine can read
// them, whatever the umask: files 0600, directories 0700.
package safefile

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// Create makes a new file, 0600, refusing one that already exists.
func Create(path string) (*os.File, error) {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, fs.ErrExist) {
		return nil, fmt.Errorf("%s already exists: choose a new file name", path)
	}
	if err != nil {
		return nil, err
	}
	// The umask can only take bits away from 0600; Chmod makes the mode exact.
	if err := f.Chmod(0o600); err != nil {
		f.Close()
		os.Remove(path)
		return nil, err
	}
	return f, nil
}

// WriteNew writes data to a new 0600 file and syncs it; it never replaces a
// file, and leaves nothing behind when it fails.
func WriteNew(path string, data []byte) error {
	f, err := Create(path)
	if err != nil {
		return err
	}
	_, err = f.Write(data)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(path)
	}
	return err
}

// Tighten makes the files that exist among paths 0600 (files written by an
// earlier version, or by a library that creates them 0644).
func Tighten(paths ...string) error {
	for _, p := range paths {
		if err := os.Chmod(p, 0o600); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return err
		}
	}
	return nil
}

// MkdirAll creates dir and its missing parents 0700.
func MkdirAll(dir string) error {
	return os.MkdirAll(filepath.Clean(dir), 0o700)
}

// Replace writes data to path (0600) atomically: into a new file beside it,
// synced, then renamed over it, so a reader sees the old contents or the new,
// never a part, and a crash leaves one of them.
func Replace(path string, data []byte) error {
	b := make([]byte, 6)
	if _, err := rand.Read(b); err != nil {
		return err
	}
	tmp := filepath.Join(filepath.Dir(path), "."+filepath.Base(path)+".new-"+hex.EncodeToString(b))
	if err := WriteNew(tmp, data); err != nil {
		return err
	}
	if err := os.Rename(tmp, path); err != nil {
		os.Remove(tmp)
		return err
	}
	if d, err := os.Open(filepath.Dir(path)); err == nil {
		_ = d.Sync() // the rename itself durable
		d.Close()
	}
	return nil
}
