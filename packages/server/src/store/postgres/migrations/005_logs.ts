/**
 * Migration 5 (PostgreSQL): function logs, partitioned by day on `ts` (epoch ms). Partitions are
 * made as lines arrive (`log-store.ts`) and dropped whole by age retention, so pruning old days
 * costs no row deletes and no vacuum. `node` is the node that wrote the line (live tails on the
 * other nodes read a batch by its node and id range).
 */
export const pg005Logs = `
  CREATE TABLE logs (
    id BIGSERIAL NOT NULL,
    ts BIGINT NOT NULL,
    lvl SMALLINT NOT NULL,
    app_id TEXT NOT NULL,
    function TEXT NOT NULL,
    deployment_id TEXT NOT NULL,
    instance_id TEXT NOT NULL,
    request_id TEXT,
    source TEXT NOT NULL,
    message TEXT NOT NULL,
    bytes INTEGER NOT NULL,
    node TEXT NOT NULL DEFAULT ''
  ) PARTITION BY RANGE (ts);
  CREATE INDEX logs_by_function ON logs(app_id, function, ts);
  CREATE INDEX logs_by_app ON logs(app_id, id);
  CREATE INDEX logs_by_node ON logs(node, id);
`;
