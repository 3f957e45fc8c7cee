-- A lost key, end to end. A work list answers a lost key outside any key
-- system: one item per door whose keying schedule lists its symbol, each done
-- when the door is rekeyed or its cylinder replaced, recording the keys that
-- open it afterwards. One open list per symbol (the partial unique index is
-- the race guard). A rekey plan item records the same when it is done.

CREATE TABLE work_lists (
    id TEXT PRIMARY KEY,
    key_id TEXT NOT NULL REFERENCES keys (id),
    lost_symbol TEXT NOT NULL,
    status TEXT NOT NULL,          -- open, done
    note TEXT NOT NULL DEFAULT '',
    created_by TEXT NOT NULL,
    created_at TEXT NOT NULL,
    closed_at TEXT
);
CREATE UNIQUE INDEX work_lists_open ON work_lists (lost_symbol) WHERE status = 'open';
CREATE INDEX work_lists_created ON work_lists (created_at, id);

CREATE TABLE work_list_items (
    id TEXT PRIMARY KEY,
    list_id TEXT NOT NULL REFERENCES work_lists (id),
    seq INTEGER NOT NULL,
    opening_id TEXT NOT NULL REFERENCES openings (id),
    done INTEGER NOT NULL DEFAULT 0,
    method TEXT NOT NULL DEFAULT '', -- rekey, replace
    new_keys TEXT NOT NULL DEFAULT '[]', -- JSON [symbol]
    done_note TEXT NOT NULL DEFAULT '',
    done_at TEXT,
    done_by TEXT
);
CREATE INDEX work_list_items_list ON work_list_items (list_id, seq);

-- A replaced cylinder's new keys (JSON [symbol]) and the note of the one who
-- marked an item done.
ALTER TABLE rekey_plan_items ADD COLUMN new_keys TEXT NOT NULL DEFAULT '[]';
ALTER TABLE rekey_plan_items ADD COLUMN done_note TEXT NOT NULL DEFAULT '';
CREATE INDEX rekey_plans_open ON rekey_plans (status, created_at);
CREATE INDEX rekey_plans_symbol ON rekey_plans (lost_symbol_id, created_at);
