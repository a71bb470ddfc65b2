/**
 * Migration 6 (PostgreSQL): the table `@socket.io/postgres-adapter` passes realtime events
 * through when they are too large for a NOTIFY (8 kB); it deletes its own old rows.
 */
export const pg006Realtime = `
  CREATE TABLE socket_io_attachments (
    id BIGSERIAL UNIQUE,
    created_at TIMESTAMPTZ DEFAULT NOW(),
    payload BYTEA
  );
`;
