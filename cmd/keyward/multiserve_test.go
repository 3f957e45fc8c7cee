package main

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/keyward/keyward/internal/store/storetest"
	"github.com/keyward/keyward/internal/vault"
)

// startServe runs `keyward serve` in-process and returns its base URL.
func startServe(t *testing.T, env map[string]string) string {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	var out, errb syncBuffer
	done := make(chan int, 1)
	go func() {
		done <- run(ctx, []string{"serve", "--addr", "127.0.0.1:0"}, func(k string) string { return env[k] }, strings.NewReader(""), &out, &errb)
	}()
	t.Cleanup(func() {
		cancel()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			t.Error("serve did not stop")
		}
	})
	re := regexp.MustCompile(`listening on (http://\S+)`)
	for range 200 {
		if m := re.FindStringSubmatch(out.String()); m != nil {
			return m[1]
		}
		time.Sleep(25 * time.Millisecond)
	}
	t.Fatalf("serve did not start: %s", errb.String())
	return ""
}

func apiCall(t *testing.T, base, token, method, path string, body any, out any) int {
	t.Helper()
	b, _ := json.Marshal(body)
	req, _ := http.NewRequest(method, base+path, strings.NewReader(string(b)))
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	if out != nil {
		_ = json.Unmarshal(raw, out)
	}
	return resp.StatusCode
}

// TestTwoServersOnePostgres runs three `keyward serve` processes with
// separate data directories on one PostgreSQL: each overdue check-out reaches
// the webhook exactly once, signed, though every server's scheduler looks for
// it, and the audit chain stays one.
func TestTwoServersOnePostgres(t *testing.T) {
	pg := storetest.Postgres(t)
	var mu sync.Mutex
	var deliveries []string
	recv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		deliveries = append(deliveries, string(b))
		mu.Unlock()
		if !strings.HasPrefix(r.Header.Get("X-Keyward-Signature"), "sha256=") {
			t.Errorf("unsigned delivery")
		}
	}))
	defer recv.Close()
	// On PostgreSQL every server is given the same vault key; none lives in the database.
	common := map[string]string{"KEYWARD_DB": pg.URL, "KEYWARD_VAULT_KEY": vault.NewKeyString(), "KEYWARD_SCHEDULER_INTERVAL": "200ms", "KEYWARD_ALLOW_PRIVATE_WEBHOOKS": "1"}
	envFor := func() map[string]string {
		m := map[string]string{"KEYWARD_DATA": t.TempDir()}
		for k, v := range common {
			m[k] = v
		}
		return m
	}
	env1, env2, env3 := envFor(), envFor(), envFor()
	if code, out, e := runCmd(t, context.Background(), env1, "", "init", "--org", "Acme", "--admin-email", "o@acme.test"); code != 0 {
		t.Fatalf("init: %s %s", out, e)
	}
	_, tokOut, _ := runCmd(t, context.Background(), env1, "", "token", "create", "--user", "o@acme.test", "--name", "t")
	lines := strings.Split(strings.TrimSpace(tokOut), "\n")
	token := lines[len(lines)-1]
	base1, base2, base3 := startServe(t, env1), startServe(t, env2), startServe(t, env3)
	// The webhook is created through one server, its secret sealed there.
	if st := apiCall(t, base2, token, "POST", "/api/v1/webhooks", map[string]any{"url": recv.URL, "secret": "shared-secret", "events": []string{"checkout.overdue"}}, nil); st != 201 {
		t.Fatalf("webhook: %d", st)
	}
	var kw, h map[string]any
	apiCall(t, base1, token, "POST", "/api/v1/keyways", map[string]any{"name": "SC1", "duplication_policy": "open"}, &kw)
	apiCall(t, base1, token, "POST", "/api/v1/holders", map[string]any{"name": "Dana", "email": "dana@acme.test"}, &h)
	for i := range 3 {
		var k map[string]any
		base := []string{base1, base2, base3}[i%3]
		if st := apiCall(t, base, token, "POST", "/api/v1/keys", map[string]any{"keyway_id": kw["id"], "symbol": "AA1"}, &k); st != 201 {
			t.Fatalf("key: %d", st)
		}
		due := time.Now().Add(time.Second).UTC().Format(time.RFC3339Nano)
		if st := apiCall(t, base, token, "POST", "/api/v1/keys/"+url.PathEscape(k["id"].(string))+"/checkout", map[string]any{"holder_id": h["id"], "due_at": due}, nil); st != 200 {
			t.Fatalf("checkout: %d", st)
		}
	}
	time.Sleep(3 * time.Second)
	mu.Lock()
	got := len(deliveries)
	mu.Unlock()
	if got != 3 {
		t.Fatalf("%d deliveries for 3 overdue check-outs, want exactly 3", got)
	}
	if code, out, _ := runCmd(t, context.Background(), env2, "", "audit", "verify"); code != 0 {
		t.Fatalf("audit verify across three servers: %s", out)
	}
	// A backup of PostgreSQL while both servers run lists every table.
	file := filepath.Join(t.TempDir(), "backup.jsonl")
	if code, out, e := runCmd(t, context.Background(), env1, "", "backup", file); code != 0 {
		t.Fatalf("backup: %s %s", out, e)
	}
	b, _ := os.ReadFile(file)
	for _, table := range []string{`"table":"webhooks"`, `"table":"keys"`, `"table":"audit_log"`} {
		if !strings.Contains(string(b), table) {
			t.Fatalf("backup misses %s", table)
		}
	}
}
