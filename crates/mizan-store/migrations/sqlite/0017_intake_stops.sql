-- Keep in step with migrations/postgres/0017_intake_stops.sql.
-- The stop control of a system's decision intake (EU AI Act Art. 14(4)(e)): the provider or the
-- regulator stops a system's decisions with a public reason, and resumes them. One row per
-- stop or resume, append-only; the newest row of a system is its state. `seq` numbers a
-- system's rows from 1, so two moves made at once cannot both follow the same state: the
-- second breaks UNIQUE (system_id, seq) and is refused. (No row-level security on SQLite: the
-- store's OrgScope filtering is the fence, as for every table.)
CREATE TABLE intake_stops (
    id          INTEGER PRIMARY KEY,
    system_id   INTEGER NOT NULL REFERENCES systems(id),
    seq         INTEGER NOT NULL,
    action      TEXT NOT NULL CHECK (action IN ('stop', 'resume')),
    by_role     TEXT NOT NULL CHECK (by_role IN ('provider', 'regulator')),
    actor_id    INTEGER REFERENCES users(id),
    actor_name  TEXT NOT NULL,
    reason      TEXT NOT NULL,
    at          TEXT NOT NULL,
    UNIQUE (system_id, seq)
);
CREATE TRIGGER intake_stops_no_update BEFORE UPDATE ON intake_stops
BEGIN SELECT RAISE(ABORT, 'intake_stops is append-only'); END;
CREATE TRIGGER intake_stops_no_delete BEFORE DELETE ON intake_stops
BEGIN SELECT RAISE(ABORT, 'intake_stops is append-only'); END;

-- Who may stop and resume: the provider's admins on their own systems, the regulator on any.
INSERT INTO role_permissions (role, permission) VALUES
    ('provider-admin', 'intake:stop'),
    ('regulator-admin', 'intake:stop');
