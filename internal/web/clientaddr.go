package web

import (
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"strings"
)

// ParseTrustedProxies reads a comma-separated list of IP addresses and CIDR
// prefixes, such as "127.0.0.1, 10.0.0.0/8": the reverse proxies whose
// X-Forwarded-For header names the real client.
func ParseTrustedProxies(v string) ([]netip.Prefix, error) {
	var out []netip.Prefix
	for item := range strings.SplitSeq(v, ",") {
		item = strings.TrimSpace(item)
		if item == "" {
			continue
		}
		if p, err := netip.ParsePrefix(item); err == nil {
			out = append(out, p.Masked())
			continue
		}
		a, err := netip.ParseAddr(item)
		if err != nil {
			return nil, fmt.Errorf("must be IP addresses or CIDR prefixes separated by commas, such as 127.0.0.1,10.0.0.0/8; %q is neither", item)
		}
		a = a.Unmap()
		out = append(out, netip.PrefixFrom(a, a.BitLen()))
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("must name at least one IP address or CIDR prefix")
	}
	return out, nil
}

// clientAddr is the address sign-in throttling counts a request against: the
// socket peer, or, when the peer is a trusted proxy, the rightmost address in
// X-Forwarded-For that is not a trusted proxy. Entries left of that one were
// written by the client and could be anything, so they are never read. An
// entry that is not an address means a proxy did not write the header as
// expected: the peer is used, which is never looser than no proxy support.
func (s *Server) clientAddr(r *http.Request) string {
	peer, ok := parseHostAddr(r.RemoteAddr)
	if !ok {
		return r.RemoteAddr
	}
	if !s.trustedProxy(peer) {
		return peer.String()
	}
	var hops []string
	for _, h := range r.Header.Values("X-Forwarded-For") {
		hops = append(hops, strings.Split(h, ",")...)
	}
	client := peer
	for i := len(hops) - 1; i >= 0; i-- {
		a, ok := parseHostAddr(strings.TrimSpace(hops[i]))
		if !ok {
			return peer.String()
		}
		client = a
		if !s.trustedProxy(a) {
			break
		}
	}
	return client.String()
}

func (s *Server) trustedProxy(a netip.Addr) bool {
	for _, p := range s.trustedProxies {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// parseHostAddr reads "ip", "ip:port" or "[ipv6]:port".
func parseHostAddr(v string) (netip.Addr, bool) {
	if ap, err := netip.ParseAddrPort(v); err == nil {
		return ap.Addr().Unmap(), true
	}
	if a, err := netip.ParseAddr(v); err == nil {
		return a.Unmap(), true
	}
	if host, _, err := net.SplitHostPort(v); err == nil {
		if a, err := netip.ParseAddr(host); err == nil {
			return a.Unmap(), true
		}
	}
	return netip.Addr{}, false
}
