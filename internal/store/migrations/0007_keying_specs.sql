-- An organization's own keying specs: a locksmith's house rules for a key
-- section (MACS, depths, progression step, maximum master pins per chamber
-- and per cylinder). Key-system creation accepts one by name where it
-- accepts a manufacturer spec. Portable SQL: text ids, fixed-width UTC text
-- times, the spec as JSON text.
CREATE TABLE keying_specs (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    spec TEXT NOT NULL,            -- JSON keying spec (keying.md §2)
    note TEXT NOT NULL DEFAULT '',
    created_by TEXT NOT NULL,
    created_at TEXT NOT NULL
);
