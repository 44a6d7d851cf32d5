-- Keep in step with migrations/postgres/0019_case_documents.sql.
-- Documents attached to a case's moves (issue #17: "documents attached to a move are
-- content-addressed files"), and the anonymised summary a reviewer may publish when the filer
-- consented.
--
-- The bytes live in files named by their SHA-256 (`<data-dir>/documents/sha256/<aa>/<hex>`), so
-- the same bytes are stored once however many cases attach them; a row links a case's entry to
-- a file. The entry's fields carry the hash too, so the entry's commitment (in the events log)
-- commits to the document. The rows are personal data: erasing a closed case's decision deletes
-- them, and a file no row names any more is deleted with them.
CREATE TABLE case_documents (
    case_id     INTEGER NOT NULL REFERENCES cases(id),
    -- The entry (move) the document came with; 0 is the filing.
    seq         INTEGER NOT NULL,
    -- SHA-256 of the bytes, lowercase hex: the file's name.
    sha256      TEXT NOT NULL,
    size_bytes  INTEGER NOT NULL,
    -- As sniffed from the bytes: application/pdf, image/png or image/jpeg.
    media_type  TEXT NOT NULL,
    -- The name the person gave it, cleaned.
    file_name   TEXT NOT NULL,
    at          TEXT NOT NULL,
    PRIMARY KEY (case_id, sha256)
);
CREATE INDEX case_documents_sha256 ON case_documents(sha256);

-- A short public summary (at most 500 characters, no contact or identity numbers), published
-- in the appeals dataset only when the filer consented (`publish_consent`).
ALTER TABLE cases ADD COLUMN public_summary TEXT;
