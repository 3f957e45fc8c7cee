package safefile

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

func TestCreateIsPrivateAndExclusive(t *testing.T) {
	old := syscall.Umask(0o022)
	defer syscall.Umask(old)
	dir := filepath.Join(t.TempDir(), "a", "b")
	if err := MkdirAll(dir); err != nil {
		t.Fatal(err)
	}
	if st, _ := os.Stat(dir); st.Mode().Perm() != 0o700 {
		t.Fatalf("directory mode %v", st.Mode().Perm())
	}
	p := filepath.Join(dir, "f")
	if err := WriteNew(p, []byte("x")); err != nil {
		t.Fatal(err)
	}
	if st, _ := os.Stat(p); st.Mode().Perm() != 0o600 {
		t.Fatalf("file mode %v", st.Mode().Perm())
	}
	if err := WriteNew(p, []byte("y")); err == nil || !strings.Contains(err.Error(), "already exists") {
		t.Fatalf("overwrite: %v", err)
	}
	if b, _ := os.ReadFile(p); string(b) != "x" {
		t.Fatalf("file changed to %q", b)
	}
	loose := filepath.Join(dir, "loose")
	os.WriteFile(loose, nil, 0o644)
	if err := Tighten(loose, filepath.Join(dir, "missing")); err != nil {
		t.Fatal(err)
	}
	if st, _ := os.Stat(loose); st.Mode().Perm() != 0o600 {
		t.Fatalf("tightened mode %v", st.Mode().Perm())
	}
}

func TestReplaceIsPrivateAndWhole(t *testing.T) {
	old := syscall.Umask(0o022)
	defer syscall.Umask(old)
	dir := t.TempDir()
	p := filepath.Join(dir, "ring")
	if err := Replace(p, []byte("one")); err != nil {
		t.Fatal(err)
	}
	os.Chmod(p, 0o644)
	if err := Replace(p, []byte("two")); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(p); string(b) != "two" {
		t.Fatalf("contents %q", b)
	}
	if st, _ := os.Stat(p); st.Mode().Perm() != 0o600 {
		t.Fatalf("mode %v", st.Mode().Perm())
	}
	if ents, _ := os.ReadDir(dir); len(ents) != 1 {
		t.Fatalf("left behind: %v", ents)
	}
	if err := Replace(filepath.Join(dir, "missing", "ring"), []byte("x")); err == nil {
		t.Fatal("a file in a missing directory was written")
	}
}
