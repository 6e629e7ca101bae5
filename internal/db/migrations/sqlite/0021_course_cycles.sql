-- Assignment cycles: one row per user, course and cycle. The current cycle
-- of a user and course is the one with closed_at NULL; closed cycles stay as
-- evidence.
CREATE TABLE course_cycles (
    id                 INTEGER PRIMARY KEY,
    user_id            INTEGER NOT NULL REFERENCES users(id),
    course_id          INTEGER NOT NULL REFERENCES courses(id),
    seq                INTEGER NOT NULL,
    assigned_at        TIMESTAMP NOT NULL,
    due_at             TIMESTAMP NOT NULL,
    lapses_at          TIMESTAMP,
    started_at         TIMESTAMP,
    completed_at       TIMESTAMP,
    completed_revision INTEGER,
    expires_at         TIMESTAMP,
    score              INTEGER,
    exempt             BOOLEAN NOT NULL DEFAULT FALSE,
    exempt_reason      TEXT NOT NULL DEFAULT '',
    exempt_by          INTEGER REFERENCES users(id),
    exempt_at          TIMESTAMP,
    closed_at          TIMESTAMP,
    closed_reason      TEXT NOT NULL DEFAULT '',
    UNIQUE (user_id, course_id, seq)
);
CREATE UNIQUE INDEX course_cycles_current ON course_cycles(user_id, course_id) WHERE closed_at IS NULL;
CREATE INDEX course_cycles_course ON course_cycles(course_id, closed_at);

-- One row per quiz shown; submitted_at is set once, which makes a second
-- submission of the same token a no-op.
CREATE TABLE course_attempts (
    id           INTEGER PRIMARY KEY,
    token        TEXT NOT NULL UNIQUE,
    cycle_id     INTEGER NOT NULL REFERENCES course_cycles(id),
    module_id    INTEGER NOT NULL REFERENCES course_modules(id),
    user_id      INTEGER NOT NULL REFERENCES users(id),
    seed         INTEGER NOT NULL,
    revision     INTEGER NOT NULL,
    started_at   TIMESTAMP NOT NULL,
    submitted_at TIMESTAMP,
    score        INTEGER,
    passed       BOOLEAN,
    answers      TEXT NOT NULL DEFAULT ''
);
CREATE INDEX course_attempts_cycle ON course_attempts(cycle_id, module_id);

CREATE TABLE course_certificates (
    id           INTEGER PRIMARY KEY,
    code         TEXT NOT NULL UNIQUE,
    cycle_id     INTEGER NOT NULL UNIQUE REFERENCES course_cycles(id),
    created_at   TIMESTAMP NOT NULL
);
