-- Reminder events name the outbox row that carried them (outbox_id), so
-- the outbox worker finds a digest's events by an integer that only ever
-- grows: its index is appended to, where the index on digest_key took
-- an insert in the middle of a text index for every event. The sweep
-- records half a million events on a busy day, so the table also drops
-- its foreign keys to users: they were checked twice per event, and
-- users are deactivated, never deleted. digest_key stays, unindexed, for
-- reading. SQLite cannot drop a foreign key, so the table is rebuilt.
CREATE TABLE reminder_events_new (
    id            INTEGER PRIMARY KEY,
    subject_type  TEXT NOT NULL CHECK (subject_type IN ('cycle', 'ack')),
    subject_id    INTEGER NOT NULL,
    user_id       INTEGER NOT NULL,
    round         TEXT NOT NULL DEFAULT '',
    stage         TEXT NOT NULL,
    recipient_id  INTEGER NOT NULL,
    digest_key    TEXT NOT NULL,
    created_at    TIMESTAMP NOT NULL,
    outbox_id     INTEGER,
    UNIQUE (subject_type, subject_id, user_id, round, stage)
);
INSERT INTO reminder_events_new
    (id, subject_type, subject_id, user_id, round, stage, recipient_id, digest_key, created_at, outbox_id)
SELECT e.id, e.subject_type, e.subject_id, e.user_id, e.round, e.stage, e.recipient_id, e.digest_key, e.created_at,
    (SELECT o.id FROM outbox o WHERE o.dedupe_key = e.digest_key)
FROM reminder_events e;
DROP TABLE reminder_events;
ALTER TABLE reminder_events_new RENAME TO reminder_events;
CREATE INDEX reminder_events_outbox ON reminder_events(outbox_id);
