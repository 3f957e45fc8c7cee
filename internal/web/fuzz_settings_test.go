package web

import (
	"math"
	"net/url"
	"strings"
	"testing"
)

// FuzzParsePublicURL: KEYWARD_PUBLIC_URL is an absolute http(s) URL without
// credentials, query or fragment, or refused; what it returns reads back as
// itself.
func FuzzParsePublicURL(f *testing.F) {
	for _, s := range []string{"https://keys.example.org", "https://keys.example.org/", "http://127.0.0.1:8080/keyward", "keys.example.org", "https://u:p@x", "https://x/?q", "javascript:alert(1)", "https://:0"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, err := ParsePublicURL(s)
		if err != nil {
			return
		}
		u, err := url.Parse(got)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil || u.RawQuery != "" || u.Fragment != "" || strings.HasSuffix(got, "/") {
			t.Fatalf("%q accepted as %q", s, got)
		}
		if again, err := ParsePublicURL(got); err != nil || again != got {
			t.Fatalf("%q: %q reads back as %q (%v)", s, got, again, err)
		}
	})
}

// FuzzParseTrustedProxies: KEYWARD_TRUSTED_PROXIES is a list of addresses
// and prefixes, or refused; never an empty list accepted.
func FuzzParseTrustedProxies(f *testing.F) {
	for _, s := range []string{"127.0.0.1", "127.0.0.1, 10.0.0.0/8", "::1,fd00::/8", ",", "10.0.0.0/33", "example.com", "::ffff:10.0.0.1"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		ps, err := ParseTrustedProxies(s)
		if err != nil {
			return
		}
		if len(ps) == 0 {
			t.Fatalf("%q accepted as no proxies", s)
		}
		for _, p := range ps {
			if !p.IsValid() || p != p.Masked() {
				t.Fatalf("%q gave %v", s, p)
			}
		}
	})
}

// FuzzParseRateLimit: KEYWARD_API_RATE is a finite number ≥ 0 or refused.
func FuzzParseRateLimit(f *testing.F) {
	for _, s := range []string{"", "0", "50", "0.5", "-1", "NaN", "Inf", "1e400", "1e308"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		r, err := ParseRateLimit(s)
		if err != nil {
			return
		}
		if r.PerSecond < 0 || math.IsNaN(r.PerSecond) || math.IsInf(r.PerSecond, 0) || (r.PerSecond > 0 && r.Burst < 1) {
			t.Fatalf("%q gave %+v", s, r)
		}
	})
}
