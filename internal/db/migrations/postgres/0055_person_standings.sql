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
    user_id         BIGINT PRIMARY KEY,
    team_id         BIGINT,
    standing_from   BIGINT NOT NULL,
    standing_until  BIGINT NOT NULL,
    courses         TEXT NOT NULL,
    policies        TEXT NOT NULL
);

CREATE FUNCTION person_standings_forget_cycle() RETURNS trigger AS $$
BEGIN
    IF TG_OP <> 'INSERT' THEN
        DELETE FROM person_standings WHERE user_id = OLD.user_id;
    END IF;
    IF TG_OP <> 'DELETE' THEN
        DELETE FROM person_standings WHERE user_id = NEW.user_id;
    END IF;
    RETURN NULL;
END
$$ LANGUAGE plpgsql;
CREATE TRIGGER person_standings_cycle_added AFTER INSERT OR DELETE ON course_cycles
    FOR EACH ROW EXECUTE FUNCTION person_standings_forget_cycle();
CREATE TRIGGER person_standings_cycle_changed AFTER UPDATE OF user_id, course_id, exempt, exempt_at, completed_at,
    expires_at, lapses_at, due_at, started_at, closed_at ON course_cycles
    FOR EACH ROW WHEN (OLD.user_id IS DISTINCT FROM NEW.user_id OR
        OLD.course_id IS DISTINCT FROM NEW.course_id OR OLD.exempt IS DISTINCT FROM NEW.exempt OR
        OLD.exempt_at IS DISTINCT FROM NEW.exempt_at OR
        OLD.completed_at IS DISTINCT FROM NEW.completed_at OR
        OLD.expires_at IS DISTINCT FROM NEW.expires_at OR
        OLD.lapses_at IS DISTINCT FROM NEW.lapses_at OR OLD.due_at IS DISTINCT FROM NEW.due_at OR
        OLD.started_at IS DISTINCT FROM NEW.started_at OR
        OLD.closed_at IS DISTINCT FROM NEW.closed_at)
    EXECUTE FUNCTION person_standings_forget_cycle();

CREATE FUNCTION person_standings_forget_ack() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        DELETE FROM person_standings WHERE user_id = OLD.user_id;
    ELSE
        DELETE FROM person_standings WHERE user_id = NEW.user_id;
    END IF;
    RETURN NULL;
END
$$ LANGUAGE plpgsql;
CREATE TRIGGER person_standings_ack_changed AFTER INSERT OR DELETE ON policy_acknowledgements
    FOR EACH ROW EXECUTE FUNCTION person_standings_forget_ack();

CREATE FUNCTION person_standings_forget_all() RETURNS trigger AS $$
BEGIN
    DELETE FROM person_standings;
    RETURN NULL;
END
$$ LANGUAGE plpgsql;
CREATE TRIGGER person_standings_version_published AFTER INSERT OR UPDATE ON policy_versions
    FOR EACH ROW WHEN (NEW.status = 'published')
    EXECUTE FUNCTION person_standings_forget_all();
CREATE TRIGGER person_standings_policy_changed AFTER UPDATE OF audience, requires_ack, ack_within_days,
    reack_months ON policies
    FOR EACH ROW EXECUTE FUNCTION person_standings_forget_all();

CREATE FUNCTION person_standings_forget_person() RETURNS trigger AS $$
BEGIN
    DELETE FROM person_standings WHERE user_id = NEW.id;
    RETURN NULL;
END
$$ LANGUAGE plpgsql;
CREATE TRIGGER person_standings_person_changed AFTER UPDATE OF created_at, active, team_id ON users
    FOR EACH ROW EXECUTE FUNCTION person_standings_forget_person();
