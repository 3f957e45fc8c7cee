-- Network locks and their keys: the master / backup / sub / soft hierarchy.
-- The rules live in internal/access; these tables only keep its records.
-- Portable SQL for SQLite and PostgreSQL: text ids, fixed-width UTC text
-- times, 0/1 integer booleans.

-- One row, bumped by every change, so that changes to the hierarchy queue
-- one after another (the whole hierarchy is checked for each).
CREATE TABLE net_version (
    id INTEGER PRIMARY KEY,
    version INTEGER NOT NULL
);
INSERT INTO net_version (id, version) VALUES (1, 0);

-- A key: a master founds the group named by its own id (group_id = id);
-- backups, sub and soft keys belong to the group of the key that made them.
-- A deleted key keeps its row and its name.
CREATE TABLE net_keys (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    kind TEXT NOT NULL,             -- master, backup, sub, soft
    group_id TEXT NOT NULL,         -- the master's id
    holder_id TEXT REFERENCES holders (id),
    deleted INTEGER NOT NULL DEFAULT 0,
    created_at TEXT NOT NULL,
    deleted_at TEXT
);
CREATE INDEX net_keys_group ON net_keys (group_id);

-- A lock, fitted to an opening; owner_group is the master whose group it is
-- serialized to (NULL: none). online: 0 while it does not sync.
CREATE TABLE net_locks (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    opening_id TEXT REFERENCES openings (id),
    owner_group TEXT,
    online INTEGER NOT NULL DEFAULT 1,
    created_at TEXT NOT NULL
);
CREATE INDEX net_locks_opening ON net_locks (opening_id);

-- A lock granted to a key by the lock's group.
CREATE TABLE net_grants (
    lock_id TEXT NOT NULL REFERENCES net_locks (id),
    key_id TEXT NOT NULL REFERENCES net_keys (id),
    PRIMARY KEY (lock_id, key_id)
);
CREATE INDEX net_grants_key ON net_grants (key_id);

-- What an offline lock accepted when it went offline; gone when it is back.
CREATE TABLE net_accepted (
    lock_id TEXT NOT NULL REFERENCES net_locks (id),
    key_id TEXT NOT NULL REFERENCES net_keys (id),
    PRIMARY KEY (lock_id, key_id)
);

-- The locks a key could open when it was deleted (lost or retired).
CREATE TABLE net_key_reached (
    key_id TEXT NOT NULL REFERENCES net_keys (id),
    lock_id TEXT NOT NULL REFERENCES net_locks (id),
    PRIMARY KEY (key_id, lock_id)
);
