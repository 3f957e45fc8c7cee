package main

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"io"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/keyward/keyward/internal/keyward"
	"github.com/keyward/keyward/internal/vault"
)

// keyringPath is where a target's vault keyring lives: SQLite's vault.key in
// the data directory, or the file KEYWARD_VAULT_KEY_FILE names.
func keyringPath(tg cliTarget) string {
	if p := tg.env["KEYWARD_VAULT_KEY_FILE"]; p != "" {
		return p
	}
	return filepath.Join(tg.env["KEYWARD_DATA"], vault.KeyFile)
}

// dbFingerprint hashes every row of every table, so a test can tell that a
// command changed nothing.
func dbFingerprint(t *testing.T, db *sql.DB, postgres bool) string {
	t.Helper()
	q := `SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name`
	if postgres {
		q = `SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema() ORDER BY table_name`
	}
	rows, err := db.Query(q)
	if err != nil {
		t.Fatal(err)
	}
	var tables []string
	for rows.Next() {
		var n string
		rows.Scan(&n)
		tables = append(tables, n)
	}
	rows.Close()
	h := sha256.New()
	for _, table := range tables {
		rows, err := db.Query(`SELECT * FROM ` + table)
		if err != nil {
			t.Fatal(err)
		}
		cols, _ := rows.Columns()
		var lines []string
		for rows.Next() {
			vals := make([]any, len(cols))
			ptrs := make([]any, len(cols))
			for i := range vals {
				ptrs[i] = &vals[i]
			}
			if err := rows.Scan(ptrs...); err != nil {
				t.Fatal(err)
			}
			lines = append(lines, fmt.Sprintf("%v", vals))
		}
		rows.Close()
		slices.Sort(lines)
		fmt.Fprintf(h, "%s:%d:%s\n", table, len(lines), strings.Join(lines, "\n"))
	}
	return hex.EncodeToString(h.Sum(nil))
}

func copyEnv(m map[string]string) map[string]string {
	out := map[string]string{}
	for k, v := range m {
		out[k] = v
	}
	return out
}

// TestServeRefusesWrongKEK: given a keyring that cannot open the database's
// secrets, serve (and every command that seals) exits non-zero, names the
// missing KEK, and changes nothing in the database or the data directory.
func TestServeRefusesWrongKEK(t *testing.T) {
	eachTarget(t, func(t *testing.T, target func(t *testing.T) cliTarget) {
		tg := target(t)
		keyFileFor(t, tg)
		mustRun(t, tg.env, "init", "--org", "Harbour Point", "--admin-email", "owner@harbour.test")
		mustRun(t, tg.env, "demo")
		ring, err := vault.ParseKeyring(mustReadFile(t, keyringPath(tg)))
		if err != nil {
			t.Fatal(err)
		}
		right := ring.Current()
		before := dbFingerprint(t, tg.sql(t), tg.name == "postgres")

		wrong := copyEnv(tg.env)
		wrong["KEYWARD_VAULT_KEY_FILE"] = filepath.Join(t.TempDir(), "other.key")
		mustRun(t, wrong, "vault", "new-key", "--out", wrong["KEYWARD_VAULT_KEY_FILE"])
		for _, args := range [][]string{{"serve", "--addr", "127.0.0.1:0"}, {"token", "create", "--user", "owner@harbour.test", "--name", "x"}, {"vault", "rotate-kek"}} {
			// A serve that started anyway stops after a while, exit 0: a failure, not a hang.
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			code, out, errOut := runCmd(t, ctx, wrong, "", args...)
			cancel()
			if code == 0 || !strings.Contains(errOut, "the vault keyring cannot open the secrets in this database: KEK id "+right+" is missing") {
				t.Fatalf("%s with a wrong keyring: exit %d\n%s%s", args[0], code, out, errOut)
			}
			if strings.Contains(out, "listening") {
				t.Fatal("serve listened with a wrong keyring")
			}
		}
		if b := mustReadFile(t, wrong["KEYWARD_VAULT_KEY_FILE"]); strings.Contains(string(b), "{") {
			t.Fatal("a refused rotation wrote the keyring")
		}
		if tg.name == "sqlite" {
			// The data directory's key file gone: no new key is made in its place.
			kf := keyringPath(tg)
			os.Rename(kf, kf+".away")
			code, _, errOut := runCmd(t, context.Background(), tg.env, "", "serve", "--addr", "127.0.0.1:0")
			if code == 0 || !strings.Contains(errOut, "the data directory has no vault.key, yet the database holds") {
				t.Fatalf("serve without its key file: exit %d\n%s", code, errOut)
			}
			if _, err := os.Stat(kf); err == nil {
				t.Fatal("serve made a new vault key that cannot open the secrets")
			}
			os.Rename(kf+".away", kf)
		}
		if after := dbFingerprint(t, tg.sql(t), tg.name == "postgres"); after != before {
			t.Fatal("a refused start changed the database")
		}
		// The right keyring still starts.
		startServe(t, tg.env)
	})
}

