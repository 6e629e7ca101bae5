-- A person's standing with a staff policy counts from the day they were
-- hired (policies.Joined), no longer from when their row was inserted: a
-- change of hire date forgets their standings, and the standings remembered
-- from the insertion time go.
DROP TRIGGER policy_standings_joined_changed;
CREATE TRIGGER policy_standings_joined_changed AFTER UPDATE OF created_at, hired_on ON users
BEGIN
    DELETE FROM policy_standings WHERE user_id = NEW.id;
END;
DROP TRIGGER person_standings_person_changed;
CREATE TRIGGER person_standings_person_changed AFTER UPDATE OF created_at, hired_on, active, team_id ON users
BEGIN
    DELETE FROM person_standings WHERE user_id = NEW.id;
END;
DELETE FROM policy_standings;
DELETE FROM person_standings;
