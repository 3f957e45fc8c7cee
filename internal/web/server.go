// Package web serves Keyward over HTTP: the JSON API under /api/v1, the
// server-rendered UI, /healthz and /metrics. Every route is in routes.go with
// the policy action that guards it.
package web

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"log/slog"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
	"time"

	"github.com/keyward/keyward/internal/importer"
	"github.com/keyward/keyward/internal/keyward"
)

// Config wires the server to its services: each one a contract of the
// domain package, so web never sees how or where they are stored. cmd/keyward
// builds them, already bound to the vault that seals secrets at rest.
type Config struct {
	// Health answers whether the database is reachable.
	Health keyward.Health
	// Accounts is the organization, sign-in and sessions, users and API tokens.
	Accounts keyward.Accounts
	// Directory holds sites, openings, keyways and holders.
	Directory keyward.Directory
	// Custody is the logbook of physical keys.
	Custody keyward.Custody
	// Storage keeps cabinets, lockboxes, envelopes and designated holders.
	Storage keyward.Storage
	// Credentials keeps PINs, cards and fobs.
	Credentials keyward.Credentials
	// LockSync is network and smart locks kept in sync, temporary and offline codes.
	LockSync keyward.LockSync
	// NetAccess is the network-lock key hierarchy: masters, backups, sub and soft keys.
	NetAccess keyward.NetworkAccess
	// Offboarding takes back what a leaving holder has.
	Offboarding keyward.Offboardings
	// Schedule is the keying schedule and who can open each opening.
	Schedule keyward.Schedule
	// KeySystems is master keying: key trees, pinning, audits, rekey plans.
	KeySystems keyward.KeySystems
	// KeyingSpecs are the specs key systems are generated from.
	KeyingSpecs keyward.KeyingSpecs
	// LostKeys says what a lost key opens and keeps the work lists of keys
	// outside key systems.
	LostKeys keyward.LostKeys
	// Search finds keys, holders and openings, and reads a holder's logbook.
	Search keyward.Search
	// Dashboard counts keys, lists what is overdue and charts keys out.
	Dashboard keyward.Dashboard
	// Imports load parsed spreadsheets of keys, all or nothing.
	Imports keyward.Imports[*importer.File]
	// ImportUploads keep a spreadsheet between the steps of the import page.
	ImportUploads keyward.ImportUploads
	// Exports stream keys, holders or the logbook as CSV rows.
	Exports keyward.Exports
	// Duplication is copy control: copy requests, signatories and cards.
	Duplication keyward.Duplication
	// KeyCodes are vehicle and lock key codes: requests, reveals, incidents, disposal.
	KeyCodes keyward.KeyCodes
	// Spares are vehicle spares and the re-enrollment question of lost vehicle keys.
	Spares keyward.VehicleSpares
	// Webhooks are the organization's event subscriptions.
	Webhooks keyward.Webhooks
	// Notifications are who gets email for what, and how delivery is doing.
	Notifications keyward.NotificationSettings
	// Deliverer sends a test email or test event at once, so the page can say
	// how it went; nil leaves tests to the scheduler. serve hands it the
	// notification dispatcher.
	Deliverer Deliverer
	// Audit reads the audit log and records refused requests.
	Audit keyward.AuditLog
	// Reports reads what the report pages need beyond the other services.
	Reports keyward.Reports
	// Idempotency keeps the first answer to each Idempotency-Key.
	Idempotency keyward.Idempotency

	Log *slog.Logger
	Now func() time.Time
	// SecureCookies marks cookies Secure; on by default, off for plain-HTTP local use.
	SecureCookies bool
	// AllowPrivateWebhooks permits webhook URLs on loopback or private networks.
	AllowPrivateWebhooks bool
	// PublicURL is where people reach Keyward (scheme://host[/prefix], see
	// ParsePublicURL); printed key tags link there. Empty: the request's address.
	PublicURL string
	// TrustedProxies are the reverse proxies whose X-Forwarded-For names the
	// client (see ParseTrustedProxies); sign-in throttling counts per client.
	TrustedProxies []netip.Prefix
	// APIRate limits API requests per token in this process; zero is no limit.
	APIRate RateLimit
	// CheckpointsOff says, in plain words, why audit checkpoints are not being
	// signed (no signing key or checkpoint directory); "" when they are. The
	// dashboard shows it to those who may read the audit log.
	CheckpointsOff string
}

