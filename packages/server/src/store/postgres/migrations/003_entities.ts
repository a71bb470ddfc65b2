/**
 * Migration 3 (PostgreSQL): entity schemas (each entity's records get a table of their own,
 * `e_<id>`, when first pushed; see `entity-tables.ts`), and `fnbase_week`, the Monday of an
 * ISO date's week as `YYYY-MM-DD` (NULL for text that is not a date, where a cast would throw),
 * for aggregates' week buckets.
 */
export const pg003Entities = `
  CREATE TABLE entity_schemas (
    id BIGSERIAL PRIMARY KEY,
    app_id TEXT NOT NULL REFERENCES apps(id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    schema TEXT NOT NULL,
    indexes TEXT NOT NULL DEFAULT '[]',
    created_date TEXT NOT NULL,
    updated_date TEXT NOT NULL,
    deleted_date TEXT,
    UNIQUE (app_id, name)
  );
  CREATE FUNCTION fnbase_week(t TEXT) RETURNS TEXT LANGUAGE plpgsql IMMUTABLE AS $$
  BEGIN
    IF t IS NULL OR t !~ '^\\d{4}-\\d{2}-\\d{2}' THEN RETURN NULL; END IF;
    RETURN to_char(date_trunc('week', substr(t, 1, 10)::date), 'YYYY-MM-DD');
  EXCEPTION WHEN others THEN
    RETURN NULL;
  END $$;
`;
