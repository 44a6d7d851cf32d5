-- Keep in step with migrations/postgres/0022_datasets.sql.
-- The national AI data repository (issue #18): organisation → dataset → immutable versions →
-- distributions. The metadata is `mizan.dataset/1` JSON (`mizan-catalog` validates it); the files
-- live content-addressed under the data directory, named here by SHA-256.

CREATE TABLE datasets (
    id          INTEGER PRIMARY KEY,
    org_id      INTEGER NOT NULL REFERENCES organisations(id),
    slug        TEXT NOT NULL UNIQUE,
    created_at  TEXT NOT NULL,
    is_demo     INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX datasets_org ON datasets(org_id, id);

-- One row per version, never changed: a new file or a metadata change is a new version, so an
-- old version keeps its words, files and hashes. `files_json` lists the distributions
-- (`mizan_catalog::Distribution`), `scan_json` what the upload scan found per file (profile,
-- PII flags, bias profile), `access` repeats the metadata's tier for listing.
CREATE TABLE dataset_versions (
    dataset_id  INTEGER NOT NULL REFERENCES datasets(id),
    version     INTEGER NOT NULL CHECK (version >= 1),
    meta_json   TEXT NOT NULL,
    files_json  TEXT NOT NULL,
    scan_json   TEXT NOT NULL,
    access      TEXT NOT NULL,
    actor_id    INTEGER REFERENCES users(id),
    actor_name  TEXT NOT NULL,
    at          TEXT NOT NULL,
    PRIMARY KEY (dataset_id, version)
);
CREATE TRIGGER dataset_versions_no_update BEFORE UPDATE ON dataset_versions
BEGIN SELECT RAISE(ABORT, 'dataset_versions is append-only'); END;
CREATE TRIGGER dataset_versions_no_delete BEFORE DELETE ON dataset_versions
BEGIN SELECT RAISE(ABORT, 'dataset_versions is append-only'); END;

-- A version made public. The newest published version is the dataset's current one; earlier
-- published versions stay downloadable. Append-only.
CREATE TABLE dataset_publications (
    dataset_id  INTEGER NOT NULL,
    version     INTEGER NOT NULL,
    actor_id    INTEGER REFERENCES users(id),
    actor_name  TEXT NOT NULL,
    at          TEXT NOT NULL,
    PRIMARY KEY (dataset_id, version),
    FOREIGN KEY (dataset_id, version) REFERENCES dataset_versions(dataset_id, version)
);
CREATE TRIGGER dataset_publications_no_update BEFORE UPDATE ON dataset_publications
BEGIN SELECT RAISE(ABORT, 'dataset_publications is append-only'); END;
CREATE TRIGGER dataset_publications_no_delete BEFORE DELETE ON dataset_publications
BEGIN SELECT RAISE(ABORT, 'dataset_publications is append-only'); END;

-- Who accepted which terms (id and version of the text) for which dataset version, and every
-- download of a registered or restricted version. Append-only.
CREATE TABLE dataset_acceptances (
    id             INTEGER PRIMARY KEY,
    dataset_id     INTEGER NOT NULL REFERENCES datasets(id),
    version        INTEGER NOT NULL,
    user_id        INTEGER NOT NULL REFERENCES users(id),
    terms_id       TEXT NOT NULL,
    terms_version  INTEGER NOT NULL,
    at             TEXT NOT NULL
);
CREATE INDEX dataset_acceptances_user ON dataset_acceptances(user_id, dataset_id, version);
CREATE TRIGGER dataset_acceptances_no_update BEFORE UPDATE ON dataset_acceptances
BEGIN SELECT RAISE(ABORT, 'dataset_acceptances is append-only'); END;
CREATE TRIGGER dataset_acceptances_no_delete BEFORE DELETE ON dataset_acceptances
BEGIN SELECT RAISE(ABORT, 'dataset_acceptances is append-only'); END;

CREATE TABLE dataset_downloads (
    id          INTEGER PRIMARY KEY,
    dataset_id  INTEGER NOT NULL REFERENCES datasets(id),
    version     INTEGER NOT NULL,
    file_name   TEXT NOT NULL,
    user_id     INTEGER REFERENCES users(id),
    at          TEXT NOT NULL
);
CREATE INDEX dataset_downloads_dataset ON dataset_downloads(dataset_id, version);
CREATE TRIGGER dataset_downloads_no_update BEFORE UPDATE ON dataset_downloads
BEGIN SELECT RAISE(ABORT, 'dataset_downloads is append-only'); END;
CREATE TRIGGER dataset_downloads_no_delete BEFORE DELETE ON dataset_downloads
BEGIN SELECT RAISE(ABORT, 'dataset_downloads is append-only'); END;

INSERT INTO role_permissions (role, permission) VALUES ('provider-admin', 'datasets:write');
