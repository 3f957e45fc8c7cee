package auth

import (
	"errors"
	"strings"
	"testing"
)

// cheap keeps tests fast; only TestHashPasswordDefault pays the real cost.
var cheap = argonParams{memory: 64, time: 1, threads: 1, saltLen: 16, keyLen: 32}

func TestHashPasswordDefault(t *testing.T) {
	const pw = "correct horse battery staple"
	h, err := HashPassword(pw)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(h, "$argon2id$v=19$m=19456,t=2,p=1$") {
		t.Errorf("HashPassword = %q, want the OWASP default costs", h)
	}
	if ok, err := VerifyPassword(h, pw); !ok || err != nil {
		t.Errorf("VerifyPassword(right) = %v, %v; want true, nil", ok, err)
	}
	if ok, err := VerifyPassword(h, pw+"!"); ok || err != nil {
		t.Errorf("VerifyPassword(wrong) = %v, %v; want false, nil", ok, err)
	}
	if NeedsRehash(h) {
		t.Errorf("NeedsRehash(fresh hash) = true")
	}
}

func TestHashPasswordSalted(t *testing.T) {
	a, _ := hashPassword("same password", cheap)
	b, _ := hashPassword("same password", cheap)
	if a == b {
		t.Errorf("two hashes of one password are equal: %q", a)
	}
	if _, err := HashPassword(""); err == nil {
		t.Errorf("HashPassword(\"\") gave no error")
	}
}

// The reference implementation's CLI (Debian package argon2) made these:
// printf %s PW | argon2 SALT -id -t T -k M -p 1 -l 32 -e
func TestVerifyPasswordReference(t *testing.T) {
	tests := []struct{ encoded, pw string }{
		{"$argon2id$v=19$m=1024,t=2,p=1$a2V5d2FyZHNhbHRzYWx0$M2ukEBdASp0h0pjcDI7TZ8NCx8UcsCkEsm4CnWUrpfk", "correct horse battery staple"},
		{"$argon2id$v=19$m=64,t=1,p=1$c29tZXNhbHRzb21lc2FsdA$ZU7rGj/o9NpdOCOHYkNmjPBCxPxpQIlFjOZ0Vf2K4VI", "caf\u00e9"},
	}
	for _, tt := range tests {
		if ok, err := VerifyPassword(tt.encoded, tt.pw); !ok || err != nil {
			t.Errorf("VerifyPassword(%q, %q) = %v, %v; want true, nil", tt.encoded, tt.pw, ok, err)
		}
		if ok, _ := VerifyPassword(tt.encoded, strings.ToUpper(tt.pw)); ok {
			t.Errorf("VerifyPassword(%q, upper-cased) = true", tt.encoded)
		}
		if !NeedsRehash(tt.encoded) {
			t.Errorf("NeedsRehash(%q) = false, want true for non-default costs", tt.encoded)
		}
	}
}

func TestVerifyPasswordNormalizes(t *testing.T) {
	h, err := hashPassword("caf\u00e9 \uff11\uff12\uff13", cheap) // composed é, full-width 123
	if err != nil {
		t.Fatal(err)
	}
	if ok, _ := VerifyPassword(h, "cafe\u0301 123"); !ok { // decomposed é, ASCII 123
		t.Errorf("the same password in another Unicode form did not verify")
	}
	if ok, _ := VerifyPassword(h, "cafe 123"); ok {
		t.Errorf("a password without the accent verified")
	}
}

