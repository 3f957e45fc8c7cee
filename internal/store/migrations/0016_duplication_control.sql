-- Duplication control: copy requests with their evidence, approvals and
-- history; each keyway's signatories and sealed authorization card; the
-- organization's copy settings; and how each key came under control.
-- Portable SQL for SQLite and PostgreSQL: text ids, fixed-width UTC text times,
-- 0/1 integer booleans.

-- The organization's copy settings: how many managers approve a dnd or
-- restricted request, and whether the ID checker may also approve.
ALTER TABLE org ADD COLUMN copy_approvals_required INTEGER NOT NULL DEFAULT 1;
ALTER TABLE org ADD COLUMN copy_two_person_rule INTEGER NOT NULL DEFAULT 0;

-- A keyway's authorization card number, sealed by the vault; it is opened
-- only to compare a card shown at the counter, and never returned.
ALTER TABLE keyways ADD COLUMN card_sealed TEXT;
ALTER TABLE keyways ADD COLUMN card_set_at TEXT;

-- How a copy came under control: registered (an existing copy entered by
-- hand), imported (from a spreadsheet) or produced (cut for a copy request,
-- named by copy_request_id). copy_request_id has no foreign key: a request
-- names its pattern key, and restore loads each table after those it
-- references, which a reference both ways would make impossible.
ALTER TABLE keys ADD COLUMN origin TEXT NOT NULL DEFAULT 'registered';
ALTER TABLE keys ADD COLUMN copy_request_id TEXT;
UPDATE keys SET origin = 'imported' WHERE id IN (SELECT key_id FROM custody_events WHERE action = 'import');
CREATE INDEX keys_copy_request ON keys (copy_request_id) WHERE copy_request_id IS NOT NULL;

-- Registered signatories of a keyway. A signatory is current until removed
-- or until until_at; one current row per keyway and holder.
CREATE TABLE keyway_signatories (
    id TEXT PRIMARY KEY,
    keyway_id TEXT NOT NULL REFERENCES keyways (id),
    holder_id TEXT NOT NULL REFERENCES holders (id),
    added_by TEXT NOT NULL,        -- user id
    added_by_name TEXT NOT NULL,
    added_at TEXT NOT NULL,
    until_at TEXT,
    removed_at TEXT,
    removed_by TEXT
);
CREATE UNIQUE INDEX keyway_signatories_current ON keyway_signatories (keyway_id, holder_id) WHERE removed_at IS NULL;
CREATE INDEX keyway_signatories_holder ON keyway_signatories (holder_id);

-- A request for new copies of one key's symbol and keyway. The evidence
-- columns hold what the counter checked for a restricted keyway (never the
-- card); approvals_required is fixed when the request is made.
CREATE TABLE copy_requests (
    id TEXT PRIMARY KEY,
    state TEXT NOT NULL,
    key_id TEXT NOT NULL REFERENCES keys (id),
    keyway_id TEXT NOT NULL REFERENCES keyways (id),
    symbol TEXT NOT NULL,
    policy TEXT NOT NULL,
    copies INTEGER NOT NULL,
    reason TEXT NOT NULL DEFAULT '',
    for_holder_id TEXT REFERENCES holders (id),
    requested_by TEXT NOT NULL,    -- user id
    requester_name TEXT NOT NULL,
    approvals_required INTEGER NOT NULL,
    evidence_signatory_id TEXT REFERENCES holders (id),
    evidence_id_type TEXT,
    evidence_id_last4 TEXT,
    evidence_checked_by TEXT,
    evidence_checked_by_name TEXT,
    evidence_checked_at TEXT,
    decision_reason TEXT NOT NULL DEFAULT '',
    decided_by TEXT NOT NULL DEFAULT '',
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX copy_requests_created ON copy_requests (created_at, id);
CREATE INDEX copy_requests_state ON copy_requests (state, created_at);
CREATE INDEX copy_requests_requester ON copy_requests (requested_by, created_at);
CREATE INDEX copy_requests_keyway ON copy_requests (keyway_id, state);

-- One row per manager's approval: the primary key is the race guard that
-- makes two approvals by one person count once.
CREATE TABLE copy_approvals (
    request_id TEXT NOT NULL REFERENCES copy_requests (id),
    approver TEXT NOT NULL,        -- user id
    approver_name TEXT NOT NULL,
    at TEXT NOT NULL,
    PRIMARY KEY (request_id, approver)
);

-- A request's history. audit_seq orders it as the audit log does.
CREATE TABLE copy_request_events (
    id TEXT PRIMARY KEY,
    request_id TEXT NOT NULL REFERENCES copy_requests (id),
    step TEXT NOT NULL,
    state TEXT NOT NULL,           -- the state after the step
    by_user TEXT NOT NULL,
    by_name TEXT NOT NULL,
    at TEXT NOT NULL,
    note TEXT NOT NULL DEFAULT '',
    audit_seq BIGINT NOT NULL
);
CREATE INDEX copy_request_events_request ON copy_request_events (request_id, audit_seq);
