-- Foundation: the organization, accounts, the inventory, custody and the audit log.
-- Portable SQL: it runs unchanged on SQLite and PostgreSQL. Times are fixed-width
-- UTC text (they sort as strings); booleans are 0/1 integers; ids are text.

CREATE TABLE org (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    time_zone TEXT NOT NULL,
    require_totp INTEGER NOT NULL DEFAULT 0,
    csrf_key TEXT NOT NULL,
    created_at TEXT NOT NULL
);

-- One-time setup links for the first owner, stored hashed.
CREATE TABLE setup_tokens (
    token_hash TEXT PRIMARY KEY,
    created_at TEXT NOT NULL,
    used_at TEXT
);

CREATE TABLE holders (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    email TEXT,
    phone TEXT NOT NULL DEFAULT '',
    kind TEXT NOT NULL,
    signatory INTEGER NOT NULL DEFAULT 0,
    emergency_contact INTEGER NOT NULL DEFAULT 0,
    created_at TEXT NOT NULL
);
CREATE UNIQUE INDEX holders_email ON holders (email);
CREATE INDEX holders_name ON holders (name, id);

CREATE TABLE users (
    id TEXT PRIMARY KEY,
    email TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    role TEXT NOT NULL,
    holder_id TEXT REFERENCES holders (id),
    password_hash TEXT NOT NULL,
    totp_secret TEXT,
    totp_last_step BIGINT NOT NULL DEFAULT 0,
    disabled INTEGER NOT NULL DEFAULT 0,
    created_at TEXT NOT NULL
);

CREATE TABLE sessions (
    id_hash TEXT PRIMARY KEY,
    user_id TEXT NOT NULL REFERENCES users (id),
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL,
    -- 0 until the second factor is given, for accounts that have one.
    mfa_done INTEGER NOT NULL DEFAULT 0
);

CREATE TABLE api_tokens (
    id TEXT PRIMARY KEY,
    user_id TEXT NOT NULL REFERENCES users (id),
    name TEXT NOT NULL,
    token_hash TEXT NOT NULL UNIQUE,
    created_at TEXT NOT NULL,
    expires_at TEXT,
    revoked_at TEXT
);

CREATE TABLE login_failures (
    id TEXT PRIMARY KEY,
    email TEXT NOT NULL,
    addr TEXT NOT NULL,
    at TEXT NOT NULL
);
CREATE INDEX login_failures_email ON login_failures (email, at);
CREATE INDEX login_failures_addr ON login_failures (addr, at);

CREATE TABLE sites (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    address TEXT NOT NULL DEFAULT '',
    created_at TEXT NOT NULL
);
CREATE INDEX sites_name ON sites (name, id);

CREATE TABLE openings (
    id TEXT PRIMARY KEY,
    site_id TEXT NOT NULL REFERENCES sites (id),
    name TEXT NOT NULL,
    kind TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE INDEX openings_site ON openings (site_id, name, id);

CREATE TABLE keyways (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    manufacturer TEXT NOT NULL DEFAULT '',
    duplication_policy TEXT NOT NULL,
    created_at TEXT NOT NULL
);

CREATE TABLE keys (
    id TEXT PRIMARY KEY,
    keyway_id TEXT NOT NULL REFERENCES keyways (id),
    symbol TEXT NOT NULL,
    copy_number INTEGER NOT NULL,
    status TEXT NOT NULL,
    holder_id TEXT REFERENCES holders (id),
    due_at TEXT,
    created_at TEXT NOT NULL,
    UNIQUE (symbol, copy_number)
);
CREATE INDEX keys_holder ON keys (holder_id);
CREATE INDEX keys_status ON keys (status, due_at);

-- The logbook. audit_seq orders events exactly as the audit log does.
CREATE TABLE custody_events (
    id TEXT PRIMARY KEY,
    key_id TEXT NOT NULL REFERENCES keys (id),
    action TEXT NOT NULL,
    at TEXT NOT NULL,
    actor TEXT NOT NULL,
    actor_role TEXT NOT NULL,
    holder_id TEXT,
    due_at TEXT,
    note TEXT NOT NULL DEFAULT '',
    audit_seq BIGINT NOT NULL
);
CREATE INDEX custody_events_key ON custody_events (key_id, audit_seq);
CREATE INDEX custody_events_holder ON custody_events (holder_id, audit_seq);

-- The tamper-evident audit log and its head (one row: the last seq and hash),
-- which every appending transaction locks, so appends form one chain even with
-- several servers on one PostgreSQL.
CREATE TABLE audit_log (
    seq BIGINT PRIMARY KEY,
    id TEXT NOT NULL,
    at TEXT NOT NULL,
    actor TEXT NOT NULL,
    actor_role TEXT NOT NULL,
    action TEXT NOT NULL,
    subject_type TEXT NOT NULL,
    subject_id TEXT NOT NULL,
    details TEXT NOT NULL,
    prev_hash TEXT NOT NULL,
    hash TEXT NOT NULL
);
CREATE INDEX audit_log_subject ON audit_log (subject_type, subject_id, seq);
CREATE INDEX audit_log_action ON audit_log (action, seq);

CREATE TABLE audit_head (
    id INTEGER PRIMARY KEY,
    seq BIGINT NOT NULL,
    hash TEXT NOT NULL
);
INSERT INTO audit_head (id, seq, hash) VALUES (1, 0, '0000000000000000000000000000000000000000000000000000000000000000');

-- Idempotency keys: a retried POST answers with the first response.
CREATE TABLE idempotency (
    user_id TEXT NOT NULL,
    key TEXT NOT NULL,
    request_hash TEXT NOT NULL,
    status INTEGER NOT NULL,
    body TEXT NOT NULL,
    created_at TEXT NOT NULL,
    PRIMARY KEY (user_id, key)
);
