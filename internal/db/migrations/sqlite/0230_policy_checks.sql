-- Change checks (package policies, docs/policy-files.md): a material
-- version of a staff policy may ask one to five multiple-choice questions,
-- each about one of its sections (a heading id). They belong to the
-- version's row, so a draft's questions stay with it when it is published,
-- and go with it when a draft is discarded. choices is a JSON array of
-- texts; correct is the index of the right one.
CREATE TABLE policy_check_questions (
    id           INTEGER PRIMARY KEY,
    version_id   INTEGER NOT NULL REFERENCES policy_versions(id) ON DELETE CASCADE,
    position     INTEGER NOT NULL,
    section_id   TEXT NOT NULL,
    prompt       TEXT NOT NULL,
    choices      TEXT NOT NULL,
    correct      INTEGER NOT NULL,
    explanation  TEXT NOT NULL DEFAULT '',
    UNIQUE (version_id, position)
);

-- Every answer sheet a person sent: answers is a JSON array of the chosen
-- index per question, in order. Never changed.
CREATE TABLE policy_check_attempts (
    id            INTEGER PRIMARY KEY,
    user_id       INTEGER NOT NULL REFERENCES users(id),
    version_id    INTEGER NOT NULL REFERENCES policy_versions(id),
    attempt       INTEGER NOT NULL,
    answers       TEXT NOT NULL,
    score         INTEGER NOT NULL,
    passed        BOOLEAN NOT NULL,
    attempted_at  TIMESTAMP NOT NULL,
    UNIQUE (user_id, version_id, attempt)
);

-- An acknowledgement made by passing a check says how: the number of
-- questions, the score at the first attempt and the attempts it took.
-- NULL when no check was asked.
ALTER TABLE policy_acknowledgements ADD COLUMN check_questions INTEGER;
ALTER TABLE policy_acknowledgements ADD COLUMN check_first_score INTEGER;
ALTER TABLE policy_acknowledgements ADD COLUMN check_attempts INTEGER;
CREATE INDEX policy_check_attempts_version ON policy_check_attempts(version_id);
