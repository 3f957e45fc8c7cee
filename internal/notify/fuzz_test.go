package notify_test

import (
	"context"
	"net/netip"
	"net/url"
	"testing"

	"github.com/keyward/keyward/internal/keyward"
	"github.com/keyward/keyward/internal/notify"
)

// FuzzWebhookURL: a webhook URL that the domain's rule and the network check
// both accept is http or https, carries no credentials, and, when its host is
// an address, is a public one. Hosts given by name are not looked up here
// (the fuzzer must not query DNS); the dispatcher re-checks every address it
// connects to.
func FuzzWebhookURL(f *testing.F) {
	for _, s := range []string{"https://hooks.example.com/k", "http://203.0.113.10/hook", "http://127.0.0.1:9/x", "http://[::ffff:10.0.0.1]/",
		"http://169.254.169.254/latest", "ftp://203.0.113.10/", "http://u:p@203.0.113.10/", "http://[fe80::1%25eth0]/", "//203.0.113.10", "http://0.0.0.0/"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		in := keyward.WebhookInput{URL: raw, Secret: "whsec-fuzz-secret-123456", Events: []string{keyward.EventCheckoutOverdue}}
		if in.Validate() != nil {
			return
		}
		u, err := url.Parse(raw)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.User != nil || u.Hostname() == "" {
			t.Fatalf("%q passed the domain's rule", raw)
		}
		ip, err := netip.ParseAddr(u.Hostname())
		if err != nil {
			return
		}
		if notify.CheckURL(context.Background(), raw, false) != nil {
			return
		}
		ip = ip.Unmap()
		if ip.IsLoopback() || ip.IsPrivate() || ip.IsLinkLocalUnicast() || ip.IsUnspecified() || ip.IsMulticast() {
			t.Fatalf("%q accepted with a private address %s", raw, ip)
		}
	})
}
