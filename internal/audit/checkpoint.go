package audit

import (
	"bytes"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
)

// A checkpoint is a signed tree head kept outside the database: the size and
// RFC 6962 root of the log at the moment it was signed. Every later log must
// contain that tree as a prefix (an RFC 6962 consistency proof shows it), so
// a log rolled back, truncated, wiped or rewritten after the checkpoint no
// longer verifies, even when its own hash chain is intact.
type Checkpoint struct {
	Tree tlog.Tree
	// Time is when the checkpoint was signed; zero for a plain tree head
	// (an export's) that carries no time line.
	Time time.Time
}

// timePrefix starts the checkpoint's extension line: tlog's checkpoint text is
// three lines (header, size, root) and ignores the lines after them.
const timePrefix = "time "

// CheckpointText is the note text of a checkpoint: tlog's tree text and a line
// with the signing time.
func CheckpointText(c Checkpoint) []byte {
	text := tlog.FormatTree(c.Tree)
	return append(text, timePrefix+c.Time.UTC().Format(time.RFC3339Nano)+"\n"...)
}

// ParseCheckpointText reads a checkpoint's note text (no signature check).
func ParseCheckpointText(text []byte) (Checkpoint, error) {
	tree, err := tlog.ParseTree(text)
	if err != nil {
		return Checkpoint{}, fmt.Errorf("not a tree head: %w", err)
	}
	c := Checkpoint{Tree: tree}
	lines := strings.Split(string(text), "\n")
	for _, l := range lines[3:] {
		if v, ok := strings.CutPrefix(l, timePrefix); ok {
			if c.Time, err = time.Parse(time.RFC3339Nano, v); err != nil {
				return Checkpoint{}, fmt.Errorf("unreadable time line %q", l)
			}
		}
	}
	return c, nil
}

// SignCheckpoint signs a checkpoint as a note with the audit signing key.
func SignCheckpoint(signerKey string, c Checkpoint) ([]byte, error) {
	s, err := note.NewSigner(signerKey)
	if err != nil {
		return nil, err
	}
	return note.Sign(&note.Note{Text: string(CheckpointText(c))}, s)
}

// OpenCheckpoint checks a signed checkpoint against the verifier key.
func OpenCheckpoint(verifierKey string, msg []byte) (Checkpoint, error) {
	v, err := note.NewVerifier(verifierKey)
	if err != nil {
		return Checkpoint{}, err
	}
	n, err := note.Open(msg, note.VerifierList(v))
	if err != nil {
		return Checkpoint{}, fmt.Errorf("signature: %w", err)
	}
	return ParseCheckpointText([]byte(n.Text))
}

// unsignedText is a note's text without checking its signature (the text
// ends at the blank line before the signatures).
func unsignedText(msg []byte) ([]byte, error) {
	i := bytes.LastIndex(msg, []byte("\n\n"))
	if i < 0 {
		return nil, errors.New("not a signed note")
	}
	return msg[:i+1], nil
}

// sensitivePrefixes are the actions a checkpoint follows at once: changes to
// who may do what (users, roles, tokens, sign-in rules) and restores.
var sensitivePrefixes = []string{"user.", "token.", "org.require_totp", RestoreAction}

// Sensitive reports whether an action is signed into a checkpoint promptly
// instead of at the next interval: every reveal of a secret (and every refused
// one), every user, role or token change, and every restore.
func Sensitive(action string) bool {
	if strings.Contains(action, "reveal") {
		return true
	}
	for _, p := range sensitivePrefixes {
		if strings.HasPrefix(action, p) {
			return true
		}
	}
	return false
}

// RestoreAction is the audit action `keyward restore` appends in its own
// transaction, right after the restored records.
const RestoreAction = "audit.restored"

// Restore is a restore record: the log was put back to RestoredSize records
// from a backup taken at BackupTakenAt; the record itself is at Seq, at At.
type Restore struct {
	Seq           int64
	At            time.Time
	RestoredSize  int64
	BackupTakenAt time.Time
	Backup        string
}

