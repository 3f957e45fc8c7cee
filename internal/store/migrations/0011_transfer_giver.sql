-- A transfer's logbook line names the holder who gave the key away, so the
-- transfer is in their logbook too, not only the receiver's. Only transfers
-- fill it, so the partial index costs check-outs and check-ins nothing.
ALTER TABLE custody_events ADD COLUMN from_holder_id TEXT;
CREATE INDEX custody_events_from_holder ON custody_events (from_holder_id, audit_seq) WHERE from_holder_id IS NOT NULL;
