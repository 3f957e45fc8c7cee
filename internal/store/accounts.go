package store

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/keyward/keyward/internal/auth"
	"github.com/keyward/keyward/internal/keyward"
	"github.com/keyward/keyward/internal/vault"
)

// Accounts is the organization, its users, sessions and API tokens.
type Accounts struct {
	db       *DB
	vault    *vault.Key
	throttle auth.Throttle
	// alertEmail: failed sign-ins queue an email to the account's user.
	alertEmail bool
	// inviteEmail: invite links are emailed to the new user.
	inviteEmail bool
}

// SessionTTL is how long a browser session lasts.
const SessionTTL = 12 * time.Hour

// Accounts returns the account service; secrets such as TOTP seeds are sealed with v.
func (d *DB) Accounts(v *vault.Key) *Accounts {
	return &Accounts{db: d, vault: v, throttle: auth.DefaultThrottle()}
}

// Org returns the organization, ENOTFOUND before init.
func (s *Accounts) Org(ctx context.Context) (*keyward.Org, error) {
	return s.db.org(ctx)
}

// org reads the organization's own record.
func (d *DB) org(ctx context.Context) (*keyward.Org, error) {
	var o keyward.Org
	var at string
	var since sql.NullString
	var req int
	err := d.queryRow(ctx, `SELECT id, name, time_zone, require_totp, require_totp_since, totp_grace_days, created_at FROM org`).
		Scan(&o.ID, &o.Name, &o.TimeZone, &req, &since, &o.TOTPGraceDays, &at)
	if err != nil {
		return nil, notFound(err, "organization", "")
	}
	o.RequireTOTP, o.RequireTOTPSince, o.CreatedAt = req == 1, tsPtr(since), parseTS(at)
	return &o, nil
}

// CSRFKey is the organization's key for CSRF tokens, shared by every server process.
func (s *Accounts) CSRFKey(ctx context.Context) ([]byte, error) {
	var k string
	if err := s.db.queryRow(ctx, `SELECT csrf_key FROM org`).Scan(&k); err != nil {
		return nil, notFound(err, "organization", "")
	}
	return hex.DecodeString(k)
}

// InitInput is what first-run setup asks for.
type InitInput = keyward.InitInput

// Init creates the organization and its owner. ECONFLICT if already initialized.
// It returns the owner's password (generated when none was given, and then
// to be replaced at the owner's first sign-in).
func (s *Accounts) Init(ctx context.Context, in InitInput) (*keyward.User, string, error) {
	var v keyward.Validator
	in.Org, in.Email = strings.TrimSpace(in.Org), strings.ToLower(strings.TrimSpace(in.Email))
	v.Check(in.Org != "" && len(in.Org) <= keyward.MaxName, "org", "is required, at most 200 characters")
	keyward.CheckEmail(&v, "admin_email", in.Email, true)
	if strings.TrimSpace(in.TimeZone) == "" {
		in.TimeZone = "UTC"
	}
	zone, ok := keyward.ResolveTimeZone(in.TimeZone)
	v.Check(ok, "time_zone", "must be a time zone from the list, such as America/New_York (Eastern) or Europe/Berlin")
	in.TimeZone = zone
	if in.Name == "" {
		in.Name = in.Email
	}
	generated := in.Password == ""
	if generated {
		in.Password = auth.GeneratePassword()
	} else if err := auth.CheckPasswordPolicy(in.Password, in.Email, in.Org); err != nil {
		v.Check(false, "password", err.(*auth.PolicyError).Rule)
	}
	if err := v.Err(); err != nil {
		return nil, "", err
	}
	hash, err := auth.HashPassword(in.Password)
	if err != nil {
		return nil, "", err
	}
	var u *keyward.User
	err = s.db.withTx(ctx, func(tx *Tx) error {
		var n int
		if err := tx.QueryRow(ctx, `SELECT COUNT(*) FROM org`).Scan(&n); err != nil {
			return err
		}
		if n > 0 {
			return keyward.Errorf(keyward.ECONFLICT, "keyward is already initialized")
		}
		key := make([]byte, 32)
		_, _ = rand.Read(key)
		orgID := newID("org")
		if _, err := tx.Exec(ctx, `INSERT INTO org (id, name, time_zone, require_totp, csrf_key, created_at) VALUES (?, ?, ?, 0, ?, ?)`,
			orgID, in.Org, in.TimeZone, hex.EncodeToString(key), ts(tx.now)); err != nil {
			return fmt.Errorf("store: insert org: %w", err)
		}
		sys := keyward.SystemActor("init")
		if _, err := tx.record(ctx, sys, "org.create", "org", orgID, map[string]any{"name": in.Org}); err != nil {
			return err
		}
		u, err = tx.createUser(ctx, sys, in.Email, in.Name, keyward.RoleOwner, hash, "", generated)
		if err != nil {
			return err
		}
		_, err = tx.Exec(ctx, `UPDATE setup_tokens SET used_at = ? WHERE used_at IS NULL`, ts(tx.now))
		return err
	})
	if err != nil {
		return nil, "", err
	}
	return u, in.Password, nil
}

