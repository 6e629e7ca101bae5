-- Retention. A person deactivated longer than the retention period is
-- pseudonymised: their name and email are replaced and the time recorded
-- here; their evidence rows stay and still count.
ALTER TABLE users ADD COLUMN pseudonymised_at TIMESTAMP;

-- Addresses that unsubscribed, kept only as a SHA-256 hash so that they
-- are recognised, and never mailed again, without being stored.
CREATE TABLE suppressed_addresses (
    hash TEXT PRIMARY KEY
);

-- Every retention run (not dry runs), with what it purged
-- (counts only). The scheduler reads the last one to run once a day.
CREATE TABLE retention_runs (
    id             INTEGER PRIMARY KEY,
    ran_at         TIMESTAMP NOT NULL,
    people         INTEGER NOT NULL,
    subscriptions  INTEGER NOT NULL,
    addresses      INTEGER NOT NULL,
    dropped_mail   INTEGER NOT NULL,
    mail_bodies    INTEGER NOT NULL
);
CREATE INDEX retention_runs_ran_at ON retention_runs(ran_at);
