-- Retention also deletes the records of sessions that ended (or were
-- abandoned) more than 30 days ago; each run counts them.
ALTER TABLE retention_runs ADD COLUMN sessions INTEGER NOT NULL DEFAULT 0;
