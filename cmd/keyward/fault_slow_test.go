package main

import (
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"
)

// TestSlowClientsCutOff: hundreds of clients that open a connection and send
// their headers a byte at a time (or never finish them) do not keep a normal
// request from being answered, and each is cut off once the header timeout
// passes, so they cannot pile up.
func TestSlowClientsCutOff(t *testing.T) {
	old := httpTimeouts
	httpTimeouts.readHeader, httpTimeouts.idle = time.Second, 2*time.Second
	t.Cleanup(func() { httpTimeouts = old })
	env := map[string]string{"KEYWARD_DATA": t.TempDir(), "KEYWARD_SCHEDULER_INTERVAL": "1h"}
	mustRun(t, env, "init", "--org", "Acme", "--admin-email", "o@acme.test")
	base := startServe(t, env)
	addr := strings.TrimPrefix(base, "http://")

	const slow = 300
	var conns []net.Conn
	for range slow {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatalf("dial: %v", err)
		}
		conns = append(conns, c)
		// Half a request line, and then nothing more.
		io.WriteString(c, "GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: ")
	}
	defer func() {
		for _, c := range conns {
			c.Close()
		}
	}()
	// A normal client is still answered promptly.
	resp, err := (&http.Client{Timeout: 5 * time.Second}).Get(base + "/healthz")
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("a normal request beside %d slow clients: %v %v", slow, resp, err)
	}
	resp.Body.Close()
	// Every slow connection is closed by the server after the header timeout.
	deadline := time.Now().Add(10 * time.Second)
	closed := 0
	for _, c := range conns {
		c.SetReadDeadline(deadline)
		buf := make([]byte, 512)
		for {
			_, err := c.Read(buf)
			if err == nil {
				continue // the server may say 408 first
			}
			if ne, ok := err.(net.Error); ok && ne.Timeout() {
				t.Fatalf("a slow client was still connected 10 s later (header timeout 1 s)")
			}
			closed++
			break
		}
	}
	if closed != slow {
		t.Fatalf("%d of %d slow clients were cut off", closed, slow)
	}
}
