// Package notify delivers what the outbox holds: webhooks (JSON,
// HMAC-SHA256 signed) and email over SMTP, and keeps webhook URLs off private
// networks unless allowed.
package notify

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"net/smtp"
	"net/textproto"
	"net/url"
	"strings"
	"syscall"
	"time"

	"github.com/keyward/keyward/internal/keyward"
)

// SignatureHeader carries "sha256=<hex HMAC-SHA256 of the raw body>".
const SignatureHeader = "X-Keyward-Signature"

// Sign returns the signature header value for body.
func Sign(secret keyward.Secret, body []byte) string {
	m := hmac.New(sha256.New, []byte(secret.Reveal()))
	m.Write(body)
	return "sha256=" + hex.EncodeToString(m.Sum(nil))
}

// privateAddr reports loopback, private, link-local, unspecified and other
// non-public addresses, the ones a webhook must not reach by default.
func privateAddr(ip netip.Addr) bool {
	ip = ip.Unmap()
	return ip.IsLoopback() || ip.IsPrivate() || ip.IsLinkLocalUnicast() || ip.IsLinkLocalMulticast() ||
		ip.IsUnspecified() || ip.IsMulticast() || ip.IsInterfaceLocalMulticast() ||
		netip.MustParsePrefix("100.64.0.0/10").Contains(ip) || netip.MustParsePrefix("0.0.0.0/8").Contains(ip)
}

// CheckURL refuses a webhook URL whose host resolves to a private address.
func CheckURL(ctx context.Context, raw string, allowPrivate bool) error {
	u, err := url.Parse(raw)
	if err != nil || u.Hostname() == "" {
		return keyward.Invalid("url", "must be an http or https URL")
	}
	if allowPrivate {
		return nil
	}
	addrs, err := net.DefaultResolver.LookupNetIP(ctx, "ip", u.Hostname())
	if err != nil || len(addrs) == 0 {
		return keyward.Invalid("url", "host does not resolve")
	}
	for _, a := range addrs {
		if privateAddr(a) {
			return keyward.Invalid("url", "must not resolve to a loopback or private address")
		}
	}
	return nil
}

// Config sets up the dispatcher.
type Config struct {
	// Outbox holds what is to be delivered; several servers may share it.
	Outbox       keyward.Outbox
	AllowPrivate bool
	SMTPAddr     string // host:port; empty disables email
	SMTPFrom     string
	SMTPUser     string
	SMTPPassword keyward.Secret
	Log          *slog.Logger
}

// Dispatcher runs the scheduled notification work.
type Dispatcher struct {
	cfg  Config
	http *http.Client
}

