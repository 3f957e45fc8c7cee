-- Sign-in throttling per account and address (see auth.Throttle).

-- The addresses each user completed a sign-in from (second factor included),
-- and when last. An address stays known for 90 days: the new-address ceiling
-- does not hold it, so a guesser elsewhere cannot lock its user out. Pruned
-- with the other short-lived rows.
CREATE TABLE known_addresses (
    user_id TEXT NOT NULL REFERENCES users (id),
    addr TEXT NOT NULL,
    last_sign_in_at TEXT NOT NULL,
    PRIMARY KEY (user_id, addr)
);
CREATE INDEX known_addresses_last ON known_addresses (last_sign_in_at);

-- One row per email telling a user of failed sign-ins: since is the user's
-- last sign-in when it was sent, so the primary key is the claim that sends
-- at most one per sign-in, however many servers see the failures.
CREATE TABLE sign_in_alerts (
    user_id TEXT NOT NULL REFERENCES users (id),
    since TEXT NOT NULL,
    failures INTEGER NOT NULL,
    sent_at TEXT NOT NULL,
    PRIMARY KEY (user_id, since)
);
CREATE INDEX sign_in_alerts_sent ON sign_in_alerts (sent_at);

-- Which step failed: a wrong password, or a wrong authenticator code after
-- the right password. The new-address ceiling counts each step apart.
ALTER TABLE login_failures ADD COLUMN step TEXT NOT NULL DEFAULT 'password';

-- A pair's failures (one account, one address) are counted on every attempt.
CREATE INDEX login_failures_pair ON login_failures (email, addr, at);
