-- Key codes: vehicle and lock key codes kept as high-impact secrets, the
-- requests to reveal them with their evidence and approval, every reveal,
-- disposal records, incidents of suspected disclosure with the exposure
-- they raise, fleet accounts, and the organization's key code settings.
-- Portable SQL for SQLite and PostgreSQL: text ids, fixed-width UTC text
-- times, 0/1 integer booleans.

-- The organization's key code settings (keyward.CodeSettings);
-- code_evidence is JSON: relationship -> required evidence items.
ALTER TABLE org ADD COLUMN code_approval_hours INTEGER NOT NULL DEFAULT 24;
ALTER TABLE org ADD COLUMN code_max_reveals INTEGER NOT NULL DEFAULT 3;
ALTER TABLE org ADD COLUMN code_reveal_seconds INTEGER NOT NULL DEFAULT 60;
ALTER TABLE org ADD COLUMN code_retention_days INTEGER NOT NULL DEFAULT 30;
ALTER TABLE org ADD COLUMN code_evidence TEXT NOT NULL DEFAULT '{}';

-- A fleet account: a standing authorization and the vehicles it lists.
CREATE TABLE code_fleets (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    authorization_ref TEXT NOT NULL,
    created_by TEXT NOT NULL,       -- user id
    created_at TEXT NOT NULL
);

-- A vehicle in a fleet; removed_at set when it leaves. A vehicle is in one
-- fleet at a time.
CREATE TABLE code_fleet_vehicles (
    id TEXT PRIMARY KEY,
    fleet_id TEXT NOT NULL REFERENCES code_fleets (id),
    vin TEXT NOT NULL,
    added_at TEXT NOT NULL,
    removed_at TEXT
);
CREATE UNIQUE INDEX code_fleet_vehicles_current ON code_fleet_vehicles (vin) WHERE removed_at IS NULL;
CREATE INDEX code_fleet_vehicles_fleet ON code_fleet_vehicles (fleet_id);

-- A key code of a vehicle (vin) or a lock (opening_id). code_sealed is the
-- vault's sealed code, bound to the row's id; disposal destroys it (NULL)
-- and sets disposed_at. No column ever holds the plaintext.
CREATE TABLE key_codes (
    id TEXT PRIMARY KEY,
    vin TEXT NOT NULL DEFAULT '',
    opening_id TEXT REFERENCES openings (id),
    description TEXT NOT NULL DEFAULT '',
    source TEXT NOT NULL,
    source_ref TEXT NOT NULL DEFAULT '',
    code_sealed TEXT,
    created_by TEXT NOT NULL,       -- user id
    created_by_name TEXT NOT NULL,
    created_at TEXT NOT NULL,
    disposed_at TEXT
);
CREATE INDEX key_codes_vin ON key_codes (vin);
CREATE INDEX key_codes_created ON key_codes (created_at, id);

-- A request to reveal a code for one job, with the evidence the desk
-- checked (never a document's image: what was seen, and by whom).
CREATE TABLE code_requests (
    id TEXT PRIMARY KEY,
    key_code_id TEXT NOT NULL REFERENCES key_codes (id),
    state TEXT NOT NULL,
    relationship TEXT NOT NULL,
    reason TEXT NOT NULL,
    channel TEXT NOT NULL DEFAULT 'counter',
    requester_name TEXT NOT NULL DEFAULT '',
    id_type TEXT NOT NULL DEFAULT '',
    id_last4 TEXT NOT NULL DEFAULT '',
    registration_ref TEXT NOT NULL DEFAULT '',
    agent_letter_ref TEXT NOT NULL DEFAULT '',
    fleet_id TEXT REFERENCES code_fleets (id),
    evidence_by TEXT NOT NULL DEFAULT '',
    evidence_by_name TEXT NOT NULL DEFAULT '',
    evidence_at TEXT,
    requested_by TEXT NOT NULL,     -- user id
    requested_by_name TEXT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    approved_by TEXT NOT NULL DEFAULT '',
    approved_by_name TEXT NOT NULL DEFAULT '',
    approved_at TEXT,
    expires_at TEXT,
    max_reveals INTEGER NOT NULL DEFAULT 0,
    reveals INTEGER NOT NULL DEFAULT 0,
    closed_by_name TEXT NOT NULL DEFAULT '',
    closed_at TEXT,
    decided_by_name TEXT NOT NULL DEFAULT '',
    decision_reason TEXT NOT NULL DEFAULT ''
);
CREATE INDEX code_requests_code ON code_requests (key_code_id);
CREATE INDEX code_requests_created ON code_requests (created_at, id);

-- A request's own logbook, in the order of its audit records.
CREATE TABLE code_request_events (
    id TEXT PRIMARY KEY,
    request_id TEXT NOT NULL REFERENCES code_requests (id),
    step TEXT NOT NULL,
    state TEXT NOT NULL,
    by_user TEXT NOT NULL,
    by_name TEXT NOT NULL,
    at TEXT NOT NULL,
    note TEXT NOT NULL DEFAULT '',
    audit_seq INTEGER NOT NULL
);
CREATE INDEX code_request_events_request ON code_request_events (request_id, audit_seq);

-- Every reveal of a code: who, when, why, under which request; never the code.
CREATE TABLE code_reveals (
    id TEXT PRIMARY KEY,
    key_code_id TEXT NOT NULL REFERENCES key_codes (id),
    request_id TEXT NOT NULL REFERENCES code_requests (id),
    by_user TEXT NOT NULL,
    by_name TEXT NOT NULL,
    role TEXT NOT NULL,
    at TEXT NOT NULL,
    reason TEXT NOT NULL,
    audit_seq INTEGER NOT NULL
);
CREATE INDEX code_reveals_code ON code_reveals (key_code_id, at);

-- The disposal record of a code: one per code, whoever disposes of it first.
CREATE TABLE code_disposals (
    key_code_id TEXT PRIMARY KEY REFERENCES key_codes (id),
    at TEXT NOT NULL,
    by_name TEXT NOT NULL,
    rule TEXT NOT NULL,
    audit_seq INTEGER NOT NULL
);

-- A suspected disclosure. One open incident per code.
CREATE TABLE code_incidents (
    id TEXT PRIMARY KEY,
    key_code_id TEXT NOT NULL REFERENCES key_codes (id),
    note TEXT NOT NULL,
    opened_by_name TEXT NOT NULL,
    opened_at TEXT NOT NULL,
    closed_by_name TEXT NOT NULL DEFAULT '',
    closed_at TEXT,
    close_note TEXT NOT NULL DEFAULT ''
);
CREATE UNIQUE INDEX code_incidents_open ON code_incidents (key_code_id) WHERE closed_at IS NULL;

-- The vehicle or lock an incident exposed: open until re-programmed or rekeyed.
CREATE TABLE code_exposures (
    id TEXT PRIMARY KEY,
    key_code_id TEXT NOT NULL REFERENCES key_codes (id),
    incident_id TEXT NOT NULL REFERENCES code_incidents (id),
    remedy TEXT NOT NULL,
    opened_at TEXT NOT NULL,
    resolved_by_name TEXT NOT NULL DEFAULT '',
    resolved_at TEXT,
    resolve_note TEXT NOT NULL DEFAULT ''
);
CREATE INDEX code_exposures_code ON code_exposures (key_code_id);
