-- Fairness audits attached to a system version. Keep in step with
-- migrations/postgres/0012_audits.sql.
--
-- An audit is computed once, from an uploaded decisions file (`source = 'upload'`: its name,
-- SHA-256 and size) or from the system's own logged decisions of that version decided in
-- [`window_from`, `window_to`) (`source = 'logged'`), by the provider or the regulator
-- (`run_by_role`). `parameters_json` holds the columns and settings it was run with,
-- `report_json` the `mizan.fairness.audit/1` document, `report_html` the same rendered as one
-- self-contained page, and `summary_json` the public summary (verdicts, and group sizes at or
-- above the disclosure threshold only). Reports are immutable: the table is append-only.
CREATE TABLE audits (
    id               INTEGER PRIMARY KEY,
    public_id        TEXT NOT NULL UNIQUE,
    system_id        INTEGER NOT NULL REFERENCES systems(id),
    version          INTEGER NOT NULL,
    run_by_user_id   INTEGER REFERENCES users(id),
    run_by_name      TEXT NOT NULL,
    run_by_org_id    INTEGER NOT NULL REFERENCES organisations(id),
    run_by_role      TEXT NOT NULL CHECK (run_by_role IN ('provider', 'regulator')),
    source           TEXT NOT NULL CHECK (source IN ('upload', 'logged')),
    file_name        TEXT,
    file_sha256      TEXT,
    file_size        INTEGER,
    window_from      TEXT,
    window_to        TEXT,
    rows_audited     INTEGER NOT NULL,
    preset           TEXT NOT NULL,
    parameters_json  TEXT NOT NULL,
    report_json      TEXT NOT NULL,
    report_html      TEXT NOT NULL,
    summary_json     TEXT NOT NULL,
    created_at       TEXT NOT NULL,
    CHECK ((source = 'upload' AND file_name IS NOT NULL AND file_sha256 IS NOT NULL AND file_size IS NOT NULL
            AND window_from IS NULL AND window_to IS NULL)
        OR (source = 'logged' AND window_from IS NOT NULL AND window_to IS NOT NULL
            AND file_name IS NULL AND file_sha256 IS NULL AND file_size IS NULL))
);
CREATE INDEX audits_system ON audits(system_id, id);
CREATE TRIGGER audits_no_update BEFORE UPDATE ON audits
BEGIN SELECT RAISE(ABORT, 'audits is append-only'); END;
CREATE TRIGGER audits_no_delete BEFORE DELETE ON audits
BEGIN SELECT RAISE(ABORT, 'audits is append-only'); END;

-- Who may run an audit: the provider's editors and admins on their own systems, the regulator
-- on any.
INSERT INTO role_permissions (role, permission) VALUES
    ('provider-editor', 'audits:run'),
    ('provider-admin', 'audits:run'),
    ('regulator-admin', 'audits:run');
