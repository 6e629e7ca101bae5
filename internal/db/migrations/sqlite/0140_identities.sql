-- Single sign-on: the identities at an OpenID provider that sign a person
-- in, each named by the provider's issuer and its subject for the person.
-- An identity is linked once, by a verified email in an allowed domain;
-- after that it is matched by (issuer, subject), never by email again.
CREATE TABLE identities (
    id          INTEGER PRIMARY KEY,
    user_id     INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    issuer      TEXT NOT NULL,
    subject     TEXT NOT NULL,
    linked_at   TIMESTAMP NOT NULL,
    seen_at     TIMESTAMP NOT NULL,
    UNIQUE (issuer, subject),
    UNIQUE (user_id, issuer)
);

-- Where a person's record comes from: 'local' (an admin, the roster
-- import, the command line) or 'sso' (created at their first single
-- sign-on). Provisioning adds its own source.
ALTER TABLE users ADD COLUMN source TEXT NOT NULL DEFAULT 'local';
