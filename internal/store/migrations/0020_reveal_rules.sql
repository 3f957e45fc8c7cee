-- Who may see a secret, and what is left of a retired lockbox's code.
-- Portable SQL for SQLite and PostgreSQL: text ids, fixed-width UTC text
-- times, 0/1 integer booleans.

-- When "require an authenticator" was last switched on (NULL while it is
-- off), and how many days a user has from then, or from when their account
-- was made, to set one up before codes are no longer shown to them.
ALTER TABLE org ADD COLUMN require_totp_since TEXT;
ALTER TABLE org ADD COLUMN totp_grace_days INTEGER NOT NULL DEFAULT 7;

-- An organization that already required an authenticator: the rule now
-- covers technicians too, so the grace starts at the upgrade, which is, as
-- near as portable SQL can tell, the latest audit record.
UPDATE org SET require_totp_since = (SELECT MAX(at) FROM audit_log) WHERE require_totp = 1;
UPDATE org SET require_totp_since = created_at WHERE require_totp = 1 AND require_totp_since IS NULL;

-- When a lockbox's sealed code was discarded, at its retirement: the place
-- shows that it had a code, and when it was discarded.
ALTER TABLE storage_places ADD COLUMN code_discarded_at TEXT;
