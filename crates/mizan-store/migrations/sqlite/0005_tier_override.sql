-- A regulator can override a computed tier, with a recorded reason; the override is shown
-- publicly next to the computed result. Append-only, like the other history tables.
CREATE TABLE tier_overrides (
    id          INTEGER PRIMARY KEY,
    system_id   INTEGER NOT NULL REFERENCES systems(id),
    version     INTEGER NOT NULL,
    tier        TEXT NOT NULL,
    reason      TEXT NOT NULL,
    actor_id    INTEGER REFERENCES users(id),
    actor_name  TEXT NOT NULL,
    at          TEXT NOT NULL
);
CREATE INDEX tier_overrides_system ON tier_overrides(system_id, version, id);
CREATE TRIGGER tier_overrides_no_update BEFORE UPDATE ON tier_overrides
BEGIN SELECT RAISE(ABORT, 'tier_overrides is append-only'); END;
CREATE TRIGGER tier_overrides_no_delete BEFORE DELETE ON tier_overrides
BEGIN SELECT RAISE(ABORT, 'tier_overrides is append-only'); END;
