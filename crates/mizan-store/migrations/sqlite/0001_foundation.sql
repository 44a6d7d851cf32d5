-- Mizan foundation schema (SQLite). Keep in step with migrations/postgres/0001_foundation.sql:
-- same tables, columns and meaning; only types, identity columns and triggers differ.
-- Timestamps are RFC 3339 UTC text; flags are 0/1 integers (one code path through sqlx Any).

CREATE TABLE organisations (
    id          INTEGER PRIMARY KEY,
    slug        TEXT NOT NULL UNIQUE,
    name        TEXT NOT NULL,
    kind        TEXT NOT NULL CHECK (kind IN ('provider', 'government', 'regulator')),
    created_at  TEXT NOT NULL
);

CREATE TABLE users (
    id             INTEGER PRIMARY KEY,
    email          TEXT NOT NULL UNIQUE,
    display_name   TEXT NOT NULL,
    password_hash  TEXT NOT NULL,
    created_at     TEXT NOT NULL
);

-- Roles and what they may do are data, not code.
CREATE TABLE roles (
    role         TEXT PRIMARY KEY,
    description  TEXT NOT NULL
);

CREATE TABLE role_permissions (
    role        TEXT NOT NULL REFERENCES roles(role),
    permission  TEXT NOT NULL,
    PRIMARY KEY (role, permission)
);

CREATE TABLE memberships (
    user_id  INTEGER NOT NULL REFERENCES users(id),
    org_id   INTEGER NOT NULL REFERENCES organisations(id),
    role     TEXT NOT NULL REFERENCES roles(role),
    PRIMARY KEY (user_id, org_id, role)
);

CREATE TABLE sessions (
    token_hash  TEXT PRIMARY KEY,
    user_id     INTEGER NOT NULL REFERENCES users(id),
    created_at  TEXT NOT NULL,
    expires_at  TEXT NOT NULL
);

CREATE TABLE api_tokens (
    id            INTEGER PRIMARY KEY,
    org_id        INTEGER NOT NULL REFERENCES organisations(id),
    created_by    INTEGER REFERENCES users(id),
    name          TEXT NOT NULL,
    token_hash    TEXT NOT NULL UNIQUE,
    token_prefix  TEXT NOT NULL,
    scopes        TEXT NOT NULL,
    expires_at    TEXT NOT NULL,
    revoked_at    TEXT,
    created_at    TEXT NOT NULL
);

CREATE TABLE systems (
    id                  INTEGER PRIMARY KEY,
    public_id           TEXT NOT NULL UNIQUE,
    org_id              INTEGER NOT NULL REFERENCES organisations(id),
    status              TEXT NOT NULL,
    draft_json          TEXT NOT NULL,
    latest_version      INTEGER NOT NULL DEFAULT 0,
    registered_version  INTEGER NOT NULL DEFAULT 0,
    is_demo             INTEGER NOT NULL DEFAULT 0,
    created_at          TEXT NOT NULL,
    updated_at          TEXT NOT NULL
);
CREATE INDEX systems_org ON systems(org_id);
CREATE INDEX systems_status ON systems(status);

-- Every submit freezes the record as a version; versions are never changed or removed.
CREATE TABLE system_versions (
    system_id     INTEGER NOT NULL REFERENCES systems(id),
    version       INTEGER NOT NULL,
    record_json   TEXT NOT NULL,
    submitted_by  INTEGER REFERENCES users(id),
    submitted_at  TEXT NOT NULL,
    PRIMARY KEY (system_id, version)
);

-- Who did what to a system, when and why. Append-only: enforced by triggers below.
CREATE TABLE system_events (
    id           INTEGER PRIMARY KEY,
    system_id    INTEGER NOT NULL REFERENCES systems(id),
    version      INTEGER NOT NULL,
    kind         TEXT NOT NULL,
    from_status  TEXT NOT NULL,
    to_status    TEXT NOT NULL,
    actor_id     INTEGER REFERENCES users(id),
    actor_name   TEXT NOT NULL,
    reason       TEXT NOT NULL,
    at           TEXT NOT NULL
);
CREATE INDEX system_events_system ON system_events(system_id, id);
CREATE INDEX system_events_at ON system_events(at);

