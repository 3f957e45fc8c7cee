-- The number of keys out (checked out or issued) at the end of each finished
-- UTC day, replayed from the logbook once: a past day never changes, and the
-- dashboard chart should not replay the whole logbook on every load.
CREATE TABLE keys_out_days (
    day TEXT PRIMARY KEY, -- YYYY-MM-DD
    n INTEGER NOT NULL
);
