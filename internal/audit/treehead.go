package audit

import (
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
)

// Origin names the log in its signed tree heads.
const Origin = "keyward-audit"

// KeyFile is the name of the signing key file in the data directory.
const KeyFile = "audit-signing.key"

// LoadOrCreateKey reads the note signer key at path, creating it (0600) when missing.
func LoadOrCreateKey(path string) (signerKey string, err error) {
	b, err := os.ReadFile(path)
	if err == nil {
		return strings.TrimSpace(string(b)), nil
	}
	if !errors.Is(err, os.ErrNotExist) {
		return "", err
	}
	skey, _, err := note.GenerateKey(rand.Reader, Origin)
	if err != nil {
		return "", err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return "", err
	}
	if err := os.WriteFile(path, []byte(skey+"\n"), 0o600); err != nil {
		return "", err
	}
	return skey, nil
}

// VerifierKey derives the public verifier key from a signer key.
func VerifierKey(signerKey string) (string, error) {
	// note's signer key is "PRIVATE+KEY+name+hash+base64(alg||seed)".
	parts := strings.SplitN(signerKey, "+", 5) // the base64 key itself may contain "+"
	if len(parts) != 5 {
		return "", errors.New("audit: malformed signing key")
	}
	raw, err := base64.StdEncoding.DecodeString(parts[4])
	if err != nil || len(raw) != 1+ed25519.SeedSize {
		return "", errors.New("audit: malformed signing key")
	}
	pub := ed25519.NewKeyFromSeed(raw[1:]).Public().(ed25519.PublicKey)
	return note.NewEd25519VerifierKey(parts[2], pub)
}

// SignTreeHead returns a signed note (the tlog checkpoint text) for a tree of size n with root.
func SignTreeHead(signerKey string, n int64, root tlog.Hash) ([]byte, error) {
	s, err := note.NewSigner(signerKey)
	if err != nil {
		return nil, err
	}
	text := tlog.FormatTree(tlog.Tree{N: n, Hash: root})
	return note.Sign(&note.Note{Text: string(text)}, s)
}

// OpenTreeHead checks a signed tree head against a verifier key and returns its tree.
func OpenTreeHead(verifierKey string, msg []byte) (tlog.Tree, error) {
	v, err := note.NewVerifier(verifierKey)
	if err != nil {
		return tlog.Tree{}, err
	}
	n, err := note.Open(msg, note.VerifierList(v))
	if err != nil {
		return tlog.Tree{}, fmt.Errorf("tree head signature: %w", err)
	}
	return tlog.ParseTree([]byte(n.Text))
}
