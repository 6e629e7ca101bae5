-- The baseline: Steward's whole schema as of its first release. Later
-- changes are new files numbered from 0100 up; a file, once merged, is
-- never edited (Migrate compares each applied file's SHA-256 with the one
-- it recorded). Written for SQLite; postgres/0001_baseline.sql is its twin.

-- People -----------------------------------------------------------------

-- Teams, users and their reporting tree. A person deactivated longer than
-- the retention period is pseudonymised: their name and email are
-- replaced and the time recorded (pseudonymised_at); their evidence rows
-- stay and still count.
CREATE TABLE teams (
    id          INTEGER PRIMARY KEY,
    name        TEXT NOT NULL UNIQUE,
    created_at  TIMESTAMP NOT NULL
);

CREATE TABLE users (
    id               INTEGER PRIMARY KEY,
    email            TEXT NOT NULL UNIQUE,
    name             TEXT NOT NULL,
    role             TEXT NOT NULL CHECK (role IN ('employee', 'manager', 'admin', 'auditor')),
    team_id          INTEGER REFERENCES teams(id),
    manager_id       INTEGER REFERENCES users(id),
    hired_on         DATE,
    active           BOOLEAN NOT NULL DEFAULT TRUE,
    deactivated_at   TIMESTAMP,
    password_hash    TEXT NOT NULL DEFAULT '',
    created_at       TIMESTAMP NOT NULL,
    updated_at       TIMESTAMP NOT NULL,
    pseudonymised_at TIMESTAMP,
    CHECK (manager_id IS NULL OR manager_id <> id)
);
CREATE INDEX users_manager ON users(manager_id);
CREATE INDEX users_team ON users(team_id);

-- Secrets the installation generates for itself when none are configured
-- (the session signing key, the subscriber-hash key), newest generation
-- first. Kept in the database so that every instance of one installation
-- finds the same key.
CREATE TABLE installation_keys (
    purpose     TEXT NOT NULL,
    generation  INTEGER NOT NULL,
    secret      BLOB NOT NULL,
    created_at  TIMESTAMP NOT NULL,
    PRIMARY KEY (purpose, generation)
);

-- Signed-in sessions, so that signing out, a password change, deactivation
-- or a role change ends them on the server, whatever cookie was copied.
-- The cookie carries a random id; only its SHA-256 is stored.
CREATE TABLE sessions (
    id_hash     TEXT PRIMARY KEY,
    user_id     INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    created_at  TIMESTAMP NOT NULL,
    seen_at     TIMESTAMP NOT NULL,
    ended_at    TIMESTAMP,
    ended_why   TEXT NOT NULL DEFAULT '',
    device      TEXT NOT NULL DEFAULT '',
    address     TEXT NOT NULL DEFAULT ''
);
CREATE INDEX sessions_user_active ON sessions(user_id) WHERE ended_at IS NULL;
CREATE INDEX sessions_ended ON sessions(ended_at) WHERE ended_at IS NOT NULL;

-- Policies ---------------------------------------------------------------

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
-- Reports read each person's latest acknowledgements by version (the
-- organisation) or by person (a manager's line); these indexes hold
-- everything those reads need.
CREATE INDEX policy_acknowledgements_version_user ON policy_acknowledgements(version_id, user_id, acknowledged_at);
CREATE INDEX policy_acknowledgements_user_version ON policy_acknowledgements(user_id, version_id, acknowledged_at);

CREATE TRIGGER policy_acknowledgements_no_update BEFORE UPDATE ON policy_acknowledgements
BEGIN SELECT RAISE(ABORT, 'acknowledgements are never overwritten'); END;

-- Customers who asked for change notices: only the address, a token and
-- dates. confirmation_sent_at is when the last confirmation email went to
-- the address: at most one goes a day (policies.ConfirmationEvery),
-- however often the form is sent, by however many instances.
CREATE TABLE policy_subscriptions (
    id                    INTEGER PRIMARY KEY,
    email                 TEXT NOT NULL UNIQUE,
    token                 TEXT NOT NULL UNIQUE,
    created_at            TIMESTAMP NOT NULL,
    confirmed_at          TIMESTAMP,
    confirmation_sent_at  TIMESTAMP
);

-- Courses ----------------------------------------------------------------

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

-- A question's learning objective: questions of a module sharing one are
-- variants, and each attempt shows one of them. Empty: always shown.
CREATE TABLE course_questions (
    id          INTEGER PRIMARY KEY,
    module_id   INTEGER NOT NULL REFERENCES course_modules(id) ON DELETE CASCADE,
    position    INTEGER NOT NULL,
    kind        TEXT NOT NULL CHECK (kind IN ('single', 'multiple', 'truefalse')),
    text        TEXT NOT NULL,
    explanation TEXT NOT NULL DEFAULT '',
    objective   TEXT NOT NULL DEFAULT '',
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

-- Assignment cycles: one row per user, course and cycle. The current cycle
-- of a user and course is the one with closed_at NULL; closed cycles stay as
-- evidence. standing, standing_from and standing_until remember the
-- cycle's status (see "Report standings" below).
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
    standing           TEXT,
    standing_from      BIGINT,
    standing_until     BIGINT,
    UNIQUE (user_id, course_id, seq)
);
CREATE UNIQUE INDEX course_cycles_current ON course_cycles(user_id, course_id) WHERE closed_at IS NULL;
CREATE INDEX course_cycles_course ON course_cycles(course_id, closed_at);

-- One row per quiz shown; submitted_at is set once, which makes a second
-- submission of the same token a no-op. course_title and module_title are
-- the titles the attempt was shown under, so that renaming a module or
-- course later does not relabel past attempts; NULL reads as the current
-- title.
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
    answers      TEXT NOT NULL DEFAULT '',
    course_title TEXT,
    module_title TEXT
);
CREATE INDEX course_attempts_cycle ON course_attempts(cycle_id, module_id);

