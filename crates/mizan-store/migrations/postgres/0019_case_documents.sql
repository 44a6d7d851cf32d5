-- Keep in step with migrations/sqlite/0019_case_documents.sql (which explains each column).
CREATE TABLE case_documents (
    case_id     BIGINT NOT NULL REFERENCES cases(id),
    seq         BIGINT NOT NULL,
    sha256      TEXT NOT NULL,
    size_bytes  BIGINT NOT NULL,
    media_type  TEXT NOT NULL,
    file_name   TEXT NOT NULL,
    at          TEXT NOT NULL,
    PRIMARY KEY (case_id, sha256)
);
CREATE INDEX case_documents_sha256 ON case_documents(sha256);
ALTER TABLE case_documents ENABLE ROW LEVEL SECURITY;
ALTER TABLE case_documents FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_fence ON case_documents
    USING (mizan_fenced_org() IS NULL OR EXISTS (SELECT 1 FROM cases c WHERE c.id = case_id AND c.org_id = mizan_fenced_org()))
    WITH CHECK (mizan_fenced_org() IS NULL OR EXISTS (SELECT 1 FROM cases c WHERE c.id = case_id AND c.org_id = mizan_fenced_org()));

ALTER TABLE cases ADD COLUMN public_summary TEXT;
