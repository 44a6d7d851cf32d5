-- no-transaction
-- Keep in step with migrations/postgres/0023_event_subjects.sql.
-- The events log takes subjects other than AI systems (issue #18: a dataset's access requests
-- and restricted downloads; later sandbox, grant and compute cases). An event is about either a
-- system (`system_id`, as before) or a named subject (`subject`, such as `dataset:<slug>`, with
-- the organisation whose record it is in `org_id`), never both. The event format keeps its
-- `system` key, which holds the subject's public ID.
--
-- SQLite cannot drop NOT NULL from a column, so the table is rebuilt (the procedure of
-- https://sqlite.org/lang_altertable.html#otheralter): foreign keys off outside the
-- transaction, copy, drop, rename, indexes and triggers again, one transaction. Written so that
-- a second run (a crash after the commit, before sqlx records the migration) copies the same
-- rows again: before the server first runs no event has a named subject.
PRAGMA foreign_keys = OFF;
BEGIN IMMEDIATE;
CREATE TABLE system_events_rebuilt (
    id           INTEGER PRIMARY KEY,
    system_id    INTEGER REFERENCES systems(id),
    subject      TEXT,
    org_id       INTEGER REFERENCES organisations(id),
    version      INTEGER NOT NULL,
    kind         TEXT NOT NULL,
    from_status  TEXT NOT NULL,
    to_status    TEXT NOT NULL,
    actor_id     INTEGER REFERENCES users(id),
    actor_name   TEXT NOT NULL,
    reason       TEXT NOT NULL,
    at           TEXT NOT NULL,
    CHECK ((system_id IS NOT NULL AND subject IS NULL AND org_id IS NULL)
        OR (system_id IS NULL AND subject IS NOT NULL AND org_id IS NOT NULL))
);
INSERT INTO system_events_rebuilt
    (id, system_id, version, kind, from_status, to_status, actor_id, actor_name, reason, at)
    SELECT id, system_id, version, kind, from_status, to_status, actor_id, actor_name, reason, at
    FROM system_events;
DROP TABLE system_events;
ALTER TABLE system_events_rebuilt RENAME TO system_events;
CREATE INDEX system_events_system ON system_events(system_id, id);
CREATE INDEX system_events_at ON system_events(at);
CREATE INDEX system_events_subject ON system_events(subject, id) WHERE subject IS NOT NULL;
CREATE TRIGGER system_events_no_update BEFORE UPDATE ON system_events
BEGIN SELECT RAISE(ABORT, 'system_events is append-only'); END;
CREATE TRIGGER system_events_no_delete BEFORE DELETE ON system_events
BEGIN SELECT RAISE(ABORT, 'system_events is append-only'); END;

-- Who decides access requests for the organisation's restricted datasets; anyone signed in may
-- ask.
INSERT INTO role_permissions (role, permission) VALUES
    ('steward', 'datasets:access'),
    ('provider-admin', 'datasets:access');
INSERT INTO roles (role, description) VALUES
    ('researcher', 'asks for access to restricted datasets and uses them under agreement');

-- Tokens a person with an approved access request makes for scripts: each scoped to the one
-- dataset version the request was for, expiring with the agreement. Stored as SHA-256 only.
CREATE TABLE dataset_access_tokens (
    id           INTEGER PRIMARY KEY,
    case_id      INTEGER NOT NULL REFERENCES cases(id),
    dataset_id   INTEGER NOT NULL REFERENCES datasets(id),
    version      INTEGER NOT NULL,
    user_id      INTEGER NOT NULL REFERENCES users(id),
    token_hash   TEXT NOT NULL UNIQUE,
    created_at   TEXT NOT NULL,
    expires_at   TEXT NOT NULL
);
CREATE INDEX dataset_access_tokens_case ON dataset_access_tokens(case_id);
CREATE TRIGGER dataset_access_tokens_no_update BEFORE UPDATE ON dataset_access_tokens
BEGIN SELECT RAISE(ABORT, 'dataset_access_tokens is append-only'); END;
CREATE TRIGGER dataset_access_tokens_no_delete BEFORE DELETE ON dataset_access_tokens
BEGIN SELECT RAISE(ABORT, 'dataset_access_tokens is append-only'); END;
COMMIT;
PRAGMA foreign_keys = ON;
