-- The reminders a manager sent by hand (package reminders): one row per
-- person, item and day (UTC), so at most one such reminder a day goes out
-- about one course or policy to one person, whoever asks. item_type is
-- 'course' or 'policy' and item its slug; outbox_id names the email that
-- carried it. The team report shows the latest per person and item.
CREATE TABLE manager_reminders (
    id          INTEGER PRIMARY KEY,
    user_id     INTEGER NOT NULL REFERENCES users(id),
    item_type   TEXT NOT NULL CHECK (item_type IN ('course', 'policy')),
    item        TEXT NOT NULL,
    day         TEXT NOT NULL,
    manager_id  INTEGER NOT NULL REFERENCES users(id),
    sent_at     TIMESTAMP NOT NULL,
    outbox_id   INTEGER,
    UNIQUE (user_id, item_type, item, day)
);
CREATE INDEX manager_reminders_user_sent ON manager_reminders(user_id, sent_at);