CREATE TABLE course_certificates (
    id           INTEGER PRIMARY KEY,
    code         TEXT NOT NULL UNIQUE,
    cycle_id     INTEGER NOT NULL UNIQUE REFERENCES course_cycles(id),
    created_at   TIMESTAMP NOT NULL
);

-- Mail and reminders -----------------------------------------------------

-- The outbox: every email is a row written in the same transaction as the
-- change that causes it. A worker delivers it. A worker claims due rows by
-- stamping them with its own token in one UPDATE, then reads back exactly
-- the rows carrying that token, so two workers never send the same row;
-- claimed_at lets a later start tell a row abandoned by a crash from one
-- another worker is sending right now. A message whose body carries a link
-- that grants access (an invitation, a password reset, a subscription
-- confirmation) is marked secret when it is queued: the worker sends it,
-- but no admin page shows its body, headers or dedupe key.
CREATE TABLE outbox (
    id              INTEGER PRIMARY KEY,
    dedupe_key      TEXT NOT NULL UNIQUE,
    recipient       TEXT NOT NULL,
    user_id         INTEGER REFERENCES users(id),
    kind            TEXT NOT NULL,
    subject         TEXT NOT NULL,
    body_text       TEXT NOT NULL,
    body_html       TEXT NOT NULL,
    headers         TEXT NOT NULL DEFAULT '{}',
    status          TEXT NOT NULL DEFAULT 'queued'
                    CHECK (status IN ('queued', 'sending', 'sent', 'failed', 'dead', 'dropped')),
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at TIMESTAMP NOT NULL,
    last_error      TEXT NOT NULL DEFAULT '',
    created_at      TIMESTAMP NOT NULL,
    sent_at         TIMESTAMP,
    claim_token     TEXT,
    claimed_at      TIMESTAMP,
    secret          BOOLEAN NOT NULL DEFAULT FALSE
);
CREATE INDEX outbox_due ON outbox(status, next_attempt_at);
CREATE INDEX outbox_user ON outbox(user_id);
-- Only a row being sent carries a claim token; the rest (nearly all, and
-- every row a reminder sweep queues) need no entry in its index.
CREATE INDEX outbox_claim ON outbox(claim_token) WHERE claim_token IS NOT NULL;
CREATE INDEX outbox_kind ON outbox(kind, status);

-- One-time tokens for invitations and password resets. Only the SHA-256 of
-- the token is kept; the token itself exists only in the email.
CREATE TABLE one_time_tokens (
    id          INTEGER PRIMARY KEY,
    purpose     TEXT NOT NULL CHECK (purpose IN ('invite', 'reset')),
    token_hash  TEXT NOT NULL UNIQUE,
    user_id     INTEGER NOT NULL REFERENCES users(id),
    expires_at  TIMESTAMP NOT NULL,
    used_at     TIMESTAMP,
    created_at  TIMESTAMP NOT NULL
);
CREATE INDEX one_time_tokens_user ON one_time_tokens(user_id, purpose);

