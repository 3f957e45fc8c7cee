package vault

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/keyward/keyward/internal/keyward"
)

// Envelope encryption. Every secret gets its own random 32-byte data key
// (DEK); the DEK encrypts the secret (AES-256-GCM, bound to the row's aad) and
// a key-encryption key (KEK) of the keyring wraps the DEK (AES-256-GCM, bound
// to the KEK's id and the row's aad). A sealed value reads
//
//	v2:<kek id>:<wrapped DEK, base64>:<ciphertext, base64>
//
// so rotating the KEK rewrites only the wrapped DEK, and the rows still under
// an old KEK are found by their prefix. Values sealed before envelope
// encryption read "v1:<ciphertext>", sealed directly by the one vault key of
// that time; any KEK of the keyring may open them.

// IDLen is the length of a KEK id: 16 lowercase hex characters, so the prefix
// "v2:<id>:" has one length (PrefixLen) that SQL can cut with substr.
const IDLen = 16

// PrefixLen is the length of a v2 value's prefix "v2:<id>:".
const PrefixLen = len("v2:") + IDLen + 1

// V1 is the name counts and checks give the values sealed before envelope
// encryption (they carry no KEK id).
const V1 = "v1"

// State is what a KEK of the keyring is for.
type State string

const (
	// Current wraps every new data key.
	Current State = "current"
	// Active still wraps data keys in the database, but no new ones: a
	// rotation away from it has begun and not finished.
	Active State = "active"
	// Retired wraps no data key in the database any more; it still opens a
	// backup taken before its rotation, until it is destroyed.
	Retired State = "retired"
)

type kek struct {
	id    string
	raw   []byte
	aead  cipher.AEAD
	state State
}

// Ring is a keyring: its KEKs, one of them current. A Ring never changes;
// the methods that alter it return a new one.
type Ring struct {
	keks    []*kek // in the file's order, oldest first
	current *kek
}

// KEKID is the id of a raw KEK: the first 16 hex characters of an HMAC of a
// fixed text under the key. It names the key without revealing it, and the
// same key has the same id wherever it is written (a bare key file, an
// environment variable, a keyring).
func KEKID(raw []byte) string {
	m := hmac.New(sha256.New, raw)
	m.Write([]byte("keyward vault kek id"))
	return hex.EncodeToString(m.Sum(nil))[:IDLen]
}

func newKEK(raw []byte, st State) (*kek, error) {
	if len(raw) != 32 {
		return nil, errors.New("vault: key must be 32 bytes")
	}
	block, err := aes.NewCipher(raw)
	if err != nil {
		return nil, err
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, err
	}
	return &kek{id: KEKID(raw), raw: bytes.Clone(raw), aead: aead, state: st}, nil
}

// RingOf is a keyring of one: raw is its current KEK.
func RingOf(raw []byte) (*Ring, error) {
	k, err := newKEK(raw, Current)
	if err != nil {
		return nil, err
	}
	return &Ring{keks: []*kek{k}, current: k}, nil
}

// Current is the id of the KEK that wraps new data keys.
func (r *Ring) Current() string { return r.current.id }

// KEK is one KEK as a listing shows it: its id and state, never its bytes.
type KEK struct {
	ID    string
	State State
}

// KEKs lists the keyring, oldest first.
func (r *Ring) KEKs() []KEK {
	out := make([]KEK, len(r.keks))
	for i, k := range r.keks {
		out[i] = KEK{k.id, k.state}
	}
	return out
}

// Has reports whether the keyring holds the KEK id.
func (r *Ring) Has(id string) bool { return r.find(id) != nil }

// StateOf is the state of the KEK id ("" when the keyring lacks it).
func (r *Ring) StateOf(id string) State {
	if k := r.find(id); k != nil {
		return k.state
	}
	return ""
}

func (r *Ring) find(id string) *kek {
	for _, k := range r.keks {
		if k.id == id {
			return k
		}
	}
	return nil
}

func (r *Ring) with(change func(k *kek) State, add ...*kek) *Ring {
	n := &Ring{}
	for _, k := range r.keks {
		c := *k
		c.state = change(k)
		n.keks = append(n.keks, &c)
	}
	n.keks = append(n.keks, add...)
	for _, k := range n.keks {
		if k.state == Current {
			n.current = k
		}
	}
	return n
}

