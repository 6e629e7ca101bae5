-- Policy governance (package policies, governance.go and reviews.go): who
-- owns a policy and how often it is reviewed, who may approve its drafts,
-- whether four-eyes approval is on, every submission, approval and
-- rejection of a draft, and every "reviewed, no change".

-- A policy without a row has no owner, a review every 12 months, and any
-- admin but a draft's author approves.
CREATE TABLE policy_governance (
    policy_id     INTEGER PRIMARY KEY REFERENCES policies(id) ON DELETE CASCADE,
    owner_id      INTEGER REFERENCES users(id),
    review_months INTEGER NOT NULL DEFAULT 12 CHECK (review_months BETWEEN 1 AND 36),
    updated_at    TIMESTAMP NOT NULL
);

-- The admins named to approve a policy's drafts; none named means any admin.
CREATE TABLE policy_approvers (
    policy_id INTEGER NOT NULL REFERENCES policies(id) ON DELETE CASCADE,
    user_id   INTEGER NOT NULL REFERENCES users(id),
    PRIMARY KEY (policy_id, user_id)
);

-- Four-eyes approval turned off or on again: the latest row is the state
-- (none: on). Kept as history for auditors.
CREATE TABLE policy_four_eyes (
    id          INTEGER PRIMARY KEY,
    policy_id   INTEGER NOT NULL REFERENCES policies(id) ON DELETE CASCADE,
    enabled     BOOLEAN NOT NULL,
    reason      TEXT NOT NULL DEFAULT '',
    actor_id    INTEGER REFERENCES users(id),
    actor_label TEXT NOT NULL DEFAULT '',
    at          TIMESTAMP NOT NULL
);
CREATE INDEX policy_four_eyes_policy ON policy_four_eyes(policy_id, at);

-- What happened to a draft on its way to publication, each step naming the
-- exact content it was about (content_sha256). version_id is the draft's
-- row, which becomes the published version; a discarded draft leaves its
-- steps behind with no row.
CREATE TABLE policy_approvals (
    id             INTEGER PRIMARY KEY,
    policy_id      INTEGER NOT NULL REFERENCES policies(id) ON DELETE CASCADE,
    version_id     INTEGER REFERENCES policy_versions(id) ON DELETE SET NULL,
    action         TEXT NOT NULL CHECK (action IN ('submit', 'approve', 'self-approve', 'reject')),
    actor_id       INTEGER REFERENCES users(id),
    actor_label    TEXT NOT NULL DEFAULT '',
    content_sha256 TEXT NOT NULL,
    comment        TEXT NOT NULL DEFAULT '',
    at             TIMESTAMP NOT NULL
);
CREATE INDEX policy_approvals_version ON policy_approvals(version_id, id);
CREATE INDEX policy_approvals_policy ON policy_approvals(policy_id, at);

-- "Reviewed, no change": a review that published nothing. A publication
-- counts as a review too, read from policy_versions.
CREATE TABLE policy_reviews (
    id          INTEGER PRIMARY KEY,
    policy_id   INTEGER NOT NULL REFERENCES policies(id) ON DELETE CASCADE,
    reviewer_id INTEGER REFERENCES users(id),
    actor_label TEXT NOT NULL DEFAULT '',
    note        TEXT NOT NULL DEFAULT '',
    reviewed_at TIMESTAMP NOT NULL
);
CREATE INDEX policy_reviews_policy ON policy_reviews(policy_id, reviewed_at);

-- Who last changed a draft's content: its author, who may not approve it.
ALTER TABLE policy_versions ADD COLUMN edited_by INTEGER REFERENCES users(id);
