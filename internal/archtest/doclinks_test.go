package archtest

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// mdLink is a Markdown link target: [text](target).
var mdLink = regexp.MustCompile(`\]\(([^)\s]+)\)`)

// badLinks lists the links of one Markdown file (in dir) that leave the
// repository or name a file that is not there; web addresses are left alone.
func badLinks(dir, text string, exists func(string) bool) []string {
	var bad []string
	for _, m := range mdLink.FindAllStringSubmatch(text, -1) {
		target := m[1]
		if strings.HasPrefix(target, "http://") || strings.HasPrefix(target, "https://") || strings.HasPrefix(target, "#") {
			continue
		}
		target, _, _ = strings.Cut(target, "#")
		p := filepath.Clean(filepath.Join(dir, target))
		if filepath.IsAbs(target) || p == ".." || strings.HasPrefix(p, "../") || !exists(p) {
			bad = append(bad, target)
		}
	}
	return bad
}

// TestDocLinksStayInTheRepository: the README and docs/ link only to files
// that exist in the repository.
func TestDocLinksStayInTheRepository(t *testing.T) {
	root := filepath.Join("..", "..")
	files, _ := filepath.Glob(filepath.Join(root, "docs", "*.md"))
	files = append(files, filepath.Join(root, "README.md"))
	exists := func(p string) bool {
		_, err := os.Stat(filepath.Join(root, p))
		return err == nil
	}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		rel, _ := filepath.Rel(root, f)
		for _, l := range badLinks(filepath.Dir(rel), string(b), exists) {
			t.Errorf("%s links to %s, which is not a file of the repository", rel, l)
		}
	}
}

func TestBadLinks(t *testing.T) {
	exists := func(p string) bool { return p == "docs/keying.md" || p == "README.md" }
	text := "[a](docs/keying.md) [b](https://example.com) [c](../shared/spec/contract.md) [d](docs/missing.md) [e](/etc/passwd) [f](#two-commands) [g](docs/keying.md#lost)"
	got := strings.Join(badLinks(".", text, exists), " ")
	if got != "../shared/spec/contract.md docs/missing.md /etc/passwd" {
		t.Fatalf("badLinks = %q", got)
	}
	if got := badLinks("docs", "[r](../README.md) [k](keying.md)", exists); len(got) != 0 {
		t.Fatalf("links from docs/ = %q", got)
	}
}