// Rotating reports whether a rotation has begun and not finished: some KEK
// besides the current one may still wrap data keys in the database.
func (r *Ring) Rotating() bool {
	for _, k := range r.keks {
		if k.state == Active {
			return true
		}
	}
	return false
}

// WithNew adds raw as the current KEK; the one current before stays, Active,
// until nothing in the database uses it (Retire).
func (r *Ring) WithNew(raw []byte) (*Ring, error) {
	k, err := newKEK(raw, Current)
	if err != nil {
		return nil, err
	}
	if r.Has(k.id) {
		return nil, fmt.Errorf("vault: KEK id %s is already in the keyring", k.id)
	}
	return r.with(func(o *kek) State {
		if o.state == Current {
			return Active
		}
		return o.state
	}, k), nil
}

// Retire marks an active KEK retired, once nothing in the database uses it.
func (r *Ring) Retire(id string) (*Ring, error) {
	switch r.StateOf(id) {
	case "":
		return nil, fmt.Errorf("vault: KEK id %s is not in the keyring", id)
	case Current:
		return nil, fmt.Errorf("vault: KEK id %s is the current one and cannot be retired", id)
	}
	return r.with(func(o *kek) State {
		if o.id == id {
			return Retired
		}
		return o.state
	}), nil
}

// Destroy removes a retired KEK and its bytes from the keyring: backups taken
// before its rotation can no longer be opened by this keyring.
func (r *Ring) Destroy(id string) (*Ring, error) {
	switch r.StateOf(id) {
	case "":
		return nil, fmt.Errorf("vault: KEK id %s is not in the keyring", id)
	case Current, Active:
		return nil, fmt.Errorf("vault: KEK id %s is %s: only a retired KEK can be destroyed", id, r.StateOf(id))
	}
	n := &Ring{current: r.current}
	for _, k := range r.keks {
		if k.id != id {
			n.keks = append(n.keks, k)
		}
	}
	return n, nil
}

// keyringFile is the keyring's file format.
type keyringFile struct {
	Version int       `json:"keyward_vault_keyring"`
	KEKs    []kekFile `json:"keks"`
}

type kekFile struct {
	ID    string `json:"id"`
	State State  `json:"state"`
	Key   string `json:"key"`
}

// Marshal writes the keyring in its file format (JSON; the KEKs in base64).
func (r *Ring) Marshal() []byte {
	f := keyringFile{Version: 1}
	for _, k := range r.keks {
		f.KEKs = append(f.KEKs, kekFile{ID: k.id, State: k.state, Key: base64.StdEncoding.EncodeToString(k.raw)})
	}
	b, _ := json.MarshalIndent(f, "", "  ")
	return append(b, '\n')
}

// MaxKeyringSize bounds a keyring file.
const MaxKeyringSize = 1 << 20

// ParseKeyring reads a keyring file, or a bare key (base64 of 32 bytes, as
// KEYWARD_VAULT_KEY and key files from before keyrings hold it) as a keyring
// of one. Errors never repeat a key.
func ParseKeyring(b []byte) (*Ring, error) {
	if len(b) > MaxKeyringSize {
		return nil, errors.New("vault: the keyring is larger than 1 MiB")
	}
	text := strings.TrimSpace(string(b))
	if !strings.HasPrefix(text, "{") {
		raw, err := decodeKey(text)
		if err != nil {
			return nil, err
		}
		return RingOf(raw)
	}
	var f keyringFile
	dec := json.NewDecoder(strings.NewReader(text))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&f); err != nil {
		return nil, errors.New("vault: the keyring is not valid JSON of the keyring format")
	}
	if dec.More() {
		return nil, errors.New("vault: the keyring has text after its end")
	}
	if f.Version != 1 {
		return nil, fmt.Errorf("vault: keyring version %d is unknown (want 1)", f.Version)
	}
	if len(f.KEKs) == 0 {
		return nil, errors.New("vault: the keyring holds no KEK")
	}
	r := &Ring{}
	for i, kf := range f.KEKs {
		switch kf.State {
		case Current, Active, Retired:
		default:
			return nil, fmt.Errorf("vault: keyring KEK %d: state must be current, active or retired", i+1)
		}
		raw, err := decodeKey(kf.Key)
		if err != nil {
			return nil, fmt.Errorf("vault: keyring KEK %d: %w", i+1, err)
		}
		k, err := newKEK(raw, kf.State)
		if err != nil {
			return nil, err
		}
		if kf.ID != k.id {
			return nil, fmt.Errorf("vault: keyring KEK %d: its id does not match its key (the file was edited by hand?)", i+1)
		}
		if r.Has(k.id) {
			return nil, fmt.Errorf("vault: keyring KEK %d: id %s appears twice", i+1, k.id)
		}
		if k.state == Current {
			if r.current != nil {
				return nil, errors.New("vault: the keyring has more than one current KEK")
			}
			r.current = k
		}
		r.keks = append(r.keks, k)
	}
	if r.current == nil {
		return nil, errors.New("vault: the keyring has no current KEK")
	}
	return r, nil
}

