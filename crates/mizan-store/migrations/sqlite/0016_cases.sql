-- Keep in step with migrations/postgres/0016_cases.sql.
-- Cases: every workflow a person starts and others decide (appeals first; later sandbox and
-- grant applications, dataset access requests, compute allocations), one table family for all
-- case types. The case type itself is data in `mizan-cases`; `cases` is the current state of
-- each case (a projection the engine recomputes from the history), `case_entries` the history.

CREATE TABLE cases (
    id                INTEGER PRIMARY KEY,
    reference         TEXT NOT NULL UNIQUE,
    case_type         TEXT NOT NULL,
    type_version      INTEGER NOT NULL,
    -- The organisation that must act on it (an appeal: the provider of the system).
    org_id            INTEGER NOT NULL REFERENCES organisations(id),
    system_id         INTEGER REFERENCES systems(id),
    -- What it is about (an appeal: the decision's receipt reference).
    subject           TEXT NOT NULL,
    state             TEXT NOT NULL,
    late              INTEGER NOT NULL DEFAULT 0,
    is_open           INTEGER NOT NULL DEFAULT 1,
    opened_at         TEXT NOT NULL,
    entered_at        TEXT NOT NULL,
    -- The earliest deadline of the state not yet fired; NULL when none.
    next_due_at       TEXT,
    -- The provider's first decision, and the latest outcome (upheld, reversed, modified).
    decided_at        TEXT,
    outcome           TEXT,
    escalated         INTEGER NOT NULL DEFAULT 0,
    closed_at         TEXT,
    -- SHA-256 of the secret in the filer's status link.
    token_hash        TEXT NOT NULL,
    -- The key of the entries' commitments (hex); NULL once the personal data is removed.
    entry_key         TEXT,
    lang              TEXT NOT NULL,
    contact_email     TEXT,
    contact_phone     TEXT,
    publish_consent   INTEGER NOT NULL DEFAULT 0,
    grounds_category  TEXT NOT NULL DEFAULT '',
    -- Personal data removed (the subject was erased after the case closed).
    redacted_at       TEXT
);
CREATE INDEX cases_queue ON cases(org_id, case_type, is_open, next_due_at);
CREATE INDEX cases_org_newest ON cases(org_id, case_type, id);
CREATE INDEX cases_due ON cases(is_open, next_due_at);
CREATE INDEX cases_subject ON cases(case_type, subject);
CREATE INDEX cases_system ON cases(system_id, case_type, is_open);

-- The history, append-only: only `entry_json` (which may hold personal data) may be blanked,
-- and then the commitment stays.
CREATE TABLE case_entries (
    case_id     INTEGER NOT NULL REFERENCES cases(id),
    seq         INTEGER NOT NULL,
    entry_json  TEXT,
    -- HMAC-SHA256 of entry_json under the case's entry_key, hex: what the events log commits to.
    commitment  TEXT NOT NULL,
    actor_user  INTEGER REFERENCES users(id),
    event_id    INTEGER REFERENCES system_events(id),
    at          TEXT NOT NULL,
    PRIMARY KEY (case_id, seq)
);
CREATE TRIGGER case_entries_no_delete BEFORE DELETE ON case_entries
BEGIN SELECT RAISE(ABORT, 'case_entries is append-only'); END;
CREATE TRIGGER case_entries_only_redact BEFORE UPDATE ON case_entries
WHEN NEW.entry_json IS NOT NULL OR NEW.case_id IS NOT OLD.case_id OR NEW.seq IS NOT OLD.seq
    OR NEW.commitment IS NOT OLD.commitment OR NEW.actor_user IS NOT OLD.actor_user
    OR NEW.event_id IS NOT OLD.event_id OR NEW.at IS NOT OLD.at
BEGIN SELECT RAISE(ABORT, 'case_entries is append-only (only personal data may be removed)'); END;

-- A decision that replaces another (after an appeal or a human review); its record commits to
-- the earlier leaf, this row lets the earlier receipt name it.
CREATE TABLE decision_supersessions (
    old_reference  TEXT NOT NULL REFERENCES decisions(reference),
    new_reference  TEXT NOT NULL UNIQUE REFERENCES decisions(reference),
    at             TEXT NOT NULL,
    PRIMARY KEY (old_reference, new_reference)
);

-- How long after a decision a person may appeal it, per system.
ALTER TABLE systems ADD COLUMN appeal_window_days INTEGER NOT NULL DEFAULT 183;
-- How many different reviewers must agree on an appeal's outcome (2 for remote biometric
-- identification, EU AI Act Art. 14(5)).
ALTER TABLE systems ADD COLUMN appeal_reviewers INTEGER NOT NULL DEFAULT 1;

INSERT INTO roles (role, description) VALUES
    ('appeals-reviewer', 'decides appeals against the organisation''s automated decisions');
INSERT INTO role_permissions (role, permission) VALUES
    ('appeals-reviewer', 'systems:read'),
    ('appeals-reviewer', 'appeals:read'),
    ('appeals-reviewer', 'appeals:decide'),
    ('provider-editor', 'appeals:read'),
    ('provider-admin', 'appeals:read'),
    ('provider-admin', 'appeals:decide'),
    ('regulator-admin', 'appeals:read'),
    ('regulator-admin', 'appeals:regulate');
