/**
 * Migration 7 (PostgreSQL): uploaded files' rows (their bytes are in the file storage, S3 for
 * several nodes), as `integrations.db` keeps them on one node.
 */
export const pg007Files = `
  CREATE TABLE files (
    app_id TEXT NOT NULL,
    id TEXT NOT NULL,
    visibility TEXT NOT NULL,
    name TEXT NOT NULL,
    content_type TEXT NOT NULL,
    size BIGINT NOT NULL,
    owner_id TEXT,
    created_date TEXT NOT NULL,
    PRIMARY KEY (app_id, id)
  );
`;
