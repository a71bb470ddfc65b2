/** Migration 2: app users, encrypted secrets, workspace API keys. */
export const m002Identity = `
  CREATE TABLE users (
    id TEXT PRIMARY KEY,
    app_id TEXT NOT NULL REFERENCES apps(id) ON DELETE CASCADE,
    email TEXT NOT NULL,
    email_key TEXT NOT NULL,
    full_name TEXT,
    role TEXT NOT NULL DEFAULT 'user',
    password_hash TEXT NOT NULL,
    data TEXT NOT NULL DEFAULT '{}',
    created_date TEXT NOT NULL,
    updated_date TEXT NOT NULL,
    UNIQUE (app_id, email_key)
  );
  CREATE TABLE secrets (
    app_id TEXT NOT NULL REFERENCES apps(id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    value TEXT NOT NULL,
    size INTEGER NOT NULL,
    updated_date TEXT NOT NULL,
    PRIMARY KEY (app_id, name)
  );
  CREATE TABLE api_keys (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    prefix TEXT NOT NULL,
    key_hash TEXT NOT NULL UNIQUE,
    created_date TEXT NOT NULL,
    last_used_date TEXT,
    revoked_date TEXT
  );
  `;
