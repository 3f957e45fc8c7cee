package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/keyward/keyward/internal/keyward"
	"github.com/keyward/keyward/internal/locksync"
	"github.com/keyward/keyward/internal/notify"
	"github.com/keyward/keyward/internal/store"
	"github.com/keyward/keyward/internal/vault"
	"github.com/keyward/keyward/internal/web"
	"github.com/keyward/keyward/internal/wiring"
)

// openDB opens the database the global flags name, for the commands that
// neither seal nor open a secret (audit verify and export, backup, move-key).
func (e *env) openDB() (*store.DB, error) {
	now := e.now
	if now == nil {
		now = time.Now
	}
	return store.Open(e.ctx, store.Config{URL: e.db, DataDir: e.data, Now: now})
}

// openSealing opens the database and the vault key, for the commands that
// seal or open secrets (serve, init, token create, demo). The key comes from
// KEYWARD_VAULT_KEY or KEYWARD_VAULT_KEY_FILE; SQLite defaults to vault.key in
// the data directory; PostgreSQL has no default (vault.Choose decides).
func (e *env) openSealing() (*store.DB, *vault.Key, error) {
	db, err := e.openDB()
	if err != nil {
		return nil, nil, err
	}
	v, err := e.vaultKey(db)
	if err != nil {
		db.Close()
		return nil, nil, err
	}
	return db, v, nil
}

func (e *env) vaultSetup(db *store.DB) (vault.Setup, error) {
	inDB, err := db.VaultKeyInDatabase(e.ctx)
	return vault.Setup{
		Env: e.getenv("KEYWARD_VAULT_KEY"), File: e.getenv("KEYWARD_VAULT_KEY_FILE"),
		Postgres: db.Postgres(), InDatabase: inDB, DataDir: e.data,
	}, err
}

func (e *env) vaultKey(db *store.DB) (*vault.Key, error) {
	setup, err := e.vaultSetup(db)
	if err != nil {
		return nil, err
	}
	src, err := vault.Choose(setup)
	switch {
	case errors.Is(err, vault.ErrNoKey):
		return nil, errors.New(err.Error() + `. Make one once, keep a copy apart from the backups, and give the same file to every server:
  keyward vault new-key --out vault.key
  (or: (umask 077; head -c 32 /dev/urandom | base64 > vault.key))
then set KEYWARD_VAULT_KEY_FILE=/path/to/vault.key (or KEYWARD_VAULT_KEY to its content)`)
	case errors.Is(err, vault.ErrKeyInDatabase):
		return nil, errors.New(err.Error() + `. Stop the servers and move it out once, with the same --db:
  keyward vault move-key --out vault.key
then set KEYWARD_VAULT_KEY_FILE=/path/to/vault.key for every keyward command on this database`)
	case err != nil:
		return nil, err
	}
	if src.Create != "" {
		// SQLite's default key file is made on first use, but never for a
		// database whose secrets another key sealed: that key could not open them.
		if _, err := os.Stat(src.Create); errors.Is(err, os.ErrNotExist) {
			counts, err := db.SealedCounts(e.ctx)
			if err != nil {
				return nil, err
			}
			if n := total(counts); n > 0 {
				return nil, fmt.Errorf("the vault keyring cannot open the secrets in this database: the data directory has no %s, yet the database holds %d sealed secrets. Put the vault key file that sealed them in %s (or set KEYWARD_VAULT_KEY_FILE to it); Keyward makes no new key that could not open them", vault.KeyFile, n, filepath.Dir(src.Create))
			}
		}
	}
	v, err := src.Open()
	if err != nil {
		return nil, err
	}
	if err := db.CheckVault(e.ctx, v); err != nil {
		return nil, err
	}
	return v, nil
}

func total(counts map[string]int) int {
	n := 0
	for _, c := range counts {
		n += c
	}
	return n
}

