-- Notification settings: paused webhooks, who gets email for which event,
-- and how each delivery channel (email, each webhook) has been doing.

-- A paused webhook gets no new events; what was queued waits for it.
ALTER TABLE webhooks ADD COLUMN paused INTEGER NOT NULL DEFAULT 0;

-- One row per event whose recipients the organization chose; an event
-- without a row uses keyward.DefaultRecipients.
CREATE TABLE notify_recipients (
    event TEXT PRIMARY KEY,
    holder INTEGER NOT NULL DEFAULT 0,
    roles TEXT NOT NULL DEFAULT '',       -- comma-separated roles
    addresses TEXT NOT NULL DEFAULT '',   -- comma-separated addresses
    updated_at TEXT NOT NULL
);

-- channel is 'email' or a webhook's id; failures counts failed attempts
-- since the last success, written with the attempt's outcome.
CREATE TABLE delivery_health (
    channel TEXT PRIMARY KEY,
    failures INTEGER NOT NULL DEFAULT 0,
    last_ok_at TEXT,
    last_failed_at TEXT,
    last_error TEXT NOT NULL DEFAULT ''
);

CREATE INDEX outbox_target ON outbox (target, created_at);