func TestVerifyPasswordMalformed(t *testing.T) {
	good, _ := hashPassword("pw", cheap)
	parts := strings.Split(good, "$") // "", argon2id, v=19, m=64,t=1,p=1, salt, key
	salt, key := parts[4], parts[5]
	with := func(costs string) string { return "$argon2id$v=19$" + costs + "$" + salt + "$" + key }

	bad := map[string]string{
		"empty":             "",
		"dollars only":      "$$$$$",
		"no fields":         "$argon2id$",
		"argon2i":           strings.Replace(good, "argon2id", "argon2i", 1),
		"bcrypt":            "$2a$10$N9qo8uLOickgx2ZMRZoMyeIjZAgcfl7p92ldGxad68LJZdL17lhWy",
		"version 16":        strings.Replace(good, "v=19", "v=16", 1),
		"no version":        "$argon2id$m=64,t=1,p=1$" + salt + "$" + key,
		"extra field":       good + "$x",
		"leading text":      "x" + good,
		"costs reordered":   with("t=1,m=64,p=1"),
		"missing cost":      with("m=64,t=1"),
		"extra cost":        with("m=64,t=1,p=1,k=1"),
		"zero time":         with("m=64,t=0,p=1"),
		"zero lanes":        with("m=64,t=1,p=0"),
		"memory too big":    with("m=4294967295,t=1,p=1"),
		"memory overflow":   with("m=99999999999,t=1,p=1"),
		"time too big":      with("m=64,t=17,p=1"),
		"lanes too many":    with("m=1024,t=1,p=17"),
		"memory < 8p":       with("m=15,t=1,p=2"),
		"leading zero":      with("m=064,t=1,p=1"),
		"plus sign":         with("m=+64,t=1,p=1"),
		"negative":          with("m=-64,t=1,p=1"),
		"empty cost":        with("m=,t=1,p=1"),
		"spaces":            with("m=64, t=1, p=1"),
		"salt not base64":   "$argon2id$v=19$m=64,t=1,p=1$!!!!$" + key,
		"salt padded":       "$argon2id$v=19$m=64,t=1,p=1$" + salt + "==$" + key,
		"salt with newline": "$argon2id$v=19$m=64,t=1,p=1$" + salt[:4] + "\n" + salt[4:] + "$" + key,
		"salt too short":    "$argon2id$v=19$m=64,t=1,p=1$YWJj$" + key,
		"empty salt":        "$argon2id$v=19$m=64,t=1,p=1$$" + key,
		"key too short":     "$argon2id$v=19$m=64,t=1,p=1$" + salt + "$YWJj",
		"empty key":         "$argon2id$v=19$m=64,t=1,p=1$" + salt + "$",
		"key url base64":    "$argon2id$v=19$m=64,t=1,p=1$" + salt + "$" + strings.Repeat("_", 43),
	}
	for name, s := range bad {
		ok, err := VerifyPassword(s, "pw")
		if ok || !errors.Is(err, ErrMalformedHash) {
			t.Errorf("%s: VerifyPassword(%q) = %v, %v; want false, ErrMalformedHash", name, s, ok, err)
		}
		if !NeedsRehash(s) {
			t.Errorf("%s: NeedsRehash = false for a malformed hash", name)
		}
	}
	// The helper above builds well-formed strings when the costs are right.
	if ok, err := VerifyPassword(with("m=64,t=1,p=1"), "pw"); !ok || err != nil {
		t.Fatalf("control case = %v, %v; want true, nil", ok, err)
	}
}

// FuzzVerifyPassword checks that no stored string makes the parser panic,
// that it accepts only the one spelling encodePHC writes, and that what it
// accepts can be verified.
func FuzzVerifyPassword(f *testing.F) {
	good, _ := hashPassword("pw", cheap)
	f.Add(good, "pw")
	f.Add(good, "")
	f.Add("$argon2id$v=19$m=64,t=1,p=1$c29tZXNhbHRzb21lc2FsdA$ZU7rGj/o9NpdOCOHYkNmjPBCxPxpQIlFjOZ0Vf2K4VI", "caf\u00e9")
	f.Add("$argon2id$v=19$m=19456,t=2,p=1$$", "x")
	f.Add("$argon2id$v=19$m=08,t=1,p=1$AAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAA", "x")
	f.Add("$argon2i$v=19$m=64,t=1,p=1$c29tZXNhbHQ$aGFzaGhhc2hoYXNoaGFzaA", "x")
	f.Add("", "")
	f.Fuzz(func(t *testing.T, encoded, pw string) {
		p, salt, key, err := parsePHC(encoded)
		if err != nil {
			if ok, verr := VerifyPassword(encoded, pw); ok || !errors.Is(verr, ErrMalformedHash) {
				t.Fatalf("parse failed but VerifyPassword = %v, %v", ok, verr)
			}
			return
		}
		if again := encodePHC(p, salt, key); again != encoded {
			t.Fatalf("accepted a non-canonical hash:\n got %q\nwant %q", encoded, again)
		}
		if uint64(p.memory)*uint64(p.time) > 4096 {
			return // valid but too slow to run thousands of times a second
		}
		if _, err := VerifyPassword(encoded, pw); err != nil {
			t.Fatalf("parsed but VerifyPassword failed: %v", err)
		}
	})
}
