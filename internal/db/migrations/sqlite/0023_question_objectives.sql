-- A question's learning objective: questions of a module sharing one are
-- variants, and each attempt shows one of them. Empty: always shown.
ALTER TABLE course_questions ADD COLUMN objective TEXT NOT NULL DEFAULT '';
