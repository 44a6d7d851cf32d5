-- Keep in step with migrations/sqlite/0006_obligation_status.sql.
CREATE TABLE obligation_status (
    system_id      BIGINT NOT NULL REFERENCES systems(id),
    obligation_id  TEXT NOT NULL,
    status         TEXT NOT NULL,
    evidence_url   TEXT NOT NULL,
    note           TEXT NOT NULL,
    updated_by     TEXT NOT NULL,
    updated_at     TEXT NOT NULL,
    PRIMARY KEY (system_id, obligation_id)
);
ALTER TABLE obligation_status ENABLE ROW LEVEL SECURITY;
ALTER TABLE obligation_status FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_fence ON obligation_status
    USING (mizan_fenced_org() IS NULL OR EXISTS (SELECT 1 FROM systems s WHERE s.id = system_id AND s.org_id = mizan_fenced_org()))
    WITH CHECK (mizan_fenced_org() IS NULL OR EXISTS (SELECT 1 FROM systems s WHERE s.id = system_id AND s.org_id = mizan_fenced_org()));
