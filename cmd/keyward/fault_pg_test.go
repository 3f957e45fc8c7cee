package main

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/keyward/keyward/internal/loadgen"
)

// privatePG is a PostgreSQL cluster a test starts for itself, on its own
// port in its own directory, so it may stop and start it without disturbing
// any other test.
type privatePG struct {
	t          *testing.T
	bin, dir   string
	port       int
	cred       *syscall.Credential
	URL        string
	logFile    string
	stoppedNow bool
}

// needFault skips a fault test that cannot run here, except under CI, where
// a skipped fault test would hide that it never ran.
func needFault(t *testing.T, why string) {
	t.Helper()
	if os.Getenv("CI") == "true" {
		t.Fatalf("cannot run under CI: %s", why)
	}
	t.Skip(why)
}

func startPrivatePG(t *testing.T) *privatePG {
	t.Helper()
	bins, _ := filepath.Glob("/usr/lib/postgresql/*/bin/pg_ctl")
	if len(bins) == 0 {
		needFault(t, "no PostgreSQL server binaries in /usr/lib/postgresql/*/bin")
	}
	sort.Strings(bins)
	p := &privatePG{t: t, bin: filepath.Dir(bins[len(bins)-1])}
	// PostgreSQL refuses to run as root: run it as the postgres user.
	if os.Geteuid() == 0 {
		u, err := user.Lookup("postgres")
		if err != nil {
			needFault(t, "running as root and there is no postgres user to run PostgreSQL as")
		}
		uid, _ := strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(u.Gid)
		p.cred = &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}
	}
	dir, err := os.MkdirTemp("", "keyward-pg-")
	if err != nil {
		t.Fatal(err)
	}
	p.dir = dir
	if p.cred != nil {
		if err := os.Chown(dir, int(p.cred.Uid), int(p.cred.Gid)); err != nil {
			t.Fatal(err)
		}
	}
	t.Cleanup(func() {
		_ = p.ctl("stop", "-m", "immediate")
		os.RemoveAll(dir)
	})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p.port = ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	p.logFile = filepath.Join(dir, "log")
	if out, err := p.cmd(filepath.Join(p.bin, "initdb"), "-D", filepath.Join(dir, "data"), "-U", "postgres", "-A", "trust", "-E", "UTF8", "--no-instructions").CombinedOutput(); err != nil {
		t.Fatalf("initdb: %v\n%s", err, out)
	}
	p.start()
	p.URL = fmt.Sprintf("postgres://postgres@127.0.0.1:%d/postgres?sslmode=disable", p.port)
	return p
}

func (p *privatePG) cmd(name string, args ...string) *exec.Cmd {
	c := exec.Command(name, args...)
	c.Dir = p.dir
	if p.cred != nil {
		c.SysProcAttr = &syscall.SysProcAttr{Credential: p.cred}
	}
	return c
}

