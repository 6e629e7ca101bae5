-- The team page reads a line's overdue and lapsed items in the order it
-- shows them, most overdue first, and stops at the page, on SQLite as on
-- PostgreSQL (0260): the refresh now remembers the due date shown with
-- every cycle standing here too (standing_due), and two indexes walk the
-- organisation's late course cycles and overdue policy standings by that
-- date. SQLite has no INCLUDE: the columns the walk reads are the index's
-- own. Standings remembered before this version have no date and are
-- forgotten; the next refresh remembers them again.
UPDATE course_cycles SET standing = NULL, standing_from = NULL, standing_until = NULL WHERE standing IS NOT NULL;
DELETE FROM person_standings;
CREATE INDEX course_cycles_late ON course_cycles
    (standing_due, user_id, course_id, standing, standing_from, standing_until, completed_at)
    WHERE closed_at IS NULL AND standing IN ('overdue', 'lapsed');
CREATE INDEX policy_standings_late ON policy_standings (due_at) WHERE status = 'overdue';
