-- Editing and retiring the directory: a retired site, opening, keyway or holder
-- keeps its row and history, leaves the default lists and can be restored.
-- A holder merged into another is retired and names the one who stayed.
ALTER TABLE sites ADD COLUMN retired_at TEXT;
ALTER TABLE openings ADD COLUMN retired_at TEXT;
ALTER TABLE keyways ADD COLUMN retired_at TEXT;
ALTER TABLE holders ADD COLUMN retired_at TEXT;
ALTER TABLE holders ADD COLUMN merged_into TEXT;
