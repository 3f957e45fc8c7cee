package web_test

import (
	"crypto/tls"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/keyward/keyward/internal/keyward"
	"github.com/keyward/keyward/internal/store/storetest"
	"github.com/keyward/keyward/internal/web"
)

func TestParseRateLimit(t *testing.T) {
	for _, c := range []struct {
		in   string
		want web.RateLimit
		bad  bool
	}{
		{"", web.DefaultRateLimit, false},
		{"0", web.RateLimit{}, false},
		{"10", web.RateLimit{PerSecond: 10, Burst: 20}, false},
		{"0.2", web.RateLimit{PerSecond: 0.2, Burst: 1}, false},
		{"-1", web.RateLimit{}, true},
		{"fast", web.RateLimit{}, true},
		{"NaN", web.RateLimit{}, true},
		{"+Inf", web.RateLimit{}, true},
	} {
		got, err := web.ParseRateLimit(c.in)
		if (err != nil) != c.bad || got != c.want {
			t.Errorf("ParseRateLimit(%q) = %+v, %v; want %+v, error %v", c.in, got, err, c.want, c.bad)
		}
	}
}

// Each token has its own bucket; an empty bucket is a 429 with Retry-After,
// and it refills with time.
func TestAPIRateLimit(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		app := newTestAppWith(t, b, func(c *web.Config) { c.APIRate = web.RateLimit{PerSecond: 1, Burst: 3} })
		for i := range 3 {
			if st := app.call(keyward.RoleManager, "GET", "/api/v1/sites", nil, nil); st != 200 {
				t.Fatalf("request %d within the burst = %d, want 200", i+1, st)
			}
		}
		req, _ := http.NewRequest("GET", app.http.URL+"/api/v1/sites", nil)
		req.Header.Set("Authorization", "Bearer "+app.tokens[keyward.RoleManager])
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 429 || resp.Header.Get("Retry-After") != "1" || resp.Header.Get("Content-Type") != "application/problem+json" {
			t.Fatalf("over the limit = %d, Retry-After %q, %s; want 429 with Retry-After 1", resp.StatusCode, resp.Header.Get("Retry-After"), body)
		}
		if !strings.Contains(string(body), "API token") {
			t.Fatalf("429 body does not say why: %s", body)
		}
		if st := app.call(keyward.RoleAdmin, "GET", "/api/v1/sites", nil, nil); st != 200 {
			t.Fatalf("another token = %d, want 200: buckets are per token", st)
		}
		app.env.Clock.Advance(time.Second)
		if st := app.call(keyward.RoleManager, "GET", "/api/v1/sites", nil, nil); st != 200 {
			t.Fatalf("after a second = %d, want 200", st)
		}
		if st := app.call(keyward.RoleManager, "GET", "/api/v1/sites", nil, nil); st != 429 {
			t.Fatalf("second request after one second = %d, want 429 at 1/s", st)
		}
	})
}

func TestAPIRateLimitOff(t *testing.T) {
	app := newTestAppWith(t, storetest.SQLite, func(c *web.Config) { c.APIRate = web.RateLimit{} })
	for i := range 300 {
		if st := app.call(keyward.RoleManager, "GET", "/healthz", nil, nil); st != 200 {
			t.Fatalf("request %d = %d", i, st)
		}
		if st := app.call(keyward.RoleManager, "GET", "/api/v1/me", nil, nil); st != 200 {
			t.Fatalf("request %d with the limit off = %d", i, st)
		}
	}
}

func TestSecurityHeaders(t *testing.T) {
	app := newTestApp(t, storetest.SQLite)
	for _, path := range []string{"/login", "/api/v1/sites", "/no-such-page", "/healthz"} {
		resp, err := http.Get(app.http.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		csp := resp.Header.Get("Content-Security-Policy")
		for _, want := range []string{"default-src 'self'", "frame-ancestors 'none'", "object-src 'none'", "form-action 'self'"} {
			if !strings.Contains(csp, want) {
				t.Errorf("%s: CSP %q lacks %q", path, csp, want)
			}
		}
		if strings.Contains(csp, "unsafe-inline") || strings.Contains(csp, "unsafe-eval") {
			t.Errorf("%s: CSP allows inline code: %q", path, csp)
		}
		if resp.Header.Get("Referrer-Policy") == "" || resp.Header.Get("X-Content-Type-Options") != "nosniff" || resp.Header.Get("X-Frame-Options") != "DENY" {
			t.Errorf("%s: headers %v", path, resp.Header)
		}
		if h := resp.Header.Get("Strict-Transport-Security"); h != "" {
			t.Errorf("%s: HSTS %q over plain HTTP", path, h)
		}
	}
	// Over TLS the browser is told to stay on HTTPS.
	tlsSrv := httptest.NewTLSServer(app.srv.Handler())
	defer tlsSrv.Close()
	client := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}}}
	resp, err := client.Get(tlsSrv.URL + "/login")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if h := resp.Header.Get("Strict-Transport-Security"); !strings.Contains(h, "max-age=") {
		t.Fatalf("HSTS over TLS = %q", h)
	}
}

// /metrics tells how the organization uses Keyward: a token of a role that
// may read it, or a listener of its own.
func TestMetricsNeedAToken(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		app := newTestApp(t, b)
		app.call(keyward.RoleOwner, "GET", "/api/v1/keys", nil, nil)
		if st := app.call("", "GET", "/metrics", nil, nil); st != 401 {
			t.Fatalf("metrics without a token = %d, want 401", st)
		}
		for _, role := range []keyward.Role{keyward.RoleHolder, keyward.RoleTechnician, keyward.RoleManager} {
			if st := app.call(role, "GET", "/metrics", nil, nil); st != 403 {
				t.Fatalf("metrics as %s = %d, want 403", role, st)
			}
		}
		ms := httptest.NewServer(app.srv.MetricsHandler())
		defer ms.Close()
		for _, get := range []func() (*http.Response, error){
			func() (*http.Response, error) {
				req, _ := http.NewRequest("GET", app.http.URL+"/metrics", nil)
				req.Header.Set("Authorization", "Bearer "+app.tokens[keyward.RoleAuditor])
				return http.DefaultClient.Do(req)
			},
			func() (*http.Response, error) { return http.Get(ms.URL + "/metrics") },
		} {
			resp, err := get()
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != 200 || !strings.Contains(string(body), `keyward_http_requests_total{route="GET /api/v1/keys",status="200"} 1`) {
				t.Fatalf("metrics = %d:\n%s", resp.StatusCode, body)
			}
		}
	})
}
