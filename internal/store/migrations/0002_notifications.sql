-- Overdue reminders and the outbox of webhook and email deliveries.

-- checkout_id names one check-out, so each overdue check-out is noticed once.
ALTER TABLE keys ADD COLUMN checkout_id TEXT;

CREATE TABLE webhooks (
    id TEXT PRIMARY KEY,
    url TEXT NOT NULL,
    secret_sealed TEXT NOT NULL,
    events TEXT NOT NULL,
    disabled INTEGER NOT NULL DEFAULT 0,
    created_at TEXT NOT NULL
);

-- One row per overdue check-out: the primary key is the claim that makes the
-- reminder happen exactly once, however many servers run the scheduler.
CREATE TABLE overdue_notices (
    checkout_id TEXT PRIMARY KEY,
    key_id TEXT NOT NULL REFERENCES keys (id),
    holder_id TEXT,
    due_at TEXT NOT NULL,
    noticed_at TEXT NOT NULL
);

CREATE TABLE outbox (
    id TEXT PRIMARY KEY,
    kind TEXT NOT NULL,          -- webhook or email
    target TEXT NOT NULL,        -- webhook id or email address
    event TEXT NOT NULL,
    subject TEXT NOT NULL DEFAULT '',
    body TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    next_at TEXT NOT NULL,
    status TEXT NOT NULL,        -- pending, sent, failed
    claimed_until TEXT,
    last_error TEXT NOT NULL DEFAULT '',
    created_at TEXT NOT NULL,
    sent_at TEXT
);
CREATE INDEX outbox_due ON outbox (status, next_at);