// ParseRestore reads a restore record. ok is false for any other action; an
// error means the record claims to be a restore but cannot be one (its details
// do not parse, or it does not directly follow the restored records), and
// then it supersedes nothing.
func ParseRestore(r Record) (rs Restore, ok bool, err error) {
	if r.Action != RestoreAction {
		return Restore{}, false, nil
	}
	var d struct {
		RestoredSize  *int64 `json:"restored_size"`
		BackupTakenAt string `json:"backup_taken_at"`
		Backup        string `json:"backup"`
	}
	if err := json.Unmarshal([]byte(r.Details), &d); err != nil || d.RestoredSize == nil {
		return Restore{}, true, fmt.Errorf("restore record #%d: details do not name restored_size", r.Seq)
	}
	taken, err := time.Parse(time.RFC3339Nano, d.BackupTakenAt)
	if err != nil {
		return Restore{}, true, fmt.Errorf("restore record #%d: backup_taken_at %q is not an RFC 3339 time", r.Seq, d.BackupTakenAt)
	}
	if *d.RestoredSize+1 != r.Seq {
		return Restore{}, true, fmt.Errorf("restore record #%d: it says %d records were restored, so it must be record #%d", r.Seq, *d.RestoredSize, *d.RestoredSize+1)
	}
	return Restore{Seq: r.Seq, At: r.At, RestoredSize: *d.RestoredSize, BackupTakenAt: taken, Backup: d.Backup}, true, nil
}

// SupersededBy returns the restore that explains why a checkpoint is not in
// the log: the checkpoint is bigger than what the restore kept, and it was
// signed after the backup was taken and before the restore. nil if none.
func SupersededBy(c Checkpoint, restores []Restore) *Restore {
	if c.Time.IsZero() {
		return nil
	}
	for i := range restores {
		r := &restores[i]
		if c.Tree.N > r.RestoredSize && c.Time.After(r.BackupTakenAt) && c.Time.Before(r.At) {
			return r
		}
	}
	return nil
}

// Consistent checks, with an RFC 6962 consistency proof, that the tree of a
// checkpoint is a prefix of the current log of n records (hashes are the log's
// stored hashes, root its root).
func Consistent(c tlog.Tree, n int64, root tlog.Hash, hashes tlog.HashReader) error {
	switch {
	case c.N > n:
		return fmt.Errorf("it covers %d records but the log holds only %d: records %d..%d are gone", c.N, n, n+1, c.N)
	case c.N == 0:
		if c.Hash != tlog.Hash(sha256.Sum256(nil)) {
			return errors.New("an empty tree with a root that is not the empty root")
		}
		return nil
	}
	proof, err := tlog.ProveTree(n, c.N, hashes)
	if err != nil {
		return err
	}
	if err := tlog.CheckTree(proof, n, root, c.N, c.Hash); err != nil {
		return fmt.Errorf("the log's first %d records are not the ones signed (no consistency proof: %v)", c.N, err)
	}
	return nil
}

// CheckpointFile is one checkpoint as read from where it is kept.
type CheckpointFile struct {
	Name string
	Note []byte
}

// Outcome of checking one checkpoint.
type Outcome int

const (
	OK Outcome = iota
	Superseded
	Failed
)

// Finding is what verify says about one checkpoint.
type Finding struct {
	Name       string
	Checkpoint Checkpoint
	Outcome    Outcome
	Restore    *Restore // for Superseded
	Reason     string   // for Failed
}

func (f Finding) String() string {
	at := "no time"
	if !f.Checkpoint.Time.IsZero() {
		at = "signed " + f.Checkpoint.Time.UTC().Format(time.RFC3339)
	}
	head := fmt.Sprintf("checkpoint %s (%d records, %s)", f.Name, f.Checkpoint.Tree.N, at)
	switch f.Outcome {
	case Superseded:
		r := f.Restore
		return fmt.Sprintf("%s: superseded by the restore at record #%d (records %d..%d of %s were lost; backup %q taken %s)",
			head, r.Seq, r.RestoredSize+1, f.Checkpoint.Tree.N, f.Checkpoint.Time.UTC().Format(time.RFC3339), r.Backup, r.BackupTakenAt.UTC().Format(time.RFC3339))
	case Failed:
		return head + ": " + f.Reason
	}
	return head + ": consistent"
}

