-- Provisioning through SCIM 2.0 (RFC 7643/7644). A person or team written
-- by the directory carries the directory's id (external_id) and is marked
-- managed_by = 'scim': Steward's own forms and the roster import leave them
-- alone. userName is the directory's name for the person (often, not
-- always, their email). Department and employee number come from the enterprise extension.
ALTER TABLE users ADD COLUMN external_id TEXT;
ALTER TABLE users ADD COLUMN user_name TEXT;
ALTER TABLE users ADD COLUMN managed_by TEXT NOT NULL DEFAULT '' CHECK (managed_by IN ('', 'scim', 'scim-deleted'));
ALTER TABLE users ADD COLUMN department TEXT NOT NULL DEFAULT '';
ALTER TABLE users ADD COLUMN employee_number TEXT NOT NULL DEFAULT '';
CREATE UNIQUE INDEX users_external_id ON users(external_id) WHERE external_id IS NOT NULL;
CREATE UNIQUE INDEX users_user_name ON users(user_name) WHERE user_name IS NOT NULL;

ALTER TABLE teams ADD COLUMN external_id TEXT;
ALTER TABLE teams ADD COLUMN managed_by TEXT NOT NULL DEFAULT '' CHECK (managed_by IN ('', 'scim'));
ALTER TABLE teams ADD COLUMN updated_at TIMESTAMP;
CREATE UNIQUE INDEX teams_external_id ON teams(external_id) WHERE external_id IS NOT NULL;

-- Bearer tokens of provisioning clients: only a SHA-256 of each is kept;
-- the token is shown once, when an admin creates it.
CREATE TABLE scim_tokens (
    id           INTEGER PRIMARY KEY,
    name         TEXT NOT NULL,
    hash         TEXT NOT NULL UNIQUE,
    created_by   INTEGER REFERENCES users(id),
    created_at   TIMESTAMP NOT NULL,
    last_used_at TIMESTAMP,
    revoked_at   TIMESTAMP
);
