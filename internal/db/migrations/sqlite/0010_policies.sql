-- Policies and their versions. A version is a draft (editable, no number)
-- until it is published; from then on the row never changes: the store
-- refuses and the triggers below refuse too. Whether a published version is
-- scheduled, in effect or superseded follows from effective_at and the
-- clock, so nothing has to run when a scheduled version takes effect.
CREATE TABLE policies (
    id               INTEGER PRIMARY KEY,
    slug             TEXT NOT NULL UNIQUE,
    title            TEXT NOT NULL,
    audience         TEXT NOT NULL CHECK (audience IN ('public', 'staff')),
    requires_ack     BOOLEAN NOT NULL DEFAULT FALSE,
    ack_within_days  INTEGER NOT NULL DEFAULT 0 CHECK (ack_within_days >= 0),
    reack_months     INTEGER NOT NULL DEFAULT 0 CHECK (reack_months >= 0),
    created_at       TIMESTAMP NOT NULL,
    updated_at       TIMESTAMP NOT NULL
);

CREATE TABLE policy_versions (
    id            INTEGER PRIMARY KEY,
    policy_id     INTEGER NOT NULL REFERENCES policies(id),
    status        TEXT NOT NULL CHECK (status IN ('draft', 'published')),
    number        INTEGER,
    body_md       TEXT NOT NULL DEFAULT '',
    body_html     TEXT NOT NULL DEFAULT '',
    summary       TEXT NOT NULL DEFAULT '',
    change_kind   TEXT NOT NULL DEFAULT 'material' CHECK (change_kind IN ('material', 'minor')),
    sha256        TEXT NOT NULL DEFAULT '',
    created_by    INTEGER REFERENCES users(id),
    created_at    TIMESTAMP NOT NULL,
    updated_at    TIMESTAMP NOT NULL,
    published_by  INTEGER REFERENCES users(id),
    published_at  TIMESTAMP,
    effective_at  TIMESTAMP,
    CHECK (status = 'draft' OR (number IS NOT NULL AND published_at IS NOT NULL AND effective_at IS NOT NULL AND sha256 <> '')),
    UNIQUE (policy_id, number)
);
-- Only one draft per policy.
CREATE UNIQUE INDEX policy_versions_one_draft ON policy_versions(policy_id) WHERE status = 'draft';

-- A draft becomes published through one UPDATE of its row (OLD.status is
-- still 'draft'); after that no UPDATE or DELETE gets through.
CREATE TRIGGER policy_versions_published_no_update BEFORE UPDATE ON policy_versions
WHEN OLD.status = 'published'
BEGIN SELECT RAISE(ABORT, 'published policy versions are immutable'); END;

CREATE TRIGGER policy_versions_published_no_delete BEFORE DELETE ON policy_versions
WHEN OLD.status = 'published'
BEGIN SELECT RAISE(ABORT, 'published policy versions are immutable'); END;

CREATE TABLE policy_acknowledgements (
    id               INTEGER PRIMARY KEY,
    user_id          INTEGER NOT NULL REFERENCES users(id),
    version_id       INTEGER NOT NULL REFERENCES policy_versions(id),
    acknowledged_at  TIMESTAMP NOT NULL,
    UNIQUE (user_id, version_id)
);
CREATE INDEX policy_acknowledgements_version ON policy_acknowledgements(version_id);

CREATE TRIGGER policy_acknowledgements_no_update BEFORE UPDATE ON policy_acknowledgements
BEGIN SELECT RAISE(ABORT, 'acknowledgements are never overwritten'); END;

-- Customers who asked for change notices: only the address, a token and dates.
CREATE TABLE policy_subscriptions (
    id            INTEGER PRIMARY KEY,
    email         TEXT NOT NULL UNIQUE,
    token         TEXT NOT NULL UNIQUE,
    created_at    TIMESTAMP NOT NULL,
    confirmed_at  TIMESTAMP
);
