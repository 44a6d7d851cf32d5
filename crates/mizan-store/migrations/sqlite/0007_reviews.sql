-- Ethics-board reviews. Each review is bound to one submitted version: a new version starts
-- with no approvals. One review per reviewer per version; reviews are never changed or removed
-- (a reviewer who changes their mind says so on the next version).
CREATE TABLE reviews (
    id                INTEGER PRIMARY KEY,
    system_id         INTEGER NOT NULL REFERENCES systems(id),
    version           INTEGER NOT NULL,
    reviewer_id       INTEGER NOT NULL REFERENCES users(id),
    reviewer_name     TEXT NOT NULL,
    reviewer_org_id   INTEGER NOT NULL REFERENCES organisations(id),
    decision          TEXT NOT NULL CHECK (decision IN ('approve', 'reject', 'request_changes')),
    reason            TEXT NOT NULL,
    at                TEXT NOT NULL,
    UNIQUE (system_id, version, reviewer_id)
);
CREATE INDEX reviews_system ON reviews(system_id, version, id);
CREATE TRIGGER reviews_no_update BEFORE UPDATE ON reviews
BEGIN SELECT RAISE(ABORT, 'reviews is append-only'); END;
CREATE TRIGGER reviews_no_delete BEFORE DELETE ON reviews
BEGIN SELECT RAISE(ABORT, 'reviews is append-only'); END;
