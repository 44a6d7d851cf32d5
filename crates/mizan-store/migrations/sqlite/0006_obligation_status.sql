-- The obligations checklist: for each obligation that follows from a system's classification,
-- the provider records a status and evidence. Current state only; changes go to the event trail.
CREATE TABLE obligation_status (
    system_id      INTEGER NOT NULL REFERENCES systems(id),
    obligation_id  TEXT NOT NULL,
    status         TEXT NOT NULL,
    evidence_url   TEXT NOT NULL,
    note           TEXT NOT NULL,
    updated_by     TEXT NOT NULL,
    updated_at     TEXT NOT NULL,
    PRIMARY KEY (system_id, obligation_id)
);
