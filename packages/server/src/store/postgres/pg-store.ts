import { createHash } from "node:crypto";
import { type Kysely, sql, type Transaction } from "kysely";
import type {
  AppPatch,
  AppRecord,
  DeployFile,
  DeploymentRecord,
  FunctionRecord,
  Store,
} from "../types.js";
import { openPgAutomationStore } from "./automation-store.js";
import { openPgEntityStore } from "./entity-store.js";
import { openPgIdentityStore } from "./identity-store.js";
import { migratePostgres } from "./migrate.js";
import { openPgConnection, type PgConnection } from "./pool.js";

type Db = Kysely<Record<string, Record<string, unknown>>>;

interface AppRow {
  id: string;
  name: string;
  functions_enabled: boolean;
  cors_origins: string[];
  domains: string[];
  egress_allow: string[];
  created_date: string;
  updated_date: string;
}
interface DeploymentRow {
  id: string;
  app_id: string;
  function_name: string;
  content_hash: string;
  entry: string;
  automations: unknown[] | null;
  created_date: string;
}

const APP_COLUMNS = sql`id, name, functions_enabled, cors_origins, domains, egress_allow, created_date, updated_date`;
const toApp = (r: AppRow): AppRecord => ({ ...r });
const now = () => new Date().toISOString();
const sha256 = (s: string) => createHash("sha256").update(s).digest("hex");

/** Options of {@link openPostgresStore}. */
export interface PostgresStoreOptions {
  /** Connections in the pool. Default 10. */
  maxConnections?: number;
}

/** A PostgreSQL store: the {@link Store} and the connection it runs on (for the cluster). */
export interface PostgresStore extends Store {
  readonly connection: PgConnection;
}

/**
 * The store on PostgreSQL (`fnbase server --store postgres://...`): the same interface as the
 * SQLite store, for several fnbase nodes sharing one database. Migrations run at open, once
 * however many nodes start together (see `migrate.ts`). Deployment code is content-addressed:
 * `blobs` holds each distinct file once, `deployment_files` lists a deployment's paths.
 *
 * @example
 * const store = await openPostgresStore("postgres://postgres@127.0.0.1:5432/fnbase");
 */