// ParsePublicURL checks a public URL and returns it without a trailing slash.
func ParsePublicURL(v string) (string, error) {
	u, err := url.Parse(v)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil || u.RawQuery != "" || u.Fragment != "" {
		return "", fmt.Errorf("must be an absolute http or https URL without query, such as https://keys.example.org")
	}
	return strings.TrimRight(u.String(), "/"), nil
}

// Server is the HTTP front of Keyward.
type Server struct {
	health         keyward.Health
	accounts       keyward.Accounts
	directory      keyward.Directory
	custody        keyward.Custody
	storage        keyward.Storage
	credentials    keyward.Credentials
	lockSync       keyward.LockSync
	netAccess      keyward.NetworkAccess
	offboarding    keyward.Offboardings
	schedule       keyward.Schedule
	keySystems     keyward.KeySystems
	keyingSpecs    keyward.KeyingSpecs
	lostKeys       keyward.LostKeys
	finder         keyward.Search
	stats          keyward.Dashboard
	imports        keyward.Imports[*importer.File]
	uploads        keyward.ImportUploads
	exports        keyward.Exports
	webhooks       keyward.Webhooks
	notifications  keyward.NotificationSettings
	deliverer      Deliverer
	duplication    keyward.Duplication
	keyCodes       keyward.KeyCodes
	spares         keyward.VehicleSpares
	audit          keyward.AuditLog
	reports        keyward.Reports
	idempotency    keyward.Idempotency
	log            *slog.Logger
	now            func() time.Time
	secure         bool
	allowPriv      bool
	publicURL      string
	trustedProxies []netip.Prefix
	checkpointsOff string
	metrics        *metrics
	limiter        *limiter
	mux            *http.ServeMux
	routes         []route
}

// Deliverer sends one queued delivery now (notify.Dispatcher does).
type Deliverer interface {
	// DeliverNow sends it and returns why it failed, in words; nil when sent.
	DeliverNow(ctx context.Context, id string) error
	// EmailConfigured reports whether a mail server is set up.
	EmailConfigured() bool
}

