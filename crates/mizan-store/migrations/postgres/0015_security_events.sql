-- Keep in step with migrations/sqlite/0015_security_events.sql.
-- The operators' record of attacks on sign-in and public forms (a lockout, a throttled form),
-- append-only. Not in the public events log: it names accounts and addresses.
CREATE TABLE security_events (
    id       BIGSERIAL PRIMARY KEY,
    kind     TEXT NOT NULL,
    subject  TEXT NOT NULL,
    address  TEXT NOT NULL,
    detail   TEXT NOT NULL,
    at       TEXT NOT NULL
);
CREATE INDEX security_events_at ON security_events(at);
CREATE TRIGGER security_events_append_only BEFORE UPDATE OR DELETE ON security_events
    FOR EACH ROW EXECUTE FUNCTION mizan_refuse_change();
CREATE TRIGGER security_events_no_truncate BEFORE TRUNCATE ON security_events
    FOR EACH STATEMENT EXECUTE FUNCTION mizan_refuse_change();
