/**
 * Migration 3: entity schemas. Each entity's records live in a table of their own, `e_<id>`
 * (created when the schema is first pushed; see `entity-tables.ts`), so its indexes serve it
 * alone and a removed entity's records stay put until its name is pushed again.
 */
export const m003Entities = `
  CREATE TABLE entity_schemas (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    app_id TEXT NOT NULL REFERENCES apps(id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    schema TEXT NOT NULL,
    indexes TEXT NOT NULL DEFAULT '[]',
    created_date TEXT NOT NULL,
    updated_date TEXT NOT NULL,
    deleted_date TEXT,
    UNIQUE (app_id, name)
  );
  CREATE INDEX users_by_app_created ON users(app_id, created_date, id);
  `;
