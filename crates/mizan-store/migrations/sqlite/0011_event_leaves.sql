-- Where each platform event sits in the events log (a transparency log beside the decisions
-- log). The leaf commits to the event's canonical JSON by SHA-256, so events of systems that are
-- not public stay private while anyone holding the event can prove it was logged.
CREATE TABLE event_leaves (
    event_id      INTEGER PRIMARY KEY REFERENCES system_events(id),
    leaf_index    INTEGER NOT NULL,
    event_sha256  TEXT NOT NULL
);