-- Reminders: every announced event, so none is announced twice. An event
-- is a stage (assigned, due_soon, overdue:2, escalation, ...) of a subject
-- (a course cycle, or a policy version someone must acknowledge) for the
-- person whose item it is; recipient_id is who was told (the person, or
-- their manager for escalations). outbox_id names the outbox row that
-- carried it, which lets the outbox worker check at send time that the
-- reason is still there; an integer that only ever grows, so its index is
-- appended to. digest_key, the email's dedupe key, stays unindexed, for
-- reading. The sweep records half a million events on a busy day, so the
-- table holds no foreign keys to users: they would be checked twice per
-- event, and users are deactivated, never deleted.
CREATE TABLE reminder_events (
    id            INTEGER PRIMARY KEY,
    subject_type  TEXT NOT NULL CHECK (subject_type IN ('cycle', 'ack')),
    subject_id    INTEGER NOT NULL,
    user_id       INTEGER NOT NULL,
    round         TEXT NOT NULL DEFAULT '',
    stage         TEXT NOT NULL,
    recipient_id  INTEGER NOT NULL,
    digest_key    TEXT NOT NULL,
    created_at    TIMESTAMP NOT NULL,
    outbox_id     INTEGER,
    UNIQUE (subject_type, subject_id, user_id, round, stage)
);
CREATE INDEX reminder_events_outbox ON reminder_events(outbox_id);

-- Completed sweeps: a start that finds the last run missed runs at once.
CREATE TABLE reminder_runs (
    id           INTEGER PRIMARY KEY,
    ran_for      TIMESTAMP NOT NULL,
    started_at   TIMESTAMP NOT NULL,
    finished_at  TIMESTAMP NOT NULL,
    digests      INTEGER NOT NULL,
    events       INTEGER NOT NULL
);
CREATE INDEX reminder_runs_started ON reminder_runs(started_at);

-- Named leases: whoever holds an unexpired lease may do the named job.
-- Taken by a conditional UPDATE, so two processes on one database never
-- both hold it.
CREATE TABLE leases (
    name        TEXT PRIMARY KEY,
    holder      TEXT NOT NULL DEFAULT '',
    expires_at  TIMESTAMP NOT NULL
);

-- What a person chose about reminders. A missing row means the defaults:
-- managers get the weekly summary of their reporting line.
CREATE TABLE reminder_preferences (
    user_id      INTEGER PRIMARY KEY REFERENCES users(id),
    team_weekly  BOOLEAN NOT NULL DEFAULT TRUE,
    updated_at   TIMESTAMP NOT NULL
);

-- Audit and retention ----------------------------------------------------

-- Append-only, hash-chained audit log. Each row's hash covers a canonical
-- encoding of the row and the previous row's hash.
CREATE TABLE audit_log (
    id         INTEGER PRIMARY KEY,
    at         TIMESTAMP NOT NULL,
    actor_id   INTEGER,
    actor      TEXT NOT NULL DEFAULT '',
    action     TEXT NOT NULL,
    target     TEXT NOT NULL DEFAULT '',
    detail     TEXT NOT NULL DEFAULT '',
    prev_hash  TEXT NOT NULL,
    hash       TEXT NOT NULL UNIQUE
);
CREATE INDEX audit_log_at ON audit_log(at);
CREATE INDEX audit_log_action ON audit_log(action);

CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;

-- Addresses that unsubscribed, never mailed again, kept only as a hash so
-- that they are recognised without being stored: an HMAC-SHA-256 under the
-- installation's "subscriber-hash" key, so that a list of likely addresses
-- cannot reverse them. keyed = FALSE marks an unkeyed SHA-256 digest: the
-- next retention run re-keys it (the HMAC is taken over that digest, so no
-- address is needed), and until then lookups match both forms.
CREATE TABLE suppressed_addresses (
    hash   TEXT PRIMARY KEY,
    keyed  BOOLEAN NOT NULL DEFAULT FALSE
);

