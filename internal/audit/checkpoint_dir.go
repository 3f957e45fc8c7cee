package audit

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// CheckpointSink is where signed checkpoints go. A directory is the one kind
// today; a witness outside this machine (another server that countersigns, a
// write-once store) would be another.
type CheckpointSink interface {
	Put(ctx context.Context, signedNote []byte) error
}

// Dir keeps checkpoints as files in a directory (0700), one file (0600) per
// checkpoint, named by size and signing time, written atomically and never
// replaced.
type Dir struct{ Path string }

const checkpointExt = ".checkpoint"

// CheckpointName is the file name of a checkpoint: zero-padded size, so the
// names sort by size, then the signing time.
func CheckpointName(c Checkpoint) string {
	at := "notime"
	if !c.Time.IsZero() {
		at = c.Time.UTC().Format("20060102T150405.000000000Z")
	}
	return fmt.Sprintf("%020d-%s%s", c.Tree.N, at, checkpointExt)
}

// ConflictError is a checkpoint for a size that already has one with a
// different root: the log at that size is not what was signed before. Both
// files are kept. It is tampering unless a restore explains it.
type ConflictError struct {
	New      Checkpoint
	Existing []Checkpoint
	Files    []string
}

func (e *ConflictError) Error() string {
	return fmt.Sprintf("audit checkpoint for %d records (root %s) disagrees with %s signed earlier for the same size: the log was rolled back or rewritten",
		e.New.Tree.N, e.New.Tree.Hash, strings.Join(e.Files, ", "))
}

// Put writes a signed checkpoint. A checkpoint with the same size and root is
// already there: nothing is written. One with the same size and another root
// is kept, the new one is written beside it, and *ConflictError is returned.
func (d Dir) Put(ctx context.Context, signedNote []byte) error {
	text, err := unsignedText(signedNote)
	if err != nil {
		return err
	}
	c, err := ParseCheckpointText(text)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(d.Path, 0o700); err != nil {
		return err
	}
	conflict := &ConflictError{New: c}
	prefix := fmt.Sprintf("%020d-", c.Tree.N)
	files, err := d.list(prefix)
	if err != nil {
		return err
	}
	for _, f := range files {
		t, err := unsignedText(f.Note)
		if err != nil {
			return fmt.Errorf("audit checkpoint %s: %w", f.Name, err)
		}
		old, err := ParseCheckpointText(t)
		if err != nil {
			return fmt.Errorf("audit checkpoint %s: %w", f.Name, err)
		}
		if old.Tree == c.Tree {
			return nil
		}
		conflict.Existing = append(conflict.Existing, old)
		conflict.Files = append(conflict.Files, f.Name)
	}
	if err := writeNew(d.Path, CheckpointName(c), signedNote); err != nil {
		return err
	}
	if len(conflict.Files) > 0 {
		return conflict
	}
	return nil
}

// writeNew writes data to dir/name through a temporary file and a hard link,
// so a reader never sees half a file and an existing file is never replaced.
func writeNew(dir, name string, data []byte) error {
	tmp, err := os.CreateTemp(dir, ".tmp-checkpoint-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Chmod(0o600); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	final := filepath.Join(dir, name)
	if err := os.Link(tmp.Name(), final); err != nil {
		if errors.Is(err, os.ErrExist) {
			if old, rerr := os.ReadFile(final); rerr == nil && bytes.Equal(old, data) {
				return nil
			}
		}
		return err
	}
	if df, err := os.Open(dir); err == nil {
		_ = df.Sync()
		df.Close()
	}
	return nil
}

// List reads every checkpoint file, in name order (by size, then time). A
// directory that does not exist holds none.
func (d Dir) List() ([]CheckpointFile, error) { return d.list("") }

// list reads the checkpoint files whose names start with prefix.
func (d Dir) list(prefix string) ([]CheckpointFile, error) {
	entries, err := os.ReadDir(d.Path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var out []CheckpointFile
	for _, e := range entries {
		if e.IsDir() || !strings.HasSuffix(e.Name(), checkpointExt) || !strings.HasPrefix(e.Name(), prefix) || strings.HasPrefix(e.Name(), ".") {
			continue
		}
		b, err := os.ReadFile(filepath.Join(d.Path, e.Name()))
		if err != nil {
			return nil, err
		}
		out = append(out, CheckpointFile{Name: e.Name(), Note: b})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}
