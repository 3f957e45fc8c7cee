package audit

import (
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
