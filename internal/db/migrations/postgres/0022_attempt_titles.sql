-- The course and module titles an attempt was shown under, so that
-- renaming a module or course later does not relabel past attempts.
-- Existing attempts take the titles they have now: the best record left.
-- NULL (rows written without them) reads as the current title.
ALTER TABLE course_attempts ADD COLUMN course_title TEXT;
ALTER TABLE course_attempts ADD COLUMN module_title TEXT;
UPDATE course_attempts SET
    module_title = (SELECT m.title FROM course_modules m WHERE m.id = course_attempts.module_id),
    course_title = (SELECT c.title FROM course_modules m JOIN courses c ON c.id = m.course_id
        WHERE m.id = course_attempts.module_id);
