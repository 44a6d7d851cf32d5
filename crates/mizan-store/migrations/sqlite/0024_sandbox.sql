-- The privacy-safe data sandbox (issue #19).
--
-- A steward's settings for differentially private queries on one restricted dataset version:
-- the mizan-dp settings (JSON), the file they were built from and the bounded columnar table
-- built from it (kept in the dataset files by its SHA-256). Append-only: the newest row of a
-- version is in force, and the application refuses new settings once anything was spent under
-- the old ones, so every spend means what its settings said.
CREATE TABLE sandbox_settings (
    id            INTEGER PRIMARY KEY,
    dataset_id    INTEGER NOT NULL REFERENCES datasets(id),
    version       INTEGER NOT NULL,
    settings      TEXT NOT NULL,
    file_name     TEXT NOT NULL,
    table_sha256  TEXT NOT NULL,
    rows_in       INTEGER NOT NULL,
    rows_kept     INTEGER NOT NULL,
    units         INTEGER NOT NULL,
    set_by        INTEGER NOT NULL REFERENCES users(id),
    created_at    TEXT NOT NULL
);
CREATE INDEX sandbox_settings_version ON sandbox_settings(dataset_id, version, id);
CREATE TRIGGER sandbox_settings_no_update BEFORE UPDATE ON sandbox_settings
BEGIN SELECT RAISE(ABORT, 'sandbox_settings is append-only'); END;
CREATE TRIGGER sandbox_settings_no_delete BEFORE DELETE ON sandbox_settings
BEGIN SELECT RAISE(ABORT, 'sandbox_settings is append-only'); END;

-- The budget ledger: one row per spend, written in the same transaction as its event (kind
-- `dp-spend`, under `dataset:<slug>`) after the running totals were checked against the budget.
-- `case_id` is the project (an approved `data-access` case of kind sandbox); NULL for the
-- steward's own spend on the synthetic sample. The totals are the spender's running totals
-- (the project's, or the steward's) after this spend.
CREATE TABLE sandbox_spends (
    id             INTEGER PRIMARY KEY,
    settings_id    INTEGER NOT NULL REFERENCES sandbox_settings(id),
    case_id        INTEGER REFERENCES cases(id),
    user_id        INTEGER NOT NULL REFERENCES users(id),
    shape          TEXT NOT NULL,
    mechanism      TEXT NOT NULL,
    epsilon        REAL NOT NULL CHECK (epsilon > 0),
    delta          REAL NOT NULL CHECK (delta >= 0),
    total_epsilon  REAL NOT NULL,
    total_delta    REAL NOT NULL,
    event_id       INTEGER NOT NULL REFERENCES system_events(id),
    at             TEXT NOT NULL
);
CREATE INDEX sandbox_spends_case ON sandbox_spends(case_id, id);
CREATE INDEX sandbox_spends_settings ON sandbox_spends(settings_id, id);
CREATE TRIGGER sandbox_spends_no_update BEFORE UPDATE ON sandbox_spends
BEGIN SELECT RAISE(ABORT, 'sandbox_spends is append-only'); END;
CREATE TRIGGER sandbox_spends_no_delete BEFORE DELETE ON sandbox_spends
BEGIN SELECT RAISE(ABORT, 'sandbox_spends is append-only'); END;

-- The DP synthetic sample of a version's settings: generated once, after the steward's spend on
-- it was recorded, kept in the dataset files by its SHA-256.
CREATE TABLE sandbox_synthetic (
    settings_id  INTEGER PRIMARY KEY REFERENCES sandbox_settings(id),
    spend_id     INTEGER NOT NULL REFERENCES sandbox_spends(id),
    sha256       TEXT NOT NULL,
    rows         INTEGER NOT NULL,
    bytes        INTEGER NOT NULL,
    created_at   TEXT NOT NULL
);
CREATE TRIGGER sandbox_synthetic_no_update BEFORE UPDATE ON sandbox_synthetic
BEGIN SELECT RAISE(ABORT, 'sandbox_synthetic is append-only'); END;
CREATE TRIGGER sandbox_synthetic_no_delete BEFORE DELETE ON sandbox_synthetic
BEGIN SELECT RAISE(ABORT, 'sandbox_synthetic is append-only'); END;
