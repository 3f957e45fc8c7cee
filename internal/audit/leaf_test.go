package audit

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"golang.org/x/mod/sumdb/tlog"
)

// jsonLeafData is the encoding every stored hash was computed with: the
// record's fields as a JSON array, encoding/json with HTML escaping off.
func jsonLeafData(r Record) []byte {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	_ = enc.Encode([]any{r.Seq, r.ID, r.At.UTC().Format(time.RFC3339Nano), r.Actor, r.ActorRole,
		r.Action, r.SubjectType, r.SubjectID, r.Details})
	return bytes.TrimSuffix(b.Bytes(), []byte("\n"))
}

// leafStrings are texts whose JSON encoding has a rule of its own.
var leafStrings = func() []string {
	s := []string{"", "plain", `quote " and backslash \`, "<script>&amp;</script>", "Dana Ruiz-Émond “the key”",
		"line\u2028para\u2029end", "bad \xff byte", "cut \xe2\x80", "surrogate \xed\xa0\x80", "\x7f del", "日本語 🔑",
		`{"name":"Dana","note":"a\nb"}`}
	for b := range 0x20 {
		s = append(s, fmt.Sprintf("c%cc", b))
	}
	return s
}()

func TestLeafDataMatchesJSON(t *testing.T) {
	times := []time.Time{time.Unix(0, 0), time.Date(2026, 3, 2, 9, 0, 0, 123456789, time.UTC),
		time.Date(2026, 3, 2, 9, 0, 0, 120000000, time.FixedZone("X", -5*3600)), {}, time.Date(12000, 1, 1, 0, 0, 0, 1, time.UTC)}
	for i, s := range leafStrings {
		r := Record{Seq: int64(i*7919 - 3), ID: s, At: times[i%len(times)], Actor: s, ActorRole: "owner", Action: s,
			SubjectType: "key", SubjectID: s, Details: s}
		if got, want := LeafData(r), jsonLeafData(r); !bytes.Equal(got, want) {
			t.Errorf("%q:\n got %s\nwant %s", s, got, want)
		}
	}
}

// TestChainHashPinned: the hash of one fixed record, as logs already hold it.
func TestChainHashPinned(t *testing.T) {
	r := Record{Seq: 42, ID: "aud_x", At: time.Date(2026, 3, 2, 9, 0, 0, 5, time.UTC), Actor: "o@acme.test", ActorRole: "owner",
		Action: "key.checkout", SubjectType: "key", SubjectID: "key_1", Details: `{"note":"<é>\n"}`}
	if got, want := ChainHash(Genesis, r), "f75f5a600a213b8e1687b5e9bfc5118625d76c361ec00a44dab189c726273652"; got != want {
		t.Fatalf("ChainHash = %s, want %s", got, want)
	}
}

// FuzzLeafData: the hand-written encoding equals encoding/json's for any text.
func FuzzLeafData(f *testing.F) {
	for _, s := range leafStrings {
		f.Add(int64(len(s)), s, int64(1772442000123456789))
	}
	f.Fuzz(func(t *testing.T, seq int64, s string, nanos int64) {
		r := Record{Seq: seq, ID: s, At: time.Unix(0, nanos), Actor: s, ActorRole: s, Action: s, SubjectType: s, SubjectID: s, Details: s}
		if got, want := LeafData(r), jsonLeafData(r); !bytes.Equal(got, want) {
			t.Fatalf("%q:\n got %s\nwant %s", s, got, want)
		}
	})
}

// TestVerifierTreeMatchesTlog: the verifier stores the hashes tlog would and
// checks each chain hash as ChainHash computes it, for every tree size up to
// a few hundred (every shape of completed subtrees).
func TestVerifierTreeMatchesTlog(t *testing.T) {
	v := NewVerifier()
	var want memoryHashes
	prev := Genesis
	for i := int64(1); i <= 300; i++ {
		r := Record{Seq: i, ID: fmt.Sprint("aud_", i), At: time.Unix(i, i), Actor: "x", Action: "y", Details: fmt.Sprintf(`{"i":%d}`, i)}
		p, _ := hex.DecodeString(prev)
		sum := sha256.Sum256(append(p, jsonLeafData(r)...))
		s := Stored{Record: r, PrevHash: prev, Hash: hex.EncodeToString(sum[:])}
		if err := v.Add(s); err != nil {
			t.Fatalf("record %d: %v", i, err)
		}
		stored, err := tlog.StoredHashes(i-1, jsonLeafData(r), want)
		if err != nil {
			t.Fatal(err)
		}
		want = append(want, stored...)
		root, err := v.Root()
		if err != nil {
			t.Fatal(err)
		}
		wantRoot, err := tlog.TreeHash(i, want)
		if err != nil || root != wantRoot || len(v.hashes) != len(want) {
			t.Fatalf("size %d: root %v, want %v (%v); %d stored hashes, want %d", i, root, wantRoot, err, len(v.hashes), len(want))
		}
		prev = s.Hash
	}
	if v.Last() != prev {
		t.Fatalf("last = %s, want %s", v.Last(), prev)
	}
}

func BenchmarkVerifierAdd(b *testing.B) {
	_, rows := chainOf(b, 10_000, func(i int) string { return fmt.Sprintf("user%d@acme.test", i%50) })
	b.ReportAllocs()
	for b.Loop() {
		v := NewVerifier()
		for _, s := range rows {
			if err := v.Add(s); err != nil {
				b.Fatal(err)
			}
		}
	}
	b.ReportMetric(float64(len(rows))*float64(b.N)/b.Elapsed().Seconds(), "records/s")
}