CREATE TRIGGER system_events_no_update BEFORE UPDATE ON system_events
BEGIN SELECT RAISE(ABORT, 'system_events is append-only'); END;
CREATE TRIGGER system_events_no_delete BEFORE DELETE ON system_events
BEGIN SELECT RAISE(ABORT, 'system_events is append-only'); END;
CREATE TRIGGER system_versions_no_update BEFORE UPDATE ON system_versions
BEGIN SELECT RAISE(ABORT, 'system_versions is immutable'); END;
CREATE TRIGGER system_versions_no_delete BEFORE DELETE ON system_versions
BEGIN SELECT RAISE(ABORT, 'system_versions is immutable'); END;

-- The public register: one row per system that has ever been registered, holding the public
-- projection of its latest registered version. Derived from systems + system_versions; rebuilt
-- on every registration-related transition so public reads touch one narrow table.
CREATE TABLE public_register (
    system_id      INTEGER PRIMARY KEY REFERENCES systems(id),
    public_id      TEXT NOT NULL UNIQUE,
    org_id         INTEGER NOT NULL REFERENCES organisations(id),
    org_name       TEXT NOT NULL,
    org_slug       TEXT NOT NULL,
    name_en        TEXT NOT NULL,
    name_ur        TEXT NOT NULL,
    summary_en     TEXT NOT NULL,
    summary_ur     TEXT NOT NULL,
    sector         TEXT NOT NULL,
    status         TEXT NOT NULL,
    version        INTEGER NOT NULL,
    risk_tier      TEXT NOT NULL DEFAULT '',
    record_json    TEXT NOT NULL,
    search_text    TEXT NOT NULL,
    is_demo        INTEGER NOT NULL DEFAULT 0,
    registered_at  TEXT NOT NULL,
    updated_at     TEXT NOT NULL
);
CREATE INDEX public_register_sector ON public_register(sector);
CREATE INDEX public_register_updated ON public_register(updated_at);
CREATE INDEX public_register_name ON public_register(name_en);

CREATE TABLE error_reports (
    id                INTEGER PRIMARY KEY,
    reference         TEXT NOT NULL UNIQUE,
    system_id         INTEGER NOT NULL REFERENCES systems(id),
    org_id            INTEGER NOT NULL REFERENCES organisations(id),
    field             TEXT NOT NULL,
    body              TEXT NOT NULL,
    reporter_contact  TEXT NOT NULL,
    status            TEXT NOT NULL,
    response          TEXT NOT NULL,
    created_at        TEXT NOT NULL,
    updated_at        TEXT NOT NULL
);
CREATE INDEX error_reports_org ON error_reports(org_id, status);

INSERT INTO roles (role, description) VALUES
    ('provider-editor', 'writes and submits the organisation''s AI-system records'),
    ('provider-admin', 'everything an editor does, plus API tokens, retirement and error reports'),
    ('steward', 'publishes the organisation''s datasets'),
    ('reviewer', 'sits on the ethics board and reviews submitted systems'),
    ('regulator-admin', 'runs the register: takes up, registers, suspends and retires systems');

INSERT INTO role_permissions (role, permission) VALUES
    ('provider-editor', 'systems:read'),
    ('provider-editor', 'systems:write'),
    ('provider-editor', 'systems:submit'),
    ('provider-editor', 'reports:read'),
    ('provider-editor', 'decisions:write'),
    ('provider-admin', 'systems:read'),
    ('provider-admin', 'systems:write'),
    ('provider-admin', 'systems:submit'),
    ('provider-admin', 'systems:retire'),
    ('provider-admin', 'reports:read'),
    ('provider-admin', 'reports:respond'),
    ('provider-admin', 'tokens:manage'),
    ('provider-admin', 'decisions:write'),
    ('steward', 'systems:read'),
    ('steward', 'datasets:write'),
    ('reviewer', 'register:queue'),
    ('reviewer', 'review:decide'),
    ('regulator-admin', 'register:queue'),
    ('regulator-admin', 'register:transition'),
    ('regulator-admin', 'tokens:manage');
