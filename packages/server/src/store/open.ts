import { hostname } from "node:os";
import { join } from "node:path";
import { FnbaseError } from "@fnbase/shared";
import type { LogStore } from "./log-types.js";
import type { PgLogStore } from "./postgres/log-store.js";
import type { PgConnection } from "./postgres/pool.js";
import { openSqliteLogStore } from "./sqlite/log-store.js";
import { openSqliteStore } from "./sqlite/sqlite-store.js";
import type { Store } from "./types.js";

/** What a server keeps its state in. */
export interface OpenedStores {
  store: Store;
  logs: LogStore;
  /** This node's name. */
  nodeId: string;
  /** The PostgreSQL connection and its log store, when the store is PostgreSQL. */
  postgres?: { connection: PgConnection; url: string; logs: PgLogStore };
}

/**
 * Opens the store a server's options name: `"sqlite"` (`<dataDir>/fnbase.db` and `logs.db`) or a
 * PostgreSQL URL (migrated at open, once however many nodes start together). The PostgreSQL
 * modules (and `pg`) load only when used.
 *
 * @example
 * const { store, logs } = await openStores({ store: "sqlite", dataDir: "/var/lib/fnbase" });
 */
export async function openStores(o: {
  store: string;
  dataDir: string;
  nodeId?: string;
  existing?: Store;
}): Promise<OpenedStores> {
  const nodeId = o.nodeId ?? `${hostname()}-${process.pid}`;
  if (o.store === "sqlite") {
    return {
      store: o.existing ?? openSqliteStore(join(o.dataDir, "fnbase.db")),
      logs: openSqliteLogStore(join(o.dataDir, "logs.db")),
      nodeId,
    };
  }
  const { openPostgresStore } = await import("./postgres/pg-store.js");
  const { openPgLogStore } = await import("./postgres/log-store.js");
  const store = await openPostgresStore(o.store).catch((err: unknown) => {
    throw new FnbaseError(
      "STORE_UNAVAILABLE",
      `Cannot open the PostgreSQL store ${o.store.replace(/:[^:@/]*@/, ":***@")}: ${(err as Error).message}`,
      {
        hint: "Check that PostgreSQL runs there and that the URL's role may connect and create tables (--store, FNBASE_STORE)",
        cause: err,
      },
    );
  });
  const logs = openPgLogStore(store.connection.db, nodeId);
  return {
    store: o.existing ?? store,
    logs,
    nodeId,
    postgres: { connection: store.connection, url: o.store, logs },
  };
}
