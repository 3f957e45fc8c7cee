package store

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/keyward/keyward/internal/auth"
	"github.com/keyward/keyward/internal/keyward"
)

// EventInvite is the outbox event of the email that carries an invite link.
const EventInvite = "user.invite"

// EmailInvites turns on emailing invite links to new users. Turn it on when
// email is configured; otherwise the link is shown to whoever made it.
func (s *Accounts) EmailInvites(on bool) *Accounts {
	s.inviteEmail = on
	return s
}

// InviteUser creates an account with a generated password nobody is shown,
// which must be replaced, and an invite link for it, in one transaction.
func (s *Accounts) InviteUser(ctx context.Context, a keyward.Actor, in keyward.UserInput, base string) (*keyward.User, *keyward.InviteLink, error) {
	if base == "" {
		return nil, nil, keyward.Invalid("base", "is required: where people reach Keyward")
	}
	in.Password = ""
	u, _, link, err := s.createAccount(ctx, a, in, base)
	return u, link, err
}

// NewInvite replaces the links of an account that has not chosen its own
// password yet with a new one.
func (s *Accounts) NewInvite(ctx context.Context, a keyward.Actor, userID, base string) (*keyward.InviteLink, error) {
	if err := s.db.recordDenial(ctx, a, keyward.ActUserManage, "user", userID); err != nil {
		return nil, err
	}
	var link *keyward.InviteLink
	err := s.db.withTx(ctx, func(tx *Tx) error {
		u, _, err := scanUser(tx.QueryRow(ctx, `SELECT `+userCols+` FROM users WHERE id = ?`, userID))
		if err != nil {
			return notFound(err, "user", userID)
		}
		switch {
		case u.Disabled:
			return keyward.Errorf(keyward.ECONFLICT, "%s is disabled; enable the account before inviting again", u.Email)
		case !u.MustChangePassword:
			return keyward.Errorf(keyward.ECONFLICT, "%s has already chosen a password", u.Email)
		case u.Role == keyward.RoleOwner && a.Role != keyward.RoleOwner && a.Role != keyward.RoleSystem:
			return keyward.Errorf(keyward.EFORBIDDEN, "only an owner may invite an owner")
		}
		link, err = s.invite(ctx, tx, a, u, base)
		return err
	})
	return link, err
}

// invite makes a link for u, replacing any earlier unused one, queues the
// email when invites are emailed, and records it. The token is kept only as
// a hash; an emailed link waits in the outbox like any email.
func (s *Accounts) invite(ctx context.Context, tx *Tx, a keyward.Actor, u *keyward.User, base string) (*keyward.InviteLink, error) {
	if _, err := tx.Exec(ctx, `UPDATE user_invites SET replaced_at = ? WHERE user_id = ? AND used_at IS NULL AND replaced_at IS NULL`, ts(tx.now), u.ID); err != nil {
		return nil, fmt.Errorf("store: replace invites: %w", err)
	}
	plain, hash := auth.NewToken("inv_")
	link := &keyward.InviteLink{Token: plain, URL: keyward.InviteURL(base, plain), ExpiresAt: tx.now.Add(keyward.InviteTTL), Emailed: s.inviteEmail}
	id := newID("inv")
	if _, err := tx.Exec(ctx, `INSERT INTO user_invites (id, token_hash, user_id, created_by, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?)`,
		id, hash, u.ID, a.UserID, ts(tx.now), ts(link.ExpiresAt)); err != nil {
		return nil, fmt.Errorf("store: insert invite: %w", err)
	}
	if link.Emailed {
		org := "your organization"
		var name string
		if err := tx.QueryRow(ctx, `SELECT name FROM org`).Scan(&name); err == nil && name != "" {
			org = name
		}
		subject := "You are invited to Keyward (" + org + ")"
		body := fmt.Sprintf("Hello %s,\r\n\r\n%s invited you to keep track of keys with %s in Keyward.\r\n\r\n"+
			"Open this link to choose your password (it works once, until %s):\r\n\r\n  %s\r\n\r\n"+
			"Then sign in with your email, %s, and the password you chose.\r\n\r\nKeyward",
			u.Name, a.Email, org, link.ExpiresAt.UTC().Format("2 Jan 2006 15:04 UTC"), link.URL, u.Email)
		if _, err := tx.enqueue(ctx, "email", u.Email, EventInvite, subject, body); err != nil {
			return nil, err
		}
	}
	_, err := tx.record(ctx, a, "user.invite", "user", u.ID, map[string]any{
		"invite_id": id, "email": u.Email, "expires_at": ts(link.ExpiresAt), "emailed": link.Emailed})
	return link, err
}

// inviteByToken reads the invite a token names, with its account.
func (t *Tx) inviteByToken(ctx context.Context, token string) (string, *keyward.Invite, error) {
	var inv keyward.Invite
	var id, created, expires string
	var used, replaced sql.NullString
	var dis int
	err := t.QueryRow(ctx, `SELECT i.id, i.user_id, u.email, u.name, u.role, u.disabled, i.created_at, i.expires_at, i.used_at, i.replaced_at
		FROM user_invites i JOIN users u ON u.id = i.user_id WHERE i.token_hash = ?`, auth.HashToken(token)).
		Scan(&id, &inv.UserID, &inv.Email, &inv.Name, &inv.Role, &dis, &created, &expires, &used, &replaced)
	if err == sql.ErrNoRows {
		return "", nil, keyward.Errorf(keyward.ENOTFOUND, "this invite link is not valid; check that the whole link was copied, or ask for a new one")
	}
	if err != nil {
		return "", nil, fmt.Errorf("store: read invite: %w", err)
	}
	inv.CreatedAt, inv.ExpiresAt, inv.UsedAt = parseTS(created), parseTS(expires), tsPtr(used)
	inv.Replaced, inv.Disabled = replaced.Valid, dis == 1
	return id, &inv, nil
}

