/**
 * Migration 2 (PostgreSQL): app users (the User entity's rows: its text columns sort in code
 * point order, `COLLATE "C"`, as entity tables do), encrypted secrets, workspace API keys.
 */
export const pg002Identity = `
  CREATE TABLE users (
    id TEXT COLLATE "C" PRIMARY KEY,
    app_id TEXT NOT NULL REFERENCES apps(id) ON DELETE CASCADE,
    email TEXT COLLATE "C" NOT NULL,
    email_key TEXT NOT NULL,
    full_name TEXT COLLATE "C",
    role TEXT COLLATE "C" NOT NULL DEFAULT 'user',
    password_hash TEXT NOT NULL,
    data JSON NOT NULL DEFAULT '{}',
    created_date TEXT COLLATE "C" NOT NULL,
    updated_date TEXT COLLATE "C" NOT NULL,
    UNIQUE (app_id, email_key)
  );
  CREATE INDEX users_by_app_created ON users(app_id, created_date, id);
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
