package vault

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

func TestChoose(t *testing.T) {
	for _, c := range []struct {
		name string
		in   Setup
		want Source
		err  error
	}{
		{"sqlite default file", Setup{DataDir: "d"}, Source{Create: filepath.Join("d", KeyFile)}, nil},
		{"sqlite env", Setup{Env: "k", DataDir: "d"}, Source{Env: "k"}, nil},
		{"sqlite file", Setup{File: "f", DataDir: "d"}, Source{File: "f"}, nil},
		{"postgres without a key", Setup{Postgres: true, DataDir: "d"}, Source{}, ErrNoKey},
		{"postgres env", Setup{Postgres: true, Env: "k"}, Source{Env: "k"}, nil},
		{"postgres file", Setup{Postgres: true, File: "f"}, Source{File: "f"}, nil},
		{"both set", Setup{Postgres: true, Env: "k", File: "f"}, Source{}, ErrBothSet},
		{"key still in the database", Setup{Postgres: true, InDatabase: true}, Source{}, ErrKeyInDatabase},
		{"key in the database wins over a configured one", Setup{Postgres: true, File: "f", InDatabase: true}, Source{}, ErrKeyInDatabase},
		{"sqlite with a key in the database", Setup{InDatabase: true, DataDir: "d"}, Source{}, ErrKeyInDatabase},
	} {
		t.Run(c.name, func(t *testing.T) {
			got, err := Choose(c.in)
			if !errors.Is(err, c.err) || got != c.want {
				t.Fatalf("Choose(%+v) = %+v, %v; want %+v, %v", c.in, got, err, c.want, c.err)
			}
		})
	}
}

func TestSourceOpen(t *testing.T) {
	old := syscall.Umask(0o022)
	defer syscall.Umask(old)
	dir := t.TempDir()
	key := NewKeyString()
	path := filepath.Join(dir, "k")
	if err := WriteKeyFile(path, key); err != nil {
		t.Fatal(err)
	}
	if st, _ := os.Stat(path); st.Mode().Perm() != 0o600 {
		t.Fatalf("key file mode %v", st.Mode().Perm())
	}
	if err := WriteKeyFile(path, NewKeyString()); err == nil {
		t.Fatal("a key file was overwritten")
	}
	a, err := Source{File: path}.Open()
	if err != nil {
		t.Fatal(err)
	}
	b, err := Source{Env: key}.Open()
	if err != nil {
		t.Fatal(err)
	}
	if got, err := b.Open(a.Seal("4711", "x"), "x"); err != nil || got.Reveal() != "4711" {
		t.Fatalf("the file and the env value are not the same key: %v", err)
	}
	if txt, _ := (Source{File: path}).Text(); !SameKey(txt, key) || SameKey(txt, NewKeyString()) {
		t.Fatal("SameKey")
	}
	for _, bad := range []string{"not base64!", "c2hvcnQ="} {
		_, err := Source{Env: bad}.Open()
		if err == nil || strings.Contains(err.Error(), bad) || !strings.Contains(err.Error(), "KEYWARD_VAULT_KEY") {
			t.Fatalf("bad env key %q: %v", bad, err)
		}
	}
	if _, err := (Source{File: filepath.Join(dir, "missing")}).Open(); err == nil {
		t.Fatal("a missing key file was accepted")
	}
	created := filepath.Join(dir, "data", KeyFile)
	if _, err := (Source{Create: created}).Open(); err != nil {
		t.Fatal(err)
	}
	if st, _ := os.Stat(created); st.Mode().Perm() != 0o600 {
		t.Fatalf("default key file mode %v", st.Mode().Perm())
	}
	if st, _ := os.Stat(filepath.Dir(created)); st.Mode().Perm() != 0o700 {
		t.Fatalf("data directory mode %v", st.Mode().Perm())
	}
}
