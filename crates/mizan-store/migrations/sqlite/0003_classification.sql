-- Risk classification (issue 3). The provider's questionnaire answers live with the draft; on
-- submission the server computes the classification and it is frozen with the version.
ALTER TABLE systems ADD COLUMN risk_answers_json TEXT NOT NULL DEFAULT '{}';

CREATE TABLE classifications (
    system_id        INTEGER NOT NULL REFERENCES systems(id),
    version          INTEGER NOT NULL,
    ruleset_id       TEXT NOT NULL,
    ruleset_version  TEXT NOT NULL,
    ruleset_sha256   TEXT NOT NULL,
    tier             TEXT NOT NULL,
    role             TEXT NOT NULL,
    answers_json     TEXT NOT NULL,
    result_json      TEXT NOT NULL,
    computed_at      TEXT NOT NULL,
    PRIMARY KEY (system_id, version)
);

CREATE TRIGGER classifications_no_update BEFORE UPDATE ON classifications
BEGIN SELECT RAISE(ABORT, 'classifications is immutable'); END;
CREATE TRIGGER classifications_no_delete BEFORE DELETE ON classifications
BEGIN SELECT RAISE(ABORT, 'classifications is immutable'); END;

CREATE INDEX public_register_tier ON public_register(risk_tier);
