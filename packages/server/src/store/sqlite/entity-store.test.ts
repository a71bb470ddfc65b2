import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { constant, parseFilter } from "../../entities/query/index.js";
import type { EntityRef, StoredRecord } from "../entity-types.js";
import type { Store } from "../types.js";
import { openSqliteStore } from "./sqlite-store.js";

let dir: string;
let store: Store;
const ref: EntityRef = { appId: "a1", entity: "Task", kindOf: () => "scalar" };
const SORT = [{ path: ["n"], descending: false }];

const record = (n: number): StoredRecord => ({
  id: `${String(n).padStart(24, "0")}`,
  created_date: "2026-01-01T00:00:00.000Z",
  updated_date: "2026-01-01T00:00:00.000Z",
  builtins: { created_by: null, created_by_id: null },
  data: { n, open: true },
});

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "fnbase-entity-store-"));
  store = openSqliteStore(join(dir, "fnbase.db"));
  await store.createApp({ id: "a1", name: "a1", signing_key: "00" });
  await store.entities.syncSchemas("a1", [{ name: "Task", schema: {}, indexes: [["n"]] }]);
  await store.entities.insert(
    ref,
    Array.from({ length: 10 }, (_, i) => record(i)),
  );
});
afterAll(async () => {
  await store?.close();
  rmSync(dir, { recursive: true, force: true });
});

async function collect(it: AsyncIterator<string[]>, between?: () => Promise<void>) {
  const batches: number[][] = [];
  for (let n = await it.next(); !n.done; n = await it.next()) {
    batches.push(
      n.value.map(
        (j) =>
          (JSON.parse(j) as { n?: number; i?: number }).n ?? (JSON.parse(j) as { i: number }).i,
      ),
    );
    await between?.();
  }
  return batches;
}

describe("findJson()", () => {
  it("gives the records in batches, in order, as flat JSON text", async () => {
    const it = store.entities
      .findJson(ref, { filter: constant(true), sort: SORT, limit: 100 }, 4)
      [Symbol.asyncIterator]();
    const first = await it.next();
    expect(JSON.parse((first.value as string[])[0]!)).toEqual({
      n: 0,
      open: true,
      created_by: null,
      created_by_id: null,
      id: "0".repeat(24),
      created_date: "2026-01-01T00:00:00.000Z",
      updated_date: "2026-01-01T00:00:00.000Z",
    });
    const rest = await collect(it);
    expect(rest).toEqual([
      [4, 5, 6, 7],
      [8, 9],
    ]);
  });

  it("one batch when the limit fits in it; skip and limit apply", async () => {
    const all = store.entities.findJson(
      ref,
      { filter: constant(true), sort: SORT, limit: 3, skip: 2 },
      4,
    );
    expect(await collect(all[Symbol.asyncIterator]())).toEqual([[2, 3, 4]]);
  });

  it("continues after the first batch exactly where find() would, with ties and nulls", async () => {
    const other: EntityRef = { ...ref, entity: "Mixed", kindOf: () => "unknown" };
    await store.entities.syncSchemas("a1", [
      { name: "Task", schema: {}, indexes: [["n"]] },
      { name: "Mixed", schema: {}, indexes: [] },
    ]);
    const values = [3, null, 1, "b", 1, true, 3, null, { o: 1 }, [2], 1, "a", false, 3];
    await store.entities.insert(
      other,
      values.map((v, i): StoredRecord => ({ ...record(100 + i), data: { v, i } })),
    );
    for (const sort of [
      [{ path: ["v"], descending: false }],
      [{ path: ["v"], descending: true }],
      [
        { path: ["v"], descending: true },
        { path: ["i"], descending: true },
      ],
      [{ path: ["missing"], descending: false }],
      [{ path: ["created_date"], descending: true }],
    ]) {
      for (const skip of [0, 3]) {
        const q = { filter: constant(true), sort, limit: 100, skip };
        const expected = (await store.entities.find(other, q)).map((r) => r.data.i);
        const got = await collect(store.entities.findJson(other, q, 4)[Symbol.asyncIterator]());
        expect(got.flat(), JSON.stringify(sort)).toEqual(expected);
      }
    }
  });

  it("a record deleted, or changed out of the filter, after the first batch is left out", async () => {
    const filter = parseFilter({ open: true });
    const it = store.entities
      .findJson(ref, { filter, sort: SORT, limit: 100 }, 4)
      [Symbol.asyncIterator]();
    let step = 0;
    const batches = await collect(it, async () => {
      if (step++ > 0) return;
      await store.entities.deleteWhere(ref, parseFilter({ n: 5 }), 1);
      await store.entities.updateWhere(ref, parseFilter({ n: 6 }), 1, (r) => ({
        ...r,
        data: { ...r.data, open: false },
      }));
      await store.entities.updateWhere(ref, parseFilter({ n: 7 }), 1, (r) => ({
        ...r,
        data: { ...r.data, note: "changed" },
      }));
    });
    expect(batches).toEqual([
      [0, 1, 2, 3],
      [4, 7],
      [8, 9],
    ]);
  });
});

