-- Keep in step with migrations/postgres/0015_security_events.sql.
-- The operators' record of attacks on sign-in and public forms (a lockout, a throttled form),
-- append-only. Not in the public events log: it names accounts and addresses.
CREATE TABLE security_events (
    id       INTEGER PRIMARY KEY,
    kind     TEXT NOT NULL,
    subject  TEXT NOT NULL,
    address  TEXT NOT NULL,
    detail   TEXT NOT NULL,
    at       TEXT NOT NULL
);
CREATE INDEX security_events_at ON security_events(at);
CREATE TRIGGER security_events_no_update BEFORE UPDATE ON security_events
BEGIN SELECT RAISE(ABORT, 'security_events is append-only'); END;
CREATE TRIGGER security_events_no_delete BEFORE DELETE ON security_events
BEGIN SELECT RAISE(ABORT, 'security_events is append-only'); END;
