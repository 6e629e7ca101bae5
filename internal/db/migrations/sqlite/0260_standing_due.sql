-- The remembered standing of a course cycle also keeps the date a report
-- shows as due with it (courses.Dates.DueShown of the standing). Only
-- PostgreSQL reads it (the team page's overdue and lapsed items in the
-- order it shows them, through two indexes this database does not need:
-- it walks the line as before). Standings remembered before this version
-- have no date and are forgotten; the next refresh remembers them again.
ALTER TABLE course_cycles ADD COLUMN standing_due TIMESTAMP;
UPDATE course_cycles SET standing = NULL, standing_from = NULL, standing_until = NULL WHERE standing IS NOT NULL;
DELETE FROM person_standings;
