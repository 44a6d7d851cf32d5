-- Risk classification (issue 3). Keep in step with migrations/sqlite/0003_classification.sql.
ALTER TABLE systems ADD COLUMN risk_answers_json TEXT NOT NULL DEFAULT '{}';

CREATE TABLE classifications (
    system_id        BIGINT NOT NULL REFERENCES systems(id),
    version          BIGINT NOT NULL,
    ruleset_id       TEXT NOT NULL,
    ruleset_version  TEXT NOT NULL,
    ruleset_sha256   TEXT NOT NULL,
    tier             TEXT NOT NULL,
    role             TEXT NOT NULL,
    answers_json     TEXT NOT NULL,
    result_json      TEXT NOT NULL,
    computed_at      TEXT NOT NULL,
    PRIMARY KEY (system_id, version)
);

CREATE TRIGGER classifications_append_only BEFORE UPDATE OR DELETE ON classifications
    FOR EACH ROW EXECUTE FUNCTION mizan_refuse_change();
CREATE TRIGGER classifications_no_truncate BEFORE TRUNCATE ON classifications
    FOR EACH STATEMENT EXECUTE FUNCTION mizan_refuse_change();

ALTER TABLE classifications ENABLE ROW LEVEL SECURITY;
ALTER TABLE classifications FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_fence ON classifications
    USING (mizan_fenced_org() IS NULL OR EXISTS (SELECT 1 FROM systems s WHERE s.id = system_id AND s.org_id = mizan_fenced_org()))
    WITH CHECK (mizan_fenced_org() IS NULL OR EXISTS (SELECT 1 FROM systems s WHERE s.id = system_id AND s.org_id = mizan_fenced_org()));

CREATE INDEX public_register_tier ON public_register(risk_tier);
