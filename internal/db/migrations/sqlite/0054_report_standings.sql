-- Standings: where each person stands with each current course cycle and
-- each staff policy, remembered with the span of time over which that
-- answer holds, [standing_from, standing_until) in Unix nanoseconds.
-- Reports use a remembered standing only when the moment they report on
-- falls inside its span, and otherwise derive it from the records as
-- before, so a missing or outdated standing is slower, never wrong. The
-- daily refresh (reports.Store.Refresh) fills them in; the triggers below
-- forget a standing the moment a record it was derived from changes.
ALTER TABLE course_cycles ADD COLUMN standing TEXT;
ALTER TABLE course_cycles ADD COLUMN standing_from BIGINT;
ALTER TABLE course_cycles ADD COLUMN standing_until BIGINT;

CREATE TRIGGER course_cycles_standing_stale AFTER UPDATE OF exempt, exempt_at, completed_at, expires_at,
    lapses_at, due_at, started_at, closed_at ON course_cycles
    WHEN NEW.standing IS NOT NULL AND (OLD.exempt IS NOT NEW.exempt OR OLD.exempt_at IS NOT NEW.exempt_at OR
        OLD.completed_at IS NOT NEW.completed_at OR OLD.expires_at IS NOT NEW.expires_at OR
        OLD.lapses_at IS NOT NEW.lapses_at OR OLD.due_at IS NOT NEW.due_at OR
        OLD.started_at IS NOT NEW.started_at OR OLD.closed_at IS NOT NEW.closed_at)
BEGIN
    UPDATE course_cycles SET standing = NULL, standing_from = NULL, standing_until = NULL WHERE id = NEW.id;
END;

-- The status indexes carry the standing, so that a report reads current
-- cycles from the index alone whether it uses the standing or not.
DROP INDEX course_cycles_status_by_course;
DROP INDEX course_cycles_status_by_user;
CREATE INDEX course_cycles_status_by_course ON course_cycles(course_id, user_id, standing_from, standing_until,
    standing, exempt, exempt_at, completed_at, expires_at, lapses_at, due_at, started_at, closed_at)
    WHERE closed_at IS NULL;
CREATE INDEX course_cycles_status_by_user ON course_cycles(user_id, course_id, standing_from, standing_until,
    standing, exempt, exempt_at, completed_at, expires_at, lapses_at, due_at, started_at, closed_at)
    WHERE closed_at IS NULL;

-- A person's standing with the version of a staff policy in effect:
-- status (acknowledged, pending, overdue), when the acknowledgement is or
-- was due, and their latest acknowledgement that counts.
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
CREATE TRIGGER policy_standings_joined_changed AFTER UPDATE OF created_at ON users
BEGIN
    DELETE FROM policy_standings WHERE user_id = NEW.id;
END;
