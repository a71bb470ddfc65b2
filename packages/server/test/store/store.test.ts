/**
 * One store-level suite, every store: the same calls and the same answers from SQLite and from
 * PostgreSQL (when one is reachable), through the `Store` interface only.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { sql } from "kysely";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseFilter } from "../../src/entities/query/parse.js";
import { parseSort } from "../../src/entities/query/sort.js";
import type { EntityRef, Store, StoredRecord } from "../../src/store/index.js";
import type { LogStore } from "../../src/store/log-types.js";
import { openStores } from "../../src/store/open.js";
import { migratePostgres } from "../../src/store/postgres/migrate.js";
import { PG_MIGRATIONS } from "../../src/store/postgres/migrations/index.js";
import { openPostgresStore } from "../../src/store/postgres/pg-store.js";
import { createTestDatabase, postgresAvailable, storeCases } from "../postgres.js";

const T = "2026-01-01T00:00:00.000Z";
const dep = (id: string, fn: string, files: [string, string][], at = T) => ({
  id,
  app_id: "a1",
  function_name: fn,
  content_hash: `h-${id}`,
  entry: "entry.ts",
  files: files.map(([path, content]) => ({ path, content })),
  automations: null,
  created_date: at,
});
const rec = (id: string, data: StoredRecord["data"], by: string | null = null): StoredRecord => ({
  id,
  created_date: `2026-01-0${id.slice(-1)}T00:00:00.000Z`,
  updated_date: T,
  builtins: { created_by: by, created_by_id: by },
  data,
});
const ref = (entity: string): EntityRef => ({ appId: "a1", entity, kindOf: () => "unknown" });

describe.each(await storeCases())("the store on $name", ({ skip, setup }) => {
  if (skip) {
    it.skip("PostgreSQL is not reachable", () => {});
    return;
  }
  let store: Store;
  let logs: LogStore;
  let dir: string;
  let cleanup = async () => {};
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "fnbase-store-"));
    const s = await setup();
    cleanup = s.cleanup;
    ({ store, logs } = await openStores({ store: s.store, dataDir: dir, nodeId: "n1" }));
    await store.createApp({ id: "a1", name: "One", signing_key: "k1" });
  });
  afterAll(async () => {
    await logs?.close();
    await store?.close();
    await cleanup();
    await rm(dir, { recursive: true, force: true });
  });

  it("keeps apps and their settings", async () => {
    await store.createApp({ id: "a2", name: "Two", signing_key: "k2" });
    const updated = await store.updateApp("a2", {
      domains: ["b.example"],
      cors_origins: ["https://x.example"],
      functions_enabled: false,
    });
    expect(updated).toMatchObject({ id: "a2", domains: ["b.example"], functions_enabled: false });
    expect((await store.listApps()).map((a) => a.id)).toEqual(["a1", "a2"]);
    expect(await store.getSigningKey("a2")).toBe("k2");
    expect(await store.getApp("nope")).toBeUndefined();
    await store.setMeta("m", "1");
    await store.setMeta("m", "2");
    expect(await store.getMeta("m")).toBe("2");
  });

  it("keeps deployments, rolls back, prunes and deletes", async () => {
    const shared: [string, string] = ["../../shared/util.ts", "export const x = 1;\n"];
    await store.addDeployment(dep("d1", "f", [["entry.ts", "v1"], shared]), 5000, 128);
    const f = await store.addDeployment(
      dep("d2", "f", [["entry.ts", "v2"], shared], "2026-01-02T00:00:00.000Z"),
      null,
    );
    expect(f).toMatchObject({ name: "f", deployment_id: "d2", timeout_ms: null });
    expect((await store.getDeployment("d1"))?.files).toEqual([
      { path: "entry.ts", content: "v1" },
      { path: "../../shared/util.ts", content: "export const x = 1;\n" },
    ]);
    expect((await store.listDeployments("a1", "f", 10)).map((d) => d.id)).toEqual(["d2", "d1"]);
    expect((await store.setCurrentDeployment("a1", "f", "d1"))?.deployment_id).toBe("d1");
    await store.addDeployment(
      dep("d3", "f", [["entry.ts", "v3"]], "2026-01-03T00:00:00.000Z"),
      null,
    );
    await store.setCurrentDeployment("a1", "f", "d1");
    // Keeps the newest one and the current one.
    expect(await store.pruneDeployments("a1", "f", 1)).toEqual(["d2"]);
    expect(await store.getDeployment("d2")).toBeUndefined();
    expect((await store.getDeployment("d1"))?.files[1]?.content).toBe("export const x = 1;\n");
    expect((await store.listFunctions("a1")).map((x) => x.name)).toEqual(["f"]);
    expect(await store.deleteFunction("a1", "f")).toBe(true);
    expect(await store.getFunction("a1", "f")).toBeUndefined();
    expect(await store.getDeployment("d1")).toBeUndefined();
  });

  it("keeps users, secrets and API keys", async () => {
    const id = store.identity;
    await id.insertUser({
      id: "u1",
      app_id: "a1",
      email: "Ada@Example.com",
      full_name: null,
      role: "user",
      password_hash: "h",
      data: { b: 1, a: 2 },
      created_date: T,
      updated_date: T,
    });
    const u = await id.getUserByEmail("a1", " ada@example.COM ");
    expect(u?.id).toBe("u1");
    expect(Object.keys(u!.data)).toEqual(["b", "a"]);
    expect((await id.updateUser("a1", "u1", { role: "admin", data: { c: 3 } }))?.data).toEqual({
      c: 3,
    });
    await id.putSecrets([
      { app_id: "a1", name: "B", value: "sealed-b", size: 1, updated_date: T },
      { app_id: "a1", name: "A", value: "sealed-a", size: 1, updated_date: T },
    ]);
    await id.putSecrets([
      { app_id: "a1", name: "A", value: "sealed-a2", size: 2, updated_date: T },
    ]);
    expect((await id.listSecrets("a1")).map((s) => [s.name, s.value])).toEqual([
      ["A", "sealed-a2"],
      ["B", "sealed-b"],
    ]);
    expect(await id.deleteSecret("a1", "B")).toBe(true);
    expect(await id.deleteSecret("a1", "B")).toBe(false);
    const key = {
      id: "k1",
      name: "ci",
      prefix: "b44k_ab",
      key_hash: "hash1",
      created_date: T,
      last_used_date: null,
      revoked_date: null,
    };
    await id.insertApiKey(key);
    expect((await id.findApiKey("hash1"))?.id).toBe("k1");
    await id.touchApiKey("k1", T);
    expect(await id.revokeApiKey("k1", T)).toBe(true);
    expect(await id.findApiKey("hash1")).toBeUndefined();
    expect(await id.revokeApiKey("k1", T)).toBe(false);
  });

  it("syncs schemas, keeping a removed entity's records", async () => {
    const e = store.entities;
    const schema = { name: "Task", type: "object", properties: { n: { type: "number" } } };
    expect(await e.syncSchemas("a1", [{ name: "Task", schema, indexes: [["n"]] }])).toEqual({
      created: ["Task"],
      updated: [],
      deleted: [],
    });
    await e.insert(ref("Task"), [rec("r1", { n: 1 })]);
    expect(await e.syncSchemas("a1", [])).toEqual({ created: [], updated: [], deleted: ["Task"] });
    expect(await e.listSchemas("a1")).toEqual([]);
    expect(await e.syncSchemas("a1", [{ name: "Task", schema, indexes: [] }])).toEqual({
      created: ["Task"],
      updated: [],
      deleted: [],
    });
    expect(await e.count(ref("Task"), parseFilter({}))).toBe(1);
  });

  it("reads, pages, counts, aggregates and writes records", async () => {
    const e = store.entities;
    const r = ref("Item");
    await e.syncSchemas("a1", [{ name: "Item", schema: { name: "Item" }, indexes: [["kind"]] }]);
    await e.insert(r, [
      rec("i1", { kind: "a", n: 3, tags: ["x", "y"], meta: { z: 1, a: 2 } }, "u1"),
      rec("i2", { kind: "b", n: 1, tags: ["y"] }),
      rec("i3", { kind: "a", n: 2, ok: true }),
      rec("i4", { kind: "c", n: "5" }),
    ]);
    const find = async (q: object, sort = "n", limit = 10) =>
      (await e.find(r, { filter: parseFilter(q), sort: parseSort(sort), limit })).map((x) => x.id);
    expect(await find({ kind: "a" })).toEqual(["i3", "i1"]);
    expect(await find({ tags: "y" }, "-n")).toEqual(["i1", "i2"]);
    expect(await find({ n: { $gte: 2 } })).toEqual(["i3", "i1"]);
    expect(await find({ kind: { $regex: "^[ab]$" } }, "id")).toEqual(["i1", "i2", "i3"]);
    expect(await find({}, "n")).toEqual(["i2", "i3", "i1", "i4"]);
    const [first] = await e.find(r, { filter: parseFilter({}), sort: parseSort("n"), limit: 1 });
    const page = await e.find(r, {
      filter: parseFilter({}),
      sort: parseSort("n"),
      limit: 2,
      after: { values: [first!.data.n!], id: first!.id },
    });
    expect(page.map((x) => x.id)).toEqual(["i3", "i1"]);
    expect(
      Object.keys(
        (await e.find(r, { filter: parseFilter({ ok: true }), sort: [], limit: 1 }))[0]!.data,
      ),
    ).toEqual(["kind", "n", "ok"]);
    expect(await e.count(r, parseFilter({ created_by: "u1" }))).toBe(1);
    expect(await e.distinct(r, ["kind"], parseFilter({}), 10)).toEqual(["a", "b", "c"]);
    expect(await e.distinct(r, ["tags"], parseFilter({}), 10)).toEqual(["x", "y"]);
    expect(await e.distinct(r, ["kind"], parseFilter({}), 10, "a")).toEqual(["b", "c"]);
    const agg = await e.aggregate(r, {
      filter: parseFilter({}),
      groupBy: [["kind"]],
      count: true,
      sum: [["n"]],
      avg: [],
      min: [["n"]],
      max: [["n"]],
      limit: 10,
    });
    const byKind = Object.fromEntries(agg.rows.map((row) => [row.kind, row]));
    expect(byKind.a).toEqual({ kind: "a", count: 2, sum_n: 5, min_n: 2, max_n: 3 });
    expect(byKind.c).toEqual({ kind: "c", count: 1, sum_n: null, min_n: "5", max_n: "5" });
    expect(agg.truncated).toBe(false);

    const changed = await e.updateWhere(r, parseFilter({ kind: "a" }), 10, (c) => ({
      ...c,
      data: { ...c.data, n: Number(c.data.n) * 10 },
    }));
    expect(changed.map((c) => [c.before?.data.n, c.after?.data.n])).toEqual([
      [3, 30],
      [2, 20],
    ]);
    const upserted = await e.upsert(
      r,
      [{ match: parseFilter({ kind: "b" }) }, { match: parseFilter({ kind: "d" }) }],
      (i, cur) =>
        cur ? { ...cur, data: { ...cur.data, n: 100 } } : rec(`i${5 + i}`, { kind: "d" }),
    );
    expect(upserted.map((c) => [c.before?.id ?? null, c.after?.id])).toEqual([
      ["i2", "i2"],
      [null, "i6"],
    ]);
    const gone = await e.deleteWhere(r, parseFilter({ kind: { $in: ["c", "d"] } }), 10);
    expect(gone.map((g) => g.id)).toEqual(["i4", "i6"]);
    expect(await e.count(r, parseFilter({}))).toBe(3);
  });

  it("reads the User entity from the users table", async () => {
    const users = await store.entities.find(ref("User"), {
      filter: parseFilter({ role: "admin" }),
      sort: parseSort("email"),
      limit: 5,
    });
    expect(users.map((u) => [u.id, u.builtins.email])).toEqual([["u1", "Ada@Example.com"]]);
  });

  it("claims each schedule tick once, queues entity events in the write and leases runs once", async () => {
    const a = store.automations;
    const base = {
      source: "deploy" as const,
      definition: { name: "x" },
      is_active: true,
      event_types: [] as string[],
      entity_name: null,
    };
    await a.syncFunction(
      "a1",
      "fn",
      [
        {
          ...base,
          id: "au1",
          name: "tick",
          kind: "scheduled",
          schedule: { next_run_at: 1000, anchor: 0 },
        },
        {
          ...base,
          id: "au2",
          name: "ev",
          kind: "entity",
          entity_name: "Item",
          event_types: ["create", "update"],
        },
      ],
      T,
    );
    expect((await a.due(1000, 10)).map((x) => x.id)).toEqual(["au1"]);
    const plan = () => ({
      next_run_at: 2000,
      run: {
        automation_id: "au1",
        app_id: "a1",
        trigger: "schedule" as const,
        scheduled_for: 1000,
        depth: 1,
      },
    });
    const claims = await Promise.all([1, 2, 3].map(() => a.claimTick("au1", 1000, 1000, plan)));
    expect(claims.filter((c) => c !== undefined)).toHaveLength(1);
    expect((await a.get("a1", "au1"))?.next_run_at).toBe(2000);

    await store.entities.insert(ref("Item"), [rec("i9", { kind: "z" })]);
    const leased = await Promise.all(
      ["d1", "d2"].map((owner) => a.claimRuns(Date.now() + 1000, owner, 10, () => 60_000)),
    );
    const all = leased.flat();
    expect(all.map((c) => c.run.trigger).sort()).toEqual(["entity", "schedule"]);
    expect(new Set(all.map((c) => c.run.id)).size).toBe(2);
    const ends = await a.finishRuns(
      all.map((c) => ({
        run: c.run,
        owner: c.run.lease_owner!,
        result: {
          status: "succeeded" as const,
          finished_at: 6000,
          duration_ms: 5,
          http_status: 200,
          request_id: null,
          error: null,
        },
      })),
    );
    expect(ends).toEqual([true, true]);
    expect((await a.listRuns("a1", { limit: 10 })).map((x) => x.status)).toEqual([
      "succeeded",
      "succeeded",
    ]);
    expect([...(await a.lastRuns("a1")).keys()].sort()).toEqual(["au1", "au2"]);
  });

  it("keeps log lines and prunes them", async () => {
    const line = (t: string, message: string) => ({
      time: t,
      level: "info" as const,
      message,
      app_id: "a1",
      function: "f",
      deployment_id: "d",
      instance_id: "i",
      source: "function" as const,
    });
    await logs.append([
      line("2020-01-01T00:00:00.000Z", "old"),
      line(new Date().toISOString(), "new"),
    ]);
    expect(
      (await logs.query({ appId: "a1", limit: 10, order: "asc" })).map((l) => l.message),
    ).toEqual(["old", "new"]);
    expect(await logs.prune({ olderThan: Date.now() - 60_000, maxBytesPerApp: 1e9 })).toBe(1);
    expect(
      (await logs.query({ appId: "a1", limit: 10, order: "desc" })).map((l) => l.message),
    ).toEqual(["new"]);
  });
});

describe.skipIf(!(await postgresAvailable()))("PostgreSQL migrations", () => {
  it("run once when three nodes open an empty database at the same moment", async () => {
    await using db = await createTestDatabase();
    const stores = await Promise.all([1, 2, 3].map(() => openPostgresStore(db.url)));
    const { rows } = await sql<{
      version: number;
    }>`SELECT version FROM fnbase_migrations ORDER BY version`.execute(stores[0]!.connection.db);
    expect(rows.map((r) => r.version)).toEqual(PG_MIGRATIONS.map((_, i) => i + 1));
    // A fourth start later finds nothing to do.
    const again = await openPostgresStore(db.url);
    expect(await migratePostgres(again.connection)).toEqual([]);
    for (const s of [...stores, again]) await s.close();
  });
});

describe("a PostgreSQL store that cannot be reached", () => {
  it("is a coded error naming the URL without its password", async () => {
    const dir = await mkdtemp(join(tmpdir(), "fnbase-store-"));
    try {
      await expect(
        openStores({ store: "postgres://fnbase:hunter2@127.0.0.1:1/fnbase", dataDir: dir }),
      ).rejects.toMatchObject({
        code: "STORE_UNAVAILABLE",
        message: expect.stringMatching(/postgres:\/\/fnbase:\*\*\*@127\.0\.0\.1:1\/fnbase/),
      });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
