-- Vehicle spares: a vehicle opening's VIN, the spare requests with their
-- proof, production, transponder enrollment, test and hand-over, and the
-- answers to the question a lost vehicle key asks (were the remaining keys
-- re-enrolled?). Portable SQL for SQLite and PostgreSQL: text ids,
-- fixed-width UTC text times, 0/1 integer booleans.

-- A vehicle opening's VIN, upper-cased; '' until recorded.
ALTER TABLE openings ADD COLUMN vin TEXT NOT NULL DEFAULT '';

-- One spare request: proof (never more of an ID than its type and last
-- four characters), the key cut for it, its enrollment, its last test and
-- its hand-over; each step with who and when.
CREATE TABLE vehicle_spares (
    id TEXT PRIMARY KEY,
    opening_id TEXT NOT NULL REFERENCES openings (id),
    holder_id TEXT NOT NULL REFERENCES holders (id),
    note TEXT NOT NULL DEFAULT '',
    state TEXT NOT NULL,
    relationship TEXT NOT NULL DEFAULT '',
    requester_name TEXT NOT NULL DEFAULT '',
    id_type TEXT NOT NULL DEFAULT '',
    id_last4 TEXT NOT NULL DEFAULT '',
    registration_ref TEXT NOT NULL DEFAULT '',
    agent_letter_ref TEXT NOT NULL DEFAULT '',
    proof_by TEXT NOT NULL DEFAULT '',
    proof_by_name TEXT NOT NULL DEFAULT '',
    proof_at TEXT,
    key_id TEXT REFERENCES keys (id),
    produced_by TEXT NOT NULL DEFAULT '',
    produced_by_name TEXT NOT NULL DEFAULT '',
    produced_at TEXT,
    enroll_tool TEXT NOT NULL DEFAULT '',
    enroll_date TEXT NOT NULL DEFAULT '',
    enroll_by TEXT NOT NULL DEFAULT '',
    enroll_by_name TEXT NOT NULL DEFAULT '',
    enroll_at TEXT,
    test_starts INTEGER NOT NULL DEFAULT 0,
    test_opens INTEGER NOT NULL DEFAULT 0,
    test_note TEXT NOT NULL DEFAULT '',
    test_by TEXT NOT NULL DEFAULT '',
    test_by_name TEXT NOT NULL DEFAULT '',
    test_at TEXT,
    handed_by TEXT NOT NULL DEFAULT '',
    handed_by_name TEXT NOT NULL DEFAULT '',
    handed_at TEXT,
    created_by TEXT NOT NULL,
    created_by_name TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE INDEX vehicle_spares_created ON vehicle_spares (created_at, id);
CREATE INDEX vehicle_spares_opening ON vehicle_spares (opening_id);

-- The last answer to a lost vehicle key's question: were the vehicle's
-- remaining keys re-enrolled so the lost one no longer starts it?
CREATE TABLE vehicle_reenrollments (
    key_id TEXT PRIMARY KEY REFERENCES keys (id),
    opening_id TEXT NOT NULL REFERENCES openings (id),
    answer TEXT NOT NULL,
    note TEXT NOT NULL DEFAULT '',
    by_user TEXT NOT NULL,
    by_name TEXT NOT NULL,
    at TEXT NOT NULL
);
