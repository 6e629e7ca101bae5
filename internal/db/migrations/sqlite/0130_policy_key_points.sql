-- A version's key points: the short layer of a layered notice, shown above
-- the full text and in the feed. One point a line, plain text.
ALTER TABLE policy_versions ADD COLUMN key_points TEXT NOT NULL DEFAULT '';
