-- Reminder events name the outbox row that carried them (outbox_id), so
-- the outbox worker finds a digest's events by an integer that only ever
-- grows: its index is appended to, where the index on digest_key took
-- an insert in the middle of a text index for every event. The sweep
-- records half a million events on a busy day, so the table also drops
-- its foreign keys to users: they were checked twice per event, and
-- users are deactivated, never deleted. digest_key stays, unindexed, for
-- reading.
ALTER TABLE reminder_events DROP CONSTRAINT IF EXISTS reminder_events_user_id_fkey;
ALTER TABLE reminder_events DROP CONSTRAINT IF EXISTS reminder_events_recipient_id_fkey;
ALTER TABLE reminder_events ADD COLUMN outbox_id BIGINT;
UPDATE reminder_events e SET outbox_id = o.id FROM outbox o WHERE o.dedupe_key = e.digest_key;
DROP INDEX IF EXISTS reminder_events_digest;
CREATE INDEX reminder_events_outbox ON reminder_events(outbox_id);
