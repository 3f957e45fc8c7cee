-- Storage places, the keying schedule, simple credentials and offboarding.
-- Portable SQL for SQLite and PostgreSQL: text ids, fixed-width UTC text times,
-- 0/1 integer booleans.

-- A place where keys live: a managed cabinet with numbered hooks, a lockbox
-- (its code sealed by the vault), a sealed envelope, or a designated holder.
CREATE TABLE storage_places (
    id TEXT PRIMARY KEY,
    kind TEXT NOT NULL,                 -- cabinet, lockbox, envelope, holder
    name TEXT NOT NULL,
    site_id TEXT REFERENCES sites (id),
    location TEXT NOT NULL DEFAULT '',
    hooks INTEGER NOT NULL DEFAULT 0,   -- cabinet: hooks numbered 1..hooks
    code_sealed TEXT,                   -- lockbox: vault-sealed code, never plaintext
    seal_number TEXT NOT NULL DEFAULT '', -- envelope: the current seal
    holder_id TEXT REFERENCES holders (id), -- designated holder
    acknowledged_at TEXT,               -- designated holder: owner's acknowledgement
    retired_at TEXT,
    created_at TEXT NOT NULL
);
CREATE INDEX storage_places_name ON storage_places (name, id);
CREATE INDEX storage_places_holder ON storage_places (holder_id);

-- A key's home: one row per key. UNIQUE (storage_id, hook) is the race guard
-- for "one key per hook"; hook is NULL outside cabinets.
CREATE TABLE key_homes (
    key_id TEXT PRIMARY KEY REFERENCES keys (id),
    storage_id TEXT NOT NULL REFERENCES storage_places (id),
    hook INTEGER,
    assigned_at TEXT NOT NULL,
    UNIQUE (storage_id, hook)
);

-- The logbook of a storage place: seals broken, codes revealed, keys placed.
CREATE TABLE storage_events (
    id TEXT PRIMARY KEY,
    storage_id TEXT NOT NULL REFERENCES storage_places (id),
    action TEXT NOT NULL,
    at TEXT NOT NULL,
    actor TEXT NOT NULL,
    actor_role TEXT NOT NULL,
    note TEXT NOT NULL DEFAULT '',
    audit_seq BIGINT NOT NULL
);
CREATE INDEX storage_events_place ON storage_events (storage_id, audit_seq);

-- The keying schedule: which key symbols operate which opening.
CREATE TABLE opening_symbols (
    opening_id TEXT NOT NULL REFERENCES openings (id),
    symbol TEXT NOT NULL,
    created_at TEXT NOT NULL,
    PRIMARY KEY (opening_id, symbol)
);
CREATE INDEX opening_symbols_symbol ON opening_symbols (symbol);

-- Simple credentials: PIN codes (sealed), cards and fobs.
CREATE TABLE credentials (
    id TEXT PRIMARY KEY,
    kind TEXT NOT NULL,                 -- pin, card, fob
    label TEXT NOT NULL DEFAULT '',
    number TEXT NOT NULL DEFAULT '',    -- card or fob number
    pin_sealed TEXT,                    -- pin: vault-sealed
    holder_id TEXT NOT NULL REFERENCES holders (id),
    valid_from TEXT NOT NULL,
    valid_until TEXT,
    revoked_at TEXT,
    revoke_reason TEXT NOT NULL DEFAULT '',
    created_at TEXT NOT NULL
);
CREATE INDEX credentials_holder ON credentials (holder_id, revoked_at);

CREATE TABLE credential_openings (
    credential_id TEXT NOT NULL REFERENCES credentials (id),
    opening_id TEXT NOT NULL REFERENCES openings (id),
    PRIMARY KEY (credential_id, opening_id)
);
CREATE INDEX credential_openings_opening ON credential_openings (opening_id);

-- "This person is leaving": open until cleared. One open offboarding per holder.
CREATE TABLE offboardings (
    id TEXT PRIMARY KEY,
    holder_id TEXT NOT NULL REFERENCES holders (id),
    note TEXT NOT NULL DEFAULT '',
    started_at TEXT NOT NULL,
    started_by TEXT NOT NULL,
    cleared_at TEXT,
    cleared_by TEXT
);
CREATE UNIQUE INDEX offboardings_open ON offboardings (holder_id) WHERE cleared_at IS NULL;
