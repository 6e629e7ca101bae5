-- Secrets the installation generates for itself when none are configured:
-- the session signing key, newest generation first. Kept in the database so
-- that every instance of one installation finds the same key.
CREATE TABLE installation_keys (
    purpose     TEXT NOT NULL,
    generation  INTEGER NOT NULL,
    secret      BLOB NOT NULL,
    created_at  TIMESTAMP NOT NULL,
    PRIMARY KEY (purpose, generation)
);
