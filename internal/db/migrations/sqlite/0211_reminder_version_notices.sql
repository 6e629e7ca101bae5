-- The versions whose "please acknowledge" notices went out when they took
-- effect (package reminders, Sweeper.NotifyEffective), one row each: the
-- minute-by-minute check looks at a version once. Each person's notice is
-- also a reminder_events row (stage 'notice'), so the morning sweep never
-- repeats it.
CREATE TABLE reminder_version_notices (
    version_id   INTEGER PRIMARY KEY,
    notified_at  TIMESTAMP NOT NULL,
    people       INTEGER NOT NULL
);
