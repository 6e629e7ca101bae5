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

CREATE FUNCTION course_cycles_standing_stale() RETURNS trigger AS $$
BEGIN
    NEW.standing := NULL;
    NEW.standing_from := NULL;
    NEW.standing_until := NULL;
    RETURN NEW;
END
$$ LANGUAGE plpgsql;
CREATE TRIGGER course_cycles_standing_stale BEFORE UPDATE OF exempt, exempt_at, completed_at, expires_at,
    lapses_at, due_at, started_at, closed_at ON course_cycles
    FOR EACH ROW WHEN (OLD.exempt IS DISTINCT FROM NEW.exempt OR OLD.exempt_at IS DISTINCT FROM NEW.exempt_at OR
        OLD.completed_at IS DISTINCT FROM NEW.completed_at OR
        OLD.expires_at IS DISTINCT FROM NEW.expires_at OR
        OLD.lapses_at IS DISTINCT FROM NEW.lapses_at OR OLD.due_at IS DISTINCT FROM NEW.due_at OR
        OLD.started_at IS DISTINCT FROM NEW.started_at OR
        OLD.closed_at IS DISTINCT FROM NEW.closed_at)
    EXECUTE FUNCTION course_cycles_standing_stale();

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
    user_id         BIGINT NOT NULL,
    policy_id       BIGINT NOT NULL,
    version_id      BIGINT NOT NULL,
    status          TEXT NOT NULL,
    due_at          TIMESTAMPTZ,
    last_at         TIMESTAMPTZ,
    standing_from   BIGINT NOT NULL,
    standing_until  BIGINT NOT NULL,
    PRIMARY KEY (user_id, policy_id)
);
CREATE INDEX policy_standings_policy ON policy_standings(policy_id, status);

CREATE FUNCTION policy_standings_forget_ack() RETURNS trigger AS $$
DECLARE
    r policy_acknowledgements;
BEGIN
    IF TG_OP = 'DELETE' THEN r := OLD; ELSE r := NEW; END IF;
    DELETE FROM policy_standings WHERE user_id = r.user_id
        AND policy_id = (SELECT policy_id FROM policy_versions WHERE id = r.version_id);
    RETURN NULL;
END
$$ LANGUAGE plpgsql;
CREATE TRIGGER policy_standings_ack_changed AFTER INSERT OR DELETE ON policy_acknowledgements
    FOR EACH ROW EXECUTE FUNCTION policy_standings_forget_ack();

CREATE FUNCTION policy_standings_forget_policy() RETURNS trigger AS $$
BEGIN
    DELETE FROM policy_standings WHERE policy_id = NEW.policy_id;
    RETURN NULL;
END
$$ LANGUAGE plpgsql;
CREATE TRIGGER policy_standings_version_published AFTER INSERT OR UPDATE ON policy_versions
    FOR EACH ROW WHEN (NEW.status = 'published')
    EXECUTE FUNCTION policy_standings_forget_policy();

CREATE FUNCTION policy_standings_forget_rules() RETURNS trigger AS $$
BEGIN
    DELETE FROM policy_standings WHERE policy_id = NEW.id;
    RETURN NULL;
END
$$ LANGUAGE plpgsql;
CREATE TRIGGER policy_standings_policy_changed AFTER UPDATE OF audience, requires_ack, ack_within_days,
    reack_months ON policies
    FOR EACH ROW EXECUTE FUNCTION policy_standings_forget_rules();

CREATE FUNCTION policy_standings_forget_person() RETURNS trigger AS $$
BEGIN
    DELETE FROM policy_standings WHERE user_id = NEW.id;
    RETURN NULL;
END
$$ LANGUAGE plpgsql;
CREATE TRIGGER policy_standings_joined_changed AFTER UPDATE OF created_at ON users
    FOR EACH ROW EXECUTE FUNCTION policy_standings_forget_person();
