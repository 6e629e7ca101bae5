-- The subprocessor register (package subprocessors). subprocessor_entries
-- is the register as admins edit it (the next change set); each
-- publication freezes the whole list into subprocessor_versions.entries
-- (JSON), so every version and every redline reads exactly what was
-- published.
CREATE TABLE subprocessor_entries (
    id                 INTEGER PRIMARY KEY AUTOINCREMENT,
    name               TEXT NOT NULL UNIQUE,
    purpose            TEXT NOT NULL,
    data_categories    TEXT NOT NULL,
    locations          TEXT NOT NULL,
    transfer_mechanism TEXT NOT NULL,
    since              DATE,
    updated_at         TIMESTAMP NOT NULL
);
CREATE TABLE subprocessor_versions (
    id                  INTEGER PRIMARY KEY AUTOINCREMENT,
    number              INTEGER NOT NULL UNIQUE,
    entries             TEXT NOT NULL,
    summary             TEXT NOT NULL,
    short_notice_reason TEXT NOT NULL DEFAULT '',
    effective_at        TIMESTAMP NOT NULL,
    published_at        TIMESTAMP NOT NULL,
    published_by        INTEGER REFERENCES users(id)
);