func decodeKey(b64 string) ([]byte, error) {
	raw, err := base64.StdEncoding.DecodeString(strings.TrimSpace(b64))
	if err != nil {
		return nil, errors.New("vault: the key is not base64 (want base64 of 32 bytes)")
	}
	if len(raw) != 32 {
		return nil, fmt.Errorf("vault: the key is %d bytes, want base64 of 32 bytes", len(raw))
	}
	return raw, nil
}

// MissingKEKError: a sealed value names a KEK the keyring lacks.
type MissingKEKError struct{ ID string }

func (e *MissingKEKError) Error() string {
	return "vault: KEK id " + e.ID + " is not in the keyring"
}

var (
	errFormat  = errors.New("vault: unknown format")
	errMangled = errors.New("vault: malformed ciphertext")
	errDecrypt = errors.New("vault: cannot decrypt (wrong key or tampered value)")
)

func wrapAAD(id, aad string) []byte { return []byte("keyward-dek\x00" + id + "\x00" + aad) }

func gcmSeal(a cipher.AEAD, pt, aad []byte) []byte {
	nonce := make([]byte, a.NonceSize())
	_, _ = rand.Read(nonce)
	return a.Seal(nonce, nonce, pt, aad)
}

func gcmOpen(a cipher.AEAD, ct, aad []byte) ([]byte, error) {
	if len(ct) < a.NonceSize()+a.Overhead() {
		return nil, errMangled
	}
	pt, err := a.Open(nil, ct[:a.NonceSize()], ct[a.NonceSize():], aad)
	if err != nil {
		return nil, errDecrypt
	}
	return pt, nil
}

func dekAEAD(dek []byte) cipher.AEAD {
	block, _ := aes.NewCipher(dek) // 32 bytes: cannot fail
	aead, _ := cipher.NewGCM(block)
	return aead
}

// Seal encrypts a secret under a new data key wrapped by the current KEK;
// aad binds it to its row (e.g. "lockbox:<id>").
func (r *Ring) Seal(s keyward.Secret, aad string) string {
	dek := make([]byte, 32)
	_, _ = rand.Read(dek)
	ct := gcmSeal(dekAEAD(dek), []byte(s.Reveal()), []byte(aad))
	wrapped := gcmSeal(r.current.aead, dek, wrapAAD(r.current.id, aad))
	clear(dek)
	enc := base64.RawStdEncoding.EncodeToString
	return "v2:" + r.current.id + ":" + enc(wrapped) + ":" + enc(ct)
}

// v2 is a parsed v2 value.
type v2 struct {
	id          string
	wrapped, ct []byte
	ctText      string
}

func parseV2(sealed string) (v2, bool, error) {
	rest, ok := strings.CutPrefix(sealed, "v2:")
	if !ok {
		if strings.HasPrefix(sealed, "v1:") {
			return v2{}, false, nil
		}
		return v2{}, false, errFormat
	}
	parts := strings.Split(rest, ":")
	if len(parts) != 3 || !validID(parts[0]) {
		return v2{}, true, errMangled
	}
	wrapped, err1 := base64.RawStdEncoding.DecodeString(parts[1])
	ct, err2 := base64.RawStdEncoding.DecodeString(parts[2])
	if err1 != nil || err2 != nil {
		return v2{}, true, errMangled
	}
	return v2{id: parts[0], wrapped: wrapped, ct: ct, ctText: parts[2]}, true, nil
}

func validID(id string) bool {
	if len(id) != IDLen {
		return false
	}
	for _, c := range id {
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return false
		}
	}
	return true
}

// KEKOf is the KEK id a sealed value names, V1 for a value sealed before
// envelope encryption, "" for one of no known format.
func KEKOf(sealed string) string {
	switch {
	case strings.HasPrefix(sealed, "v1:"):
		return V1
	case len(sealed) >= PrefixLen && strings.HasPrefix(sealed, "v2:") && sealed[PrefixLen-1] == ':' && validID(sealed[3:3+IDLen]):
		return sealed[3 : 3+IDLen]
	}
	return ""
}

