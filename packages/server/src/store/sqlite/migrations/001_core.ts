/** Migration 1: apps, functions, deployments, meta. */
export const m001Core = `
  CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
  CREATE TABLE apps (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    functions_enabled INTEGER NOT NULL DEFAULT 1,
    cors_origins TEXT NOT NULL DEFAULT '["*"]',
    domains TEXT NOT NULL DEFAULT '[]',
    signing_key TEXT NOT NULL,
    created_date TEXT NOT NULL,
    updated_date TEXT NOT NULL
  );
  CREATE TABLE deployments (
    id TEXT PRIMARY KEY,
    app_id TEXT NOT NULL REFERENCES apps(id) ON DELETE CASCADE,
    function_name TEXT NOT NULL,
    content_hash TEXT NOT NULL,
    entry TEXT NOT NULL,
    files TEXT NOT NULL,
    automations TEXT,
    created_date TEXT NOT NULL
  );
  CREATE INDEX deployments_by_function ON deployments(app_id, function_name, created_date);
  CREATE TABLE functions (
    app_id TEXT NOT NULL REFERENCES apps(id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    deployment_id TEXT NOT NULL REFERENCES deployments(id),
    timeout_ms INTEGER,
    created_date TEXT NOT NULL,
    updated_date TEXT NOT NULL,
    PRIMARY KEY (app_id, name)
  );
  `;
