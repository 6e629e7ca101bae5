-- A worker claims due rows by stamping them with its own token in one
-- UPDATE, then reads back exactly the rows carrying that token, so two
-- workers never send the same row. claimed_at lets a later start tell a
-- row abandoned by a crash from one another worker is sending right now.
ALTER TABLE outbox ADD COLUMN claim_token TEXT;
ALTER TABLE outbox ADD COLUMN claimed_at TIMESTAMP;
CREATE INDEX outbox_claim ON outbox(claim_token);
CREATE INDEX outbox_kind ON outbox(kind, status);

-- One-time tokens for invitations and password resets. Only the SHA-256 of
-- the token is kept; the token itself exists only in the email.
CREATE TABLE one_time_tokens (
    id          INTEGER PRIMARY KEY,
    purpose     TEXT NOT NULL CHECK (purpose IN ('invite', 'reset')),
    token_hash  TEXT NOT NULL UNIQUE,
    user_id     INTEGER NOT NULL REFERENCES users(id),
    expires_at  TIMESTAMP NOT NULL,
    used_at     TIMESTAMP,
    created_at  TIMESTAMP NOT NULL
);
CREATE INDEX one_time_tokens_user ON one_time_tokens(user_id, purpose);
