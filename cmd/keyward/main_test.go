package main

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"net/http"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	_ "modernc.org/sqlite"

	"github.com/keyward/keyward/internal/keyward"
)

// syncBuffer is a bytes.Buffer safe for the server goroutine and the test.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func runCmd(t *testing.T, ctx context.Context, env map[string]string, stdin string, args ...string) (int, string, string) {
	t.Helper()
	var out, errb syncBuffer
	code := run(ctx, args, func(k string) string { return env[k] }, strings.NewReader(stdin), &out, &errb)
	return code, out.String(), errb.String()
}

func TestInitTokenAuditBackup(t *testing.T) {
	dir := t.TempDir()
	env := map[string]string{"KEYWARD_DATA": dir}
	ctx := context.Background()
	code, out, errOut := runCmd(t, ctx, env, "", "init", "--org", "Acme", "--admin-email", "owner@acme.test")
	if code != 0 || !strings.Contains(out, "password") {
		t.Fatalf("init: %d %s %s", code, out, errOut)
	}
	if code, _, _ := runCmd(t, ctx, env, "", "init", "--org", "Acme", "--admin-email", "owner@acme.test"); code != 1 {
		t.Fatalf("second init exit %d, want 1", code)
	}
	code, out, _ = runCmd(t, ctx, env, "", "token", "create", "--user", "owner@acme.test", "--name", "ci")
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if code != 0 || !strings.HasPrefix(lines[len(lines)-1], "kw_") {
		t.Fatalf("token create: %d %q", code, out)
	}
	if code, out, _ := runCmd(t, ctx, env, "", "demo"); code != 0 || !strings.Contains(out, "64 keys, 40 pinned cylinders") {
		t.Fatalf("demo: %d %s", code, out)
	}
	if code, _, _ := runCmd(t, ctx, env, "", "demo"); code != 1 {
		t.Fatalf("second demo must refuse, exit %d", code)
	}
	if code, out, _ := runCmd(t, ctx, env, "", "audit", "verify"); code != 0 || !strings.HasPrefix(out, "OK:") {
		t.Fatalf("verify: %d %s", code, out)
	}
	exp := filepath.Join(t.TempDir(), "audit.json")
	if code, out, _ := runCmd(t, ctx, env, "", "audit", "export", "--out", exp); code != 0 {
		t.Fatalf("export: %d %s", code, out)
	}
	if code, out, _ := runCmd(t, ctx, env, "", "audit", "verify", "--export", exp); code != 0 {
		t.Fatalf("verify export: %d %s", code, out)
	}
	backup := filepath.Join(t.TempDir(), "backup.db")
	if code, out, e := runCmd(t, ctx, env, "", "backup", backup); code != 0 {
		t.Fatalf("backup: %d %s %s", code, out, e)
	}
	bdb, err := sql.Open("sqlite", backup)
	if err != nil {
		t.Fatal(err)
	}
	var n int
	if err := bdb.QueryRow(`SELECT COUNT(*) FROM keys`).Scan(&n); err != nil || n != 64 {
		t.Fatalf("backup has %d keys (%v)", n, err)
	}
	// The five vehicles and the two house doors are keyed by hand.
	if err := bdb.QueryRow(`SELECT COUNT(*) FROM opening_symbols`).Scan(&n); err != nil || n != 7 {
		t.Fatalf("demo keyed %d openings by hand (%v), want 7", n, err)
	}
	// The demo's master bittings are secrets: no plaintext TMK in the log or the backup.
	var leaks int
	if err := bdb.QueryRow(`SELECT COUNT(*) FROM audit_log WHERE details LIKE '%246824%'`).Scan(&leaks); err != nil || leaks != 0 {
		t.Fatalf("TMK in the audit log: %d (%v)", leaks, err)
	}
	bdb.Close()
	// Tamper: edit one row; verify names it and exits 1.
	db, err := sql.Open("sqlite", filepath.Join(dir, "keyward.db"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(`UPDATE audit_log SET actor = 'mallory' WHERE seq = 7`); err != nil {
		t.Fatal(err)
	}
	db.Close()
	code, out, _ = runCmd(t, ctx, env, "", "audit", "verify")
	if code != 1 || !strings.Contains(out, "seq 7") {
		t.Fatalf("tampered verify: %d %s", code, out)
	}
}

// TestAuditVerifyUnreadableRow: a row whose seq is not a whole number (SQLite
// stores what it is given) is named as the first bad record, not reported as
// a scan error.
func TestAuditVerifyUnreadableRow(t *testing.T) {
	dir := t.TempDir()
	env := map[string]string{"KEYWARD_DATA": dir}
	ctx := context.Background()
	if code, _, e := runCmd(t, ctx, env, "", "init", "--org", "Acme", "--admin-email", "owner@acme.test"); code != 0 {
		t.Fatalf("init: %s", e)
	}
	db, err := sql.Open("sqlite", filepath.Join(dir, "keyward.db"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(`INSERT INTO audit_log (seq, id, at, actor, actor_role, action, subject_type, subject_id, details, prev_hash, hash)
		SELECT 1.5, id, at, actor, actor_role, action, subject_type, subject_id, details, prev_hash, hash FROM audit_log WHERE seq = 1`); err != nil {
		t.Fatal(err)
	}
	db.Close()
	code, out, _ := runCmd(t, ctx, env, "", "audit", "verify")
	if code != 1 || !strings.Contains(out, "seq 2") || !strings.Contains(out, "cannot be read") {
		t.Fatalf("verify with an unreadable row: exit %d, %s", code, out)
	}
}

func TestServeAndClient(t *testing.T) {
	dir := t.TempDir()
	env := map[string]string{"KEYWARD_DATA": dir, "KEYWARD_SCHEDULER_INTERVAL": "1h"}
	ctx, cancel := context.WithCancel(context.Background())
	var out, errb syncBuffer
	done := make(chan int)
	go func() {
		done <- run(ctx, []string{"serve", "--addr", "127.0.0.1:0"}, func(k string) string { return env[k] }, strings.NewReader(""), &out, &errb)
	}()
	var base string
	re := regexp.MustCompile(`listening on (http://\S+)`)
	for i := 0; i < 100 && base == ""; i++ {
		time.Sleep(50 * time.Millisecond)
		if m := re.FindStringSubmatch(out.String()); m != nil {
			base = m[1]
		}
	}
	if base == "" {
		t.Fatalf("server did not start: %s %s", out.String(), errb.String())
	}
	if !strings.Contains(out.String(), "/setup?token=setup_") {
		t.Fatalf("an empty database must print the one-time setup link: %s", out.String())
	}
	resp, err := http.Get(base + "/healthz")
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("healthz: %v", err)
	}
	resp.Body.Close()
	// The offline commands work on the same data directory while serve runs.
	if code, _, e := runCmd(t, context.Background(), env, "", "init", "--org", "Acme", "--admin-email", "o@acme.test"); code != 0 {
		t.Fatalf("init: %s", e)
	}
	_, tokOut, _ := runCmd(t, context.Background(), env, "", "token", "create", "--user", "o@acme.test", "--name", "cli")
	lines := strings.Split(strings.TrimSpace(tokOut), "\n")
	cenv := map[string]string{"KEYWARD_SERVER": base, "KEYWARD_TOKEN": lines[len(lines)-1]}
	code, cout, cerr := runCmd(t, context.Background(), cenv, "", "sites", "create", "--name", "Depot", "--json")
	var site map[string]any
	if code != 0 || json.Unmarshal([]byte(cout), &site) != nil || site["name"] != "Depot" {
		t.Fatalf("sites create: %d %s %s", code, cout, cerr)
	}
	code, _, cerr = runCmd(t, context.Background(), cenv, "", "keyways", "create", "--name", "K", "--policy", "sometimes")
	if code != 1 || !strings.Contains(cerr, "duplication_policy") {
		t.Fatalf("bad input through the CLI: %d %s", code, cerr)
	}
	code, tout, _ := runCmd(t, context.Background(), cenv, "", "sites", "list")
	if code != 0 || !strings.Contains(tout, "Depot") || !strings.Contains(tout, "NAME") {
		t.Fatalf("sites list table: %s", tout)
	}
	// Retire hides the site from the list; restore brings it back.
	if code, out, e := runCmd(t, context.Background(), cenv, "", "sites", "retire", site["id"].(string), "--json"); code != 0 || !strings.Contains(out, "retired_at") {
		t.Fatalf("sites retire: %d %s %s", code, out, e)
	}
	if _, tout, _ := runCmd(t, context.Background(), cenv, "", "sites", "list"); strings.Contains(tout, "Depot") {
		t.Fatalf("retired site listed: %s", tout)
	}
	if code, out, e := runCmd(t, context.Background(), cenv, "", "sites", "restore", site["id"].(string)); code != 0 || !strings.Contains(out, "Depot") {
		t.Fatalf("sites restore: %d %s %s", code, out, e)
	}
	// Every custody move of keyward.CustodyMoves is a CLI verb.
	create := func(args ...string) string {
		t.Helper()
		code, out, e := runCmd(t, context.Background(), cenv, "", append(args, "--json")...)
		var obj map[string]any
		if code != 0 || json.Unmarshal([]byte(out), &obj) != nil || obj["id"] == "" {
			t.Fatalf("%v: %d %s %s", args, code, out, e)
		}
		return obj["id"].(string)
	}
	kw := create("keyways", "create", "--name", "SC1", "--policy", "open")
	ann := create("holders", "create", "--name", "Ann", "--email", "ann@acme.test")
	bob := create("holders", "create", "--name", "Bob", "--email", "bob@acme.test")
	key := create("keys", "create", "--keyway", kw, "--symbol", "AA1")
	moved := map[string]bool{}
	for _, step := range []struct {
		args   []string
		status string
	}{
		{[]string{"checkout", key, "--holder", ann, "--due", "4h"}, "checked_out"},
		{[]string{"checkin", key}, "in_storage"},
		{[]string{"issue", key, "--holder", ann}, "issued"},
		{[]string{"transfer", key, "--holder", bob}, "issued"},
		{[]string{"return", key, "--note", "back"}, "in_storage"},
		{[]string{"lost", key, "--note", "left on the bus"}, "lost"},
		{[]string{"found", key}, "in_storage"},
		{[]string{"destroy", key}, "destroyed"},
	} {
		code, out, e := runCmd(t, context.Background(), cenv, "", append([]string{"keys"}, append(step.args, "--json")...)...)
		var k map[string]any
		if code != 0 || json.Unmarshal([]byte(out), &k) != nil || k["status"] != step.status {
			t.Fatalf("keys %v: %d %s %s", step.args, code, out, e)
		}
		moved[step.args[0]] = true
	}
	for _, m := range keyward.CustodyMoves {
		if !moved[m.Action] {
			t.Errorf("custody move %s is not exercised through the CLI", m.Action)
		}
	}
	if code, _, e := runCmd(t, context.Background(), cenv, "", "keys", "borrow", key); code != 2 || !strings.Contains(e, "unknown command") {
		t.Fatalf("keys borrow: %d %s", code, e)
	}
	cancel() // as SIGTERM does
	select {
	case code := <-done:
		if code != 0 {
			t.Fatalf("serve exit %d: %s", code, errb.String())
		}
	case <-time.After(10 * time.Second):
		t.Fatal("serve did not shut down")
	}
	if strings.Contains(errb.String(), lines[len(lines)-1]) {
		t.Fatal("the API token reached the log")
	}
}

func TestKeyingVerbOffline(t *testing.T) {
	code, out, _ := runCmd(t, context.Background(), map[string]string{}, `{"cylinder":{"keys":["333333","555555"]},"key":"353553"}`, "keying", "operates", "--data", "/nonexistent")
	if code != 0 || !strings.Contains(out, `"operates":true`) {
		t.Fatalf("keying operates: %d %s", code, out)
	}
	if code, _, _ := runCmd(t, context.Background(), nil, "", "keying", "nonsense"); code != 2 {
		t.Fatalf("unknown verb exit %d, want 2", code)
	}
}

// A public URL that is not an absolute http(s) address stops serve before it
// listens, naming the variable and the rule.
func TestServeRefusesBadPublicURL(t *testing.T) {
	for _, bad := range []string{"keys.example.org", "ftp://keys.example.org", "https://keys.example.org/?a=1", "https://"} {
		env := map[string]string{"KEYWARD_DATA": t.TempDir(), "KEYWARD_PUBLIC_URL": bad}
		code, out, errOut := runCmd(t, context.Background(), env, "", "serve", "--addr", "127.0.0.1:0")
		if code != 2 || !strings.Contains(errOut, "KEYWARD_PUBLIC_URL must be an absolute http or https URL") || strings.Contains(out, "listening") {
			t.Fatalf("%q: exit %d, stderr %q, stdout %q", bad, code, errOut, out)
		}
	}
}

func TestServeRefusesBadTrustedProxies(t *testing.T) {
	for _, bad := range []string{"proxy.internal", "10.0.0.0/40", ","} {
		env := map[string]string{"KEYWARD_DATA": t.TempDir(), "KEYWARD_TRUSTED_PROXIES": bad}
		code, out, errOut := runCmd(t, context.Background(), env, "", "serve", "--addr", "127.0.0.1:0")
		if code != 2 || !strings.Contains(errOut, "KEYWARD_TRUSTED_PROXIES must") || strings.Contains(out, "listening") {
			t.Fatalf("%q: exit %d, stderr %q, stdout %q", bad, code, errOut, out)
		}
	}
}

// TestServePrunesExpiredRows: serve's housekeeping deletes an expired session
// and an old idempotency key when it starts, and logs how many.
func TestServePrunesExpiredRows(t *testing.T) {
	dir := t.TempDir()
	env := map[string]string{"KEYWARD_DATA": dir, "KEYWARD_SCHEDULER_INTERVAL": "1h"}
	if code, _, e := runCmd(t, context.Background(), env, "", "init", "--org", "Acme", "--admin-email", "o@acme.test"); code != 0 {
		t.Fatalf("init: %s", e)
	}
	db, err := sql.Open("sqlite", filepath.Join(dir, "keyward.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	count := func(q string) int {
		t.Helper()
		var n int
		if err := db.QueryRow(q).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	for _, q := range []string{
		`INSERT INTO sessions (id_hash, user_id, created_at, expires_at, mfa_done)
			SELECT 'old-session', id, '2020-01-01T00:00:00.000000000Z', '2020-01-01T12:00:00.000000000Z', 1 FROM users`,
		`INSERT INTO sessions (id_hash, user_id, created_at, expires_at, mfa_done)
			SELECT 'live-session', id, '2020-01-01T00:00:00.000000000Z', '2999-01-01T00:00:00.000000000Z', 1 FROM users`,
		`INSERT INTO idempotency (user_id, key, request_hash, status, body, created_at)
			SELECT id, 'old-key', 'h', 201, '{}', '2020-01-01T00:00:00.000000000Z' FROM users`,
	} {
		if _, err := db.Exec(q); err != nil {
			t.Fatal(err)
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	var out, errb syncBuffer
	done := make(chan int)
	go func() {
		done <- run(ctx, []string{"serve", "--addr", "127.0.0.1:0"}, func(k string) string { return env[k] }, strings.NewReader(""), &out, &errb)
	}()
	left := -1
	for i := 0; i < 100 && left != 0; i++ {
		time.Sleep(50 * time.Millisecond)
		left = count(`SELECT COUNT(*) FROM sessions WHERE id_hash = 'old-session'`) + count(`SELECT COUNT(*) FROM idempotency WHERE key = 'old-key'`)
	}
	cancel()
	if code := <-done; code != 0 {
		t.Fatalf("serve exit %d: %s", code, errb.String())
	}
	if left != 0 {
		t.Fatalf("%d expired rows left after serve started: %s", left, errb.String())
	}
	if n := count(`SELECT COUNT(*) FROM sessions WHERE id_hash = 'live-session'`); n != 1 {
		t.Fatal("the live session was pruned")
	}
	if log := errb.String() + out.String(); !strings.Contains(log, `"msg":"scheduler: pruned expired rows","sessions":1`) {
		t.Fatalf("no log line for the pruned rows: %s", log)
	}
}

func TestServeRefusesBadAPIRate(t *testing.T) {
	for _, bad := range []string{"fast", "-5", "NaN"} {
		env := map[string]string{"KEYWARD_DATA": t.TempDir(), "KEYWARD_API_RATE": bad}
		code, out, errOut := runCmd(t, context.Background(), env, "", "serve", "--addr", "127.0.0.1:0")
		if code != 2 || !strings.Contains(errOut, "KEYWARD_API_RATE must be a number") || strings.Contains(out, "listening") {
			t.Fatalf("%q: exit %d, stderr %q, stdout %q", bad, code, errOut, out)
		}
	}
}
