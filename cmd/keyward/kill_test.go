package main

import (
	"bufio"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/keyward/keyward/internal/loadgen"
)

// buildKeyward builds the binary once per test run, so a test can kill a
// real server process.
func buildKeyward(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "keyward")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// serveProcess starts `keyward serve` as its own process and returns it
// with its URL.
func serveProcess(t *testing.T, bin string, env map[string]string) (*exec.Cmd, string) {
	t.Helper()
	cmd := exec.Command(bin, "serve", "--addr", "127.0.0.1:0")
	cmd.Env = os.Environ()
	for k, v := range env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = nil
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	re := regexp.MustCompile(`listening on (http://\S+)`)
	found := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			if m := re.FindStringSubmatch(sc.Text()); m != nil {
				found <- m[1]
			}
		}
	}()
	select {
	case base := <-found:
		return cmd, base
	case <-time.After(30 * time.Second):
		t.Fatal("serve did not start")
	}
	return nil, ""
}

// TestKill9UnderLoad kills a server with SIGKILL in the middle of a load
// run, again and again, and starts it anew each time: every move the server
// acknowledged before it died is in the logbook (a move whose answer the kill
// cut off may be there too), and the audit log verifies.
// On PostgreSQL two servers share the database and only one is killed, as in
// a scaled-out site losing one machine. KEYWARD_KILL_CYCLES sets how many
// cycles (default 3).
func TestKill9UnderLoad(t *testing.T) {
	if testing.Short() {
		t.Skip("kills real server processes for seconds")
	}
	cycles := 3
	if v, err := strconv.Atoi(os.Getenv("KEYWARD_KILL_CYCLES")); err == nil && v > 0 {
		cycles = v
	}
	bin := buildKeyward(t)
	eachTarget(t, func(t *testing.T, target func(t *testing.T) cliTarget) {
		tg := target(t)
		keyFileFor(t, tg)
		env := map[string]string{"KEYWARD_SCHEDULER_INTERVAL": "1h"}
		for k, v := range tg.env {
			env[k] = v
		}
		mustRun(t, env, "init", "--org", "Acme", "--admin-email", "o@acme.test")
		lines := strings.Split(strings.TrimSpace(mustRun(t, env, "token", "create", "--user", "o@acme.test", "--name", "t")), "\n")
		token := lines[len(lines)-1]
		var steady []string
		if tg.name == "postgres" {
			other := map[string]string{}
			for k, v := range env {
				other[k] = v
			}
			other["KEYWARD_DATA"] = t.TempDir()
			_, base := serveProcess(t, bin, other)
			steady = append(steady, base)
		}
		acked, lost := 0, 0
		db := tg.sql(t)
		for c := range cycles {
			proc, base := serveProcess(t, bin, env)
			done := make(chan *loadgen.Report, 1)
			started := make(chan struct{})
			go func() {
				r, err := loadgen.Run(context.Background(), loadgen.Config{Servers: append([]string{base}, steady...), Token: token, Clients: 8,
					Duration: 2500 * time.Millisecond, Keys: 2, Shared: 2, SharedShare: 0.3, Mix: map[loadgen.Op]int{loadgen.OpCheckout: 5, loadgen.OpViewKey: 1}, Seed: uint64(c),
					Started: func() { close(started) }})
				if err != nil {
					t.Error(err)
				}
				done <- r
			}()
			select {
			case <-started:
			case r := <-done:
				t.Fatalf("the load never started: %v", r)
			}
			time.Sleep(time.Second)
			if err := proc.Process.Signal(syscall.SIGKILL); err != nil {
				t.Fatal(err)
			}
			_ = proc.Wait()
			r := <-done
			if r == nil {
				t.FailNow()
			}
			// A move committed just before the kill may have lost only its
			// answer: the logbook holds every acknowledged move, maybe a few more.
			before := t.Failed()
			n := checkLogbook(t, db, r, false)
			if t.Failed() && !before {
				lost++
			}
			acked += n
		}
		t.Logf("%s: %d kill -9 cycles, %d moves acknowledged, cycles with a move lost: %d", tg.name, cycles, acked, lost)
		if acked == 0 {
			t.Fatal("no move was acknowledged")
		}
		if out := mustRun(t, env, "audit", "verify"); !strings.HasPrefix(out, "OK:") {
			t.Fatalf("audit verify after %d kills: %s", cycles, out)
		}
	})
}