func mustReadFile(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// seedLockboxes adds n lockboxes with codes "code-<i>" sealed by the target's
// keyring, behind the CLI's back, in a few large inserts.
func seedLockboxes(t *testing.T, tg cliTarget, n int) {
	t.Helper()
	v, err := vault.ReadKeyFile(keyringPath(tg))
	if err != nil {
		t.Fatal(err)
	}
	db := tg.sql(t)
	for start := 0; start < n; start += 500 {
		var b strings.Builder
		b.WriteString(`INSERT INTO storage_places (id, kind, name, code_sealed, created_at) VALUES `)
		for i := start; i < min(start+500, n); i++ {
			if i > start {
				b.WriteString(", ")
			}
			id := fmt.Sprintf("sto_seed%05d", i)
			fmt.Fprintf(&b, `('%s', 'lockbox', 'Seed box %05d', '%s', '2026-01-01T00:00:00.000000000Z')`, id, i, v.Seal(keyward.Secret(fmt.Sprintf("code-%d", i)), "lockbox:"+id))
		}
		if _, err := db.Exec(b.String()); err != nil {
			t.Fatal(err)
		}
	}
}

// TestRotateKEKWhileTwoServersServe: two servers share one keyring file; the
// rotation runs beside them while one of them reveals a lockbox code through
// the API again and again: every reveal works, the old KEK is retired, both
// servers then seal under the new KEK, and a backup holds no code and no KEK.
func TestRotateKEKWhileTwoServersServe(t *testing.T) {
	eachTarget(t, func(t *testing.T, target func(t *testing.T) cliTarget) {
		tg := target(t)
		keyFileFor(t, tg)
		mustRun(t, tg.env, "init", "--org", "Harbour Point", "--admin-email", "owner@harbour.test")
		out := mustRun(t, tg.env, "token", "create", "--user", "owner@harbour.test", "--name", "t")
		lines := strings.Split(strings.TrimSpace(out), "\n")
		token := lines[len(lines)-1]
		seedLockboxes(t, tg, 300)
		envA, envB := copyEnv(tg.env), copyEnv(tg.env)
		// The reveals run as fast as the servers answer: no per-token rate
		// limit, which is not what this test is about.
		envA["KEYWARD_API_RATE"], envB["KEYWARD_API_RATE"] = "0", "0"
		if tg.name == "postgres" {
			envB["KEYWARD_DATA"] = t.TempDir() // a server on another machine: only the keyring file is shared
		}
		baseA, baseB := startServe(t, envA), startServe(t, envB)
		var box map[string]any
		if st := apiCall(t, baseA, token, "POST", "/api/v1/storage", map[string]any{"kind": "lockbox", "name": "Gate box", "code": "GATE-73915"}, &box); st != 201 {
			t.Fatalf("create lockbox: %d", st)
		}
		reveal := func(base string) (string, int) {
			var rev map[string]any
			st := apiCall(t, base, token, "POST", "/api/v1/storage/"+url.PathEscape(box["id"].(string))+"/reveal", map[string]any{"reason": "let the plumber in"}, &rev)
			code, _ := rev["code"].(string)
			return code, st
		}
		oldID := mustKeyring(t, tg).Current()

		var stop atomic.Bool
		var wg sync.WaitGroup
		var ok, bad atomic.Int64
		var firstBad atomic.Value
		wg.Add(1)
		go func() {
			defer wg.Done()
			for !stop.Load() {
				if code, st := reveal(baseB); st == 200 && code == "GATE-73915" {
					ok.Add(1)
				} else {
					bad.Add(1)
					firstBad.CompareAndSwap(nil, fmt.Sprintf("status %d code %q", st, code))
				}
			}
		}()
		start := time.Now()
		code, rotOut, rotErr := runCmd(t, context.Background(), tg.env, "", "vault", "rotate-kek", "--batch", "25", "--settle", "100ms")
		stop.Store(true)
		wg.Wait()
		if code != 0 || !strings.Contains(rotOut, "Retired KEK "+oldID) {
			t.Fatalf("rotate-kek: exit %d\n%s%s", code, rotOut, rotErr)
		}
		t.Logf("%s: rotated 301 secrets in %s while the other server revealed %d times", tg.name, time.Since(start).Round(time.Millisecond), ok.Load())
		if bad.Load() > 0 || ok.Load() == 0 {
			t.Fatalf("reveals during the rotation: %d ok, %d failed (first: %v)", ok.Load(), bad.Load(), firstBad.Load())
		}
		ring := mustKeyring(t, tg)
		newID := ring.Current()
		if newID == oldID || ring.StateOf(oldID) != vault.Retired {
			t.Fatalf("keyring after the rotation: %+v", ring.KEKs())
		}
		st := mustRun(t, tg.env, "vault", "status")
		if !strings.Contains(st, "KEK "+newID+"  current  301 secrets") || !strings.Contains(st, "KEK "+oldID+"  retired  0 secrets") {
			t.Fatalf("vault status:\n%s", st)
		}
		for _, base := range []string{baseA, baseB} {
			if code, st := reveal(base); st != 200 || code != "GATE-73915" {
				t.Fatalf("reveal after the rotation: %d %q", st, code)
			}
		}
		// Both servers read the new keyring (by polling): what each seals now
		// is under the new KEK.
		db := tg.sql(t)
		for i, base := range []string{baseA, baseB} {
			deadline := time.Now().Add(15 * time.Second)
			for n := 0; ; n++ {
				var p map[string]any
				if st := apiCall(t, base, token, "POST", "/api/v1/storage", map[string]any{"kind": "lockbox", "name": fmt.Sprintf("Box %d-%d", i, n), "code": "NEW-1234"}, &p); st != 201 {
					t.Fatalf("create lockbox: %d", st)
				}
				var sealed string
				if err := db.QueryRow(`SELECT code_sealed FROM storage_places WHERE id = '` + p["id"].(string) + `'`).Scan(&sealed); err != nil {
					t.Fatal(err)
				}
				if vault.KEKOf(sealed) == newID {
					break
				}
				if time.Now().After(deadline) {
					t.Fatalf("server %d still seals under KEK %s", i, vault.KEKOf(sealed))
				}
				time.Sleep(200 * time.Millisecond)
			}
		}
		// A backup taken now holds no code and no KEK.
		file := filepath.Join(t.TempDir(), "backup")
		mustRun(t, tg.env, "backup", file)
		b := mustReadFile(t, file)
		needles := []string{"GATE-73915", "NEW-1234", "code-17"}
		for _, line := range strings.Split(string(ring.Marshal()), "\n") {
			if k, found := strings.CutPrefix(strings.TrimSpace(line), `"key": "`); found {
				raw, _ := base64.StdEncoding.DecodeString(strings.TrimSuffix(k, `"`))
				needles = append(needles, strings.TrimSuffix(k, `"`), string(raw))
			}
		}
		for _, n := range needles {
			if bytes.Contains(b, []byte(n)) {
				t.Errorf("the backup holds a secret or a KEK (%d bytes)", len(n))
			}
		}
	})
}

func mustKeyring(t *testing.T, tg cliTarget) *vault.Ring {
	t.Helper()
	r, err := vault.ParseKeyring(mustReadFile(t, keyringPath(tg)))
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// TestHelperKeyward is not a test: run as a child process by the tests that
// kill a keyward command, it runs the command line in KEYWARD_HELPER_ARGS.
func TestHelperKeyward(t *testing.T) {
	args := os.Getenv("KEYWARD_HELPER_ARGS")
	if args == "" {
		t.Skip("runs only as a child process of another test")
	}
	os.Exit(run(context.Background(), strings.Split(args, "\x1f"), os.Getenv, os.Stdin, os.Stdout, os.Stderr))
}

// TestRotateKEKKilledThenResumed kills `keyward vault rotate-kek` (SIGKILL)
// after its first batches; the secrets are then under two KEKs, every one
// still opens, and running the command again finishes that rotation without
// adding a third KEK.
func TestRotateKEKKilledThenResumed(t *testing.T) {
	eachTarget(t, func(t *testing.T, target func(t *testing.T) cliTarget) {
		tg := target(t)
		keyFileFor(t, tg)
		mustRun(t, tg.env, "init", "--org", "Harbour Point", "--admin-email", "owner@harbour.test")
		const n = 1500
		seedLockboxes(t, tg, n)
		oldID := mustKeyring(t, tg).Current()

		cmd := exec.Command(os.Args[0], "-test.run=^TestHelperKeyward$")
		cmd.Env = append(os.Environ(), "KEYWARD_HELPER_ARGS="+strings.Join([]string{"vault", "rotate-kek", "--batch", "5", "--settle", "0s"}, "\x1f"))
		for k, v := range tg.env {
			cmd.Env = append(cmd.Env, k+"="+v)
		}
		stdout, _ := cmd.StdoutPipe()
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		sc := bufio.NewScanner(stdout)
		killed := false
		for sc.Scan() {
			if strings.HasPrefix(sc.Text(), "rewrapped ") {
				cmd.Process.Signal(syscall.SIGKILL)
				killed = true
				break
			}
		}
		io.Copy(io.Discard, stdout)
		err := cmd.Wait()
		if !killed || err == nil {
			t.Fatalf("the rotation was not killed mid-way (%v):\n%s", err, stderr.String())
		}
		ring := mustKeyring(t, tg)
		newID := ring.Current()
		if newID == oldID || ring.StateOf(oldID) != vault.Active {
			t.Fatalf("keyring after the kill: %+v", ring.KEKs())
		}
		st := mustRun(t, tg.env, "vault", "status")
		if !strings.Contains(st, "A rotation has not finished") || strings.Contains(st, fmt.Sprintf("current  %d secrets", n)) || strings.Contains(st, "current  0 secrets") {
			t.Fatalf("status after the kill (want secrets under both KEKs):\n%s", st)
		}
		v := vault.FromRing(ring)
		openAll := func(v *vault.Key) map[string]int {
			rows, err := tg.sql(t).Query(`SELECT id, code_sealed FROM storage_places WHERE code_sealed IS NOT NULL`)
			if err != nil {
				t.Fatal(err)
			}
			defer rows.Close()
			keks := map[string]int{}
			for rows.Next() {
				var id, sealed string
				rows.Scan(&id, &sealed)
				s, err := v.Open(sealed, "lockbox:"+id)
				var i int
				fmt.Sscanf(id, "sto_seed%d", &i)
				if err != nil || s.Reveal() != fmt.Sprintf("code-%d", i) {
					t.Fatalf("%s opens to %q, %v", id, s.Reveal(), err)
				}
				keks[vault.KEKOf(sealed)]++
			}
			return keks
		}
		if mid := openAll(v); mid[oldID] == 0 || mid[newID] == 0 {
			t.Fatalf("KEKs after the kill: %v", mid)
		}
		out := mustRun(t, tg.env, "vault", "rotate-kek", "--batch", "200", "--settle", "0s")
		if !strings.Contains(out, "Finished the rotation to KEK "+newID+" begun earlier") || !strings.Contains(out, "Retired KEK "+oldID) {
			t.Fatalf("resumed rotation:\n%s", out)
		}
		ring = mustKeyring(t, tg)
		newOnly, err := ring.Destroy(oldID)
		if err != nil || len(ring.KEKs()) != 2 {
			t.Fatalf("keyring after the resumed rotation: %+v %v", ring.KEKs(), err)
		}
		if after := openAll(vault.FromRing(newOnly)); len(after) != 1 || after[newID] != n {
			t.Fatalf("KEKs after the resumed rotation: %v", after)
		}
		mustRun(t, tg.env, "audit", "verify")
		mustRun(t, tg.env, "vault", "destroy-kek", oldID)
		if mustKeyring(t, tg).Has(oldID) {
			t.Fatal("destroy-kek left the KEK in the keyring")
		}
	})
}
