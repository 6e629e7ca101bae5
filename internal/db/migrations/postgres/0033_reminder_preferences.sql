-- What a person chose about reminders. A missing row means the defaults:
-- managers get the weekly summary of their reporting line.
CREATE TABLE reminder_preferences (
    user_id      BIGINT PRIMARY KEY REFERENCES users(id),
    team_weekly  BOOLEAN NOT NULL DEFAULT TRUE,
    updated_at   TIMESTAMPTZ NOT NULL
);
