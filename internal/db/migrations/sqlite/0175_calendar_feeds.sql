-- A person's calendar feed of their own due dates (package people): a
-- secret link, of which only the SHA-256 is kept; resetting it makes a
-- new one and the old one stops working.
CREATE TABLE calendar_feeds (
    user_id    INTEGER PRIMARY KEY REFERENCES users(id) ON DELETE CASCADE,
    token_hash TEXT NOT NULL UNIQUE,
    created_at TIMESTAMP NOT NULL
);
