-- The keys-out chart counts the organization's own days, midnight to midnight
-- in its time zone, not UTC days. A kept count is only valid for the zone it
-- was counted in, so the zone is part of the key; the UTC counts kept so far
-- are dropped and replayed from the logbook on the next dashboard load.
DROP TABLE keys_out_days;
CREATE TABLE keys_out_days (
    zone TEXT NOT NULL, -- IANA name, as org.time_zone
    day TEXT NOT NULL, -- YYYY-MM-DD in that zone
    n INTEGER NOT NULL,
    -- 0 while the day ended less than five minutes ago: the count is shown
    -- until then and counted again once no transaction of the day can still commit.
    final INTEGER NOT NULL,
    PRIMARY KEY (zone, day)
);
