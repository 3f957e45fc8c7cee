package web

import (
	"fmt"
	"net/http"
	"sort"
	"strconv"
	"sync"
	"time"

	"github.com/keyward/keyward/internal/keyward"
)

// metrics counts requests per route and status in the Prometheus text format.
// These are per-process counters, as Prometheus expects of each scraped target.
type metrics struct {
	mu       sync.Mutex
	requests map[[2]string]uint64
	seconds  map[string]float64
	count    map[string]uint64
	start    time.Time
}

func newMetrics() *metrics {
	return &metrics{requests: map[[2]string]uint64{}, seconds: map[string]float64{}, count: map[string]uint64{}, start: time.Now()}
}

func (m *metrics) observe(route string, status int, d time.Duration) {
	if route == "" {
		route = "unmatched"
	}
	m.mu.Lock()
	m.requests[[2]string{route, strconv.Itoa(status)}]++
	m.seconds[route] += d.Seconds()
	m.count[route]++
	m.mu.Unlock()
}

func (s *Server) serveMetrics(w http.ResponseWriter, _ *http.Request, _ keyward.Actor) error {
	m := s.metrics
	m.mu.Lock()
	defer m.mu.Unlock()
	w.Header().Set("Content-Type", "text/plain; version=0.0.4")
	fmt.Fprintln(w, "# HELP keyward_http_requests_total HTTP requests by route and status.")
	fmt.Fprintln(w, "# TYPE keyward_http_requests_total counter")
	keys := make([][2]string, 0, len(m.requests))
	for k := range m.requests {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool { return keys[i][0]+keys[i][1] < keys[j][0]+keys[j][1] })
	for _, k := range keys {
		fmt.Fprintf(w, "keyward_http_requests_total{route=%q,status=%q} %d\n", k[0], k[1], m.requests[k])
	}
	fmt.Fprintln(w, "# HELP keyward_http_request_duration_seconds Time spent serving requests.")
	fmt.Fprintln(w, "# TYPE keyward_http_request_duration_seconds summary")
	routes := make([]string, 0, len(m.count))
	for r := range m.count {
		routes = append(routes, r)
	}
	sort.Strings(routes)
	for _, r := range routes {
		fmt.Fprintf(w, "keyward_http_request_duration_seconds_sum{route=%q} %g\n", r, m.seconds[r])
		fmt.Fprintf(w, "keyward_http_request_duration_seconds_count{route=%q} %d\n", r, m.count[r])
	}
	fmt.Fprintln(w, "# HELP keyward_uptime_seconds Seconds since this process started.")
	fmt.Fprintln(w, "# TYPE keyward_uptime_seconds gauge")
	fmt.Fprintf(w, "keyward_uptime_seconds %g\n", time.Since(m.start).Seconds())
	return nil
}

// MetricsHandler serves /metrics without a token, for a listener of its own
// (KEYWARD_METRICS_ADDR) that only the monitoring system can reach.
func (s *Server) MetricsHandler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /metrics", func(w http.ResponseWriter, r *http.Request) {
		_ = s.serveMetrics(w, r, keyward.Actor{})
	})
	return mux
}
