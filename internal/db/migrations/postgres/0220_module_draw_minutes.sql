-- A module's quiz may show draw of its question slots per attempt (0: all
-- of them), and its author may say how many minutes it takes (0: Steward
-- estimates it from the lesson's length and the questions shown).
ALTER TABLE course_modules ADD COLUMN draw INTEGER NOT NULL DEFAULT 0 CHECK (draw >= 0);
ALTER TABLE course_modules ADD COLUMN minutes INTEGER NOT NULL DEFAULT 0 CHECK (minutes >= 0);