// NewDispatcher builds a dispatcher whose HTTP client re-checks every address
// it connects to, so DNS that changes after CheckURL cannot reach a private host.
func NewDispatcher(cfg Config) *Dispatcher {
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	dialer := &net.Dialer{Timeout: 10 * time.Second, Control: func(_, address string, _ syscall.RawConn) error {
		if cfg.AllowPrivate {
			return nil
		}
		ap, err := netip.ParseAddrPort(address)
		if err != nil || privateAddr(ap.Addr()) {
			return errors.New("webhook address is not public")
		}
		return nil
	}}
	tr := &http.Transport{DialContext: dialer.DialContext, TLSHandshakeTimeout: 10 * time.Second, ResponseHeaderTimeout: 15 * time.Second}
	return &Dispatcher{cfg: cfg, http: &http.Client{Transport: tr, Timeout: 30 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

// Run does the scheduled work every interval until ctx ends.
func (d *Dispatcher) Run(ctx context.Context, interval time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		d.Tick(ctx)
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// Tick finds new overdue check-outs and delivers what is due. Safe to run in
// every server process at once: claims in the database decide who does what.
func (d *Dispatcher) Tick(ctx context.Context) {
	n := d.cfg.Outbox
	if c, err := n.ScanOverdue(ctx); err != nil {
		d.cfg.Log.Error("scheduler: overdue scan", "err", err)
	} else if c > 0 {
		d.cfg.Log.Info("scheduler: overdue reminders queued", "count", c)
	}
	for {
		batch, err := n.ClaimDeliveries(ctx, 50, 2*time.Minute)
		if err != nil {
			d.cfg.Log.Error("scheduler: claim deliveries", "err", err)
			return
		}
		if len(batch) == 0 {
			return
		}
		for _, del := range batch {
			d.attempt(ctx, del)
		}
	}
}

// attempt delivers one claimed item and records the outcome, in words.
func (d *Dispatcher) attempt(ctx context.Context, del keyward.Delivery) error {
	err, permanent := d.deliver(ctx, del)
	if err != nil {
		d.cfg.Log.Warn("scheduler: delivery failed", "id", del.ID, "kind", del.Kind, "attempt", del.Attempts+1, "err", err)
		err = inWords(err)
	}
	if ferr := d.cfg.Outbox.Finish(ctx, del, err, permanent); ferr != nil {
		d.cfg.Log.Error("scheduler: record delivery", "err", ferr)
		return ferr
	}
	return err
}

// EmailConfigured reports whether this server has a mail server to send through.
func (d *Dispatcher) EmailConfigured() bool { return d.cfg.SMTPAddr != "" }

// DeliverNow sends one queued delivery at once (a test someone asked for)
// and returns its outcome in words; the outcome is recorded as a scheduled
// delivery's is. A delivery another process already holds is left to it.
func (d *Dispatcher) DeliverNow(ctx context.Context, id string) error {
	del, ok, err := d.cfg.Outbox.ClaimDelivery(ctx, id, 2*time.Minute)
	if err != nil {
		return err
	}
	if !ok {
		return errors.New("it is already being sent")
	}
	return d.attempt(ctx, del)
}

// wordsError is a delivery failure said so a person can act on it.
type wordsError struct {
	words string
	err   error
}

func (e *wordsError) Error() string { return e.words }
func (e *wordsError) Unwrap() error { return e.err }

// inWords says why a delivery failed in words a landlord can act on; the
// technical text follows in brackets for whoever fixes it.
func inWords(err error) error {
	if errors.Is(err, keyward.ErrNotConfigured) {
		return err
	}
	var words string
	var dnsErr *net.DNSError
	var opErr *net.OpError
	var tp *textproto.Error
	msg := err.Error()
	switch {
	case errors.As(err, &dnsErr):
		words = "the address's host name could not be found"
	case errors.Is(err, syscall.ECONNREFUSED):
		words = "the receiving server refused the connection (is it running?)"
	case errors.Is(err, context.DeadlineExceeded) || strings.Contains(msg, "Client.Timeout") || strings.Contains(msg, "i/o timeout"):
		words = "the receiving server did not answer in time"
	case strings.Contains(msg, "address is not public"):
		words = "the address is on a private network, which this server may not call"
	case strings.HasPrefix(msg, "webhook answered "):
		words = "the receiving server answered " + strings.TrimPrefix(msg, "webhook answered ") + " instead of accepting it"
		return &wordsError{words: words, err: err}
	case errors.As(err, &tp):
		switch {
		case tp.Code == 535 || tp.Code == 534 || tp.Code == 530:
			words = "the mail server refused the sign-in: check KEYWARD_SMTP_USER and KEYWARD_SMTP_PASSWORD"
		case tp.Code >= 550 && tp.Code <= 553:
			words = "the mail server refused the address"
		default:
			words = "the mail server refused the message"
		}
	case strings.Contains(msg, "x509:") || strings.Contains(msg, "tls:"):
		words = "the secure connection failed (certificate or TLS problem)"
	case errors.As(err, &opErr):
		words = "could not connect to the receiving server"
	default:
		words = "sending failed"
	}
	return &wordsError{words: words + " [" + msg + "]", err: err}
}

func (d *Dispatcher) deliver(ctx context.Context, del keyward.Delivery) (error, bool) {
	switch del.Kind {
	case "webhook":
		return d.postWebhook(ctx, del)
	case "email":
		if d.cfg.SMTPAddr == "" {
			return keyward.ErrNotConfigured, true
		}
		return d.sendMail(del), false
	}
	return fmt.Errorf("unknown delivery kind %q", del.Kind), true
}

func (d *Dispatcher) postWebhook(ctx context.Context, del keyward.Delivery) (error, bool) {
	body := []byte(del.Body)
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, del.URL, bytes.NewReader(body))
	if err != nil {
		return err, true
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "Keyward-Webhook/1")
	req.Header.Set("X-Keyward-Event", del.Event)
	req.Header.Set("X-Keyward-Delivery", del.ID)
	req.Header.Set(SignatureHeader, Sign(del.Secret, body))
	resp, err := d.http.Do(req)
	if err != nil {
		return err, false
	}
	resp.Body.Close()
	if resp.StatusCode >= 200 && resp.StatusCode < 300 {
		return nil, false
	}
	// 4xx other than 408/429 will not get better by retrying.
	permanent := resp.StatusCode >= 400 && resp.StatusCode < 500 && resp.StatusCode != 408 && resp.StatusCode != 429
	return fmt.Errorf("webhook answered %s", resp.Status), permanent
}

func (d *Dispatcher) sendMail(del keyward.Delivery) error {
	host, _, _ := net.SplitHostPort(d.cfg.SMTPAddr)
	var a smtp.Auth
	if d.cfg.SMTPUser != "" {
		a = smtp.PlainAuth("", d.cfg.SMTPUser, d.cfg.SMTPPassword.Reveal(), host)
	}
	clean := func(s string) string { return strings.NewReplacer("\r", " ", "\n", " ").Replace(s) }
	msg := "From: " + clean(d.cfg.SMTPFrom) + "\r\nTo: " + clean(del.Target) + "\r\nSubject: " + clean(del.Subject) +
		"\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n" + del.Body + "\r\n"
	return smtp.SendMail(d.cfg.SMTPAddr, a, d.cfg.SMTPFrom, []string{del.Target}, []byte(msg))
}
