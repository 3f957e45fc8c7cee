-- Master key systems: the key tree (bittings sealed with the vault, bound to
-- their row id), the keying schedule as cylinder pinnings with history, the
-- latest cross-key audit and lost-key rekey plans. Portable SQL as in 0001.

CREATE TABLE key_systems (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    spec TEXT NOT NULL,            -- JSON keying spec (not secret)
    levels TEXT NOT NULL,          -- JSON level names and sequences (no columns)
    top_symbol TEXT NOT NULL,
    macs_rejected INTEGER NOT NULL DEFAULT 0,
    audit_result TEXT NOT NULL DEFAULT '', -- JSON of the latest cross-key audit
    created_at TEXT NOT NULL
);

-- One row per key of the tree. Symbols are unique across systems, so a
-- stamped key (keys.symbol) names exactly one of them.
CREATE TABLE key_symbols (
    id TEXT PRIMARY KEY,
    system_id TEXT NOT NULL REFERENCES key_systems (id),
    symbol TEXT NOT NULL UNIQUE,
    parent_id TEXT,
    tier TEXT NOT NULL,            -- top, grand, master, change
    ord INTEGER NOT NULL,          -- generation order in the system
    bitting_sealed TEXT NOT NULL,  -- vault, aad "bitting:<id>"
    status TEXT NOT NULL DEFAULT 'active', -- active, lost, retired
    created_at TEXT NOT NULL
);
CREATE INDEX key_symbols_system ON key_symbols (system_id, ord);

-- A cylinder's pinning: the key list it was pinned for (symbol ids) and when.
-- A rekey ends the current row and adds a new one; the partial unique index
-- keeps one current pinning per opening.
CREATE TABLE cylinder_pinnings (
    id TEXT PRIMARY KEY,
    system_id TEXT NOT NULL REFERENCES key_systems (id),
    opening_id TEXT NOT NULL REFERENCES openings (id),
    symbol_id TEXT NOT NULL REFERENCES key_symbols (id),
    cross_keys TEXT NOT NULL DEFAULT '[]', -- JSON [symbol id] cross-keyed symbols
    key_list TEXT NOT NULL,        -- JSON [symbol id], keyed symbol first
    total_master_pins INTEGER NOT NULL,
    operating_count BIGINT NOT NULL,
    pin_problems TEXT NOT NULL DEFAULT '[]',
    reason TEXT NOT NULL,
    pinned_at TEXT NOT NULL,
    active INTEGER NOT NULL DEFAULT 1,
    ended_at TEXT
);
CREATE UNIQUE INDEX cylinder_pinnings_active ON cylinder_pinnings (opening_id) WHERE active = 1;
CREATE INDEX cylinder_pinnings_system ON cylinder_pinnings (system_id, active, opening_id);

CREATE TABLE rekey_plans (
    id TEXT PRIMARY KEY,
    system_id TEXT NOT NULL REFERENCES key_systems (id),
    lost_symbol_id TEXT NOT NULL REFERENCES key_symbols (id),
    key_id TEXT,
    status TEXT NOT NULL,          -- open, done
    intended TEXT NOT NULL,        -- JSON [opening id]
    incidental TEXT NOT NULL,      -- JSON [opening id]
    lost_operates TEXT NOT NULL DEFAULT '[]',
    created_at TEXT NOT NULL,
    closed_at TEXT
);
CREATE INDEX rekey_plans_system ON rekey_plans (system_id, created_at);

CREATE TABLE rekey_plan_items (
    id TEXT PRIMARY KEY,
    plan_id TEXT NOT NULL REFERENCES rekey_plans (id),
    seq INTEGER NOT NULL,
    kind TEXT NOT NULL,            -- cut, rekey, replace_cylinder, reissue
    opening_id TEXT,
    from_symbol_id TEXT,
    to_symbol_id TEXT,
    cross_keys TEXT NOT NULL DEFAULT '[]',
    copies INTEGER NOT NULL DEFAULT 0,
    note TEXT NOT NULL DEFAULT '',
    done INTEGER NOT NULL DEFAULT 0,
    done_at TEXT,
    done_by TEXT
);
CREATE INDEX rekey_plan_items_plan ON rekey_plan_items (plan_id, seq);

-- A stamped key of a key system's symbol reported lost (custody flow): the
-- symbol's bitting is compromised until a rekey plan answers it.
CREATE TABLE key_lost_reports (
    id TEXT PRIMARY KEY,
    system_id TEXT NOT NULL REFERENCES key_systems (id),
    symbol_id TEXT NOT NULL REFERENCES key_symbols (id),
    key_id TEXT NOT NULL REFERENCES keys (id),
    reported_at TEXT NOT NULL,
    plan_id TEXT
);
CREATE INDEX key_lost_reports_system ON key_lost_reports (system_id, plan_id);