// watchKeyring reloads the vault's keyring file when it changes (looked at
// every vault.ReloadEvery) and at once on SIGHUP, so servers sharing the file
// agree on its KEKs, until ctx ends.
func watchKeyring(ctx context.Context, v *vault.Key, log *slog.Logger) {
	if v.Path() == "" {
		return
	}
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	now := make(chan struct{})
	go func() {
		defer signal.Stop(hup)
		for {
			select {
			case <-ctx.Done():
				return
			case <-hup:
				select {
				case now <- struct{}{}:
				case <-ctx.Done():
					return
				}
			}
		}
	}()
	go v.Watch(ctx, vault.ReloadEvery, now, func(changed bool, err error) {
		if err != nil {
			log.Error("vault: the keyring file could not be read again; keeping the keyring as it was", "err", err)
			return
		}
		log.Info("vault: keyring reloaded", "current_kek", v.Ring().Current())
	})
}

func (e *env) fail(err error) int {
	if keyward.ErrorCode(err) == keyward.EINTERNAL {
		fmt.Fprintln(e.stderr, "keyward:", err)
	} else {
		fmt.Fprintln(e.stderr, "keyward:", keyward.ErrorMessage(err))
	}
	return 1
}

func (e *env) serveCommand() *cobra.Command {
	var addr string
	c := &cobra.Command{
		Use:   "serve [--addr HOST:PORT]",
		Short: "Run the web UI and the API",
		Long: `Runs the web UI and the JSON API (under /api/v1) until SIGINT or SIGTERM, then
finishes the requests in flight and exits 0. Creates and migrates the database
on first start; an empty database prints a one-time setup link.

Environment: KEYWARD_ADDR, KEYWARD_SCHEDULER_INTERVAL, KEYWARD_VAULT_KEY or
KEYWARD_VAULT_KEY_FILE, KEYWARD_AUDIT_KEY_FILE, KEYWARD_CHECKPOINT_DIR,
KEYWARD_CHECKPOINT_INTERVAL, KEYWARD_API_RATE, KEYWARD_METRICS_ADDR,
KEYWARD_PUBLIC_URL, KEYWARD_TRUSTED_PROXIES, KEYWARD_ALLOW_PRIVATE_WEBHOOKS,
KEYWARD_INSECURE_COOKIES, KEYWARD_SMTP_ADDR, KEYWARD_SMTP_FROM,
KEYWARD_SMTP_USER, KEYWARD_SMTP_PASSWORD, KEYWARD_MQTT_URL, KEYWARD_MQTT_USER,
KEYWARD_MQTT_PASSWORD, KEYWARD_MQTT_PREFIX, KEYWARD_Z2M_BASE (see the README).`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if !cmd.Flags().Changed("addr") {
				addr = envOr(e.getenv, "KEYWARD_ADDR", addr)
			}
			return status(e.serve(addr))
		},
	}
	c.Flags().StringVar(&addr, "addr", "127.0.0.1:8080", "listen address (env KEYWARD_ADDR)")
	return c
}

