package vault

import (
	"path/filepath"
	"strings"
	"testing"
)

func TestSealOpen(t *testing.T) {
	path := filepath.Join(t.TempDir(), KeyFile)
	k, err := Load("", path)
	if err != nil {
		t.Fatal(err)
	}
	sealed := k.Seal("4711", "lockbox:1")
	if strings.Contains(sealed, "4711") {
		t.Fatalf("plaintext visible in %q", sealed)
	}
	got, err := k.Open(sealed, "lockbox:1")
	if err != nil || got.Reveal() != "4711" {
		t.Fatalf("Open = %q, %v", got.Reveal(), err)
	}
	if _, err := k.Open(sealed, "lockbox:2"); err == nil {
		t.Fatal("a value moved to another row must not decrypt")
	}
	k2, err := Load("", path) // same file, same key
	if err != nil {
		t.Fatal(err)
	}
	if got, err := k2.Open(sealed, "lockbox:1"); err != nil || got.Reveal() != "4711" {
		t.Fatalf("reloaded key: %q, %v", got.Reveal(), err)
	}
	other, _ := Load("", filepath.Join(t.TempDir(), KeyFile))
	if _, err := other.Open(sealed, "lockbox:1"); err == nil {
		t.Fatal("another key must not decrypt")
	}
	if _, err := Load("not base64!", ""); err == nil {
		t.Fatal("bad env key accepted")
	}
}