func (r *Ring) unwrap(v v2, aad string) ([]byte, error) {
	k := r.find(v.id)
	if k == nil {
		return nil, &MissingKEKError{ID: v.id}
	}
	dek, err := gcmOpen(k.aead, v.wrapped, wrapAAD(v.id, aad))
	if err != nil {
		return nil, err
	}
	if len(dek) != 32 {
		return nil, errMangled
	}
	return dek, nil
}

// Open decrypts what Seal produced (or a v1 value) with the same aad.
func (r *Ring) Open(sealed, aad string) (keyward.Secret, error) {
	v, isV2, err := parseV2(sealed)
	if err != nil {
		return "", err
	}
	if !isV2 {
		return r.openV1(sealed, aad)
	}
	dek, err := r.unwrap(v, aad)
	if err != nil {
		return "", err
	}
	defer clear(dek)
	pt, err := gcmOpen(dekAEAD(dek), v.ct, []byte(aad))
	if err != nil {
		return "", err
	}
	return keyward.Secret(pt), nil
}

// openV1 opens a value sealed directly by the vault key of before envelope
// encryption: any KEK of the keyring may be that key, the current one first.
func (r *Ring) openV1(sealed, aad string) (keyward.Secret, error) {
	ct, err := base64.RawStdEncoding.DecodeString(strings.TrimPrefix(sealed, "v1:"))
	if err != nil {
		return "", errMangled
	}
	order := append([]*kek{r.current}, r.keks...)
	err = errDecrypt
	for _, k := range order {
		var pt []byte
		if pt, err = gcmOpen(k.aead, ct, []byte(aad)); err == nil {
			return keyward.Secret(pt), nil
		}
	}
	return "", err
}

// Rewrap puts a sealed value under the current KEK: a v2 value under another
// KEK gets its data key unwrapped and wrapped again (the ciphertext stays as
// it is, the secret is never decrypted); a v1 value is opened and sealed anew
// as v2. changed is false when the value already was under the current KEK.
func (r *Ring) Rewrap(sealed, aad string) (out string, changed bool, err error) {
	v, isV2, err := parseV2(sealed)
	if err != nil {
		return "", false, err
	}
	if !isV2 {
		s, err := r.openV1(sealed, aad)
		if err != nil {
			return "", false, err
		}
		return r.Seal(s, aad), true, nil
	}
	if v.id == r.current.id {
		return sealed, false, nil
	}
	dek, err := r.unwrap(v, aad)
	if err != nil {
		return "", false, err
	}
	defer clear(dek)
	wrapped := gcmSeal(r.current.aead, dek, wrapAAD(r.current.id, aad))
	return "v2:" + r.current.id + ":" + base64.RawStdEncoding.EncodeToString(wrapped) + ":" + v.ctText, true, nil
}

// Sample is one sealed value of the database under one KEK id (V1 for the
// values from before envelope encryption), with how many values that KEK
// holds and where it was found (never the secret).
type Sample struct {
	KEK    string
	Sealed string
	AAD    string
	Count  int
	Where  string // e.g. "lockbox codes"
}

// Verify tries one sealed value per KEK id the database uses and says, in
// words, why the keyring cannot serve this database; nil when it can.
func (r *Ring) Verify(samples []Sample) error {
	for _, s := range samples {
		_, err := r.Open(s.Sealed, s.AAD)
		var missing *MissingKEKError
		switch {
		case err == nil:
		case errors.As(err, &missing):
			return fmt.Errorf("the vault keyring cannot open the secrets in this database: KEK id %s is missing (%d secrets, e.g. %s, are sealed under it). Give this server the keyring file that holds it", s.KEK, s.Count, s.Where)
		case s.KEK == V1:
			return fmt.Errorf("the vault keyring cannot open the secrets in this database: %d secrets (e.g. %s) were sealed before envelope encryption by a vault key that is in none of the keyring's KEKs (current KEK id %s). Give this server the vault key that sealed them", s.Count, s.Where, r.Current())
		default:
			return fmt.Errorf("the vault keyring cannot open the secrets in this database: KEK id %s does not open them (%s): %v", s.KEK, s.Where, err)
		}
	}
	return nil
}
