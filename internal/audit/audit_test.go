package audit

import (
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestSignedTreeHeadRoundTrip(t *testing.T) {
	// Many keys, so some have a '+' in their base64 part.
	for i := range 40 {
		skey, err := LoadOrCreateKey(filepath.Join(t.TempDir(), KeyFile))
		if err != nil {
			t.Fatal(err)
		}
		vkey, err := VerifierKey(skey)
		if err != nil {
			t.Fatalf("key %d (%d '+'): %v", i, strings.Count(skey, "+"), err)
		}
		v := NewVerifier()
		prev := Genesis
		for seq := int64(1); seq <= 5; seq++ {
			r := Record{Seq: seq, ID: "a", At: time.Unix(seq, 0), Actor: "x", Action: "y", Details: "{}"}
			h := ChainHash(prev, r)
			if err := v.Add(Stored{Record: r, PrevHash: prev, Hash: h}); err != nil {
				t.Fatal(err)
			}
			prev = h
		}
		root, _ := v.Root()
		head, err := SignTreeHead(skey, v.Size(), root)
		if err != nil {
			t.Fatal(err)
		}
		tree, err := OpenTreeHead(vkey, head)
		if err != nil || tree.N != 5 || tree.Hash != root {
			t.Fatalf("open: %+v %v", tree, err)
		}
		other, _ := LoadOrCreateKey(filepath.Join(t.TempDir(), KeyFile))
		ovkey, _ := VerifierKey(other)
		if _, err := OpenTreeHead(ovkey, head); err == nil {
			t.Fatal("a tree head verified with another key")
		}
	}
}

func TestVerifierNamesFirstBadRecord(t *testing.T) {
	v := NewVerifier()
	r1 := Record{Seq: 1, ID: "a", At: time.Unix(1, 0), Details: "{}"}
	h1 := ChainHash(Genesis, r1)
	if err := v.Add(Stored{Record: r1, PrevHash: Genesis, Hash: h1}); err != nil {
		t.Fatal(err)
	}
	r2 := Record{Seq: 2, ID: "b", At: time.Unix(2, 0), Details: "{}"}
	h2 := ChainHash(h1, r2)
	r2.Details = `{"edited":true}`
	err := v.Add(Stored{Record: r2, PrevHash: h1, Hash: h2})
	bad, ok := err.(*BadRecord)
	if !ok || bad.Seq != 2 || !strings.Contains(bad.Reason, "edited") {
		t.Fatalf("err = %v", err)
	}
}

// A spliced leaf is byte for byte the leaf of the record with the piece in
// place of the mark, whatever the rest of the details hold.
func TestSpliceLeafMatchesLeafData(t *testing.T) {
	const mark = "MARK.x_"
	notes := []string{"", "plain", `quote " backslash \ slash /`, "line\nbreak\ttab", "\u2028\u2029 <&>", "emoji 🔑", "has MARK.x_ inside", "\x01\x1f"}
	for _, note := range notes {
		for _, piece := range []string{"AA1-3", "S00042-10", "a.b_c-1"} {
			details := func(stamp string) string {
				b, err := json.Marshal(map[string]any{"note": note, "stamp": stamp, "status": "issued"})
				if err != nil {
					t.Fatal(err)
				}
				return string(b)
			}
			r := Record{ID: "aud_x", At: time.Date(2026, 11, 23, 10, 0, 0, 123456789, time.UTC), Actor: "ö@example.test",
				ActorRole: "admin", Action: "key.checkout", SubjectType: "key", SubjectID: "key_1", Details: details(mark)}
			sp, ok := SpliceLeaf(r, mark)
			if !ok {
				t.Fatalf("note %q: no splice", note)
			}
			want := r
			want.Seq, want.Details = 4711, details(piece)
			if got := sp.Join(4711, piece); string(got) != string(LeafData(want)) {
				t.Fatalf("note %q piece %q:\n got %s\nwant %s", note, piece, got, LeafData(want))
			}
		}
	}
	if _, ok := SpliceLeaf(Record{Details: `{"a":"b"}`}, mark); ok {
		t.Fatal("a mark that is not in the details was spliced")
	}
	if _, ok := SpliceLeaf(Record{Details: `{"a":"x<y"}`}, "x<y"); ok {
		t.Fatal("a mark JSON may escape was accepted")
	}
}
