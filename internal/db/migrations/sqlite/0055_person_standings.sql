-- A person's standings in one row: the status of each current course
-- cycle and of each staff policy in effect, with the span over which all
-- of them hold (the narrowest of their spans). Report figures add these
-- rows up, one per person instead of one per cycle and policy; a person
-- without a row that holds is counted from the standings of 0054 or the
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
CREATE TRIGGER person_standings_person_changed AFTER UPDATE OF created_at, active, team_id ON users
BEGIN
    DELETE FROM person_standings WHERE user_id = NEW.id;
END;
