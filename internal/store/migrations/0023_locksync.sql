-- Lock sync: the locks Keyward pushes state to over MQTT, what each should
-- accept (its desired state, versioned) and what it acknowledged, temporary
-- codes and the PIN slots they hold, and each lock's logbook.
-- Portable SQL for SQLite and PostgreSQL: text ids, fixed-width UTC text
-- times, 0/1 integer booleans, JSON lists as text.

CREATE TABLE sync_locks (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    adapter TEXT NOT NULL,          -- keyward | zigbee2mqtt
    device TEXT,                    -- the zigbee2mqtt friendly name
    slots INTEGER NOT NULL,         -- how many PIN slots the lock has
    secret_sealed TEXT NOT NULL,    -- the lock secret (PIN MACs, offline codes), sealed
    access_lock TEXT,               -- the key hierarchy's lock id, when linked
    version INTEGER NOT NULL DEFAULT 0,        -- the desired state's version
    intended TEXT NOT NULL DEFAULT '[]',       -- its entries ("key:<id>", "pin:<n>"), sorted
    acked_version INTEGER NOT NULL DEFAULT 0,  -- the last version the lock acknowledged
    acked TEXT NOT NULL DEFAULT '[]',          -- the entries it acknowledged holding
    online INTEGER NOT NULL DEFAULT 0,
    last_seen TEXT,
    created_at TEXT NOT NULL
);
CREATE UNIQUE INDEX sync_locks_device ON sync_locks (device);

-- Temporary PINs: a one-off window, weekly hours or a use count (schedule,
-- JSON). Only the secret link's hash is kept; the PIN is sealed.
CREATE TABLE temp_codes (
    id TEXT PRIMARY KEY,
    recipient TEXT NOT NULL,
    email TEXT,
    schedule TEXT NOT NULL,
    pin_sealed TEXT NOT NULL,
    link_hash TEXT NOT NULL UNIQUE,
    used INTEGER NOT NULL DEFAULT 0,
    created_by TEXT NOT NULL,
    created_at TEXT NOT NULL,
    revoked_at TEXT
);

-- The slot a temporary code holds on each of its locks. A slot is released
-- once its code has ended and the lock no longer reports holding it; until
-- then no other code may take it.
CREATE TABLE temp_code_slots (
    code_id TEXT NOT NULL REFERENCES temp_codes (id),
    lock_id TEXT NOT NULL REFERENCES sync_locks (id),
    slot INTEGER NOT NULL,
    released_at TEXT,
    PRIMARY KEY (code_id, lock_id)
);
CREATE UNIQUE INDEX temp_code_slots_live ON temp_code_slots (lock_id, slot) WHERE released_at IS NULL;

-- A lock's logbook: who opened it, and refused attempts, as the lock reported.
CREATE TABLE lock_events (
    id TEXT PRIMARY KEY,
    lock_id TEXT NOT NULL REFERENCES sync_locks (id),
    at TEXT NOT NULL,
    received_at TEXT NOT NULL,
    opened INTEGER NOT NULL,
    method TEXT NOT NULL,
    slot INTEGER,
    key_id TEXT,
    code_id TEXT,
    who TEXT
);
CREATE INDEX lock_events_lock ON lock_events (lock_id, at);
