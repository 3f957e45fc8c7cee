-- Copy accounting. A copy found outside Keyward ("a copy we never made") is
-- recorded against its keyway and symbol; it opens what a lost key of that
-- symbol opens, so a work list may answer it as it answers a lost key.

CREATE TABLE uncontrolled_copies (
    id TEXT PRIMARY KEY,
    keyway_id TEXT NOT NULL REFERENCES keyways (id),
    symbol TEXT NOT NULL,
    found_where TEXT NOT NULL,
    note TEXT NOT NULL DEFAULT '',
    in_hand INTEGER NOT NULL DEFAULT 0, -- 1: taken back; 0: still out there
    found_by TEXT NOT NULL,             -- user id
    found_by_name TEXT NOT NULL,
    found_at TEXT NOT NULL
);
CREATE INDEX uncontrolled_copies_symbol ON uncontrolled_copies (keyway_id, symbol, found_at);
CREATE INDEX keys_keyway_symbol ON keys (keyway_id, symbol, status);

-- A work list answers a lost key (key_id) or a copy found (uncontrolled_id),
-- exactly one of them. Neither backend drops a NOT NULL the same way, so the
-- two tables are built anew, filled, and take the old names; items refer to
-- the new list table, which the rename carries along on both backends.
CREATE TABLE work_lists_0018 (
    id TEXT PRIMARY KEY,
    key_id TEXT REFERENCES keys (id),
    uncontrolled_id TEXT REFERENCES uncontrolled_copies (id),
    lost_symbol TEXT NOT NULL,
    status TEXT NOT NULL,          -- open, done
    note TEXT NOT NULL DEFAULT '',
    created_by TEXT NOT NULL,
    created_at TEXT NOT NULL,
    closed_at TEXT,
    CHECK ((key_id IS NULL) <> (uncontrolled_id IS NULL))
);
INSERT INTO work_lists_0018 (id, key_id, lost_symbol, status, note, created_by, created_at, closed_at)
    SELECT id, key_id, lost_symbol, status, note, created_by, created_at, closed_at FROM work_lists;

CREATE TABLE work_list_items_0018 (
    id TEXT PRIMARY KEY,
    list_id TEXT NOT NULL REFERENCES work_lists_0018 (id),
    seq INTEGER NOT NULL,
    opening_id TEXT NOT NULL REFERENCES openings (id),
    done INTEGER NOT NULL DEFAULT 0,
    method TEXT NOT NULL DEFAULT '', -- rekey, replace
    new_keys TEXT NOT NULL DEFAULT '[]', -- JSON [symbol]
    done_note TEXT NOT NULL DEFAULT '',
    done_at TEXT,
    done_by TEXT
);
INSERT INTO work_list_items_0018 (id, list_id, seq, opening_id, done, method, new_keys, done_note, done_at, done_by)
    SELECT id, list_id, seq, opening_id, done, method, new_keys, done_note, done_at, done_by FROM work_list_items;

DROP TABLE work_list_items;
DROP TABLE work_lists;
ALTER TABLE work_lists_0018 RENAME TO work_lists;
ALTER TABLE work_list_items_0018 RENAME TO work_list_items;
CREATE UNIQUE INDEX work_lists_open ON work_lists (lost_symbol) WHERE status = 'open';
CREATE INDEX work_lists_created ON work_lists (created_at, id);
CREATE INDEX work_list_items_list ON work_list_items (list_id, seq);
