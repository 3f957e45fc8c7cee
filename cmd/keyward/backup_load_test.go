package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/keyward/keyward/internal/loadgen"
)

// TestBackupUnderLoadRestores takes `keyward backup` while the load tool
// runs, restores it into an empty target and checks that the copy verifies,
// holds every custody move acknowledged before the backup began (and none
// that was never made), and serves, but only with the source's vault key:
// without it, or with another key, serve refuses to start and says why,
// making no key of its own.
func TestBackupUnderLoadRestores(t *testing.T) {
	if testing.Short() {
		t.Skip("runs load for seconds")
	}
	eachTarget(t, func(t *testing.T, target func(t *testing.T) cliTarget) {
		src := target(t)
		bases, token := loadServers(t, src, 1, map[string]string{"KEYWARD_ALLOW_PRIVATE_WEBHOOKS": "1"})
		// A sealed secret, so the restored copy needs the source's key.
		if st := apiCall(t, bases[0], token, "POST", "/api/v1/webhooks", map[string]any{"url": "http://127.0.0.1:9/hook", "secret": "hook-secret", "events": []string{"checkout.overdue"}}, nil); st != 201 {
			t.Fatalf("webhook: %d", st)
		}
		var key string
		if src.name == "sqlite" {
			b, err := os.ReadFile(filepath.Join(src.env["KEYWARD_DATA"], "vault.key"))
			if err != nil {
				t.Fatal(err)
			}
			key = string(b)
		} else {
			key = src.env["KEYWARD_VAULT_KEY_FILE"]
		}

		type result struct {
			r   *loadgen.Report
			err error
		}
		done := make(chan result, 1)
		go func() {
			r, err := loadgen.Run(context.Background(), loadgen.Config{Servers: bases, Token: token, Clients: 8, Duration: 3 * time.Second,
				Keys: 2, Shared: 2, SharedShare: 0.3, Seed: 3})
			done <- result{r, err}
		}()
		time.Sleep(1500 * time.Millisecond)
		began := time.Now()
		file := filepath.Join(t.TempDir(), "under-load.backup")
		mustRun(t, src.env, "backup", file)
		res := <-done
		if res.err != nil {
			t.Fatal(res.err)
		}
		if e := res.r.ServerErrors(); e > 0 {
			t.Fatalf("%d server errors during the backup, first: %q", e, res.r.FirstErrors)
		}
		before := map[string]int{}
		nBefore, nAfter := 0, 0
		for _, m := range res.r.AckedAt {
			if m.At.Before(began) {
				before[m.Key]++
				nBefore++
			} else {
				nAfter++
			}
		}
		if nBefore == 0 || nAfter == 0 {
			t.Fatalf("the backup was not taken under load: %d moves before it began, %d after", nBefore, nAfter)
		}

		dst := target(t)
		bare := map[string]string{}
		for k, v := range dst.env {
			bare[k] = v
		}
		mustRun(t, bare, "restore", file)
		if out := mustRun(t, bare, "audit", "verify"); !strings.HasPrefix(out, "OK:") {
			t.Fatalf("verify of the restored copy: %s", out)
		}
		db := dst.sql(t)
		for k, want := range before {
			var got int
			if err := db.QueryRow(`SELECT COUNT(*) FROM custody_events WHERE action IN ('checkout', 'checkin') AND key_id = `+placeholder(db), k).Scan(&got); err != nil {
				t.Fatal(err)
			}
			acked := res.r.Acked[k].Checkouts + res.r.Acked[k].Checkins
			if got < want || got > acked {
				t.Errorf("key %s: the restored logbook has %d moves; %d were acknowledged before the backup began, %d in all", k, got, want, acked)
			}
		}

		serve := func(env map[string]string) (int, string) {
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			code, _, errOut := runCmd(t, ctx, env, "", "serve", "--addr", "127.0.0.1:0")
			return code, errOut
		}
		// Without the key: refused, and no new key made.
		code, errOut := serve(bare)
		if code == 0 || !strings.Contains(errOut, "vault key") {
			t.Fatalf("serve without the key: exit %d %s", code, errOut)
		}
		if dst.name == "sqlite" {
			if !strings.Contains(errOut, "makes no new key") {
				t.Fatalf("serve without the key does not say why: %s", errOut)
			}
			if _, err := os.Stat(filepath.Join(dst.env["KEYWARD_DATA"], "vault.key")); err == nil {
				t.Fatal("serve made a new vault key beside a restored database")
			}
		}
		// With another key: refused, naming it.
		wrong := filepath.Join(t.TempDir(), "other.key")
		mustRun(t, bare, "vault", "new-key", "--out", wrong)
		other := map[string]string{"KEYWARD_VAULT_KEY_FILE": wrong}
		for k, v := range bare {
			other[k] = v
		}
		if code, errOut := serve(other); code == 0 || !strings.Contains(errOut, "the vault keyring cannot open the secrets in this database") {
			t.Fatalf("serve with another key: exit %d %s", code, errOut)
		}
		// With the source's key: it serves the restored copy.
		if dst.name == "sqlite" {
			if err := os.WriteFile(filepath.Join(dst.env["KEYWARD_DATA"], "vault.key"), []byte(key), 0o600); err != nil {
				t.Fatal(err)
			}
		} else {
			dst.env["KEYWARD_VAULT_KEY_FILE"] = key
		}
		base := startServe(t, dst.env)
		var hooks struct {
			Items []map[string]any `json:"items"`
		}
		lines := strings.Split(strings.TrimSpace(mustRun(t, dst.env, "token", "create", "--user", "o@acme.test", "--name", "after")), "\n")
		if st := apiCall(t, base, lines[len(lines)-1], "GET", "/api/v1/webhooks", nil, &hooks); st != 200 || len(hooks.Items) != 1 {
			t.Fatalf("webhooks on the restored copy: %d %v", st, hooks.Items)
		}
	})
}