// CheckCheckpoints checks every checkpoint against a log that verified (v
// holds its Merkle tree): the signature, then consistency with the log, or
// supersession by a genuine restore. For an inconsistent checkpoint the first
// changed record is narrowed to the records after the biggest consistent
// checkpoint below it.
func CheckCheckpoints(files []CheckpointFile, verifierKey string, v *Verifier, restores []Restore) ([]Finding, error) {
	root, err := v.Root()
	if err != nil {
		return nil, err
	}
	out := make([]Finding, 0, len(files))
	var good []int64
	for _, f := range files {
		fd := Finding{Name: f.Name}
		c, err := OpenCheckpoint(verifierKey, f.Note)
		if err != nil {
			fd.Outcome, fd.Reason = Failed, fmt.Sprintf("does not verify with the audit verifier key (%v): it was not signed by this log's key or was changed", err)
			out = append(out, fd)
			continue
		}
		fd.Checkpoint = c
		cerr := Consistent(c.Tree, v.Size(), root, v.hashes)
		switch {
		case cerr == nil:
			good = append(good, c.Tree.N)
		case SupersededBy(c, restores) != nil:
			fd.Outcome, fd.Restore = Superseded, SupersededBy(c, restores)
		default:
			fd.Outcome, fd.Reason = Failed, cerr.Error()
		}
		out = append(out, fd)
	}
	for i := range out {
		f := &out[i]
		if f.Outcome != Failed || f.Checkpoint.Tree.N == 0 || f.Checkpoint.Tree.N > v.Size() {
			continue
		}
		var from int64
		for _, g := range good {
			if g < f.Checkpoint.Tree.N && g > from {
				from = g
			}
		}
		if from+1 == f.Checkpoint.Tree.N {
			f.Reason += fmt.Sprintf("; record #%d is not the one signed", from+1)
		} else {
			f.Reason += fmt.Sprintf("; the first changed record is one of #%d..#%d", from+1, f.Checkpoint.Tree.N)
		}
	}
	return out, nil
}

// SinceCheck compares the current log, record by record as it is read, with
// the records of an earlier export: every one of them must still be there,
// unchanged, at the same place.
type SinceCheck struct {
	Old []Stored
	n   int
	bad *BadRecord
}

// Add takes the next record of the current log.
func (c *SinceCheck) Add(s Stored) {
	if c.bad != nil || c.n >= len(c.Old) {
		c.n++
		return
	}
	old := c.Old[c.n]
	c.n++
	if old.Seq != s.Seq || old.Hash != s.Hash || old.PrevHash != s.PrevHash || !bytes.Equal(LeafData(old.Record), LeafData(s.Record)) {
		c.bad = &BadRecord{Seq: old.Seq, ID: old.ID, Reason: fmt.Sprintf("changed since the export: the export has %s, the log now has record #%d %s",
			describe(old), s.Seq, describe(s))}
	}
}

// Err is the first record of the export that is missing or changed, nil when
// the log holds all of them unchanged.
func (c *SinceCheck) Err() error {
	if c.bad != nil {
		return c.bad
	}
	if c.n < len(c.Old) {
		old := c.Old[c.n]
		return &BadRecord{Seq: old.Seq, ID: old.ID, Reason: fmt.Sprintf("missing: the export holds %d records, the log now holds only %d (%s)", len(c.Old), c.n, describe(old))}
	}
	return nil
}

func describe(s Stored) string {
	return fmt.Sprintf("%s by %s at %s, hash %.12s", s.Action, s.Actor, s.At.UTC().Format(time.RFC3339), s.Hash)
}
