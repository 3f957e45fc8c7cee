package main

import (
	"context"
	"errors"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// smallDisk mounts a size-limited tmpfs for the test, or skips (fails under
// CI) when this machine cannot mount one.
func smallDisk(t *testing.T, size string) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "keyward-disk-")
	if err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size="+size+",mode=0700", "tmpfs", dir).CombinedOutput(); err != nil {
		os.Remove(dir)
		needFault(t, "cannot mount a size-limited tmpfs (needs root and mount rights): "+strings.TrimSpace(string(out)))
	}
	t.Cleanup(func() {
		if out, err := exec.Command("umount", dir).CombinedOutput(); err != nil {
			t.Errorf("umount %s: %v %s", dir, err, out)
			return
		}
		os.Remove(dir)
	})
	return dir
}

// fillDisk writes a file until the filesystem is full and returns its path.
func fillDisk(t *testing.T, dir string) string {
	t.Helper()
	path := filepath.Join(dir, "filler")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	buf := make([]byte, 64<<10)
	for {
		if _, err := f.Write(buf); err != nil {
			if errors.Is(err, syscall.ENOSPC) {
				break
			}
			t.Fatal(err)
		}
	}
	// The last partial blocks too.
	for {
		if _, err := f.Write(buf[:512]); err != nil {
			break
		}
	}
	return path
}

// TestDiskFullSQLite fills the disk under a running server's SQLite data
// directory: a change is refused with 503, Retry-After and words saying the
// disk is full and nothing was changed; reads are still served; once space
// is freed the same server takes changes again; nothing is corrupted.
func TestDiskFullSQLite(t *testing.T) {
	disk := smallDisk(t, "6m")
	data := filepath.Join(disk, "data")
	env := map[string]string{"KEYWARD_DATA": data, "KEYWARD_SCHEDULER_INTERVAL": "1h"}
	mustRun(t, env, "init", "--org", "Acme", "--admin-email", "o@acme.test")
	lines := strings.Split(strings.TrimSpace(mustRun(t, env, "token", "create", "--user", "o@acme.test", "--name", "t")), "\n")
	token := lines[len(lines)-1]
	base := startServe(t, env)
	var kw, h, k map[string]any
	apiCall(t, base, token, "POST", "/api/v1/keyways", map[string]any{"name": "SC1", "duplication_policy": "open"}, &kw)
	apiCall(t, base, token, "POST", "/api/v1/holders", map[string]any{"name": "Dana", "email": "dana@acme.test"}, &h)
	if st := apiCall(t, base, token, "POST", "/api/v1/keys", map[string]any{"keyway_id": kw["id"], "symbol": "AA1"}, &k); st != 201 {
		t.Fatalf("key: %d", st)
	}
	key := k["id"].(string)
	checkout := map[string]any{"holder_id": h["id"], "due_at": "2099-01-01T00:00:00Z"}
	if st := apiCall(t, base, token, "POST", "/api/v1/keys/"+key+"/checkout", checkout, nil); st != 200 {
		t.Fatalf("checkout before the disk filled: %d", st)
	}

	filler := fillDisk(t, disk)
	// Changes: refused in words, 503 with Retry-After, several times over
	// (each may try to grow the WAL), the key still checked out.
	for i := range 5 {
		req, _ := http.NewRequest("POST", base+"/api/v1/keys/"+key+"/checkin", strings.NewReader(`{"note":"`+strings.Repeat("x", 400)+`"}`))
		req.Header.Set("Authorization", "Bearer "+token)
		req.Header.Set("Content-Type", "application/json")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 503 || resp.Header.Get("Retry-After") == "" || !strings.Contains(string(body), "disk that holds the database is full") {
			t.Fatalf("check-in %d on a full disk: %d Retry-After %q %s", i, resp.StatusCode, resp.Header.Get("Retry-After"), body)
		}
	}
	if st := apiCall(t, base, token, "POST", "/api/v1/holders", map[string]any{"name": "Eve", "email": "eve@acme.test"}, nil); st != 503 {
		t.Fatalf("new holder on a full disk: %d", st)
	}
	// Reads are served.
	var got map[string]any
	if st := apiCall(t, base, token, "GET", "/api/v1/keys/"+key, nil, &got); st != 200 || got["status"] != "checked_out" {
		t.Fatalf("reading the key on a full disk: %d %v", st, got)
	}
	var hist struct {
		Items []map[string]any `json:"items"`
	}
	if st := apiCall(t, base, token, "GET", "/api/v1/keys/"+key+"/history", nil, &hist); st != 200 || len(hist.Items) != 2 {
		t.Fatalf("history on a full disk: %d %d items", st, len(hist.Items))
	}
	if st := apiCall(t, base, token, "GET", "/api/v1/search?q=AA1", nil, nil); st != 200 {
		t.Fatalf("search on a full disk: %d", st)
	}

	// Space back: the same server takes changes again.
	if err := os.Remove(filler); err != nil {
		t.Fatal(err)
	}
	if st := apiCall(t, base, token, "POST", "/api/v1/keys/"+key+"/checkin", map[string]any{}, nil); st != 200 {
		t.Fatalf("check-in once space is back: %d", st)
	}
	if st := apiCall(t, base, token, "POST", "/api/v1/holders", map[string]any{"name": "Eve", "email": "eve@acme.test"}, nil); st != 201 {
		t.Fatalf("new holder once space is back: %d", st)
	}
	// Nothing corrupted: the file checks out and the audit log verifies,
	// with exactly the moves that were acknowledged.
	db := openSQL(t, "sqlite", filepath.Join(data, "keyward.db"))
	var check string
	if err := db.QueryRow(`PRAGMA integrity_check`).Scan(&check); err != nil || check != "ok" {
		t.Fatalf("integrity_check: %q %v", check, err)
	}
	var moves int
	db.QueryRow(`SELECT COUNT(*) FROM custody_events WHERE key_id = ? AND action IN ('checkout', 'checkin')`, key).Scan(&moves)
	if moves != 2 {
		t.Fatalf("%d moves in the logbook, 2 were acknowledged", moves)
	}
	if code, out, _ := runCmd(t, context.Background(), env, "", "audit", "verify"); code != 0 || !strings.HasPrefix(out, "OK:") {
		t.Fatalf("audit verify: %s", out)
	}
}
