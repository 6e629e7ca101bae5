-- Reminders: every announced event, so none is announced twice. An event
-- is a stage (assigned, due_soon, overdue:2, escalation, ...) of a subject
-- (a course cycle, or a policy version someone must acknowledge) for the
-- person whose item it is; recipient_id is who was told (the person, or
-- their manager for escalations). digest_key names the email that carried
-- it, which lets the outbox worker check at send time that the reason is
-- still there.
CREATE TABLE reminder_events (
    id            INTEGER PRIMARY KEY,
    subject_type  TEXT NOT NULL CHECK (subject_type IN ('cycle', 'ack')),
    subject_id    INTEGER NOT NULL,
    user_id       INTEGER NOT NULL REFERENCES users(id),
    round         TEXT NOT NULL DEFAULT '',
    stage         TEXT NOT NULL,
    recipient_id  INTEGER NOT NULL REFERENCES users(id),
    digest_key    TEXT NOT NULL,
    created_at    TIMESTAMP NOT NULL,
    UNIQUE (subject_type, subject_id, user_id, round, stage)
);
CREATE INDEX reminder_events_digest ON reminder_events(digest_key);

-- Completed sweeps: a start that finds the last run missed runs at once.
CREATE TABLE reminder_runs (
    id           INTEGER PRIMARY KEY,
    ran_for      TIMESTAMP NOT NULL,
    started_at   TIMESTAMP NOT NULL,
    finished_at  TIMESTAMP NOT NULL,
    digests      INTEGER NOT NULL,
    events       INTEGER NOT NULL
);
CREATE INDEX reminder_runs_started ON reminder_runs(started_at);

-- Named leases: whoever holds an unexpired lease may do the named job.
-- Taken by a conditional UPDATE, so two processes on one database never
-- both hold it.
CREATE TABLE leases (
    name        TEXT PRIMARY KEY,
    holder      TEXT NOT NULL DEFAULT '',
    expires_at  TIMESTAMP NOT NULL
);
