-- A published version's text is frozen with the organisation's facts in it
-- (body_md); source_md keeps the text as the author wrote it, with its
-- {{org.KEY}} placeholders, so the next draft starts from that. NULL when
-- the two are the same.
ALTER TABLE policy_versions ADD COLUMN source_md TEXT;
