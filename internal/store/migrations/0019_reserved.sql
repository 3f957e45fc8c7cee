-- Placeholder: this number belongs to a change made on another branch.
-- Replace this file with that change's migration when the branches meet.
SELECT 1;