// NewServer builds the server and its route table.
func NewServer(cfg Config) *Server {
	s := &Server{
		health: cfg.Health, accounts: cfg.Accounts, directory: cfg.Directory, custody: cfg.Custody,
		storage: cfg.Storage, credentials: cfg.Credentials, lockSync: cfg.LockSync, netAccess: cfg.NetAccess, offboarding: cfg.Offboarding, schedule: cfg.Schedule,
		keySystems: cfg.KeySystems, keyingSpecs: cfg.KeyingSpecs, lostKeys: cfg.LostKeys, finder: cfg.Search, stats: cfg.Dashboard,
		imports: cfg.Imports, uploads: cfg.ImportUploads, exports: cfg.Exports, webhooks: cfg.Webhooks,
		notifications: cfg.Notifications, deliverer: cfg.Deliverer,
		audit: cfg.Audit, reports: cfg.Reports, idempotency: cfg.Idempotency, duplication: cfg.Duplication, keyCodes: cfg.KeyCodes,
		spares: cfg.Spares,
		log:    cfg.Log, now: cfg.Now, secure: cfg.SecureCookies, allowPriv: cfg.AllowPrivateWebhooks,
		publicURL: strings.TrimSuffix(cfg.PublicURL, "/"), trustedProxies: cfg.TrustedProxies,
		checkpointsOff: cfg.CheckpointsOff, metrics: newMetrics(), limiter: newLimiter(cfg.APIRate), mux: http.NewServeMux(),
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	s.routes = s.routeTable()
	for _, r := range s.routes {
		s.mux.Handle(r.pattern, s.wrap(r))
	}
	return s
}

// Handler is the root handler with logging and metrics.
func (s *Server) Handler() http.Handler { return http.HandlerFunc(s.serve) }

type ctxKey int

const (
	ctxRequestID ctxKey = iota
	ctxLogUser
	ctxRevealNotice
)

// statusWriter remembers the status for the access log and metrics.
type statusWriter struct {
	http.ResponseWriter
	status int
	user   *string
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	rid := r.Header.Get("X-Request-Id")
	if rid == "" || len(rid) > 64 {
		b := make([]byte, 8)
		_, _ = rand.Read(b)
		rid = hex.EncodeToString(b)
	}
	user := ""
	sw := &statusWriter{ResponseWriter: w, user: &user}
	sw.Header().Set("X-Request-Id", rid)
	s.securityHeaders(sw.Header(), r)
	ctx := context.WithValue(r.Context(), ctxRequestID, rid)
	ctx = context.WithValue(ctx, ctxLogUser, &user)
	_, pattern := s.mux.Handler(r)
	if pattern == "" {
		s.noRoute(sw, r.WithContext(ctx))
	} else {
		s.mux.ServeHTTP(sw, r.WithContext(ctx))
	}
	if sw.status == 0 {
		sw.status = http.StatusOK
	}
	d := time.Since(start)
	s.metrics.observe(pattern, sw.status, d)
	// Never the query string or body: they can hold tokens or codes.
	s.log.Info("request", "request_id", rid, "method", r.Method, "route", pattern, "path", r.URL.Path,
		"status", sw.status, "user", user, "duration_ms", float64(d.Microseconds())/1000)
}

// noRoute answers a request that matches no route like every other error:
// problem+json under /api/, an error page elsewhere. 405 with Allow when the
// path has routes for other methods, else 404.
func (s *Server) noRoute(w http.ResponseWriter, r *http.Request) {
	var allow []string
	for _, m := range []string{http.MethodGet, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete} {
		probe := r.Clone(r.Context())
		probe.Method = m
		if _, p := s.mux.Handler(probe); p != "" {
			allow = append(allow, m)
			if m == http.MethodGet {
				allow = append(allow, http.MethodHead) // a GET route answers HEAD too
			}
		}
	}
	err := keyward.Errorf(keyward.ENOTFOUND, "there is no page at %s", r.URL.Path)
	if len(allow) > 0 {
		w.Header().Set("Allow", strings.Join(allow, ", "))
		err = keyward.Errorf(keyward.EMETHOD, "%s is not allowed on %s; use %s", r.Method, r.URL.Path, strings.Join(allow, " or "))
	}
	if strings.HasPrefix(r.URL.Path, "/api/") {
		s.problem(w, r, err)
		return
	}
	s.pageError(w, r, err)
}

// setLogUser records the acting user for the access log.
func setLogUser(r *http.Request, email string) {
	if p, ok := r.Context().Value(ctxLogUser).(*string); ok {
		*p = email
	}
}

func requestID(r *http.Request) string {
	id, _ := r.Context().Value(ctxRequestID).(string)
	return id
}

// contentSecurityPolicy allows only our own files: no inline script or style,
// no plugins, no framing, forms post only to us. The one image that is not a
// file (the authenticator QR code) is a data: URL.
const contentSecurityPolicy = "default-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"

// securityHeaders go on every response, pages and API alike.
func (s *Server) securityHeaders(h http.Header, r *http.Request) {
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "same-origin")
	h.Set("Content-Security-Policy", contentSecurityPolicy)
	h.Set("X-Frame-Options", "DENY")
	if s.overTLS(r) {
		h.Set("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
	}
}

// overTLS reports whether the client reached us over HTTPS: directly, or
// through a trusted reverse proxy that says so in X-Forwarded-Proto.
func (s *Server) overTLS(r *http.Request) bool {
	if r.TLS != nil {
		return true
	}
	peer, ok := parseHostAddr(r.RemoteAddr)
	return ok && s.trustedProxy(peer) && strings.EqualFold(r.Header.Get("X-Forwarded-Proto"), "https")
}
