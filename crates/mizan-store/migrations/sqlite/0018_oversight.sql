-- Keep in step with migrations/postgres/0018_oversight.sql.
-- Human oversight of decisions (EU AI Act Art. 14; issue #17 item 5).
--
-- A system's oversight policies (`mizan.oversight-policy/1`), one row per change, append-only:
-- the policy of a decision's version is the newest row for the highest version at or below it,
-- so a policy set for version 2 holds for 3 until 3 gets its own. `seq` numbers a system's rows
-- from 1, so two changes made at once cannot both follow the same one.
CREATE TABLE oversight_policies (
    id           INTEGER PRIMARY KEY,
    system_id    INTEGER NOT NULL REFERENCES systems(id),
    version      INTEGER NOT NULL CHECK (version >= 1),
    seq          INTEGER NOT NULL,
    policy_json  TEXT NOT NULL,
    actor_id     INTEGER REFERENCES users(id),
    actor_name   TEXT NOT NULL,
    at           TEXT NOT NULL,
    UNIQUE (system_id, seq)
);
CREATE TRIGGER oversight_policies_no_update BEFORE UPDATE ON oversight_policies
BEGIN SELECT RAISE(ABORT, 'oversight_policies is append-only'); END;
CREATE TRIGGER oversight_policies_no_delete BEFORE DELETE ON oversight_policies
BEGIN SELECT RAISE(ABORT, 'oversight_policies is append-only'); END;

-- Why the policy held a decision for review (`adverse,margin`); NULL when it did not. A held
-- decision has no effect until a person's final decision supersedes it.
ALTER TABLE decisions ADD COLUMN held TEXT;
CREATE INDEX decisions_held ON decisions(logged_at) WHERE held IS NOT NULL;

-- Who made a case's deciding move (for reviewer-AI agreement per reviewer).
ALTER TABLE cases ADD COLUMN decided_by INTEGER REFERENCES users(id);

INSERT INTO role_permissions (role, permission) VALUES
    ('appeals-reviewer', 'oversight:review'),
    ('provider-admin', 'oversight:review'),
    ('provider-admin', 'oversight:set');
