import type { Logger } from "@fnbase/shared";
import { createAdapter } from "@socket.io/postgres-adapter";
import pg from "pg";
import type { Realtime } from "../realtime/realtime.js";

/**
 * Puts a node's realtime server on `@socket.io/postgres-adapter` (NOTIFY on `fnbase_io*`
 * channels, payloads over 8 kB through the `socket_io_attachments` table), on a pool of its own
 * (the adapter holds one connection for LISTEN). Answers the pool, to end after the realtime
 * server closes.
 *
 * @example
 * const pool = await useRealtimeAdapter(realtime, "postgres://...", log);
 */
export async function useRealtimeAdapter(
  realtime: Realtime,
  url: string,
  log: Logger,
): Promise<pg.Pool> {
  const pool = new pg.Pool({ connectionString: url, max: 3 });
  pool.on("error", () => {});
  realtime.useAdapter(
    createAdapter(pool, {
      channelPrefix: "fnbase_io",
      tableName: "socket_io_attachments",
      errorHandler: (err) => log.warn({ err }, "realtime adapter error"),
    }),
  );
  return pool;
}
