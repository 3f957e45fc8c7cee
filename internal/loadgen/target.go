// Package loadgen drives a running Keyward server through its HTTP API with
// many clients at once, as `keyward load` does: a realistic mix of custody
// moves, views, searches, imports and credential changes, some of them
// fighting over a few shared keys. It measures what the server answers
// (throughput, latency percentiles per operation, errors by status) and puts
// it next to the raw durable-commit rate of the database under the server,
// which the caller measures (Config.Probe), since a transport never opens the
// store itself.
package loadgen

import (
	"fmt"
	"net"
	"net/url"
	"strings"
)

// CheckTarget accepts only a server on this machine: an http:// or https://
// URL whose host is a loopback address or "localhost". A load run is a
// flood of writes; pointed at a production server by a typo it would fill
// the real logbook, so anything else is refused, naming the rule.
func CheckTarget(raw string) (*url.URL, error) {
	u, err := url.Parse(strings.TrimSpace(raw))
	if err != nil || u.Host == "" {
		return nil, fmt.Errorf("server: %q is not a URL such as http://127.0.0.1:8080", raw)
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return nil, fmt.Errorf("server: %q must start with http:// or https://", raw)
	}
	if u.User != nil || (u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.Fragment != "" {
		return nil, fmt.Errorf("server: %q must be only scheme, host and port", raw)
	}
	host := u.Hostname()
	if strings.EqualFold(host, "localhost") {
		return u, nil
	}
	ip := net.ParseIP(host)
	if ip == nil || !ip.IsLoopback() {
		return nil, fmt.Errorf("server: %s is not on this machine; load runs only against a loopback address (127.0.0.1, ::1 or localhost)", host)
	}
	u.Path = ""
	return u, nil
}
