package vault

import (
	"bytes"
	"context"
	"crypto/aes"
	"crypto/cipher"
	"encoding/base64"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// sealV1 seals as Keyward did before envelope encryption: directly under the
// one vault key.
func sealV1(t testing.TB, raw []byte, secret, aad string) string {
	block, err := aes.NewCipher(raw)
	if err != nil {
		t.Fatal(err)
	}
	a, _ := cipher.NewGCM(block)
	nonce := make([]byte, a.NonceSize())
	return "v1:" + base64.RawStdEncoding.EncodeToString(a.Seal(nonce, nonce, []byte(secret), []byte(aad)))
}

func mustRing(t testing.TB, raws ...[]byte) *Ring {
	t.Helper()
	r, err := RingOf(raws[0])
	if err != nil {
		t.Fatal(err)
	}
	for _, raw := range raws[1:] {
		if r, err = r.WithNew(raw); err != nil {
			t.Fatal(err)
		}
	}
	return r
}

// flip changes one character of the base64 part i (1 wrapped DEK, 2
// ciphertext) of a v2 value, or of a v1 value's ciphertext (i = 1).
func flip(s string, i int) string {
	parts := strings.Split(s, ":")
	p := []byte(parts[len(parts)-3+i])
	if p[5] == 'A' {
		p[5] = 'B'
	} else {
		p[5] = 'A'
	}
	parts[len(parts)-3+i] = string(p)
	return strings.Join(parts, ":")
}

func TestSealOpenTable(t *testing.T) {
	old, cur, stranger := NewRaw(), NewRaw(), NewRaw()
	ring := mustRing(t, old, cur) // old is active, cur current
	onlyOld := mustRing(t, old)
	v2old := onlyOld.Seal("4711", "lockbox:1")
	v2cur := ring.Seal("4711", "lockbox:1")
	v1 := sealV1(t, old, "4711", "lockbox:1")
	for _, c := range []struct {
		name   string
		ring   *Ring
		sealed string
		aad    string
		want   string // "" when it must fail
		err    string
	}{
		{"v2 under the current KEK", ring, v2cur, "lockbox:1", "4711", ""},
		{"v2 under an older KEK of the ring", ring, v2old, "lockbox:1", "4711", ""},
		{"v1 under an older KEK of the ring", ring, v1, "lockbox:1", "4711", ""},
		{"v1 under the one key", onlyOld, v1, "lockbox:1", "4711", ""},
		{"v2 KEK id not in the ring", onlyOld, v2cur, "lockbox:1", "", "KEK id " + KEKID(cur) + " is not in the keyring"},
		{"v1 under a key not in the ring", mustRing(t, stranger), v1, "lockbox:1", "", "cannot decrypt"},
		{"v2 moved to another row", ring, v2cur, "lockbox:2", "", "cannot decrypt"},
		{"v1 moved to another row", ring, v1, "lockbox:2", "", "cannot decrypt"},
		{"v2 wrapped DEK tampered", ring, flip(v2cur, 1), "lockbox:1", "", "cannot decrypt"},
		{"v2 ciphertext tampered", ring, flip(v2cur, 2), "lockbox:1", "", "cannot decrypt"},
		{"v2 wrapped DEK moved to another value", ring, swapDEK(v2cur, ring.Seal("4711", "lockbox:1")), "lockbox:1", "", "cannot decrypt"},
		{"v2 relabelled with another KEK id", ring, strings.Replace(v2old, KEKID(old), KEKID(cur), 1), "lockbox:1", "", "cannot decrypt"},
		{"v2 truncated", ring, v2cur[:PrefixLen+4], "lockbox:1", "", "malformed"},
		{"v2 bad id", ring, "v2:XYZ:AAAA:AAAA", "lockbox:1", "", "malformed"},
		{"v2 not base64", ring, "v2:" + KEKID(cur) + ":!!!:AAAA", "lockbox:1", "", "malformed"},
		{"v1 not base64", ring, "v1:!!!", "lockbox:1", "", "malformed"},
		{"no version", ring, "4711", "lockbox:1", "", "unknown format"},
		{"unknown version", ring, "v3:abc", "lockbox:1", "", "unknown format"},
	} {
		t.Run(c.name, func(t *testing.T) {
			got, err := c.ring.Open(c.sealed, c.aad)
			if c.want != "" {
				if err != nil || got.Reveal() != c.want {
					t.Fatalf("Open = %q, %v; want %q", got.Reveal(), err, c.want)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), c.err) {
				t.Fatalf("Open = %q, %v; want an error with %q", got.Reveal(), err, c.err)
			}
			if strings.Contains(err.Error(), "4711") {
				t.Fatal("the error repeats the secret")
			}
		})
	}
}

func swapDEK(a, b string) string {
	pa, pb := strings.Split(a, ":"), strings.Split(b, ":")
	pa[2] = pb[2]
	return strings.Join(pa, ":")
}

func TestSealFormat(t *testing.T) {
	raw := NewRaw()
	r := mustRing(t, raw)
	s := r.Seal("secret-4711", "pin:7")
	if !strings.HasPrefix(s, "v2:"+KEKID(raw)+":") || KEKOf(s) != KEKID(raw) || len(strings.Split(s, ":")) != 4 {
		t.Fatalf("sealed %q", s)
	}
	if strings.Contains(s, "secret-4711") || strings.Contains(s, base64.RawStdEncoding.EncodeToString(raw)[:20]) {
		t.Fatal("plaintext or KEK bytes in the sealed value")
	}
	if s == r.Seal("secret-4711", "pin:7") {
		t.Fatal("two seals of one secret are equal: the data key is not fresh")
	}
	for in, want := range map[string]string{"v1:abc": V1, s: KEKID(raw), "v2:short:x:y": "", "x": "", "": "", "v2:" + strings.ToUpper(KEKID(raw)) + ":a:b": ""} {
		if got := KEKOf(in); got != want {
			t.Errorf("KEKOf(%q) = %q, want %q", in, got, want)
		}
	}
	if len(KEKID(raw)) != IDLen || KEKID(raw) == KEKID(NewRaw()) || KEKID(raw) != KEKID(bytes.Clone(raw)) {
		t.Fatal("KEKID")
	}
}

func TestRewrap(t *testing.T) {
	old, cur := NewRaw(), NewRaw()
	before := mustRing(t, old)
	after := mustRing(t, old, cur)
	v2 := before.Seal("90210", "bitting:k1")
	out, changed, err := after.Rewrap(v2, "bitting:k1")
	if err != nil || !changed || KEKOf(out) != KEKID(cur) {
		t.Fatalf("Rewrap = %q, %v, %v", out, changed, err)
	}
	// Only the wrapped data key changed: the ciphertext is the same bytes.
	if strings.Split(out, ":")[3] != strings.Split(v2, ":")[3] {
		t.Fatal("the ciphertext changed: the secret was sealed anew instead of rewrapped")
	}
	if got, err := mustRing(t, cur).Open(out, "bitting:k1"); err != nil || got.Reveal() != "90210" {
		t.Fatalf("the new KEK alone does not open the rewrapped value: %v", err)
	}
	if again, changed, err := after.Rewrap(out, "bitting:k1"); err != nil || changed || again != out {
		t.Fatal("a value under the current KEK was rewritten")
	}
	v1 := sealV1(t, old, "90210", "bitting:k1")
	out, changed, err = after.Rewrap(v1, "bitting:k1")
	if err != nil || !changed || KEKOf(out) != KEKID(cur) {
		t.Fatalf("v1 Rewrap = %q, %v, %v", out, changed, err)
	}
	if got, _ := after.Open(out, "bitting:k1"); got.Reveal() != "90210" {
		t.Fatal("v1 rewrapped does not open")
	}
	if _, _, err := after.Rewrap(v2, "bitting:k2"); err == nil {
		t.Fatal("a value moved to another row was rewrapped")
	}
	if _, _, err := mustRing(t, cur).Rewrap(v2, "bitting:k1"); err == nil {
		t.Fatal("a value under a KEK not in the ring was rewrapped")
	}
}

func TestRingStates(t *testing.T) {
	a, b, c := NewRaw(), NewRaw(), NewRaw()
	r := mustRing(t, a)
	if r.Rotating() {
		t.Fatal("a ring of one is rotating")
	}
	r2, err := r.WithNew(b)
	if err != nil || r2.Current() != KEKID(b) || r2.StateOf(KEKID(a)) != Active || !r2.Rotating() || r.Current() != KEKID(a) {
		t.Fatalf("WithNew: %+v %v (the old ring must not change)", r2.KEKs(), err)
	}
	if _, err := r2.WithNew(a); err == nil {
		t.Fatal("a KEK added twice")
	}
	if _, err := r2.Retire(KEKID(b)); err == nil {
		t.Fatal("the current KEK retired")
	}
	if _, err := r2.Retire(KEKID(c)); err == nil {
		t.Fatal("an unknown KEK retired")
	}
	if _, err := r2.Destroy(KEKID(a)); err == nil {
		t.Fatal("an active KEK destroyed")
	}
	r3, err := r2.Retire(KEKID(a))
	if err != nil || r3.StateOf(KEKID(a)) != Retired || r3.Rotating() {
		t.Fatalf("Retire: %+v %v", r3.KEKs(), err)
	}
	old := sealV1(t, a, "x", "y")
	if _, err := r3.Open(old, "y"); err != nil {
		t.Fatal("a retired KEK no longer opens an old backup's value")
	}
	r4, err := r3.Destroy(KEKID(a))
	if err != nil || r4.Has(KEKID(a)) || len(r4.KEKs()) != 1 || r4.Current() != KEKID(b) {
		t.Fatalf("Destroy: %+v %v", r4.KEKs(), err)
	}
	if _, err := r4.Open(old, "y"); err == nil {
		t.Fatal("a destroyed KEK still opens")
	}
	back, err := ParseKeyring(r3.Marshal())
	if err != nil || !bytes.Equal(back.Marshal(), r3.Marshal()) || back.Current() != r3.Current() {
		t.Fatalf("keyring does not survive its file: %v", err)
	}
}

func TestParseKeyring(t *testing.T) {
	a, b := NewRaw(), NewRaw()
	ka, kb := base64.StdEncoding.EncodeToString(a), base64.StdEncoding.EncodeToString(b)
	ida, idb := KEKID(a), KEKID(b)
	file := func(keks string) string { return `{"keyward_vault_keyring": 1, "keks": [` + keks + `]}` }
	kek := func(id, state, key string) string {
		return `{"id": "` + id + `", "state": "` + state + `", "key": "` + key + `"}`
	}
	for _, c := range []struct {
		name, in string
		current  string
		err      string
	}{
		{"bare key", ka + "\n", ida, ""},
		{"keyring of one", file(kek(ida, "current", ka)), ida, ""},
		{"keyring of two", file(kek(ida, "retired", ka) + "," + kek(idb, "current", kb)), idb, ""},
		{"bare key not base64", "not base64!", "", "not base64"},
		{"bare key short", "c2hvcnQ=", "", "is 5 bytes"},
		{"empty", "", "", "0 bytes"},
		{"not json", "{nope", "", "not valid JSON"},
		{"unknown field", `{"keyward_vault_keyring": 1, "keks": [], "extra": 1}`, "", "not valid JSON"},
		{"trailing text", file(kek(ida, "current", ka)) + "{}", "", "after its end"},
		{"version 2", `{"keyward_vault_keyring": 2, "keks": []}`, "", "version 2"},
		{"no keks", file(""), "", "holds no KEK"},
		{"no current", file(kek(ida, "active", ka)), "", "no current KEK"},
		{"two current", file(kek(ida, "current", ka) + "," + kek(idb, "current", kb)), "", "more than one current"},
		{"bad state", file(kek(ida, "spare", ka)), "", "state must be"},
		{"id does not match key", file(kek(idb, "current", ka)), "", "does not match its key"},
		{"same kek twice", file(kek(ida, "current", ka) + "," + kek(ida, "retired", ka)), "", "appears twice"},
		{"bad key", file(kek(ida, "current", "c2hvcnQ=")), "", "KEK 1: vault: the key is 5 bytes"},
		{"too big", strings.Repeat(" ", MaxKeyringSize+1), "", "larger than"},
	} {
		t.Run(c.name, func(t *testing.T) {
			r, err := ParseKeyring([]byte(c.in))
			if c.err == "" {
				if err != nil || r.Current() != c.current {
					t.Fatalf("ParseKeyring: %v", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), c.err) {
				t.Fatalf("ParseKeyring = %v, want an error with %q", err, c.err)
			}
			if strings.Contains(err.Error(), ka) || strings.Contains(err.Error(), kb) {
				t.Fatal("the error repeats a key")
			}
		})
	}
}

func TestVerify(t *testing.T) {
	old, cur, stranger := NewRaw(), NewRaw(), NewRaw()
	ring := mustRing(t, old, cur)
	sample := func(r *Ring, id string) Sample {
		return Sample{KEK: id, Sealed: r.Seal("1234", "pin:1"), AAD: "pin:1", Count: 3, Where: "credential PINs"}
	}
	for _, c := range []struct {
		name    string
		samples []Sample
		err     string
	}{
		{"empty database", nil, ""},
		{"all under the ring's KEKs", []Sample{sample(ring, KEKID(cur)), sample(mustRing(t, old), KEKID(old)), {KEK: V1, Sealed: sealV1(t, old, "1", "a"), AAD: "a", Count: 1}}, ""},
		{"a KEK missing", []Sample{sample(ring, KEKID(cur)), sample(mustRing(t, stranger), KEKID(stranger))}, "KEK id " + KEKID(stranger) + " is missing (3 secrets, e.g. credential PINs"},
		{"v1 under another key", []Sample{{KEK: V1, Sealed: sealV1(t, stranger, "1", "a"), AAD: "a", Count: 5, Where: "lockbox codes"}}, "5 secrets (e.g. lockbox codes) were sealed before envelope encryption"},
		{"tampered", []Sample{{KEK: KEKID(cur), Sealed: flip(ring.Seal("1", "a"), 1), AAD: "a", Count: 1, Where: "webhook secrets"}}, "KEK id " + KEKID(cur) + " does not open them (webhook secrets)"},
	} {
		t.Run(c.name, func(t *testing.T) {
			err := ring.Verify(c.samples)
			if c.err == "" && err != nil || c.err != "" && (err == nil || !strings.Contains(err.Error(), c.err)) {
				t.Fatalf("Verify = %v, want %q", err, c.err)
			}
			if err != nil && !strings.Contains(err.Error(), "the vault keyring cannot open the secrets in this database") {
				t.Fatalf("Verify does not say what is wrong: %v", err)
			}
		})
	}
}

// TestKeyReloads: a vault on a keyring file hears of a new KEK by Reload, by
// Watch, and at once when it meets a value under a KEK it does not know.
func TestKeyReloads(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, KeyFile)
	a, err := Load("", path) // creates the bare key file
	if err != nil {
		t.Fatal(err)
	}
	b, err := ReadKeyFile(path) // a second server on the same file
	if err != nil {
		t.Fatal(err)
	}
	unlock, err := a.Lock()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := b.Lock(); err == nil {
		t.Fatal("two holders of the keyring lock")
	}
	oldID := a.Ring().Current()
	r, err := a.Update(func(r *Ring) (*Ring, error) { return r.WithNew(NewRaw()) })
	unlock()
	if err != nil || a.Ring().Current() != r.Current() || r.Current() == oldID {
		t.Fatalf("Update: %v", err)
	}
	if st, _ := os.Stat(path); st.Mode().Perm() != 0o600 {
		t.Fatalf("keyring mode %v", st.Mode().Perm())
	}
	if b.Ring().Current() != oldID {
		t.Fatal("the second vault changed without a reload")
	}
	// b opens a value under the new KEK at once: it reads the file on the miss.
	if got, err := b.Open(a.Seal("555", "x"), "x"); err != nil || got.Reveal() != "555" || b.Ring().Current() != r.Current() {
		t.Fatalf("the second vault did not reload on a missing KEK: %v", err)
	}
	// Watch: a third vault sees a retirement by polling.
	c, _ := ReadKeyFile(path)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	reloaded := make(chan bool, 10)
	go c.Watch(ctx, 10*time.Millisecond, nil, func(changed bool, err error) { reloaded <- changed && err == nil })
	unlock, _ = a.Lock()
	if _, err := a.Update(func(r *Ring) (*Ring, error) { return r.Retire(oldID) }); err != nil {
		t.Fatal(err)
	}
	unlock()
	select {
	case ok := <-reloaded:
		if !ok || c.Ring().StateOf(oldID) != Retired {
			t.Fatal("Watch reported a failed reload")
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Watch did not reload the changed keyring")
	}
	// Watch with a long interval reloads at once when told to (SIGHUP).
	d, _ := ReadKeyFile(path)
	now := make(chan struct{})
	heard := make(chan bool, 10)
	go d.Watch(ctx, time.Hour, now, func(changed bool, err error) { heard <- changed && err == nil })
	unlock, _ = a.Lock()
	third, err := a.Update(func(r *Ring) (*Ring, error) { return r.WithNew(NewRaw()) })
	unlock()
	if err != nil {
		t.Fatal(err)
	}
	now <- struct{}{}
	select {
	case ok := <-heard:
		if !ok || d.Ring().Current() != third.Current() {
			t.Fatal("a reload on request did not take the new keyring")
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Watch did not reload on request")
	}
	r = third
	// A broken file leaves the keyring as it was.
	os.WriteFile(path, []byte("garbage"), 0o600)
	if _, err := d.Reload(); err == nil || d.Ring().Current() != r.Current() {
		t.Fatalf("a broken keyring file: %v", err)
	}
	if _, err := (&Key{}).Update(nil); !errors.Is(err, ErrNoKeyringFile) {
		t.Fatal("a keyring from the environment was written")
	}
}

func FuzzOpen(f *testing.F) {
	raw := make([]byte, 32)
	r := mustRing(f, raw)
	f.Add(r.Seal("4711", "a"), "a")
	f.Add(sealV1(f, raw, "4711", "a"), "a")
	f.Add("v2:"+KEKID(raw)+":AAAA:AAAA", "a")
	f.Add("v2::::", "")
	f.Add("v1:", "")
	f.Fuzz(func(t *testing.T, sealed, aad string) {
		s, err := r.Open(sealed, aad)
		if err == nil {
			// Whatever opens must also rewrap and open the same.
			out, _, err := r.Rewrap(sealed, aad)
			if err != nil {
				t.Fatalf("opens but does not rewrap: %v", err)
			}
			if again, err := r.Open(out, aad); err != nil || again != s {
				t.Fatalf("rewrapped value opens to %q, %v", again.Reveal(), err)
			}
		}
		_ = KEKOf(sealed)
	})
}

func FuzzParseKeyring(f *testing.F) {
	raw := make([]byte, 32)
	r := mustRing(f, raw)
	r2, _ := r.WithNew(bytes.Repeat([]byte{1}, 32))
	f.Add(r.Marshal())
	f.Add(r2.Marshal())
	f.Add([]byte(base64.StdEncoding.EncodeToString(raw)))
	f.Add([]byte(`{"keyward_vault_keyring": 1, "keks": [{"id": "x", "state": "current", "key": ""}]}`))
	f.Add([]byte("{"))
	f.Fuzz(func(t *testing.T, b []byte) {
		r, err := ParseKeyring(b)
		if err != nil {
			return
		}
		back, err := ParseKeyring(r.Marshal())
		if err != nil || back.Current() != r.Current() || len(back.KEKs()) != len(r.KEKs()) {
			t.Fatalf("a parsed keyring does not survive its file: %v", err)
		}
	})
}

// BenchmarkOpen measures opening one sealed secret: a v2 value (unwrap the
// data key with the KEK, then open) and a v1 value (one AES-GCM open).
func BenchmarkOpen(b *testing.B) {
	raw := NewRaw()
	r := mustRing(b, raw)
	for _, c := range []struct{ name, sealed string }{{"v2", r.Seal("GATE-4711", "lockbox:1")}, {"v1", sealV1(b, raw, "GATE-4711", "lockbox:1")}} {
		b.Run(c.name, func(b *testing.B) {
			for b.Loop() {
				if _, err := r.Open(c.sealed, "lockbox:1"); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkRewrap measures moving one v2 value's data key to another KEK.
func BenchmarkRewrap(b *testing.B) {
	old := mustRing(b, NewRaw())
	sealed := old.Seal("GATE-4711", "lockbox:1")
	r, _ := old.WithNew(NewRaw())
	for b.Loop() {
		if _, _, err := r.Rewrap(sealed, "lockbox:1"); err != nil {
			b.Fatal(err)
		}
	}
}