export async function openPostgresStore(
  url: string,
  options: PostgresStoreOptions = {},
): Promise<PostgresStore> {
  const connection = openPgConnection(url, options.maxConnections ?? 10);
  try {
    await migratePostgres(connection);
  } catch (err) {
    await connection.close();
    throw err;
  }
  const db = connection.db;
  const rows = async <T>(q: { execute(db: Db): Promise<{ rows: unknown[] }> }, on: Db = db) =>
    (await q.execute(on)).rows as T[];

  const getFunction = async (appId: string, name: string, on: Db = db) =>
    (
      await rows<FunctionRecord>(
        sql`SELECT app_id, name, deployment_id, timeout_ms, memory_mb, created_date, updated_date
          FROM functions WHERE app_id = ${appId} AND name = ${name}`,
        on,
      )
    )[0];

  /** The files of deployments, by deployment id, in their stored order. */
  const filesOf = async (ids: string[]): Promise<Map<string, DeployFile[]>> => {
    const out = new Map<string, DeployFile[]>(ids.map((id) => [id, []]));
    if (ids.length === 0) return out;
    const list = await rows<{ deployment_id: string; path: string; content: string }>(
      sql`SELECT f.deployment_id, f.path, b.content FROM deployment_files f
        JOIN blobs b ON b.hash = f.hash
        WHERE f.deployment_id IN (${sql.join(ids)}) ORDER BY f.deployment_id, f.position`,
    );
    for (const r of list) out.get(r.deployment_id)!.push({ path: r.path, content: r.content });
    return out;
  };
  const withFiles = async (list: DeploymentRow[]): Promise<DeploymentRecord[]> => {
    const files = await filesOf(list.map((d) => d.id));
    return list.map((d) => ({ ...d, files: files.get(d.id) ?? [] }));
  };

  /** Deletes blobs no deployment names any more (among `hashes`). */
  const collectBlobs = async (hashes: string[]) => {
    if (hashes.length === 0) return;
    try {
      await sql`DELETE FROM blobs b WHERE b.hash IN (${sql.join([...new Set(hashes)])})
        AND NOT EXISTS (SELECT 1 FROM deployment_files f WHERE f.hash = b.hash)`.execute(db);
    } catch {
      // A deploy on another node took one of them meanwhile (the foreign key refused the
      // delete): the next prune collects what is left.
    }
  };
  const hashesOf = async (tx: Db, where: ReturnType<typeof sql>) =>
    (
      await rows<{ hash: string }>(
        sql`SELECT DISTINCT f.hash FROM deployment_files f JOIN deployments d ON d.id = f.deployment_id WHERE ${where}`,
        tx,
      )
    ).map((r) => r.hash);

  const addDeployment = async (
    tx: Transaction<Record<string, Record<string, unknown>>>,
    d: DeploymentRecord,
    timeoutMs: number | null,
    memoryMb: number | null,
  ) => {
    await sql`INSERT INTO deployments (id, app_id, function_name, content_hash, entry, automations, created_date)
      VALUES (${d.id}, ${d.app_id}, ${d.function_name}, ${d.content_hash}, ${d.entry},
        ${d.automations === null ? null : JSON.stringify(d.automations)}::jsonb, ${d.created_date})`.execute(
      tx,
    );
    if (d.files.length > 0) {
      const blobs = new Map(d.files.map((f) => [sha256(f.content), f.content]));
      await sql`INSERT INTO blobs (hash, content, size) VALUES ${sql.join(
        [...blobs].map(([h, c]) => sql`(${h}, ${c}, ${Buffer.byteLength(c)})`),
      )} ON CONFLICT (hash) DO NOTHING`.execute(tx);
      await sql`INSERT INTO deployment_files (deployment_id, position, path, hash) VALUES ${sql.join(
        d.files.map((f, i) => sql`(${d.id}, ${i}, ${f.path}, ${sha256(f.content)})`),
      )}`.execute(tx);
    }
    await sql`INSERT INTO functions (app_id, name, deployment_id, timeout_ms, memory_mb, created_date, updated_date)
      VALUES (${d.app_id}, ${d.function_name}, ${d.id}, ${timeoutMs}, ${memoryMb}, ${d.created_date}, ${d.created_date})
      ON CONFLICT (app_id, name) DO UPDATE SET deployment_id = excluded.deployment_id,
        timeout_ms = excluded.timeout_ms, memory_mb = excluded.memory_mb,
        updated_date = excluded.updated_date`.execute(tx);
    return (await getFunction(d.app_id, d.function_name, tx))!;
  };

  const automations = openPgAutomationStore(db);
  return {
    connection,
    identity: openPgIdentityStore(db),
    automations,
    entities: openPgEntityStore(db, automations.onRecordChangesIn),
    async getMeta(key) {
      return (await rows<{ value: string }>(sql`SELECT value FROM meta WHERE key = ${key}`))[0]
        ?.value;
    },
    async setMeta(key, value) {
      await sql`INSERT INTO meta (key, value) VALUES (${key}, ${value})
        ON CONFLICT (key) DO UPDATE SET value = excluded.value`.execute(db);
    },
    async createApp(app) {
      const t = now();
      const [row] = await rows<AppRow>(
        sql`INSERT INTO apps (id, name, signing_key, created_date, updated_date)
          VALUES (${app.id}, ${app.name}, ${app.signing_key}, ${t}, ${t}) RETURNING ${APP_COLUMNS}`,
      );
      return toApp(row!);
    },
    async getApp(id) {
      const [row] = await rows<AppRow>(sql`SELECT ${APP_COLUMNS} FROM apps WHERE id = ${id}`);
      return row && toApp(row);
    },
    async listApps() {
      return (
        await rows<AppRow>(sql`SELECT ${APP_COLUMNS} FROM apps ORDER BY created_date, seq`)
      ).map(toApp);
    },
    async updateApp(id, patch: AppPatch) {
      const sets = [sql`updated_date = ${now()}`];
      if (patch.name !== undefined) sets.push(sql`name = ${patch.name}`);
      if (patch.functions_enabled !== undefined)
        sets.push(sql`functions_enabled = ${patch.functions_enabled}`);
      for (const k of ["cors_origins", "domains", "egress_allow"] as const) {
        if (patch[k] !== undefined)
          sets.push(sql`${sql.ref(k)} = ${JSON.stringify(patch[k])}::jsonb`);
      }
      const [row] = await rows<AppRow>(
        sql`UPDATE apps SET ${sql.join(sets)} WHERE id = ${id} RETURNING ${APP_COLUMNS}`,
      );
      return row && toApp(row);
    },
    async getSigningKey(appId) {
      return (
        await rows<{ signing_key: string }>(sql`SELECT signing_key FROM apps WHERE id = ${appId}`)
      )[0]?.signing_key;
    },
    async listFunctions(appId) {
      return await rows<FunctionRecord>(
        sql`SELECT app_id, name, deployment_id, timeout_ms, memory_mb, created_date, updated_date
          FROM functions WHERE app_id = ${appId} ORDER BY name COLLATE "C"`,
      );
    },
    getFunction: (appId, name) => getFunction(appId, name),
    async deleteFunction(appId, name) {
      const { removed, hashes } = await db.transaction().execute(async (tx) => {
        const hashes = await hashesOf(tx, sql`d.app_id = ${appId} AND d.function_name = ${name}`);
        const r =
          await sql`DELETE FROM functions WHERE app_id = ${appId} AND name = ${name}`.execute(tx);
        await sql`DELETE FROM deployments WHERE app_id = ${appId} AND function_name = ${name}`.execute(
          tx,
        );
        return { removed: Number(r.numAffectedRows ?? 0) > 0, hashes };
      });
      await collectBlobs(hashes);
      return removed;
    },
    async getDeployment(id) {
      const [row] = await rows<DeploymentRow>(
        sql`SELECT id, app_id, function_name, content_hash, entry, automations, created_date
          FROM deployments WHERE id = ${id}`,
      );
      return row && (await withFiles([row]))[0];
    },
    async listDeployments(appId, name, limit) {
      return await withFiles(
        await rows<DeploymentRow>(
          sql`SELECT id, app_id, function_name, content_hash, entry, automations, created_date
            FROM deployments WHERE app_id = ${appId} AND function_name = ${name}
            ORDER BY created_date DESC, seq DESC LIMIT ${limit}`,
        ),
      );
    },
    async addDeployment(d, timeoutMs, memoryMb = null) {
      return await db.transaction().execute((tx) => addDeployment(tx, d, timeoutMs, memoryMb));
    },
    async setCurrentDeployment(appId, name, deploymentId) {
      await sql`UPDATE functions SET deployment_id = ${deploymentId}, updated_date = ${now()}
        WHERE app_id = ${appId} AND name = ${name}`.execute(db);
      return await getFunction(appId, name);
    },
    async pruneDeployments(appId, name, keep) {
      const { removed, hashes } = await db.transaction().execute(async (tx) => {
        const current = (await getFunction(appId, name, tx))?.deployment_id;
        const old = await rows<{ id: string }>(
          sql`SELECT id FROM deployments WHERE app_id = ${appId} AND function_name = ${name}
            ORDER BY created_date DESC, seq DESC OFFSET ${keep}`,
          tx,
        );
        const removed = old.map((r) => r.id).filter((id) => id !== current);
        if (removed.length === 0) return { removed, hashes: [] };
        const hashes = await hashesOf(tx, sql`d.id IN (${sql.join(removed)})`);
        await sql`DELETE FROM deployments WHERE id IN (${sql.join(removed)})`.execute(tx);
        return { removed, hashes };
      });
      await collectBlobs(hashes);
      return removed;
    },
    async close() {
      await connection.close();
    },
  };
}
