package store

import (
	"context"
	"database/sql"
	"fmt"
	"math"
	"time"

	"github.com/keyward/keyward/internal/auth"
	"github.com/keyward/keyward/internal/keyward"
)

// EventSignInFailures is the outbox event of the email that tells a user of
// failed sign-ins on their account.
const EventSignInFailures = "sign_in.failures"

// EmailSignInAlerts turns on the email that tells a user of repeated failed
// sign-ins on their account (auth.Throttle.AlertAfter since their last
// sign-in, at most one per sign-in). Turn it on when email is configured.
func (s *Accounts) EmailSignInAlerts(on bool) *Accounts {
	s.alertEmail = on
	return s
}

// The steps of a sign-in, as login_failures.step records them.
const (
	stepPassword = "password"
	stepCode     = "code"
)

// signInCounts counts, for one attempt at step, the failures auth.Throttle
// weighs. userID is "" for an unknown email: the same queries run, and find
// no known address.
func (s *Accounts) signInCounts(ctx context.Context, userID, email, addr, step string, now time.Time) (auth.SignInCounts, error) {
	th := s.throttle
	var c auth.SignInCounts
	var lastHere sql.NullString
	err := s.db.queryRow(ctx, `SELECT last_sign_in_at FROM known_addresses WHERE user_id = ? AND addr = ? AND last_sign_in_at > ?`,
		userID, addr, ts(th.KnownSince(now))).Scan(&lastHere)
	switch {
	case err == nil:
		c.KnownAddress = true
	case err != sql.ErrNoRows:
		return c, fmt.Errorf("store: known address: %w", err)
	}
	count := func(n *int, last *time.Time, q string, args ...any) error {
		var at sql.NullString
		if err := s.db.queryRow(ctx, q, args...).Scan(n, &at); err != nil {
			return fmt.Errorf("store: count failed sign-ins: %w", err)
		}
		*last = parseTS(at.String)
		return nil
	}
	window := ts(th.WindowSince(now))
	if err := count(&c.Pair, &c.PairLast, `SELECT COUNT(*), MAX(at) FROM login_failures WHERE email = ? AND addr = ? AND at > ?`,
		email, addr, ts(th.PairSince(now, parseTS(lastHere.String)))); err != nil {
		return c, err
	}
	if err := count(&c.NewAddress, &c.NewAddressLast, `SELECT COUNT(*), MAX(at) FROM login_failures f WHERE f.email = ? AND f.step = ? AND f.at > ?
		AND NOT EXISTS (SELECT 1 FROM known_addresses k WHERE k.user_id = ? AND k.addr = f.addr AND k.last_sign_in_at > ?)`,
		email, step, window, userID, ts(th.KnownSince(now))); err != nil {
		return c, err
	}
	if err := count(&c.Address, &c.AddressLast, `SELECT COUNT(*), MAX(at) FROM login_failures WHERE addr = ? AND at > ?`, addr, window); err != nil {
		return c, err
	}
	c.CodeStep = step == stepCode
	return c, nil
}

// tooManySignIns is the refusal, with how long to wait in words and in
// seconds (retry_after, for a Retry-After header).
func tooManySignIns(wait time.Duration) error {
	secs := int(math.Ceil(wait.Seconds()))
	in := fmt.Sprintf("%d seconds", secs)
	switch {
	case secs == 1:
		in = "1 second"
	case secs > 90:
		in = fmt.Sprintf("%d minutes", (secs+59)/60)
	}
	return &keyward.Error{Code: keyward.ETOOMANY, Message: "too many failed sign-ins; try again in " + in,
		Extra: map[string]any{"retry_after": secs}}
}

// signInFailed records a failed sign-in and, once the failures since the
// user's last sign-in reach auth.Throttle.AlertAfter, queues one email to
// them. u is nil for an unknown email, which runs the same counting queries.
func (s *Accounts) signInFailed(ctx context.Context, u *keyward.User, email, addr, step string) error {
	return s.db.withTx(ctx, func(tx *Tx) error {
		if _, err := tx.Exec(ctx, `INSERT INTO login_failures (id, email, addr, at, step) VALUES (?, ?, ?, ?, ?)`, newID("lf"), email, addr, ts(tx.now), step); err != nil {
			return fmt.Errorf("store: record failed sign-in: %w", err)
		}
		if !s.alertEmail {
			return nil
		}
		userID, created := "", time.Time{}
		if u != nil {
			userID, created = u.ID, u.CreatedAt
		}
		since, n, err := tx.failuresSinceSignIn(ctx, userID, email, created)
		if err != nil || u == nil || !s.throttle.Alert(n) {
			return err
		}
		res, err := tx.Exec(ctx, `INSERT INTO sign_in_alerts (user_id, since, failures, sent_at) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING`,
			u.ID, ts(since), n, ts(tx.now))
		if err != nil {
			return fmt.Errorf("store: claim sign-in alert: %w", err)
		}
		if c, _ := res.RowsAffected(); c == 0 {
			return nil // already sent for the failures since this sign-in
		}
		subject := "Failed sign-ins to your Keyward account"
		body := fmt.Sprintf("There were %d failed sign-in attempts to your Keyward account %s since your last sign-in, "+
			"the most recent from %s at %s.\r\n\r\n"+
			"If these were not you, someone may be guessing your password. Their attempts are slowed down, and you can "+
			"still sign in from an address you signed in from before. A long password and an authenticator app "+
			"(on your account page) keep the account safe.\r\n\r\nKeyward",
			n, u.Email, addr, tx.now.UTC().Format("2006-01-02 15:04:05 UTC"))
		if _, err := tx.enqueue(ctx, "email", u.Email, EventSignInFailures, subject, body); err != nil {
			return err
		}
		_, err = tx.record(ctx, keyward.SystemActor("sign-in"), "user.sign_in_alert", "user", u.ID,
			map[string]any{"failures": n, "since": since.UTC().Format(time.RFC3339Nano), "last_addr": addr})
		return err
	})
}

