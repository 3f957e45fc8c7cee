// Package audit is the tamper-evident log: each record is hash-chained to the
// one before it and is a leaf of an RFC 6962 Merkle tree whose heads are signed
// with ed25519, so a copy of the log can be verified offline.
package audit

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"time"

	"golang.org/x/mod/sumdb/tlog"
)

// Record is the part of an audit row that the hash covers.
type Record struct {
	Seq         int64     `json:"seq"`
	ID          string    `json:"id"`
	At          time.Time `json:"at"`
	Actor       string    `json:"actor"`
	ActorRole   string    `json:"actor_role"`
	Action      string    `json:"action"`
	SubjectType string    `json:"subject_type"`
	SubjectID   string    `json:"subject_id"`
	Details     string    `json:"details"`
}

// Genesis is the previous hash of the first record.
var Genesis = hex.EncodeToString(make([]byte, sha256.Size))

// LeafData is the canonical encoding of a record: the Merkle leaf and the chain input.
// A fixed field order and JSON strings keep the encoding unambiguous.
func LeafData(r Record) []byte { return appendLeaf(nil, r) }

// ChainHash is SHA-256(prev || leaf), hex encoded.
func ChainHash(prevHex string, r Record) string {
	prev, _ := hex.DecodeString(prevHex)
	h := sha256.New()
	h.Write(prev)
	h.Write(LeafData(r))
	return hex.EncodeToString(h.Sum(nil))
}

// BadRecord names the first record that does not verify.
type BadRecord struct {
	Seq    int64
	ID     string
	Reason string
}

func (e *BadRecord) Error() string {
	return fmt.Sprintf("audit record seq %d (id %s): %s", e.Seq, e.ID, e.Reason)
}

// Stored is a record with the hashes the database kept for it.
type Stored struct {
	Record
	PrevHash string `json:"prev_hash"`
	Hash     string `json:"hash"`
}

// Verifier checks records one at a time, in order, and builds the Merkle tree.
type Verifier struct {
	n       int64
	prev    string
	prevSum [sha256.Size]byte // prev decoded, the chain input of the next record
	hashes  memoryHashes
	leaf    []byte // the encoding buffer, reused from record to record
}

// NewVerifier starts at the genesis record.
func NewVerifier() *Verifier { return &Verifier{prev: Genesis} }

// Add checks the next record: its sequence number, its link to the previous
// record and its own hash. The first failure is returned as *BadRecord.
func (v *Verifier) Add(s Stored) error {
	want := v.n + 1
	switch {
	case s.Seq < want:
		return &BadRecord{s.Seq, s.ID, fmt.Sprintf("out of order: expected seq %d", want)}
	case s.Seq > want:
		return &BadRecord{s.Seq, s.ID, fmt.Sprintf("records %d..%d are missing", want, s.Seq-1)}
	case s.PrevHash != v.prev:
		return &BadRecord{s.Seq, s.ID, "previous-hash link is broken (a record before it was changed, removed or reordered)"}
	}
	// The same hashes as ChainHash and tlog.StoredHashes, over one encoding of
	// the record and without a string or slice per record: verify runs this
	// for every record of the log.
	v.leaf = appendLeaf(v.leaf[:0], s.Record)
	h := sha256.New()
	h.Write(v.prevSum[:])
	h.Write(v.leaf)
	var sum [sha256.Size]byte
	h.Sum(sum[:0])
	var sumHex [2 * sha256.Size]byte
	hex.Encode(sumHex[:], sum[:])
	if string(sumHex[:]) != s.Hash {
		return &BadRecord{s.Seq, s.ID, "contents do not match the record hash (edited)"}
	}
	v.addLeaf(v.leaf)
	v.n++
	v.prev = s.Hash
	v.prevSum = sum
	return nil
}

// addLeaf stores the hashes record v.n adds to the tree, as
// tlog.StoredHashes(v.n, leaf, v.hashes) returns them: the leaf hash, then one
// interior hash for each subtree the leaf completes.
func (v *Verifier) addLeaf(leaf []byte) {
	h := sha256.New()
	h.Write([]byte{0}) // RFC 6962 leaf prefix, as tlog.RecordHash
	h.Write(leaf)
	var rh tlog.Hash
	h.Sum(rh[:0])
	v.hashes = append(v.hashes, rh)
	for level := 0; (v.n>>level)&1 == 1; level++ {
		left := v.hashes[tlog.StoredHashIndex(level, v.n>>level-1)]
		rh = tlog.NodeHash(left, rh)
		v.hashes = append(v.hashes, rh)
	}
}

// Size is the number of records verified so far.
func (v *Verifier) Size() int64 { return v.n }

// Last is the hash of the last verified record.
func (v *Verifier) Last() string { return v.prev }

// Root is the RFC 6962 tree hash over every record added.
func (v *Verifier) Root() (tlog.Hash, error) {
	if v.n == 0 {
		return tlog.Hash(sha256.Sum256(nil)), nil
	}
	return tlog.TreeHash(v.n, v.hashes)
}

// memoryHashes is tlog's hash storage kept in memory, indexed by stored-hash index.
type memoryHashes []tlog.Hash

func (m memoryHashes) ReadHashes(indexes []int64) ([]tlog.Hash, error) {
	out := make([]tlog.Hash, len(indexes))
	for i, x := range indexes {
		if x < 0 || x >= int64(len(m)) {
			return nil, fmt.Errorf("audit: hash index %d out of range", x)
		}
		out[i] = m[x]
	}
	return out, nil
}