-- Every retention run (not dry runs), with what it purged (counts only;
-- sessions: the records of sessions that ended, or were abandoned, more
-- than 30 days before). The scheduler reads the last one to run once a day.
CREATE TABLE retention_runs (
    id             INTEGER PRIMARY KEY,
    ran_at         TIMESTAMP NOT NULL,
    people         INTEGER NOT NULL,
    subscriptions  INTEGER NOT NULL,
    addresses      INTEGER NOT NULL,
    dropped_mail   INTEGER NOT NULL,
    mail_bodies    INTEGER NOT NULL,
    sessions       INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX retention_runs_ran_at ON retention_runs(ran_at);

-- Reports ----------------------------------------------------------------

-- Compliance at past month ends, person by person. History is written at
-- the moment it happens, so a month that has ended never changes; keeping
-- the rows by person (not by manager or team) means a change to the
-- reporting tree or to teams changes nothing here: reports group by the
-- tree and teams as they are today.
CREATE TABLE report_trend_months (
    month_end  TIMESTAMP NOT NULL,
    user_id    INTEGER NOT NULL,
    items      INTEGER NOT NULL,
    good       INTEGER NOT NULL,
    PRIMARY KEY (user_id, month_end)
) WITHOUT ROWID;

-- The month ends already computed, even those with nothing to count,
-- with the organisation's totals.
CREATE TABLE report_trend_computed (
    month_end  TIMESTAMP PRIMARY KEY,
    items      INTEGER NOT NULL,
    good       INTEGER NOT NULL
);

-- Report standings: where each person stands with each current course
-- cycle and each staff policy, remembered with the span of time over
-- which that answer holds, [standing_from, standing_until) in Unix
-- nanoseconds. Reports use a remembered standing only when the moment
-- they report on falls inside its span, and otherwise derive it from the
-- records, so a missing or outdated standing is slower, never wrong.
-- reports.Store.Refresh fills them in; the triggers below forget a
-- standing the moment a record it was derived from changes.

-- Status of current cycles, readable from the index alone, whether a
-- report uses the standing or not: by course for the organisation, by
-- person for a manager's line. closed_at is listed although always NULL
-- here: a query that tests it is then answered by the index without
-- reading the table.
CREATE INDEX course_cycles_status_by_course ON course_cycles(course_id, user_id, standing_from, standing_until,
    standing, exempt, exempt_at, completed_at, expires_at, lapses_at, due_at, started_at, closed_at)
    WHERE closed_at IS NULL;
CREATE INDEX course_cycles_status_by_user ON course_cycles(user_id, course_id, standing_from, standing_until,
    standing, exempt, exempt_at, completed_at, expires_at, lapses_at, due_at, started_at, closed_at)
    WHERE closed_at IS NULL;

CREATE TRIGGER course_cycles_standing_stale AFTER UPDATE OF exempt, exempt_at, completed_at, expires_at,
    lapses_at, due_at, started_at, closed_at ON course_cycles
    WHEN NEW.standing IS NOT NULL AND (OLD.exempt IS NOT NEW.exempt OR OLD.exempt_at IS NOT NEW.exempt_at OR
        OLD.completed_at IS NOT NEW.completed_at OR OLD.expires_at IS NOT NEW.expires_at OR
        OLD.lapses_at IS NOT NEW.lapses_at OR OLD.due_at IS NOT NEW.due_at OR
        OLD.started_at IS NOT NEW.started_at OR OLD.closed_at IS NOT NEW.closed_at)
BEGIN
    UPDATE course_cycles SET standing = NULL, standing_from = NULL, standing_until = NULL WHERE id = NEW.id;
END;

-- A person's standing with the version of a staff policy in effect:
-- status (acknowledged, pending, overdue), when the acknowledgement is or
-- was due, and their latest acknowledgement that counts. It counts from
-- the day they were hired (policies.Joined), so a change of hire date
-- forgets it.
CREATE TABLE policy_standings (
    user_id         INTEGER NOT NULL,
    policy_id       INTEGER NOT NULL,
    version_id      INTEGER NOT NULL,
    status          TEXT NOT NULL,
    due_at          TIMESTAMP,
    last_at         TIMESTAMP,
    standing_from   BIGINT NOT NULL,
    standing_until  BIGINT NOT NULL,
    PRIMARY KEY (user_id, policy_id)
) WITHOUT ROWID;
CREATE INDEX policy_standings_policy ON policy_standings(policy_id, status);

CREATE TRIGGER policy_standings_ack_added AFTER INSERT ON policy_acknowledgements
BEGIN
    DELETE FROM policy_standings WHERE user_id = NEW.user_id
        AND policy_id = (SELECT policy_id FROM policy_versions WHERE id = NEW.version_id);
END;
CREATE TRIGGER policy_standings_ack_removed AFTER DELETE ON policy_acknowledgements
BEGIN
    DELETE FROM policy_standings WHERE user_id = OLD.user_id
        AND policy_id = (SELECT policy_id FROM policy_versions WHERE id = OLD.version_id);
END;
CREATE TRIGGER policy_standings_version_published AFTER INSERT ON policy_versions
    WHEN NEW.status = 'published'
BEGIN
    DELETE FROM policy_standings WHERE policy_id = NEW.policy_id;
END;
CREATE TRIGGER policy_standings_draft_published AFTER UPDATE ON policy_versions
    WHEN NEW.status = 'published'
BEGIN
    DELETE FROM policy_standings WHERE policy_id = NEW.policy_id;
END;
CREATE TRIGGER policy_standings_policy_changed AFTER UPDATE OF audience, requires_ack, ack_within_days,
    reack_months ON policies
BEGIN
    DELETE FROM policy_standings WHERE policy_id = NEW.id;
END;
CREATE TRIGGER policy_standings_joined_changed AFTER UPDATE OF created_at, hired_on ON users
BEGIN
    DELETE FROM policy_standings WHERE user_id = NEW.id;
END;

-- A person's standings in one row: the status of each current course
-- cycle and of each staff policy in effect, with the span over which all
-- of them hold (the narrowest of their spans). Report figures add these
-- rows up, one per person instead of one per cycle and policy; a person
-- without a row that holds is counted from the standings above or the
-- records. The row goes as soon as anything it summarises changes.
--   courses:  "<course id><status letter>" joined by ","
--   policies: "<policy id>.<version id><status letter>" joined by ","
-- (letters: see internal/reports/summary.go).
CREATE TABLE person_standings (
    user_id         INTEGER PRIMARY KEY,
    team_id         INTEGER,
    standing_from   BIGINT NOT NULL,
    standing_until  BIGINT NOT NULL,
    courses         TEXT NOT NULL,
    policies        TEXT NOT NULL
);

CREATE TRIGGER person_standings_cycle_added AFTER INSERT ON course_cycles
BEGIN
    DELETE FROM person_standings WHERE user_id = NEW.user_id;
END;
CREATE TRIGGER person_standings_cycle_changed AFTER UPDATE OF user_id, course_id, exempt, exempt_at, completed_at,
    expires_at, lapses_at, due_at, started_at, closed_at ON course_cycles
    WHEN OLD.user_id IS NOT NEW.user_id OR OLD.course_id IS NOT NEW.course_id OR
        OLD.exempt IS NOT NEW.exempt OR OLD.exempt_at IS NOT NEW.exempt_at OR
        OLD.completed_at IS NOT NEW.completed_at OR OLD.expires_at IS NOT NEW.expires_at OR
        OLD.lapses_at IS NOT NEW.lapses_at OR OLD.due_at IS NOT NEW.due_at OR
        OLD.started_at IS NOT NEW.started_at OR OLD.closed_at IS NOT NEW.closed_at
BEGIN
    DELETE FROM person_standings WHERE user_id IN (OLD.user_id, NEW.user_id);
END;
CREATE TRIGGER person_standings_cycle_removed AFTER DELETE ON course_cycles
BEGIN
    DELETE FROM person_standings WHERE user_id = OLD.user_id;
END;
CREATE TRIGGER person_standings_ack_added AFTER INSERT ON policy_acknowledgements
BEGIN
    DELETE FROM person_standings WHERE user_id = NEW.user_id;
END;
CREATE TRIGGER person_standings_ack_removed AFTER DELETE ON policy_acknowledgements
BEGIN
    DELETE FROM person_standings WHERE user_id = OLD.user_id;
END;
CREATE TRIGGER person_standings_version_published AFTER INSERT ON policy_versions
    WHEN NEW.status = 'published'
BEGIN
    DELETE FROM person_standings;
END;
CREATE TRIGGER person_standings_draft_published AFTER UPDATE ON policy_versions
    WHEN NEW.status = 'published'
BEGIN
    DELETE FROM person_standings;
END;
CREATE TRIGGER person_standings_policy_changed AFTER UPDATE OF audience, requires_ack, ack_within_days,
    reack_months ON policies
BEGIN
    DELETE FROM person_standings;
END;
CREATE TRIGGER person_standings_person_changed AFTER UPDATE OF created_at, hired_on, active, team_id ON users
BEGIN
    DELETE FROM person_standings WHERE user_id = NEW.id;
END;

-- The version of the course-status rule (courses.RuleVersion) that the
-- remembered course standings and summaries were derived with.
-- reports.Store.Refresh forgets them all when the running binary's rule
-- is another (a changed due-soon window, say), so that a remembered
-- answer is never one the rule no longer gives.
CREATE TABLE report_rule_version (
    id      INTEGER PRIMARY KEY CHECK (id = 1),
    version TEXT NOT NULL
);
