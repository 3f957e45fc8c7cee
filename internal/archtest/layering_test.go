package archtest

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
)

const module = "github.com/keyward/keyward"

// pkg is what `go list -json` says of one package. Imports are those of its
// non-test files only.
type pkg struct {
	ImportPath string
	Imports    []string
}

// rule forbids the packages under From to import the packages under any of
// Not (a path and everything below it).
type rule struct {
	From string
	Not  []string
	Why  string
}

var ours = module + "/"

// rules are the arrows the layering does not allow.
var rules = []rule{
	{module + "/internal/web", []string{module + "/internal/store", module + "/internal/vault"}, "web serves the domain contracts that cmd/keyward hands it"},
	{module + "/internal/notify", []string{module + "/internal/store", module + "/internal/vault"}, "notify delivers from the keyward.Outbox contract"},
	{module + "/internal/client", []string{module + "/internal/store", module + "/internal/vault"}, "the CLI is a client of the HTTP API"},
	{module + "/internal/locksync", []string{module + "/internal/store", module + "/internal/vault"}, "lock sync reaches the store through keyward.LockSyncFeed"},
	{module + "/internal/locksim", []string{module + "/internal/store", module + "/internal/vault"}, "simulated locks know only what a lock knows"},
	{module + "/internal/loadgen", []string{module + "/internal/store", module + "/internal/vault"}, "the load tool drives a server through its HTTP API; cmd/keyward hands it the commit probe"},
	{module + "/internal/keyward", []string{ours}, "the domain package imports nothing of ours"},
	{module + "/internal/store", []string{module + "/internal/web", module + "/internal/notify", module + "/internal/client", module + "/internal/locksync", module + "/internal/locksim", module + "/cmd"}, "nothing lower calls up"},
}

// under reports whether path is p or a package below it (p ending in "/"
// matches everything with that prefix).
func under(path, p string) bool {
	if strings.HasSuffix(p, "/") {
		return strings.HasPrefix(path, p)
	}
	return path == p || strings.HasPrefix(path, p+"/")
}

// violations lists every import that a rule forbids, as "pkg imports dep (why)".
func violations(pkgs []pkg, rules []rule) []string {
	var out []string
	for _, p := range pkgs {
		for _, r := range rules {
			if !under(p.ImportPath, r.From) {
				continue
			}
			for _, imp := range p.Imports {
				if slices.ContainsFunc(r.Not, func(n string) bool { return under(imp, n) }) {
					out = append(out, p.ImportPath+" imports "+imp+" ("+r.Why+")")
				}
			}
		}
	}
	return out
}

// goList runs `go list -json` over the whole module.
func goList(t *testing.T) []pkg {
	t.Helper()
	goBin, err := exec.LookPath("go")
	if err != nil {
		goBin = filepath.Join(runtime.GOROOT(), "bin", "go")
	}
	cmd := exec.Command(goBin, "list", "-json", module+"/...")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, stderr.String())
	}
	var pkgs []pkg
	dec := json.NewDecoder(bytes.NewReader(out))
	for {
		var p pkg
		if err := dec.Decode(&p); errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			t.Fatalf("go list output: %v", err)
		}
		pkgs = append(pkgs, p)
	}
	return pkgs
}

func TestLayering(t *testing.T) {
	pkgs := goList(t)
	seen := map[string]bool{}
	for _, p := range pkgs {
		seen[p.ImportPath] = true
	}
	// A rule about a package that is not listed would pass for nothing.
	for _, r := range rules {
		if !strings.HasSuffix(r.From, "/") && !seen[r.From] {
			t.Errorf("go list does not list %s: the rule %q checks nothing", r.From, r.Why)
		}
	}
	for _, v := range violations(pkgs, rules) {
		t.Error(v)
	}
}

// TestViolations shows that the check catches each forbidden arrow, and only those.
func TestViolations(t *testing.T) {
	tests := []struct {
		name string
		pkg  pkg
		want int
	}{
		{"web on the store", pkg{module + "/internal/web", []string{"net/http", module + "/internal/store"}}, 1},
		{"web on the store test suite", pkg{module + "/internal/web", []string{module + "/internal/store/storetest"}}, 1},
		{"web on the vault", pkg{module + "/internal/web", []string{module + "/internal/vault"}}, 1},
		{"web on the domain", pkg{module + "/internal/web", []string{module + "/internal/keyward", module + "/internal/importer"}}, 0},
		{"notify on the store", pkg{module + "/internal/notify", []string{module + "/internal/store"}}, 1},
		{"client on the vault", pkg{module + "/internal/client", []string{module + "/internal/vault"}}, 1},
		{"domain on the keying math", pkg{module + "/internal/keyward", []string{"context", module + "/internal/keying"}}, 1},
		{"domain on the standard library", pkg{module + "/internal/keyward", []string{"context", "time"}}, 0},
		{"store on the domain", pkg{module + "/internal/store", []string{module + "/internal/keyward", module + "/internal/vault"}}, 0},
		{"store calling up", pkg{module + "/internal/store", []string{module + "/internal/web"}}, 1},
		{"a name that only starts alike", pkg{module + "/internal/webhooks", []string{module + "/internal/store"}}, 0},
		{"cmd wires everything", pkg{module + "/cmd/keyward", []string{module + "/internal/store", module + "/internal/vault", module + "/internal/web"}}, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := violations([]pkg{tt.pkg}, rules); len(got) != tt.want {
				t.Errorf("violations = %q, want %d", got, tt.want)
			}
		})
	}
}
