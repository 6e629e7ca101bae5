-- The version of the course-status rule (courses.RuleVersion) that the
-- remembered course standings and summaries were derived with.
-- reports.Store.Refresh forgets them all when the running binary's rule
-- is another (a changed due-soon window, say), so that a remembered
-- answer is never one the rule no longer gives.
CREATE TABLE report_rule_version (
    id      INTEGER PRIMARY KEY CHECK (id = 1),
    version TEXT NOT NULL
);