// Invite resolves an invite token that may still be used (keyward.MayUseInvite).
func (s *Accounts) Invite(ctx context.Context, token string) (*keyward.Invite, error) {
	var inv *keyward.Invite
	err := s.db.withTx(ctx, func(tx *Tx) error {
		var err error
		if _, inv, err = tx.inviteByToken(ctx, token); err != nil {
			return err
		}
		return keyward.MayUseInvite(*inv, tx.now)
	})
	if err != nil {
		return nil, err
	}
	return inv, nil
}

// AcceptInvite sets the invited account's password, once: the link is
// marked used by an UPDATE guarded on its state, so of two uses at once
// only one sets a password.
func (s *Accounts) AcceptInvite(ctx context.Context, token, password string) (*keyward.User, error) {
	inv, err := s.Invite(ctx, token)
	if err != nil {
		return nil, err
	}
	if err := auth.CheckPasswordPolicy(password, inv.Email); err != nil {
		return nil, keyward.Invalid("password", err.(*auth.PolicyError).Rule)
	}
	hash, err := auth.HashPassword(password)
	if err != nil {
		return nil, err
	}
	err = s.db.withTx(ctx, func(tx *Tx) error {
		id, inv, err := tx.inviteByToken(ctx, token)
		if err != nil {
			return err
		}
		if err := keyward.MayUseInvite(*inv, tx.now); err != nil {
			return err
		}
		res, err := tx.Exec(ctx, `UPDATE user_invites SET used_at = ? WHERE id = ? AND used_at IS NULL AND replaced_at IS NULL`, ts(tx.now), id)
		if err != nil {
			return fmt.Errorf("store: use invite: %w", err)
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return keyward.Errorf(keyward.ECONFLICT, "this invite link was already used; sign in with the password you chose, or ask for a new link")
		}
		who := keyward.Actor{UserID: inv.UserID, Email: inv.Email, Role: inv.Role}
		return tx.setPassword(ctx, who, inv.UserID, hash, "user.invite_accept", "invite_id", id)
	})
	if err != nil {
		return nil, err
	}
	return s.User(ctx, inv.UserID)
}

// SetOwnPassword replaces a password the user was given, at their first
// sign-in: they proved it by signing in with it, and the new one must differ.
func (s *Accounts) SetOwnPassword(ctx context.Context, a keyward.Actor, password string) error {
	u, _, err := scanUser(s.db.queryRow(ctx, `SELECT `+userCols+` FROM users WHERE id = ?`, a.UserID))
	if err != nil {
		return notFound(err, "user", a.UserID)
	}
	if !u.MustChangePassword {
		return keyward.Errorf(keyward.ECONFLICT, "your password was already chosen; change it on your account page")
	}
	var hash string
	if err := s.db.queryRow(ctx, `SELECT password_hash FROM users WHERE id = ?`, a.UserID).Scan(&hash); err != nil {
		return notFound(err, "user", a.UserID)
	}
	if err := auth.CheckPasswordPolicy(password, u.Email); err != nil {
		return keyward.Invalid("new_password", err.(*auth.PolicyError).Rule)
	}
	if same, _ := auth.VerifyPassword(hash, password); same {
		return keyward.Invalid("new_password", "must differ from the password you were given")
	}
	newHash, err := auth.HashPassword(password)
	if err != nil {
		return err
	}
	return s.db.withTx(ctx, func(tx *Tx) error {
		res, err := tx.Exec(ctx, `UPDATE users SET password_hash = ?, must_change_password = 0 WHERE id = ? AND must_change_password = 1`, newHash, a.UserID)
		if err != nil {
			return fmt.Errorf("store: set password: %w", err)
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return keyward.Errorf(keyward.ECONFLICT, "your password was already chosen; change it on your account page")
		}
		if _, err := tx.Exec(ctx, `UPDATE user_invites SET replaced_at = ? WHERE user_id = ? AND used_at IS NULL AND replaced_at IS NULL`, ts(tx.now), a.UserID); err != nil {
			return fmt.Errorf("store: retire invites: %w", err)
		}
		_, err = tx.record(ctx, a, "user.password_set", "user", a.UserID, map[string]any{"first_sign_in": true})
		return err
	})
}

// setPassword stores a new password hash for a user, clears the forced
// change and any unused invite, and records action with the extra details
// (name, value pairs).
func (t *Tx) setPassword(ctx context.Context, a keyward.Actor, userID, hash, action string, extra ...string) error {
	if _, err := t.Exec(ctx, `UPDATE users SET password_hash = ?, must_change_password = 0 WHERE id = ?`, hash, userID); err != nil {
		return fmt.Errorf("store: set password: %w", err)
	}
	if _, err := t.Exec(ctx, `UPDATE user_invites SET replaced_at = ? WHERE user_id = ? AND used_at IS NULL AND replaced_at IS NULL`, ts(t.now), userID); err != nil {
		return fmt.Errorf("store: retire invites: %w", err)
	}
	var details map[string]any
	if len(extra) > 0 {
		details = map[string]any{}
		for i := 0; i+1 < len(extra); i += 2 {
			details[extra[i]] = extra[i+1]
		}
	}
	_, err := t.record(ctx, a, action, "user", userID, details)
	return err
}
