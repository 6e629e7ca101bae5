-- SQLite's 0300 gives it the two indexes by which the team page walks a
-- line's late items in due order, and remembers the due date shown with
-- every cycle standing. PostgreSQL has had both since 0260; nothing
-- changes here.
SELECT 1;
