-- The remembered standing of a course cycle may also keep the date a
-- report shows as due with it (courses.Dates.DueShown of the standing).
-- Only PostgreSQL writes and reads it: its team page walks the overdue and
-- lapsed items in that order, through two indexes this database does not
-- need (it walks the line as before). The column is here too so that both
-- databases have the same tables. Standings remembered before this
-- version are forgotten, as on PostgreSQL; the next refresh remembers
-- them again.
ALTER TABLE course_cycles ADD COLUMN standing_due TIMESTAMP;
UPDATE course_cycles SET standing = NULL, standing_from = NULL, standing_until = NULL WHERE standing IS NOT NULL;
DELETE FROM person_standings;
