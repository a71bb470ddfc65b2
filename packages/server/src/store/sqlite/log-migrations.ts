/**
 * Schema migrations of the log database (`logs.db`, beside `fnbase.db`), in order; append only.
 * `PRAGMA user_version` of that file records how many have run.
 */
export const LOG_MIGRATIONS: readonly string[] = [
  `
  CREATE TABLE logs (
    id INTEGER PRIMARY KEY,
    ts INTEGER NOT NULL,
    lvl INTEGER NOT NULL,
    app_id TEXT NOT NULL,
    function TEXT NOT NULL,
    deployment_id TEXT NOT NULL,
    instance_id TEXT NOT NULL,
    request_id TEXT,
    source TEXT NOT NULL,
    message TEXT NOT NULL,
    bytes INTEGER NOT NULL
  );
  CREATE INDEX logs_by_function ON logs(app_id, function, ts);
  CREATE INDEX logs_by_app ON logs(app_id, id);
  CREATE INDEX logs_by_time ON logs(ts);
  `,
];