func (e *env) serve(addr string) int {
	log := slog.New(slog.NewJSONHandler(e.stderr, nil))
	ctx, stop := signal.NotifyContext(e.ctx, syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	e.ctx = ctx
	db, v, err := e.openSealing()
	if err != nil {
		return e.fail(err)
	}
	defer db.Close()
	watchKeyring(ctx, v, log)
	if counts, err := db.SealedCounts(ctx); err == nil && counts[vault.V1] > 0 {
		log.Warn("vault: secrets sealed before envelope encryption remain; run `keyward vault rotate-kek` once to move them to a data key each", "secrets", counts[vault.V1])
	}
	email := e.getenv("KEYWARD_SMTP_ADDR") != ""
	accounts := db.Accounts(v).EmailSignInAlerts(email).EmailInvites(email)
	interval, err := time.ParseDuration(envOr(e.getenv, "KEYWARD_SCHEDULER_INTERVAL", "1m"))
	if err != nil || interval <= 0 {
		fmt.Fprintln(e.stderr, "keyward: KEYWARD_SCHEDULER_INTERVAL must be a positive Go duration such as 1m")
		return 2
	}
	checkpointsOff, err := e.startCheckpointer(ctx, db, log, interval)
	if err != nil {
		fmt.Fprintln(e.stderr, "keyward: "+err.Error())
		return 2
	}
	publicURL := ""
	if v := e.getenv("KEYWARD_PUBLIC_URL"); v != "" {
		if publicURL, err = web.ParsePublicURL(v); err != nil {
			fmt.Fprintln(e.stderr, "keyward: KEYWARD_PUBLIC_URL "+err.Error())
			return 2
		}
	}
	var trusted []netip.Prefix
	if v := e.getenv("KEYWARD_TRUSTED_PROXIES"); v != "" {
		if trusted, err = web.ParseTrustedProxies(v); err != nil {
			fmt.Fprintln(e.stderr, "keyward: KEYWARD_TRUSTED_PROXIES "+err.Error())
			return 2
		}
	}
	apiRate, err := web.ParseRateLimit(e.getenv("KEYWARD_API_RATE"))
	if err != nil {
		fmt.Fprintln(e.stderr, "keyward: KEYWARD_API_RATE must be a number of requests per second per API token, 0 for no limit")
		return 2
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return e.fail(err)
	}
	base := "http://" + ln.Addr().String()
	notifications := db.Notifications(v)
	cfg := wiring.WebServices(db, v, accounts)
	cfg.Log, cfg.Now = log, time.Now
	cfg.SecureCookies = e.getenv("KEYWARD_INSECURE_COOKIES") == "" && !isLoopback(ln.Addr())
	cfg.AllowPrivateWebhooks = e.getenv("KEYWARD_ALLOW_PRIVATE_WEBHOOKS") == "1"
	cfg.PublicURL, cfg.TrustedProxies, cfg.APIRate, cfg.CheckpointsOff = publicURL, trusted, apiRate, checkpointsOff
	dispatcher := notify.NewDispatcher(notify.Config{
		Outbox: notifications, AllowPrivate: e.getenv("KEYWARD_ALLOW_PRIVATE_WEBHOOKS") == "1",
		SMTPAddr: e.getenv("KEYWARD_SMTP_ADDR"), SMTPFrom: envOr(e.getenv, "KEYWARD_SMTP_FROM", "keyward@localhost"),
		SMTPUser: e.getenv("KEYWARD_SMTP_USER"), SMTPPassword: keyward.Secret(e.getenv("KEYWARD_SMTP_PASSWORD")), Log: log,
	})
	cfg.Deliverer = dispatcher
	srv := web.NewServer(cfg)
	if _, err := accounts.Org(ctx); keyward.ErrorCode(err) == keyward.ENOTFOUND {
		tok, err := accounts.NewSetupToken(ctx)
		if err != nil {
			return e.fail(err)
		}
		fmt.Fprintf(e.stdout, "Keyward is not set up yet. Open this one-time link to create your organization:\n  %s/setup?token=%s\n", base, tok)
	}
	fmt.Fprintf(e.stdout, "Keyward listening on %s\n", base)
	hs := &http.Server{Handler: srv.Handler(), ReadHeaderTimeout: httpTimeouts.readHeader, ReadTimeout: httpTimeouts.read,
		WriteTimeout: httpTimeouts.write, IdleTimeout: httpTimeouts.idle, MaxHeaderBytes: 64 << 10}
	go dispatcher.Run(ctx, interval)
	go housekeeping(ctx, db, log, interval)
	if mqttURL := e.getenv("KEYWARD_MQTT_URL"); mqttURL != "" {
		// Lock sync: every server may run it; the store decides, and publishing
		// the same retained state twice is harmless.
		syncer := locksync.New(locksync.Config{Broker: mqttURL, Feed: db.LockSync(v), Log: log,
			Username: e.getenv("KEYWARD_MQTT_USER"), Password: keyward.Secret(e.getenv("KEYWARD_MQTT_PASSWORD")),
			Native: locksync.Native{Prefix: e.getenv("KEYWARD_MQTT_PREFIX")}, Z2M: locksync.Z2M{Base: e.getenv("KEYWARD_Z2M_BASE")}})
		go func() { _ = syncer.Run(ctx) }()
		fmt.Fprintf(e.stdout, "Lock sync through %s\n", mqttURL)
	}
	errc := make(chan error, 2)
	go func() { errc <- hs.Serve(ln) }()
	if maddr := e.getenv("KEYWARD_METRICS_ADDR"); maddr != "" {
		// Metrics without a token, on a listener only the monitoring system reaches.
		mln, err := net.Listen("tcp", maddr)
		if err != nil {
			return e.fail(fmt.Errorf("KEYWARD_METRICS_ADDR: %w", err))
		}
		ms := &http.Server{Handler: srv.MetricsHandler(), ReadHeaderTimeout: 10 * time.Second}
		defer ms.Close()
		go func() { errc <- ms.Serve(mln) }()
		fmt.Fprintf(e.stdout, "Metrics on http://%s/metrics\n", mln.Addr())
	}
	select {
	case err := <-errc:
		return e.fail(err)
	case <-ctx.Done():
	}
	log.Info("shutting down: finishing requests in flight")
	sctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := hs.Shutdown(sctx); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return e.fail(err)
	}
	return 0
}

