-- Organisation settings (package org): the branding customers see and the
-- company facts course and policy text name ({{org.KEY}}). One row per
-- setting; a setting the admin never set has no row.
CREATE TABLE organisation_settings (
    key        TEXT PRIMARY KEY,
    value      TEXT NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL
);

-- The organisation's logo: at most one, an image checked on upload.
CREATE TABLE organisation_logo (
    id           INTEGER PRIMARY KEY CHECK (id = 1),
    content_type TEXT NOT NULL,
    data         BYTEA NOT NULL,
    sha256       TEXT NOT NULL,
    width        INTEGER NOT NULL,
    height       INTEGER NOT NULL,
    updated_at   TIMESTAMPTZ NOT NULL
);
