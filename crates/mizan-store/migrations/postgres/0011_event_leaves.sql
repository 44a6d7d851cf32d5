-- Keep in step with migrations/sqlite/0011_event_leaves.sql: where each platform event sits in
-- the events log; the leaf commits to the event's canonical JSON by SHA-256.
CREATE TABLE event_leaves (
    event_id      BIGINT PRIMARY KEY REFERENCES system_events(id),
    leaf_index    BIGINT NOT NULL,
    event_sha256  TEXT NOT NULL
);