// httpTimeouts bound how long a client may hold a connection: a client that
// sends its headers slowly (or never) is cut off after readHeader, a body
// after read, an answer it reads too slowly after write, an idle keep-alive
// after idle. So slow or stalled clients cannot pile up connections for
// ever. (Imports of 32 MiB fit in read on any link faster than ~5 Mbit/s.)
var httpTimeouts = struct{ readHeader, read, write, idle time.Duration }{
	readHeader: 10 * time.Second, read: 60 * time.Second, write: 120 * time.Second, idle: 120 * time.Second,
}

func isLoopback(a net.Addr) bool {
	t, ok := a.(*net.TCPAddr)
	return ok && t.IP.IsLoopback()
}

func envOr(getenv func(string) string, name, def string) string {
	if v := getenv(name); v != "" {
		return v
	}
	return def
}

// pruneEvery is how often housekeeping deletes expired rows: the deletes scan
// their tables, so not on every scheduler tick.
const pruneEvery = time.Hour

// housekeeping keeps each finished day's keys-out count for the dashboard chart
// as soon as the day is final and disposes of the key codes whose retention
// ended, every interval, and prunes expired sessions,
// old failed sign-ins and old idempotency keys every pruneEvery, until ctx ends.
func housekeeping(ctx context.Context, db keyward.Housekeeping, log *slog.Logger, interval time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	var pruned time.Time
	for {
		if err := db.KeepKeysOut(ctx); err != nil && ctx.Err() == nil {
			log.Error("scheduler: keys-out chart", "err", err)
		}
		if n, err := db.DisposeDueCodes(ctx); err != nil && ctx.Err() == nil {
			log.Error("scheduler: key code disposal", "err", err)
		} else if n > 0 {
			log.Info("scheduler: disposed of key codes whose retention ended", "codes", n)
		}
		if time.Since(pruned) >= pruneEvery {
			p, err := db.Prune(ctx)
			switch {
			case err != nil && ctx.Err() == nil:
				log.Error("scheduler: prune", "err", err)
			case p.Total() > 0:
				log.Info("scheduler: pruned expired rows", "sessions", p.Sessions, "login_failures", p.LoginFailures, "idempotency_keys", p.IdempotencyKeys,
					"known_addresses", p.KnownAddresses, "sign_in_alerts", p.SignInAlerts)
			}
			pruned = time.Now()
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
