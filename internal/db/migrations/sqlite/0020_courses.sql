-- Courses: settings, modules, quizzes. Content rows are replaced on import;
-- attempts keep a snapshot of what was asked so evidence survives edits.
CREATE TABLE courses (
    id                  INTEGER PRIMARY KEY,
    slug                TEXT NOT NULL UNIQUE,
    title               TEXT NOT NULL,
    summary             TEXT NOT NULL DEFAULT '',
    audience_kind       TEXT NOT NULL CHECK (audience_kind IN ('everyone', 'teams', 'roles')),
    due_days            INTEGER NOT NULL CHECK (due_days BETWEEN 1 AND 365),
    valid_months        INTEGER NOT NULL CHECK (valid_months >= 0),
    recert_window_days  INTEGER NOT NULL CHECK (recert_window_days >= 0),
    pass_mark           INTEGER NOT NULL CHECK (pass_mark BETWEEN 1 AND 100),
    max_attempts        INTEGER NOT NULL CHECK (max_attempts >= 0),
    shuffle             BOOLEAN NOT NULL DEFAULT FALSE,
    requires_retraining BOOLEAN NOT NULL DEFAULT FALSE,
    revision            INTEGER NOT NULL DEFAULT 1,
    content_hash        TEXT NOT NULL,
    created_at          TIMESTAMP NOT NULL,
    updated_at          TIMESTAMP NOT NULL
);

-- The teams or roles a course is assigned to (empty for everyone).
CREATE TABLE course_audience (
    course_id INTEGER NOT NULL REFERENCES courses(id) ON DELETE CASCADE,
    value     TEXT NOT NULL,
    PRIMARY KEY (course_id, value)
);

-- Modules removed by a later revision are archived, not deleted: attempts
-- point at them.
CREATE TABLE course_modules (
    id         INTEGER PRIMARY KEY,
    course_id  INTEGER NOT NULL REFERENCES courses(id) ON DELETE CASCADE,
    position   INTEGER NOT NULL,
    title      TEXT NOT NULL,
    body       TEXT NOT NULL,
    archived   BOOLEAN NOT NULL DEFAULT FALSE,
    UNIQUE (course_id, position)
);

CREATE TABLE course_questions (
    id          INTEGER PRIMARY KEY,
    module_id   INTEGER NOT NULL REFERENCES course_modules(id) ON DELETE CASCADE,
    position    INTEGER NOT NULL,
    kind        TEXT NOT NULL CHECK (kind IN ('single', 'multiple', 'truefalse')),
    text        TEXT NOT NULL,
    explanation TEXT NOT NULL DEFAULT '',
    UNIQUE (module_id, position)
);

CREATE TABLE course_options (
    id          INTEGER PRIMARY KEY,
    question_id INTEGER NOT NULL REFERENCES course_questions(id) ON DELETE CASCADE,
    position    INTEGER NOT NULL,
    text        TEXT NOT NULL,
    correct     BOOLEAN NOT NULL DEFAULT FALSE,
    UNIQUE (question_id, position)
);
