-- A material change to a public policy takes effect after a notice period
-- (STEWARD_POLICY_NOTICE_DAYS) unless its publisher records why it takes
-- effect sooner; the reason is public on the version's page. Empty when the
-- full notice was given, or none was owed.
ALTER TABLE policy_versions ADD COLUMN short_notice_reason TEXT NOT NULL DEFAULT '';