// CheckSignInCode is the second step of a sign-in: the authenticator code,
// throttled like the password (auth.Throttle, with the code step's own
// new-address ceiling) and recorded as a failure when wrong.
func (s *Accounts) CheckSignInCode(ctx context.Context, userID, code, addr string) error {
	addr = auth.ThrottleAddress(addr)
	u, err := s.User(ctx, userID)
	if err != nil {
		return err
	}
	now := s.db.Now()
	counts, err := s.signInCounts(ctx, u.ID, u.Email, addr, stepCode, now)
	if err != nil {
		return err
	}
	counts.SecondFactor = u.TOTPEnabled
	if ok, wait := s.throttle.Allowed(counts, now); !ok {
		return tooManySignIns(wait)
	}
	err = s.CheckTOTP(ctx, userID, code)
	if keyward.ErrorCode(err) == keyward.EUNAUTHORIZED {
		if ferr := s.signInFailed(ctx, u, u.Email, addr, stepCode); ferr != nil {
			return ferr
		}
	}
	return err
}

// failuresSinceSignIn counts the failed sign-ins with the user's email since
// their last sign-in (or since the account was made, if never).
func (t *Tx) failuresSinceSignIn(ctx context.Context, userID, email string, created time.Time) (time.Time, int, error) {
	var last sql.NullString
	if err := t.QueryRow(ctx, `SELECT MAX(last_sign_in_at) FROM known_addresses WHERE user_id = ?`, userID).Scan(&last); err != nil {
		return time.Time{}, 0, fmt.Errorf("store: last sign-in: %w", err)
	}
	since := created
	if t := parseTS(last.String); t.After(since) {
		since = t
	}
	var n int
	if err := t.QueryRow(ctx, `SELECT COUNT(*) FROM login_failures WHERE email = ? AND at > ?`, email, ts(since)).Scan(&n); err != nil {
		return time.Time{}, 0, fmt.Errorf("store: count failed sign-ins: %w", err)
	}
	return since, n, nil
}

// FailedSignIns is what a user is told when they sign in: the failed
// attempts on their account since their previous sign-in.
type FailedSignIns = keyward.FailedSignIns

// RecordSignIn is called once a sign-in is complete (password, and the second
// factor when enrolled): it returns the failed attempts since the previous
// sign-in, then makes addr a known address of the user, which also clears
// those failures from the next notice, and writes the audit record, all in
// one transaction.
func (s *Accounts) RecordSignIn(ctx context.Context, userID, addr string) (FailedSignIns, error) {
	addr = auth.ThrottleAddress(addr)
	var out FailedSignIns
	err := s.db.withTx(ctx, func(tx *Tx) error {
		u, _, err := scanUser(tx.QueryRow(ctx, `SELECT `+userCols+` FROM users WHERE id = ?`, userID))
		if err != nil {
			return notFound(err, "user", userID)
		}
		since, n, err := tx.failuresSinceSignIn(ctx, u.ID, u.Email, u.CreatedAt)
		if err != nil {
			return err
		}
		out.Count = n
		if n > 0 {
			var at string
			if err := tx.QueryRow(ctx, `SELECT addr, at FROM login_failures WHERE email = ? AND at > ? ORDER BY at DESC, id DESC LIMIT 1`,
				u.Email, ts(since)).Scan(&out.LastAddr, &at); err != nil {
				return fmt.Errorf("store: last failed sign-in: %w", err)
			}
			out.LastAt = parseTS(at)
		}
		if _, err := tx.Exec(ctx, `INSERT INTO known_addresses (user_id, addr, last_sign_in_at) VALUES (?, ?, ?)
			ON CONFLICT (user_id, addr) DO UPDATE SET last_sign_in_at = excluded.last_sign_in_at`, u.ID, addr, ts(tx.now)); err != nil {
			return fmt.Errorf("store: known address: %w", err)
		}
		_, err = tx.record(ctx, keyward.Actor{UserID: u.ID, Email: u.Email, Role: u.Role}, "user.sign_in", "user", u.ID,
			map[string]any{"addr": addr, "failed_attempts": n})
		return err
	})
	return out, err
}
