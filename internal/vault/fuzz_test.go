package vault

import (
	"regexp"
	"strings"
	"testing"
)

// refusal is every fixed refusal of a key: a bare base64 key's, or a
// keyring file's (text starting with "{"), which names a KEK by its place or
// its id (derived from the key, never the key).
var refusal = regexp.MustCompile(`^vault: (the key is (not base64 \(want base64 of 32 bytes\)|\d+ bytes, want base64 of 32 bytes)|the keyring .+|keyring (version|KEK) .+)$`)

// FuzzParseKey: a vault key is base64 of exactly 32 bytes or refused, and a
// refusal is one of fixed words that never repeat what was given (it may be a real key, mistyped).
func FuzzParseKey(f *testing.F) {
	for _, s := range []string{NewKeyString(), "", "not base64!", "AAAA", strings.Repeat("A", 44), " " + NewKeyString() + "\n"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		k, err := ParseKey(s)
		if err != nil {
			if !refusal.MatchString(err.Error()) {
				t.Fatalf("not one of the fixed refusals (which never repeat the value): %v", err)
			}
			return
		}
		sealed := k.Seal("x", "aad")
		if got, err := k.Open(sealed, "aad"); err != nil || got.Reveal() != "x" {
			t.Fatalf("a key that parsed does not open its own seal: %v", err)
		}
	})
}
