package vault

import (
	"errors"
	"fmt"
	"os"
	"syscall"

	"github.com/keyward/keyward/internal/safefile"
)

// ErrNoKeyringFile: the keyring came from the environment, so nothing can
// write a new one.
var ErrNoKeyringFile = errors.New("vault: the keyring comes from KEYWARD_VAULT_KEY, which no command can change: put it in a file and set KEYWARD_VAULT_KEY_FILE to that file instead")

// Lock takes the keyring file's lock (a file beside it, "<file>.lock"), so
// only one command changes the keyring at a time; the operating system
// releases it when the process ends, however it ends.
func (k *Key) Lock() (unlock func(), err error) {
	if k.path == "" {
		return nil, ErrNoKeyringFile
	}
	f, err := safefile.Create(k.path + ".lock")
	if err != nil {
		f, err = os.OpenFile(k.path+".lock", os.O_RDWR, 0)
	}
	if err != nil {
		return nil, fmt.Errorf("vault: keyring lock: %w", err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		return nil, errors.New("vault: another command is changing the keyring now (its lock file is held); wait for it to finish")
	}
	return func() { f.Close() }, nil
}

// Update changes the keyring file: it reads the file as it is now, applies
// change, and writes the result in its place (0600, atomically); the vault
// then holds the new keyring. The caller holds Lock.
func (k *Key) Update(change func(r *Ring) (*Ring, error)) (*Ring, error) {
	if k.path == "" {
		return nil, ErrNoKeyringFile
	}
	if _, err := k.Reload(); err != nil {
		return nil, err
	}
	n, err := change(k.ring.Load())
	if err != nil {
		return nil, err
	}
	if err := safefile.Replace(k.path, n.Marshal()); err != nil {
		return nil, fmt.Errorf("vault: write keyring: %w", err)
	}
	if _, err := k.Reload(); err != nil {
		return nil, err
	}
	return k.ring.Load(), nil
}