// NewSetupToken returns a one-time token for the browser setup page; ECONFLICT after init.
func (s *Accounts) NewSetupToken(ctx context.Context) (string, error) {
	plain, hash := auth.NewToken("setup_")
	err := s.db.withTx(ctx, func(tx *Tx) error {
		var n int
		if err := tx.QueryRow(ctx, `SELECT COUNT(*) FROM org`).Scan(&n); err != nil {
			return err
		}
		if n > 0 {
			return keyward.Errorf(keyward.ECONFLICT, "keyward is already initialized")
		}
		_, err := tx.Exec(ctx, `INSERT INTO setup_tokens (token_hash, created_at) VALUES (?, ?)`, hash, ts(tx.now))
		return err
	})
	return plain, err
}

// CheckSetupToken reports whether token is an unused setup token.
func (s *Accounts) CheckSetupToken(ctx context.Context, token string) bool {
	var one int
	err := s.db.queryRow(ctx, `SELECT 1 FROM setup_tokens WHERE token_hash = ? AND used_at IS NULL`, auth.HashToken(token)).Scan(&one)
	return err == nil
}

// createUser inserts an account; mustChange: the password was given to the
// user by someone else, and must be replaced at first sign-in.
func (t *Tx) createUser(ctx context.Context, a keyward.Actor, email, name string, role keyward.Role, hash, holderID string, mustChange bool) (*keyward.User, error) {
	u := &keyward.User{ID: newID("usr"), Email: email, Name: name, Role: role, HolderID: holderID, MustChangePassword: mustChange, CreatedAt: t.now}
	if _, err := t.Exec(ctx, `INSERT INTO users (id, email, name, role, holder_id, password_hash, must_change_password, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
		u.ID, u.Email, u.Name, string(u.Role), nullStr(holderID), hash, b2i(mustChange), ts(u.CreatedAt)); err != nil {
		if isUnique(err) {
			return nil, &keyward.Error{Code: keyward.ECONFLICT, Message: fmt.Sprintf("a user with email %q already exists", email),
				Fields: []keyward.FieldError{{Field: "email", Rule: "must be unique"}}}
		}
		return nil, fmt.Errorf("store: insert user: %w", err)
	}
	_, err := t.record(ctx, a, "user.create", "user", u.ID, map[string]any{"email": email, "role": role, "must_change_password": mustChange})
	return u, err
}

// UserInput creates an account.
type UserInput = keyward.UserInput

// CreateUser adds an account; only owners may create owners. Returns the
// initial password; a generated one must be changed at first sign-in.
func (s *Accounts) CreateUser(ctx context.Context, a keyward.Actor, in UserInput) (*keyward.User, string, error) {
	u, pw, _, err := s.createAccount(ctx, a, in, "")
	return u, pw, err
}

// createAccount adds an account and, when base is not empty, an invite link
// for it, in one transaction.
func (s *Accounts) createAccount(ctx context.Context, a keyward.Actor, in UserInput, base string) (*keyward.User, string, *keyward.InviteLink, error) {
	if err := s.db.recordDenial(ctx, a, keyward.ActUserManage, "user", ""); err != nil {
		return nil, "", nil, err
	}
	var v keyward.Validator
	in.Email = strings.ToLower(strings.TrimSpace(in.Email))
	keyward.CheckEmail(&v, "email", in.Email, true)
	v.Check(len(in.Name) <= keyward.MaxName, "name", "must be at most 200 characters")
	v.Check(keyward.ValidRole(in.Role), "role", "must be one of owner, admin, manager, advisor, technician, holder, auditor")
	generated := in.Password == ""
	if generated {
		in.Password = auth.GeneratePassword()
	} else if err := auth.CheckPasswordPolicy(in.Password, in.Email); err != nil {
		v.Check(false, "password", err.(*auth.PolicyError).Rule)
	}
	if err := v.Err(); err != nil {
		return nil, "", nil, err
	}
	if in.Role == keyward.RoleOwner && a.Role != keyward.RoleOwner && a.Role != keyward.RoleSystem {
		return nil, "", nil, keyward.Errorf(keyward.EFORBIDDEN, "only an owner may create another owner")
	}
	if in.Name == "" {
		in.Name = in.Email
	}
	hash, err := auth.HashPassword(in.Password)
	if err != nil {
		return nil, "", nil, err
	}
	var u *keyward.User
	var link *keyward.InviteLink
	err = s.db.withTx(ctx, func(tx *Tx) error {
		if in.HolderID != "" && !tx.exists(ctx, "holders", in.HolderID) {
			return keyward.Invalid("holder_id", "must name an existing holder")
		}
		u, err = tx.createUser(ctx, a, in.Email, in.Name, in.Role, hash, in.HolderID, generated)
		if err != nil || base == "" {
			return err
		}
		link, err = s.invite(ctx, tx, a, u, base)
		return err
	})
	if err != nil {
		return nil, "", nil, err
	}
	return u, in.Password, link, nil
}

const userCols = `id, email, name, role, COALESCE(holder_id, ''), totp_secret, disabled, must_change_password, created_at`

func scanUser(r interface{ Scan(...any) error }) (*keyward.User, sql.NullString, error) {
	var u keyward.User
	var secret sql.NullString
	var dis, must int
	var at string
	err := r.Scan(&u.ID, &u.Email, &u.Name, &u.Role, &u.HolderID, &secret, &dis, &must, &at)
	u.TOTPEnabled, u.Disabled, u.MustChangePassword, u.CreatedAt = secret.Valid, dis == 1, must == 1, parseTS(at)
	return &u, secret, err
}

// Users lists every account.
func (s *Accounts) Users(ctx context.Context, a keyward.Actor) ([]keyward.User, error) {
	if err := keyward.Authorize(a, keyward.ActUserManage); err != nil {
		return nil, err
	}
	rows, err := s.db.query(ctx, `SELECT `+userCols+` FROM users ORDER BY email`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []keyward.User{}
	for rows.Next() {
		u, _, err := scanUser(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, *u)
	}
	return out, rows.Err()
}

// User returns one account by id.
func (s *Accounts) User(ctx context.Context, id string) (*keyward.User, error) {
	u, _, err := scanUser(s.db.queryRow(ctx, `SELECT `+userCols+` FROM users WHERE id = ?`, id))
	if err != nil {
		return nil, notFound(err, "user", id)
	}
	return u, nil
}

// UpdateUser changes a user's role or disables the account.
func (s *Accounts) UpdateUser(ctx context.Context, a keyward.Actor, id string, in keyward.UserPatch) (*keyward.User, error) {
	if err := s.db.recordDenial(ctx, a, keyward.ActUserManage, "user", id); err != nil {
		return nil, err
	}
	if err := in.Validate(); err != nil {
		return nil, err
	}
	err := s.db.withTx(ctx, func(tx *Tx) error {
		// The user and the owners are locked together, in id order, so two
		// owners demoting each other at once neither deadlock nor leave the
		// organization without one: the second waits and then counts anew.
		if tx.db.dialect == postgresDialect {
			rows, err := tx.Query(ctx, `SELECT id FROM users WHERE id = ? OR role = ? ORDER BY id FOR UPDATE`, id, string(keyward.RoleOwner))
			if err != nil {
				return fmt.Errorf("store: lock owners: %w", err)
			}
			for rows.Next() {
			}
			if err := rows.Close(); err != nil {
				return fmt.Errorf("store: lock owners: %w", err)
			}
			if err := rows.Err(); err != nil {
				return fmt.Errorf("store: lock owners: %w", err)
			}
		}
		u, _, err := scanUser(tx.QueryRow(ctx, `SELECT `+userCols+` FROM users WHERE id = ?`, id))
		if err != nil {
			return notFound(err, "user", id)
		}
		var others int
		if err := tx.QueryRow(ctx, `SELECT COUNT(*) FROM users WHERE role = ? AND disabled = 0 AND id <> ?`,
			string(keyward.RoleOwner), id).Scan(&others); err != nil {
			return fmt.Errorf("store: count owners: %w", err)
		}
		if err := keyward.MayChangeUser(a.Role, a.UserID, id, u.Role, in, others); err != nil {
			return err
		}
		name, role, disabled := u.Name, u.Role, u.Disabled
		if in.Name != nil {
			name = *in.Name
		}
		if in.Role != nil {
			role = *in.Role
		}
		if in.Disabled != nil {
			disabled = *in.Disabled
		}
		if _, err := tx.Exec(ctx, `UPDATE users SET name = ?, role = ?, disabled = ? WHERE id = ?`, name, string(role), b2i(disabled), id); err != nil {
			return err
		}
		if disabled {
			if _, err := tx.Exec(ctx, `DELETE FROM sessions WHERE user_id = ?`, id); err != nil {
				return err
			}
			if _, err := tx.Exec(ctx, `UPDATE api_tokens SET revoked_at = ? WHERE user_id = ? AND revoked_at IS NULL`, ts(tx.now), id); err != nil {
				return err
			}
		}
		details := map[string]any{"role": role, "disabled": disabled, "previous_role": u.Role}
		if name != u.Name {
			details["name"], details["previous_name"] = name, u.Name
		}
		_, err = tx.record(ctx, a, "user.update", "user", id, details)
		return err
	})
	if err != nil {
		return nil, err
	}
	return s.User(ctx, id)
}

// UpdateOrg changes the organization's name or time zone; owners only.
func (s *Accounts) UpdateOrg(ctx context.Context, a keyward.Actor, in keyward.OrgPatch) (*keyward.Org, error) {
	if err := s.db.recordDenial(ctx, a, keyward.ActOrgManage, "org", ""); err != nil {
		return nil, err
	}
	if err := in.Validate(); err != nil {
		return nil, err
	}
	err := s.db.withTx(ctx, func(tx *Tx) error {
		var id, name, zone string
		if err := tx.QueryRow(ctx, `SELECT id, name, time_zone FROM org`).Scan(&id, &name, &zone); err != nil {
			return notFound(err, "organization", "")
		}
		details := map[string]any{}
		if in.Name != nil && *in.Name != name {
			details["name"], details["previous_name"] = *in.Name, name
			name = *in.Name
		}
		if in.TimeZone != nil && *in.TimeZone != zone {
			details["time_zone"], details["previous_time_zone"] = *in.TimeZone, zone
			zone = *in.TimeZone
		}
		if _, err := tx.Exec(ctx, `UPDATE org SET name = ?, time_zone = ? WHERE id = ?`, name, zone, id); err != nil {
			return fmt.Errorf("store: update org: %w", err)
		}
		_, err := tx.record(ctx, a, "org.update", "org", id, details)
		return err
	})
	if err != nil {
		return nil, err
	}
	return s.Org(ctx)
}

// Authenticate checks a password, throttled per account and client address
// from failures counted in the database (auth.Throttle decides). A failure
// is recorded, and may queue an email to the account's user. It does the
// same work for an unknown email as for an account, so neither the answer
// nor its timing tells whether the email exists.
func (s *Accounts) Authenticate(ctx context.Context, email, password, addr string) (*keyward.User, error) {
	email = strings.ToLower(strings.TrimSpace(email))
	addr = auth.ThrottleAddress(addr)
	now := s.db.Now()
	var hash string
	u, _, err := scanUser(s.db.queryRow(ctx, `SELECT `+userCols+` FROM users WHERE email = ?`, email))
	if err == nil {
		err = s.db.queryRow(ctx, `SELECT password_hash FROM users WHERE id = ?`, u.ID).Scan(&hash)
	}
	active := err == nil && !u.Disabled // an account that may sign in
	userID := ""
	if active {
		userID = u.ID
	}
	counts, err := s.signInCounts(ctx, userID, email, addr, stepPassword, now)
	if err != nil {
		return nil, err
	}
	counts.SecondFactor = active && u.TOTPEnabled
	if ok, wait := s.throttle.Allowed(counts, now); !ok {
		return nil, tooManySignIns(wait)
	}
	ok := false
	if active {
		ok, _ = auth.VerifyPassword(hash, password)
	} else {
		// Spend the same time on an unknown account, so timing does not reveal which emails exist.
		_, _ = auth.HashPassword(password)
	}
	if !ok {
		if !active {
			u = nil
		}
		if err := s.signInFailed(ctx, u, email, addr, stepPassword); err != nil {
			return nil, err
		}
		return nil, keyward.Errorf(keyward.EUNAUTHORIZED, "wrong email or password")
	}
	return u, nil
}

// NeedsTOTP reports whether the user has an authenticator (then every
// sign-in asks for its code) and whether the organization requires one of
// them: every role that can see secrets (keyward.TOTPRequired).
func (s *Accounts) NeedsTOTP(ctx context.Context, u *keyward.User) (enrolled bool, required bool) {
	org, err := s.Org(ctx)
	required = err == nil && keyward.TOTPRequired(org.RequireTOTP, u.Role)
	return u.TOTPEnabled, required
}

// CheckTOTP verifies a code for the user and refuses a code of an already-used time step.
func (s *Accounts) CheckTOTP(ctx context.Context, userID, code string) error {
	return s.db.withTx(ctx, func(tx *Tx) error {
		var sealed sql.NullString
		var lastStep int64
		if err := tx.QueryRow(ctx, `SELECT totp_secret, totp_last_step FROM users WHERE id = ?`, userID).Scan(&sealed, &lastStep); err != nil {
			return notFound(err, "user", userID)
		}
		if !sealed.Valid {
			return keyward.Errorf(keyward.ECONFLICT, "no authenticator is enrolled")
		}
		secret, err := s.vault.Open(sealed.String, totpAAD(userID))
		if err != nil {
			return err
		}
		step, ok := auth.VerifyTOTP(secret.Reveal(), code, tx.now)
		if !ok || step <= lastStep {
			return &keyward.Error{Code: keyward.EUNAUTHORIZED, Message: "the authenticator code is wrong or was already used",
				Fields: []keyward.FieldError{{Field: "code", Rule: "must be the current 6-digit code"}}}
		}
		_, err = tx.Exec(ctx, `UPDATE users SET totp_last_step = ? WHERE id = ?`, step, userID)
		return err
	})
}

// EnrolTOTP stores a new authenticator secret once the user proves it with a code.
func (s *Accounts) EnrolTOTP(ctx context.Context, a keyward.Actor, secret, code string) error {
	step, ok := auth.VerifyTOTP(secret, code, s.db.Now())
	if !ok {
		return &keyward.Error{Code: keyward.EINVALID, Message: "the code does not match the new secret",
			Fields: []keyward.FieldError{{Field: "code", Rule: "must be the current 6-digit code from the authenticator"}}}
	}
	return s.db.withTx(ctx, func(tx *Tx) error {
		sealed := s.vault.Seal(keyward.Secret(secret), totpAAD(a.UserID))
		if _, err := tx.Exec(ctx, `UPDATE users SET totp_secret = ?, totp_last_step = ? WHERE id = ?`, sealed, step, a.UserID); err != nil {
			return err
		}
		_, err := tx.record(ctx, a, "user.totp_enrol", "user", a.UserID, nil)
		return err
	})
}

// SetTOTPRule switches the organization's authenticator rule for everyone
// who can see secrets, and its grace period. Switching it on (from off)
// starts the grace; saving it on again keeps the start it had.
func (s *Accounts) SetTOTPRule(ctx context.Context, a keyward.Actor, in keyward.TOTPRule) error {
	if err := s.db.recordDenial(ctx, a, keyward.ActOrgManage, "org", ""); err != nil {
		return err
	}
	if err := in.Validate(); err != nil {
		return err
	}
	return s.db.withTx(ctx, func(tx *Tx) error {
		var was int
		var since sql.NullString
		if err := tx.QueryRow(ctx, `SELECT require_totp, require_totp_since FROM org`).Scan(&was, &since); err != nil {
			return notFound(err, "organization", "")
		}
		switch {
		case !in.Require:
			since = sql.NullString{}
		case was == 0 || !since.Valid:
			since = sql.NullString{String: ts(tx.now), Valid: true}
		}
		if _, err := tx.Exec(ctx, `UPDATE org SET require_totp = ?, require_totp_since = ?, totp_grace_days = ?`, b2i(in.Require), since, in.GraceDays); err != nil {
			return err
		}
		_, err := tx.record(ctx, a, "org.require_totp", "org", "", map[string]any{"require_totp": in.Require, "totp_grace_days": in.GraceDays})
		return err
	})
}

// RevealStanding is the acting user's standing before a reveal: their
// role, whether they have an authenticator, and the organization's rule
// with the end of their grace period on the organization's clock.
func (s *Accounts) RevealStanding(ctx context.Context, a keyward.Actor) (keyward.RevealStanding, error) {
	return s.db.revealStanding(ctx, a)
}

// CreateSession starts a browser session; mfaDone is false until a required second factor is given.
func (s *Accounts) CreateSession(ctx context.Context, u *keyward.User, mfaDone bool) (string, error) {
	id, hash := auth.NewSessionID()
	err := s.db.withTx(ctx, func(tx *Tx) error {
		if _, err := tx.Exec(ctx, `INSERT INTO sessions (id_hash, user_id, created_at, expires_at, mfa_done) VALUES (?, ?, ?, ?, ?)`,
			hash, u.ID, ts(tx.now), ts(tx.now.Add(SessionTTL)), b2i(mfaDone)); err != nil {
			return err
		}
		_, err := tx.record(ctx, keyward.Actor{UserID: u.ID, Email: u.Email, Role: u.Role}, "session.create", "user", u.ID, map[string]any{"mfa_done": mfaDone})
		return err
	})
	return id, err
}

// CompleteMFA marks a session as having passed its second factor.
func (s *Accounts) CompleteMFA(ctx context.Context, sessionID string) error {
	_, err := s.db.db.ExecContext(ctx, s.db.rebind(`UPDATE sessions SET mfa_done = 1 WHERE id_hash = ?`), auth.HashToken(sessionID))
	return err
}

// Session resolves a session cookie. mfaDone false means only the second-factor page may be used.
func (s *Accounts) Session(ctx context.Context, sessionID string) (keyward.Actor, bool, error) {
	var userID, exp string
	var mfa int
	err := s.db.queryRow(ctx, `SELECT user_id, expires_at, mfa_done FROM sessions WHERE id_hash = ?`, auth.HashToken(sessionID)).Scan(&userID, &exp, &mfa)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return keyward.Actor{}, false, fmt.Errorf("store: session: %w", err)
	}
	if err != nil || !parseTS(exp).After(s.db.Now()) {
		return keyward.Actor{}, false, keyward.Errorf(keyward.EUNAUTHORIZED, "session expired; sign in again")
	}
	a, err := s.actor(ctx, userID)
	return a, mfa == 1, err
}

// DeleteSession signs out.
func (s *Accounts) DeleteSession(ctx context.Context, sessionID string) error {
	_, err := s.db.db.ExecContext(ctx, s.db.rebind(`DELETE FROM sessions WHERE id_hash = ?`), auth.HashToken(sessionID))
	return err
}

func (s *Accounts) actor(ctx context.Context, userID string) (keyward.Actor, error) {
	u, err := s.User(ctx, userID)
	if err != nil && keyward.ErrorCode(err) == keyward.EINTERNAL {
		return keyward.Actor{}, err
	}
	if err != nil || u.Disabled {
		return keyward.Actor{}, keyward.Errorf(keyward.EUNAUTHORIZED, "account is disabled")
	}
	return keyward.Actor{UserID: u.ID, Email: u.Email, Role: u.Role, HolderID: u.HolderID, MustChangePassword: u.MustChangePassword}, nil
}

// CreateToken issues an API token for the user with that email and returns
// the plaintext, shown once. See MintToken.
func (s *Accounts) CreateToken(ctx context.Context, a keyward.Actor, email, name string) (string, error) {
	_, plain, err := s.MintToken(ctx, a, email, name)
	return plain, err
}

// MintToken issues an API token for the user with that email: the token as
// listed, and its plaintext (stored only as a hash). Users mint only their own
// tokens (keyward.MayMintToken); a refusal is recorded in the audit log. The
// audit record of a mint names who minted it (the actor) and for whom.
func (s *Accounts) MintToken(ctx context.Context, a keyward.Actor, email, name string) (*keyward.APIToken, string, error) {
	email = keyward.NormalEmail(email)
	var v keyward.Validator
	v.Check(name != "" && len(name) <= keyward.MaxName, "name", "is required, at most 200 characters")
	keyward.CheckEmail(&v, "user", email, true)
	if err := v.Err(); err != nil {
		return nil, "", err
	}
	if denied := keyward.MayMintToken(a, email); denied != nil {
		return nil, "", s.db.recordRefusal(ctx, a, "token.create", "user", "", map[string]any{"user": email, "name": name}, denied)
	}
	plain, hash := auth.NewToken("kw_")
	var out *keyward.APIToken
	err := s.db.withTx(ctx, func(tx *Tx) error {
		u, _, err := scanUser(tx.QueryRow(ctx, `SELECT `+userCols+` FROM users WHERE email = ?`, email))
		if err != nil {
			return notFound(err, "user", email)
		}
		out = &keyward.APIToken{ID: newID("tok"), Name: name, UserID: u.ID, User: u.Email, CreatedAt: tx.now}
		if _, err := tx.Exec(ctx, `INSERT INTO api_tokens (id, user_id, name, token_hash, created_at) VALUES (?, ?, ?, ?, ?)`,
			out.ID, u.ID, name, hash, ts(tx.now)); err != nil {
			return err
		}
		_, err = tx.record(ctx, a, "token.create", "user", u.ID, map[string]any{"token_id": out.ID, "name": name, "user": u.Email})
		return err
	})
	if err != nil {
		return nil, "", err
	}
	return out, plain, nil
}

const tokenCols = `t.id, t.name, t.user_id, u.email, t.created_at, t.expires_at, t.revoked_at`

func scanToken(r interface{ Scan(...any) error }) (*keyward.APIToken, error) {
	var t keyward.APIToken
	var at string
	var exp, rev sql.NullString
	if err := r.Scan(&t.ID, &t.Name, &t.UserID, &t.User, &at, &exp, &rev); err != nil {
		return nil, err
	}
	t.CreatedAt, t.ExpiresAt, t.RevokedAt = parseTS(at), tsPtr(exp), tsPtr(rev)
	return &t, nil
}

// Tokens lists the API tokens that have not been revoked, by user then age:
// the caller's own, one user's, or everyone's (keyward.MayListTokens).
// ENOTFOUND for an unknown user.
func (s *Accounts) Tokens(ctx context.Context, a keyward.Actor, f keyward.TokenFilter) ([]keyward.APIToken, error) {
	if denied := keyward.MayListTokens(a, f); denied != nil {
		return nil, denied
	}
	q := `SELECT ` + tokenCols + ` FROM api_tokens t JOIN users u ON u.id = t.user_id WHERE t.revoked_at IS NULL`
	var args []any
	switch {
	case f.All:
	case f.UserID != "":
		if _, err := s.User(ctx, f.UserID); err != nil {
			return nil, err
		}
		q, args = q+` AND t.user_id = ?`, append(args, f.UserID)
	default:
		q, args = q+` AND t.user_id = ?`, append(args, a.UserID)
	}
	rows, err := s.db.query(ctx, q+` ORDER BY u.email, t.created_at, t.id`, args...)
	if err != nil {
		return nil, fmt.Errorf("store: list tokens: %w", err)
	}
	defer rows.Close()
	out := []keyward.APIToken{}
	for rows.Next() {
		t, err := scanToken(rows)
		if err != nil {
			return nil, fmt.Errorf("store: scan token: %w", err)
		}
		out = append(out, *t)
	}
	return out, rows.Err()
}

// RevokeToken revokes an API token at once: one's own, or anyone's with
// token.manage (keyward.MayManageTokensOf; a refusal is recorded). ENOTFOUND
// for an unknown or already revoked token. The audit record names who revoked
// it (the actor) and whose token it was.
func (s *Accounts) RevokeToken(ctx context.Context, a keyward.Actor, id string) (*keyward.APIToken, error) {
	var out *keyward.APIToken
	var denied error
	err := s.db.withTx(ctx, func(tx *Tx) error {
		t, err := scanToken(tx.QueryRow(ctx, `SELECT `+tokenCols+` FROM api_tokens t JOIN users u ON u.id = t.user_id WHERE t.id = ? AND t.revoked_at IS NULL`, id))
		if err != nil {
			return notFound(err, "API token", id)
		}
		if denied = keyward.MayManageTokensOf(a, t.UserID); denied != nil {
			out = t
			return denied
		}
		res, err := tx.Exec(ctx, `UPDATE api_tokens SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL`, ts(tx.now), id)
		if err != nil {
			return fmt.Errorf("store: revoke token: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return keyward.Errorf(keyward.ENOTFOUND, "API token %q not found", id)
		}
		now := tx.now
		t.RevokedAt = &now
		out = t
		_, err = tx.record(ctx, a, "token.revoke", "user", t.UserID, map[string]any{"token_id": t.ID, "name": t.Name, "user": t.User})
		return err
	})
	if denied != nil {
		return nil, s.db.recordRefusal(ctx, a, "token.revoke", "user", out.UserID, map[string]any{"token_id": id, "user": out.User}, denied)
	}
	if err != nil {
		return nil, err
	}
	return out, nil
}

// TokenActor resolves a bearer token.
func (s *Accounts) TokenActor(ctx context.Context, plain string) (keyward.Actor, error) {
	var userID string
	var exp sql.NullString
	err := s.db.queryRow(ctx, `SELECT user_id, expires_at FROM api_tokens WHERE token_hash = ? AND revoked_at IS NULL`, auth.HashToken(plain)).Scan(&userID, &exp)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		// The database did not answer: not the token's fault (a 503, not a 401).
		return keyward.Actor{}, fmt.Errorf("store: token: %w", err)
	}
	if err != nil || (exp.Valid && !parseTS(exp.String).After(s.db.Now())) {
		return keyward.Actor{}, keyward.Errorf(keyward.EUNAUTHORIZED, "missing, unknown or expired API token")
	}
	return s.actor(ctx, userID)
}

// ChangePassword sets a new password after checking the old one.
func (s *Accounts) ChangePassword(ctx context.Context, a keyward.Actor, old, pw string) error {
	var hash string
	if err := s.db.queryRow(ctx, `SELECT password_hash FROM users WHERE id = ?`, a.UserID).Scan(&hash); err != nil {
		return notFound(err, "user", a.UserID)
	}
	if ok, _ := auth.VerifyPassword(hash, old); !ok {
		return keyward.Invalid("current_password", "is wrong")
	}
	if err := auth.CheckPasswordPolicy(pw, a.Email); err != nil {
		return keyward.Invalid("new_password", err.(*auth.PolicyError).Rule)
	}
	if same, _ := auth.VerifyPassword(hash, pw); same {
		return keyward.Invalid("new_password", "must differ from the current password")
	}
	newHash, err := auth.HashPassword(pw)
	if err != nil {
		return err
	}
	return s.db.withTx(ctx, func(tx *Tx) error {
		return tx.setPassword(ctx, a, a.UserID, newHash, "user.password_change")
	})
}
