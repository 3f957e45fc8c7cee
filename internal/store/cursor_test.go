package store

import (
	"encoding/base64"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/keyward/keyward/internal/keyward"
)

// FuzzDecodeCursor: a list cursor is opaque but comes back from the client, so
// it is parsed as hostile input: it never panics, only this list's own shape
// passes, and what passes is UTF-8 text (PostgreSQL refuses anything else).
func FuzzDecodeCursor(f *testing.F) {
	f.Add(encodeCursor("AA1", "3"), 2)
	f.Add(encodeCursor("Main St", "sit_1"), 2)
	f.Add(base64.RawURLEncoding.EncodeToString([]byte("\xff\x001")), 2)
	f.Add("not base64!", 2)
	f.Add("", 1)
	f.Add("12345", 0)
	f.Fuzz(func(t *testing.T, c string, n int) {
		if n < 1 || n > 4 {
			n = 1 + (n%4+4)%4
		}
		parts, err := decodeCursor(c, n)
		if err != nil {
			if keyward.ErrorCode(err) != keyward.EINVALID {
				t.Fatalf("%q: %v", c, err)
			}
		} else {
			if len(parts) != n {
				t.Fatalf("%q: %d parts, want %d", c, len(parts), n)
			}
			for _, p := range parts {
				if !utf8.ValidString(p) || strings.IndexByte(p, 0) >= 0 {
					t.Fatalf("%q: part %q", c, p)
				}
			}
			if again, err := decodeCursor(encodeCursor(parts...), n); err != nil || strings.Join(again, "\x00") != strings.Join(parts, "\x00") {
				t.Fatalf("%q: does not round-trip: %q %v", c, again, err)
			}
		}
		if seq, err := seqCursor(c, -1); err == nil && c != "" && seq < 0 && !strings.HasPrefix(c, "-") {
			t.Fatalf("seqCursor(%q) = %d", c, seq)
		}
	})
}
