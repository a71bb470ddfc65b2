import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import Database from "better-sqlite3";
import type { AppPatch, AppRecord, DeploymentRecord, FunctionRecord, Store } from "../types.js";
import { openAutomationStore } from "./automation-store.js";
import { openEntityStore } from "./entity-store.js";
import { openIdentityStore } from "./identity-store.js";
import { MIGRATIONS } from "./migrations/index.js";

interface AppRow {
  id: string;
  name: string;
  functions_enabled: number;
  cors_origins: string;
  domains: string;
  egress_allow: string;
  created_date: string;
  updated_date: string;
}
interface DeploymentRow {
  id: string;
  app_id: string;
  function_name: string;
  content_hash: string;
  entry: string;
  files: string;
  automations: string | null;
  created_date: string;
}

const toApp = (r: AppRow): AppRecord => ({
  id: r.id,
  name: r.name,
  functions_enabled: r.functions_enabled === 1,
  cors_origins: JSON.parse(r.cors_origins) as string[],
  domains: JSON.parse(r.domains) as string[],
  egress_allow: JSON.parse(r.egress_allow) as string[],
  created_date: r.created_date,
  updated_date: r.updated_date,
});

const toDeployment = (r: DeploymentRow): DeploymentRecord => ({
  ...r,
  files: JSON.parse(r.files) as DeploymentRecord["files"],
  automations: r.automations === null ? null : (JSON.parse(r.automations) as unknown[]),
});

const now = () => new Date().toISOString();

/** Runs pending migrations on `db`, each in its own transaction. */
export function migrate(db: Database.Database): void {
  const current = db.pragma("user_version", { simple: true }) as number;
  for (let v = current; v < MIGRATIONS.length; v++) {
    const m = MIGRATIONS[v]!;
    db.transaction(() => {
      if (typeof m === "string") db.exec(m);
      else m(db);
      db.pragma(`user_version = ${v + 1}`);
    })();
  }
}

/**
 * The embedded store: one SQLite file (WAL mode) in the data dir.
 *
 * @example
 * const store = openSqliteStore("/var/lib/fnbase/fnbase.db");
 */
