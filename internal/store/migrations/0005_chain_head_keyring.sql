-- The chain head is bookkeeping, not the log: only audit_log carries "audit" in its name.
ALTER TABLE audit_head RENAME TO chain_head;

-- The vault key of a PostgreSQL deployment without KEYWARD_VAULT_KEY: every
-- server process sharing the database must open the same secrets, so the key
-- cannot live in one process's data directory.
CREATE TABLE keyring (
    id INTEGER PRIMARY KEY,
    vault_key TEXT NOT NULL,
    created_at TEXT NOT NULL
);
