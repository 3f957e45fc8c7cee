package web

import (
	"net/http/httptest"
	"strings"
	"testing"
)

func TestParseTrustedProxies(t *testing.T) {
	got, err := ParseTrustedProxies(" 127.0.0.1, 10.1.2.3/8 ,::1,")
	if err != nil {
		t.Fatal(err)
	}
	if s := fmtPrefixes(got); s != "127.0.0.1/32,10.0.0.0/8,::1/128" {
		t.Fatalf("parsed %s", s)
	}
	for _, bad := range []string{"", " , ", "localhost", "10.0.0.0/33", "10.0.0.1:80"} {
		if _, err := ParseTrustedProxies(bad); err == nil || !strings.Contains(err.Error(), "must") {
			t.Errorf("%q: error %v, want one naming the rule", bad, err)
		}
	}
}

func fmtPrefixes[T interface{ String() string }](ps []T) string {
	var out []string
	for _, p := range ps {
		out = append(out, p.String())
	}
	return strings.Join(out, ",")
}

func TestClientAddr(t *testing.T) {
	trusted, err := ParseTrustedProxies("10.0.0.0/8, 2001:db8::1")
	if err != nil {
		t.Fatal(err)
	}
	withProxies := &Server{trustedProxies: trusted}
	for _, tc := range []struct {
		name, peer string
		xff        []string
		s          *Server
		want       string
	}{
		{"no proxies configured: the header is ignored", "203.0.113.5:4000", []string{"198.51.100.1"}, &Server{}, "203.0.113.5"},
		{"an untrusted peer cannot name another client", "203.0.113.5:4000", []string{"198.51.100.1"}, withProxies, "203.0.113.5"},
		{"trusted proxy, no header: the proxy itself", "10.0.0.2:4000", nil, withProxies, "10.0.0.2"},
		{"trusted proxy names the client", "10.0.0.2:4000", []string{"198.51.100.1"}, withProxies, "198.51.100.1"},
		{"a forged entry left of the real one is never read", "10.0.0.2:4000", []string{"192.0.2.66, 198.51.100.1"}, withProxies, "198.51.100.1"},
		{"a chain of trusted proxies is skipped", "10.0.0.2:4000", []string{"192.0.2.66, 198.51.100.1, 10.9.9.9"}, withProxies, "198.51.100.1"},
		{"several headers read as one list", "10.0.0.2:4000", []string{"192.0.2.66", "198.51.100.1", "10.9.9.9"}, withProxies, "198.51.100.1"},
		{"all hops trusted: the first of them", "10.0.0.2:4000", []string{"10.7.7.7, 10.9.9.9"}, withProxies, "10.7.7.7"},
		{"garbage where the proxy writes: the peer", "10.0.0.2:4000", []string{"198.51.100.1, not-an-ip"}, withProxies, "10.0.0.2"},
		{"an entry with a port", "10.0.0.2:4000", []string{"198.51.100.1:5555"}, withProxies, "198.51.100.1"},
		{"IPv6 proxy and client", "[2001:db8::1]:443", []string{"2001:db8::42"}, withProxies, "2001:db8::42"},
		{"IPv4-mapped peer matches the IPv4 prefix", "[::ffff:10.0.0.2]:4000", []string{"198.51.100.1"}, withProxies, "198.51.100.1"},
	} {
		r := httptest.NewRequest("POST", "/login", nil)
		r.RemoteAddr = tc.peer
		for _, v := range tc.xff {
			r.Header.Add("X-Forwarded-For", v)
		}
		if got := tc.s.clientAddr(r); got != tc.want {
			t.Errorf("%s: client %s, want %s", tc.name, got, tc.want)
		}
	}
}

// FuzzClientAddr: whatever a client puts in X-Forwarded-For, the answer is the
// peer or an address that appears in the header, never an untrusted hop's
// claim about an earlier one.
func FuzzClientAddr(f *testing.F) {
	for _, seed := range []string{"198.51.100.1", "192.0.2.66, 198.51.100.1, 10.9.9.9", "not-an-ip", "[2001:db8::42]:80", ",,,", "10.1.1.1"} {
		f.Add(seed)
	}
	trusted, err := ParseTrustedProxies("10.0.0.0/8")
	if err != nil {
		f.Fatal(err)
	}
	s := &Server{trustedProxies: trusted}
	f.Fuzz(func(t *testing.T, xff string) {
		r := httptest.NewRequest("POST", "/login", nil)
		r.RemoteAddr = "10.0.0.2:4000"
		r.Header.Set("X-Forwarded-For", xff)
		got := s.clientAddr(r)
		if got == "10.0.0.2" {
			return
		}
		a, ok := parseHostAddr(got)
		if !ok || a.String() != got {
			t.Fatalf("client %q is not an address", got)
		}
		// Every hop right of the answer must be a trusted proxy.
		hops := strings.Split(xff, ",")
		for i := len(hops) - 1; i >= 0; i-- {
			h, ok := parseHostAddr(strings.TrimSpace(hops[i]))
			if !ok {
				t.Fatalf("client %q found past a hop that is not an address in %q", got, xff)
			}
			if h.String() == got {
				return
			}
			if !s.trustedProxy(h) {
				t.Fatalf("client %q is left of the untrusted hop %s in %q", got, h, xff)
			}
		}
		t.Fatalf("client %q does not appear in %q", got, xff)
	})
}
