-- Signed-in sessions, so that signing out, a password change, deactivation
-- or a role change ends them on the server, whatever cookie was copied.
-- The cookie carries a random id; only its SHA-256 is stored.
CREATE TABLE sessions (
    id_hash     TEXT PRIMARY KEY,
    user_id     INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    created_at  TIMESTAMP NOT NULL,
    seen_at     TIMESTAMP NOT NULL,
    ended_at    TIMESTAMP,
    ended_why   TEXT NOT NULL DEFAULT '',
    device      TEXT NOT NULL DEFAULT '',
    address     TEXT NOT NULL DEFAULT ''
);
CREATE INDEX sessions_user_active ON sessions(user_id) WHERE ended_at IS NULL;
CREATE INDEX sessions_ended ON sessions(ended_at) WHERE ended_at IS NOT NULL;