func (p *privatePG) ctl(args ...string) error {
	all := append([]string{"-D", filepath.Join(p.dir, "data"), "-l", p.logFile, "-w", "-t", "60"}, args...)
	out, err := p.cmd(filepath.Join(p.bin, "pg_ctl"), all...).CombinedOutput()
	if err != nil {
		return fmt.Errorf("pg_ctl %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return nil
}

func (p *privatePG) start() {
	p.t.Helper()
	opts := fmt.Sprintf("-p %d -k %s -c listen_addresses=127.0.0.1 -c max_connections=100", p.port, p.dir)
	if err := p.ctl("start", "-o", opts); err != nil {
		log, _ := os.ReadFile(p.logFile)
		p.t.Fatalf("%v\n%s", err, log)
	}
}

func (p *privatePG) stop() {
	p.t.Helper()
	if err := p.ctl("stop", "-m", "fast"); err != nil {
		p.t.Fatal(err)
	}
}

// TestPostgresRestartUnderLoad restarts the database under a running server
// with load on it: while it is down, requests are answered 503 with
// Retry-After and a message in words, never 500; once it is back the same
// server answers again without being restarted; every acknowledged move is
// in the logbook and the audit log verifies.
func TestPostgresRestartUnderLoad(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a PostgreSQL cluster")
	}
	pg := startPrivatePG(t)
	dir := t.TempDir()
	env := map[string]string{"KEYWARD_DB": pg.URL, "KEYWARD_DATA": dir, "KEYWARD_AUDIT_KEY_FILE": filepath.Join(dir, "audit.key"), "KEYWARD_SCHEDULER_INTERVAL": "1h"}
	mustRun(t, env, "vault", "new-key", "--out", filepath.Join(dir, "vault.key"))
	env["KEYWARD_VAULT_KEY_FILE"] = filepath.Join(dir, "vault.key")
	mustRun(t, env, "init", "--org", "Acme", "--admin-email", "o@acme.test")
	lines := strings.Split(strings.TrimSpace(mustRun(t, env, "token", "create", "--user", "o@acme.test", "--name", "t")), "\n")
	token := lines[len(lines)-1]
	base := startServe(t, env)

	done := make(chan *loadgen.Report, 1)
	go func() {
		r, err := loadgen.Run(context.Background(), loadgen.Config{Servers: []string{base}, Token: token, Clients: 8, Duration: 8 * time.Second,
			Keys: 2, Shared: 2, SharedShare: 0.3, Seed: 5})
		if err != nil {
			t.Error(err)
		}
		done <- r
	}()
	time.Sleep(2 * time.Second)
	pg.stop()
	// While it is down: 503, Retry-After, words, for a read and a write.
	for _, req := range []struct{ method, path string }{{"GET", "/api/v1/keys"}, {"POST", "/api/v1/holders"}, {"GET", "/healthz"}} {
		var p struct {
			Detail string `json:"detail"`
		}
		hreq, _ := http.NewRequest(req.method, base+req.path, strings.NewReader(`{"name":"X"}`))
		hreq.Header.Set("Authorization", "Bearer "+token)
		hreq.Header.Set("Content-Type", "application/json")
		resp, err := http.DefaultClient.Do(hreq)
		if err != nil {
			t.Fatal(err)
		}
		_ = jsonDecode(resp, &p)
		if resp.StatusCode != 503 || resp.Header.Get("Retry-After") == "" || !strings.Contains(p.Detail, "database is not answering") {
			t.Errorf("%s %s with the database down: %d Retry-After %q %q", req.method, req.path, resp.StatusCode, resp.Header.Get("Retry-After"), p.Detail)
		}
	}
	time.Sleep(1500 * time.Millisecond)
	pg.start()
	r := <-done
	if r == nil {
		t.FailNow()
	}
	var b strings.Builder
	r.Write(&b)
	t.Logf("PostgreSQL stopped for about 2 s under 8 clients:\n%s", b.String())
	total := r.Total()
	if total.Statuses[503] == 0 {
		t.Errorf("no request saw the database down")
	}
	if total.Statuses[500] > 0 || total.Failed > 0 {
		t.Errorf("%d answers 500, %d without an answer, first: %q", total.Statuses[500], total.Failed, r.FirstErrors)
	}
	// Back without restarting Keyward: moves are made again after the restart.
	lastOK := time.Time{}
	for _, m := range r.AckedAt {
		lastOK = m.At
	}
	if st := apiCall(t, base, token, "GET", "/api/v1/keys", nil, nil); st != 200 {
		t.Fatalf("after the restart: %d", st)
	}
	if time.Since(lastOK) > 3*time.Second {
		t.Errorf("no move was acknowledged after the database came back (last %s ago)", time.Since(lastOK).Round(time.Millisecond))
	}
	ackedInHistory(t, openSQL(t, "pgx", pg.URL), r)
	if out := mustRun(t, env, "audit", "verify"); !strings.HasPrefix(out, "OK:") {
		t.Fatalf("audit verify: %s", out)
	}
}

func jsonDecode(resp *http.Response, out any) error {
	defer resp.Body.Close()
	return json.NewDecoder(resp.Body).Decode(out)
}

func openSQL(t *testing.T, driver, dsn string) *sql.DB {
	t.Helper()
	db, err := sql.Open(driver, dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}
