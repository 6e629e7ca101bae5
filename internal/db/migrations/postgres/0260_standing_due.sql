-- The remembered standing of a course cycle also keeps the date a report
-- shows as due with it (courses.Dates.DueShown of the standing), so that
-- the team page can read a line's overdue and lapsed items in the order
-- it shows them, most overdue first, and stop at the page: through
-- course_cycles_late for training and policy_standings_late for staff
-- policies. Standings remembered before this version have no date and
-- are forgotten; the next refresh remembers them again.
ALTER TABLE course_cycles ADD COLUMN standing_due TIMESTAMPTZ;
UPDATE course_cycles SET standing = NULL, standing_from = NULL, standing_until = NULL WHERE standing IS NOT NULL;
DELETE FROM person_standings;
-- It covers what the page reads of a cycle, so that the walk in due order
-- never visits the table (the planner walks it only when that is cheap).
CREATE INDEX course_cycles_late ON course_cycles (standing_due)
    INCLUDE (user_id, course_id, standing, standing_from, standing_until, completed_at)
    WHERE closed_at IS NULL AND standing IN ('overdue', 'lapsed');
CREATE INDEX policy_standings_late ON policy_standings (due_at) WHERE status = 'overdue';
