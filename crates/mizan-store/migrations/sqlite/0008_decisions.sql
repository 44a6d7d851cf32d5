-- Logged automated decisions. The ledger holds only a fixed-size commitment per decision (see
-- mizan-ledger's leaf.rs); the record it commits to and the HMAC key `k` live here, so erasing
-- them (a data-protection request) leaves the log verifiable and the leaf unlinkable.
CREATE TABLE decisions (
    id               INTEGER PRIMARY KEY,
    system_id        INTEGER NOT NULL REFERENCES systems(id),
    reference        TEXT NOT NULL UNIQUE,
    idempotency_key  TEXT NOT NULL,
    body_sha256      TEXT NOT NULL,
    system_version   INTEGER NOT NULL,
    leaf_index       INTEGER NOT NULL,
    leaf_hash        TEXT NOT NULL,
    record_json      TEXT,
    hmac_key         TEXT,
    decided_at       TEXT NOT NULL,
    logged_at        TEXT NOT NULL,
    erased_at        TEXT,
    UNIQUE (system_id, idempotency_key)
);
CREATE INDEX decisions_system_time ON decisions(system_id, decided_at);
