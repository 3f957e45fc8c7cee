-- First run: invite links, the forced change of a password someone else was
-- given, and the getting-started checklist an owner may put away.
-- Portable SQL for SQLite and PostgreSQL: text ids, fixed-width UTC text
-- times, 0/1 integer booleans.

-- 1 until the user chooses their own password: set when Keyward generated
-- the password (or an invite stands in for one), cleared when they set one.
ALTER TABLE users ADD COLUMN must_change_password INTEGER NOT NULL DEFAULT 0;

-- One-time links that let a new user set their own password. Only the
-- token's hash is kept. A link is used once (used_at), expires, and is
-- replaced by a newer link for the same account (replaced_at).
CREATE TABLE user_invites (
    id TEXT PRIMARY KEY,
    token_hash TEXT NOT NULL UNIQUE,
    user_id TEXT NOT NULL REFERENCES users (id),
    created_by TEXT NOT NULL,       -- user id
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL,
    used_at TEXT,
    replaced_at TEXT
);
CREATE INDEX user_invites_user ON user_invites (user_id);

-- When an owner put the getting-started checklist away; NULL: shown until done.
ALTER TABLE org ADD COLUMN checklist_dismissed_at TEXT;