describe("findJson() of the User entity", () => {
  it("reads the users table by rowid, one app's users only, in batches", async () => {
    await store.createApp({ id: "a2", name: "a2", signing_key: "00" });
    for (const [app, n] of [
      ["a1", 7],
      ["a2", 2],
    ] as const) {
      for (let i = 0; i < n; i++) {
        await store.identity.insertUser({
          id: `${app}-u${i}`,
          app_id: app,
          email: `u${i}@${app}.io`,
          full_name: null,
          role: "user",
          password_hash: "x",
          data: { i },
          created_date: `2026-01-0${i + 1}T00:00:00.000Z`,
          updated_date: "2026-01-01T00:00:00.000Z",
        });
      }
    }
    const users: EntityRef = { appId: "a1", entity: "User", kindOf: () => "unknown" };
    const it = store.entities
      .findJson(
        users,
        {
          filter: constant(true),
          sort: [{ path: ["created_date"], descending: true }],
          limit: 100,
        },
        3,
      )
      [Symbol.asyncIterator]();
    const batches = await collect(it);
    expect(batches).toEqual([[6, 5, 4], [3, 2, 1], [0]]);
    const first = await store.entities
      .findJson(users, { filter: parseFilter({ email: "u1@a1.io" }), sort: [], limit: 1 }, 3)
      [Symbol.asyncIterator]()
      .next();
    expect(JSON.parse((first.value as string[])[0]!)).toEqual({
      i: 1,
      email: "u1@a1.io",
      full_name: null,
      role: "user",
      id: "a1-u1",
      created_date: "2026-01-02T00:00:00.000Z",
      updated_date: "2026-01-01T00:00:00.000Z",
    });
  });
});

describe("insert()", () => {
  it("writes inserts asked for together in one transaction, each in or out on its own", async () => {
    const one = { ...record(500), id: "e".repeat(24) };
    const clash = { ...record(501), id: "0".repeat(24) }; // the id of record 0
    const two = { ...record(502), id: "f".repeat(24) };
    const results = await Promise.allSettled([
      store.entities.insert(ref, [one]),
      store.entities.insert(ref, [two, clash]),
      store.entities.insert({ ...ref, entity: "Nope" }, [record(503)]),
    ]);
    expect(results.map((r) => r.status)).toEqual(["fulfilled", "rejected", "rejected"]);
    const ids = (
      await store.entities.find(ref, {
        filter: parseFilter({ n: { $gte: 500 } }),
        sort: SORT,
        limit: 10,
      })
    ).map((r) => r.id);
    // The failed call's other record went with it: all or nothing per call.
    expect(ids).toEqual(["e".repeat(24)]);
  });
});
