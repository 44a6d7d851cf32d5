-- The national compute grid (issue #20): institutions, resources, allocations and metered use.
--
-- An institution is an organisation registered with the grid: its kind (university, startup,
-- public body, company) and province, which the public figures group by, and the Slurm account
-- its projects sit under. Changes in place (a wrong province is corrected), so not append-only.
CREATE TABLE grid_institutions (
    org_id      INTEGER PRIMARY KEY REFERENCES organisations(id),
    kind        TEXT NOT NULL CHECK (kind IN ('university', 'startup', 'public-body', 'company')),
    province    TEXT NOT NULL,
    account     TEXT NOT NULL UNIQUE,
    created_at  TEXT NOT NULL
);

-- A resource: one partition of one Slurm cluster, with its size, run by an operator
-- organisation whose grid reviewers decide requests for it. Append-only: a resource is named by
-- the allocations made on it.
CREATE TABLE grid_resources (
    id               INTEGER PRIMARY KEY,
    cluster          TEXT NOT NULL,
    partition_name   TEXT NOT NULL,
    cpus             INTEGER NOT NULL CHECK (cpus > 0),
    gpus             INTEGER NOT NULL CHECK (gpus >= 0),
    memory_mb        INTEGER NOT NULL CHECK (memory_mb > 0),
    operator_org_id  INTEGER NOT NULL REFERENCES organisations(id),
    description      TEXT NOT NULL,
    created_at       TEXT NOT NULL,
    UNIQUE (cluster, partition_name)
);
CREATE TRIGGER grid_resources_no_update BEFORE UPDATE ON grid_resources
BEGIN SELECT RAISE(ABORT, 'grid_resources is append-only'); END;
CREATE TRIGGER grid_resources_no_delete BEFORE DELETE ON grid_resources
BEGIN SELECT RAISE(ABORT, 'grid_resources is append-only'); END;

-- An allocation: what an approved `compute-allocation` case granted, as Slurm will enforce it
-- (the project's account under its institution's, its users, its budget in CPU- and
-- GPU-minutes, its dates). One per case; append-only, so the books say what was granted.
CREATE TABLE grid_allocations (
    id           INTEGER PRIMARY KEY,
    case_id      INTEGER NOT NULL UNIQUE REFERENCES cases(id),
    org_id       INTEGER NOT NULL REFERENCES organisations(id),
    resource_id  INTEGER NOT NULL REFERENCES grid_resources(id),
    account      TEXT NOT NULL UNIQUE,
    title        TEXT NOT NULL,
    users        TEXT NOT NULL,
    cpu_minutes  INTEGER NOT NULL CHECK (cpu_minutes >= 0),
    gpu_minutes  INTEGER NOT NULL CHECK (gpu_minutes >= 0),
    starts_on    TEXT NOT NULL,
    ends_on      TEXT NOT NULL CHECK (ends_on >= starts_on),
    created_at   TEXT NOT NULL
);
CREATE INDEX grid_allocations_org ON grid_allocations(org_id);
CREATE TRIGGER grid_allocations_no_update BEFORE UPDATE ON grid_allocations
BEGIN SELECT RAISE(ABORT, 'grid_allocations is append-only'); END;
CREATE TRIGGER grid_allocations_no_delete BEFORE DELETE ON grid_allocations
BEGIN SELECT RAISE(ABORT, 'grid_allocations is append-only'); END;

-- A usage import: one run of `sacct` over a window, with what it added, and the events-log
-- event that commits to its totals per account.
CREATE TABLE grid_imports (
    id            INTEGER PRIMARY KEY,
    cluster       TEXT NOT NULL,
    window_start  TEXT NOT NULL,
    window_end    TEXT NOT NULL,
    jobs_seen     INTEGER NOT NULL,
    jobs_new      INTEGER NOT NULL,
    cpu_seconds   INTEGER NOT NULL,
    gpu_seconds   INTEGER NOT NULL,
    event_id      INTEGER REFERENCES system_events(id),
    at            TEXT NOT NULL
);
CREATE TRIGGER grid_imports_no_update BEFORE UPDATE ON grid_imports
BEGIN SELECT RAISE(ABORT, 'grid_imports is append-only'); END;
CREATE TRIGGER grid_imports_no_delete BEFORE DELETE ON grid_imports
BEGIN SELECT RAISE(ABORT, 'grid_imports is append-only'); END;

-- A finished job as `sacct` reported it: one row per (cluster, job id), so a job imported twice
-- counts once (the primary key; the second insert is skipped). Append-only.
CREATE TABLE grid_jobs (
    cluster          TEXT NOT NULL,
    job_id           TEXT NOT NULL,
    account          TEXT NOT NULL,
    user_name        TEXT NOT NULL,
    elapsed_seconds  INTEGER NOT NULL CHECK (elapsed_seconds >= 0),
    cpu_seconds      INTEGER NOT NULL CHECK (cpu_seconds >= 0),
    gpu_seconds      INTEGER NOT NULL CHECK (gpu_seconds >= 0),
    ended_at         TEXT NOT NULL,
    state            TEXT NOT NULL,
    import_id        INTEGER NOT NULL REFERENCES grid_imports(id),
    PRIMARY KEY (cluster, job_id)
);
CREATE INDEX grid_jobs_account ON grid_jobs(account, ended_at);
CREATE TRIGGER grid_jobs_no_update BEFORE UPDATE ON grid_jobs
BEGIN SELECT RAISE(ABORT, 'grid_jobs is append-only'); END;
CREATE TRIGGER grid_jobs_no_delete BEFORE DELETE ON grid_jobs
BEGIN SELECT RAISE(ABORT, 'grid_jobs is append-only'); END;

INSERT INTO roles (role, description) VALUES
    ('grid-reviewer', 'scores and decides requests for the national compute grid');
INSERT INTO role_permissions (role, permission) VALUES
    ('grid-reviewer', 'grid:review'),
    ('regulator-admin', 'grid:review');
