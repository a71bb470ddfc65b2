/**
 * Migration 1 (PostgreSQL): apps, functions, deployments, meta. A deployment's files are rows of
 * `deployment_files` naming a blob by the SHA-256 of its content: a file that many deployments
 * share (an unchanged helper, `shared/`) is stored once, and every node reads code from here.
 */
export const pg001Core = `
  CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
  CREATE TABLE apps (
    id TEXT PRIMARY KEY,
    seq BIGSERIAL NOT NULL,
    name TEXT NOT NULL,
    functions_enabled BOOLEAN NOT NULL DEFAULT TRUE,
    cors_origins JSONB NOT NULL DEFAULT '["*"]',
    domains JSONB NOT NULL DEFAULT '[]',
    egress_allow JSONB NOT NULL DEFAULT '[]',
    signing_key TEXT NOT NULL,
    created_date TEXT NOT NULL,
    updated_date TEXT NOT NULL
  );
  CREATE TABLE blobs (
    hash TEXT PRIMARY KEY,
    content TEXT NOT NULL,
    size INTEGER NOT NULL
  );
  CREATE TABLE deployments (
    id TEXT PRIMARY KEY,
    seq BIGSERIAL NOT NULL,
    app_id TEXT NOT NULL REFERENCES apps(id) ON DELETE CASCADE,
    function_name TEXT NOT NULL,
    content_hash TEXT NOT NULL,
    entry TEXT NOT NULL,
    automations JSONB,
    created_date TEXT NOT NULL
  );
  CREATE INDEX deployments_by_function ON deployments(app_id, function_name, created_date, seq);
  CREATE TABLE deployment_files (
    deployment_id TEXT NOT NULL REFERENCES deployments(id) ON DELETE CASCADE,
    position INTEGER NOT NULL,
    path TEXT NOT NULL,
    hash TEXT NOT NULL REFERENCES blobs(hash),
    PRIMARY KEY (deployment_id, position)
  );
  CREATE INDEX deployment_files_by_blob ON deployment_files(hash);
  CREATE TABLE functions (
    app_id TEXT NOT NULL REFERENCES apps(id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    deployment_id TEXT NOT NULL REFERENCES deployments(id),
    timeout_ms INTEGER,
    memory_mb INTEGER,
    created_date TEXT NOT NULL,
    updated_date TEXT NOT NULL,
    PRIMARY KEY (app_id, name)
  );
`;