export function openSqliteStore(file: string): Store {
  mkdirSync(dirname(file), { recursive: true });
  const db = new Database(file);
  db.pragma("journal_mode = WAL");
  db.pragma("synchronous = NORMAL");
  db.pragma("foreign_keys = ON");
  db.pragma("busy_timeout = 5000");
  // Reads through a memory map of the file (no read() and copy per page), sorts in memory, and
  // a page cache of 64 MiB (the default is 2 MiB) for what the map does not cover.
  db.pragma("mmap_size = 1073741824");
  db.pragma("temp_store = MEMORY");
  db.pragma("cache_size = -65536");
  migrate(db);

  const q = {
    getMeta: db.prepare<[string], { value: string }>("SELECT value FROM meta WHERE key = ?"),
    setMeta: db.prepare(
      "INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
    ),
    insertApp: db.prepare(
      "INSERT INTO apps (id, name, signing_key, created_date, updated_date) VALUES (@id, @name, @signing_key, @now, @now)",
    ),
    getApp: db.prepare<[string], AppRow>("SELECT * FROM apps WHERE id = ?"),
    listApps: db.prepare<[], AppRow>("SELECT * FROM apps ORDER BY created_date, rowid"),
    signingKey: db.prepare<[string], { signing_key: string }>(
      "SELECT signing_key FROM apps WHERE id = ?",
    ),
    listFunctions: db.prepare<[string], FunctionRecord>(
      "SELECT * FROM functions WHERE app_id = ? ORDER BY name",
    ),
    getFunction: db.prepare<[string, string], FunctionRecord>(
      "SELECT * FROM functions WHERE app_id = ? AND name = ?",
    ),
    deleteFunction: db.prepare("DELETE FROM functions WHERE app_id = ? AND name = ?"),
    deleteDeployments: db.prepare("DELETE FROM deployments WHERE app_id = ? AND function_name = ?"),
    getDeployment: db.prepare<[string], DeploymentRow>("SELECT * FROM deployments WHERE id = ?"),
    listDeployments: db.prepare<[string, string, number], DeploymentRow>(
      "SELECT * FROM deployments WHERE app_id = ? AND function_name = ? ORDER BY created_date DESC, rowid DESC LIMIT ?",
    ),
    insertDeployment: db.prepare(
      "INSERT INTO deployments (id, app_id, function_name, content_hash, entry, files, automations, created_date) VALUES (@id, @app_id, @function_name, @content_hash, @entry, @files, @automations, @created_date)",
    ),
    upsertFunction: db.prepare(
      `INSERT INTO functions (app_id, name, deployment_id, timeout_ms, memory_mb, created_date, updated_date)
       VALUES (@app_id, @name, @deployment_id, @timeout_ms, @memory_mb, @now, @now)
       ON CONFLICT(app_id, name) DO UPDATE SET deployment_id = excluded.deployment_id,
         timeout_ms = excluded.timeout_ms, memory_mb = excluded.memory_mb,
         updated_date = excluded.updated_date`,
    ),
    setCurrent: db.prepare(
      "UPDATE functions SET deployment_id = ?, updated_date = ? WHERE app_id = ? AND name = ?",
    ),
    oldDeployments: db.prepare<[string, string, number], { id: string }>(
      `SELECT id FROM deployments WHERE app_id = ? AND function_name = ?
       ORDER BY created_date DESC, rowid DESC LIMIT -1 OFFSET ?`,
    ),
    deleteDeployment: db.prepare("DELETE FROM deployments WHERE id = ?"),
  };

  const addDeployment = db.transaction(
    (d: DeploymentRecord, timeoutMs: number | null, memoryMb: number | null) => {
      q.insertDeployment.run({
        ...d,
        files: JSON.stringify(d.files),
        automations: d.automations === null ? null : JSON.stringify(d.automations),
      });
      q.upsertFunction.run({
        app_id: d.app_id,
        name: d.function_name,
        deployment_id: d.id,
        timeout_ms: timeoutMs,
        memory_mb: memoryMb,
        now: d.created_date,
      });
      return q.getFunction.get(d.app_id, d.function_name)!;
    },
  );

  const deleteFunction = db.transaction((appId: string, name: string) => {
    const removed = q.deleteFunction.run(appId, name).changes > 0;
    q.deleteDeployments.run(appId, name);
    return removed;
  });

  const prune = db.transaction((appId: string, name: string, keep: number) => {
    const current = q.getFunction.get(appId, name)?.deployment_id;
    const removed: string[] = [];
    for (const { id } of q.oldDeployments.all(appId, name, keep)) {
      if (id === current) continue;
      q.deleteDeployment.run(id);
      removed.push(id);
    }
    return removed;
  });

  const automations = openAutomationStore(db);
  return {
    identity: openIdentityStore(db),
    automations,
    entities: openEntityStore(db, automations.onRecordChanges),
    async getMeta(key) {
      return q.getMeta.get(key)?.value;
    },
    async setMeta(key, value) {
      q.setMeta.run(key, value);
    },
    async createApp(app) {
      q.insertApp.run({ ...app, now: now() });
      return toApp(q.getApp.get(app.id)!);
    },
    async getApp(id) {
      const row = q.getApp.get(id);
      return row && toApp(row);
    },
    async listApps() {
      return q.listApps.all().map(toApp);
    },
    async updateApp(id, patch: AppPatch) {
      const sets: string[] = [];
      const values: Record<string, unknown> = { id, now: now() };
      if (patch.name !== undefined) {
        sets.push("name = @name");
        values.name = patch.name;
      }
      if (patch.functions_enabled !== undefined) {
        sets.push("functions_enabled = @functions_enabled");
        values.functions_enabled = patch.functions_enabled ? 1 : 0;
      }
      if (patch.cors_origins !== undefined) {
        sets.push("cors_origins = @cors_origins");
        values.cors_origins = JSON.stringify(patch.cors_origins);
      }
      if (patch.domains !== undefined) {
        sets.push("domains = @domains");
        values.domains = JSON.stringify(patch.domains);
      }
      if (patch.egress_allow !== undefined) {
        sets.push("egress_allow = @egress_allow");
        values.egress_allow = JSON.stringify(patch.egress_allow);
      }
      sets.push("updated_date = @now");
      db.prepare(`UPDATE apps SET ${sets.join(", ")} WHERE id = @id`).run(values);
      const row = q.getApp.get(id);
      return row && toApp(row);
    },
    async getSigningKey(appId) {
      return q.signingKey.get(appId)?.signing_key;
    },
    async listFunctions(appId) {
      return q.listFunctions.all(appId);
    },
    async getFunction(appId, name) {
      return q.getFunction.get(appId, name);
    },
    async deleteFunction(appId, name) {
      return deleteFunction(appId, name);
    },
    async getDeployment(id) {
      const row = q.getDeployment.get(id);
      return row && toDeployment(row);
    },
    async listDeployments(appId, name, limit) {
      return q.listDeployments.all(appId, name, limit).map(toDeployment);
    },
    async addDeployment(d, timeoutMs, memoryMb = null) {
      return addDeployment(d, timeoutMs, memoryMb);
    },
    async setCurrentDeployment(appId, name, deploymentId) {
      q.setCurrent.run(deploymentId, now(), appId, name);
      return q.getFunction.get(appId, name);
    },
    async pruneDeployments(appId, name, keep) {
      return prune(appId, name, keep);
    },
    async close() {
      db.close();
    },
  };
}
