-- A spreadsheet kept between the steps of the import page (upload, column
-- mapping, dry run, commit). Portable SQL: text ids, fixed-width UTC text
-- times, the file's bytes as base64 text. Uploads older than a day are
-- deleted whenever a new one is stored.
CREATE TABLE import_uploads (
    id TEXT PRIMARY KEY,
    user_id TEXT NOT NULL,
    file_name TEXT NOT NULL,
    content_type TEXT NOT NULL,
    content TEXT NOT NULL,              -- base64 (standard encoding)
    created_at TEXT NOT NULL
);
CREATE INDEX import_uploads_created ON import_uploads (created_at);
