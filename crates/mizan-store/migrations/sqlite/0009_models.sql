-- Models uploaded per system version, and the explanations computed from them.
--
-- The model file itself lives outside the database, content-addressed by `sha256` (hex SHA-256
-- of its bytes, as `mizan_explain::model_hash` computes it) under `<data-dir>/models/`. A row
-- says which system version the file belongs to and how to read its output: which side of the
-- margin `threshold` is favourable, which features recourse must never change, and the bounds
-- (JSON object `{"feature": [min, max]}`) recourse stays within. A version has at most one
-- model; rows are never changed.
CREATE TABLE models (
    id                  INTEGER PRIMARY KEY,
    system_id           INTEGER NOT NULL REFERENCES systems(id),
    version             INTEGER NOT NULL,
    sha256              TEXT NOT NULL,
    format              TEXT NOT NULL,
    size_bytes          INTEGER NOT NULL,
    feature_names       TEXT NOT NULL,
    favourable          TEXT NOT NULL CHECK (favourable IN ('high', 'low')),
    threshold           REAL NOT NULL,
    immutable_features  TEXT NOT NULL,
    bounds              TEXT NOT NULL,
    uploaded_by         TEXT NOT NULL,
    uploaded_at         TEXT NOT NULL,
    UNIQUE (system_id, version)
);
CREATE INDEX models_system_hash ON models(system_id, sha256);
CREATE TRIGGER models_no_update BEFORE UPDATE ON models
BEGIN SELECT RAISE(ABORT, 'models is append-only'); END;
CREATE TRIGGER models_no_delete BEFORE DELETE ON models
BEGIN SELECT RAISE(ABORT, 'models is append-only'); END;

-- One explanation per decision, computed on demand from the decision's record and its model,
-- stored and reused. `explanation_json` is the `mizan.explanation/1` document (SHAP values,
-- phi0, additivity residual, recourse options, model hash). It holds the decision's feature
-- values, so erasing the decision deletes it; it is never updated.
CREATE TABLE explanations (
    decision_id          INTEGER PRIMARY KEY REFERENCES decisions(id),
    model_id             INTEGER NOT NULL REFERENCES models(id),
    phi0                 REAL NOT NULL,
    margin               REAL NOT NULL,
    additivity_residual  REAL NOT NULL,
    explanation_json     TEXT NOT NULL,
    computed_at          TEXT NOT NULL
);
CREATE TRIGGER explanations_no_update BEFORE UPDATE ON explanations
BEGIN SELECT RAISE(ABORT, 'explanations are computed once'); END;
