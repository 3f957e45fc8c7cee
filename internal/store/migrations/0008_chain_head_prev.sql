-- The hash the chain head held before its last append. An append done in one
-- statement sets it from the row it locks, so the new audit record can name its
-- predecessor even when another server appended in between (UPDATE ... RETURNING
-- only returns the new values).
ALTER TABLE chain_head ADD COLUMN prev_hash TEXT NOT NULL DEFAULT '';
