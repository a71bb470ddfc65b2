import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestServer, type TestServer } from "../helpers.js";
import { storeCases } from "../postgres.js";
import { type EntityClient, entityClient, q } from "./entity-helpers.js";

type Rec = Record<string, unknown> & { id: string; created_date: string; updated_date: string };

const TASK = {
  name: "Task",
  type: "object",
  properties: {
    title: { type: "string" },
    done: { type: "boolean", default: false },
    priority: { type: "integer" },
    score: { type: "number" },
    tags: { type: "array", items: { type: "string" } },
    owner: { type: "object", properties: { name: { type: "string" }, city: { type: "string" } } },
    due: { type: "string", format: "date" },
  },
  required: ["title"],
};

/** The same cases on every store: SQLite, and PostgreSQL when one is reachable. */
describe.each(await storeCases())("records on $name", ({ skip, setup }) => {
  if (skip) {
    it.skip("PostgreSQL is not reachable", () => {});
    return;
  }
  let t: TestServer;
  let e: EntityClient;
  let cleanup = async () => {};
  beforeAll(async () => {
    if (skip) return;
    const s = await setup();
    cleanup = s.cleanup;
    t = await startTestServer({ store: s.store });
    e = await entityClient(t);
    expect(await e.push({ Task: TASK })).toEqual({ created: ["Task"], updated: [], deleted: [] });
  }, 120_000);
  afterAll(async () => {
    await t?.close();
    await cleanup();
  });

  describe("records: create, get, update, delete", () => {
    it("create sets the built-ins, applies defaults, drops undeclared and built-in fields", async () => {
      const r = await e.ok<Rec>(
        "anonymous",
        "POST",
        "Task",
        { title: "Buy milk", id: "mine", created_date: "1999", created_by: "x@y", nope: 1 },
        201,
      );
      expect(r).toMatchObject({
        title: "Buy milk",
        done: false,
        created_by: null,
        created_by_id: null,
      });
      expect(r.id).toMatch(/^[0-9a-f]{24}$/);
      expect(r.created_date).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
      expect(r.updated_date).toBe(r.created_date);
      expect(r).not.toHaveProperty("nope");
      expect(await e.ok<Rec>("anonymous", "GET", `Task/${r.id}`)).toEqual(r);
    });

    it("update merges, keeps omitted fields, refreshes updated_date and answers the whole record", async () => {
      const r = await e.ok<Rec>(
        "anonymous",
        "POST",
        "Task",
        { title: "a", priority: 1, tags: ["x"] },
        201,
      );
      await new Promise((res) => setTimeout(res, 5));
      const u = await e.ok<Rec>("anonymous", "PUT", `Task/${r.id}`, { priority: 2, id: "other" });
      expect(u).toMatchObject({
        id: r.id,
        title: "a",
        priority: 2,
        tags: ["x"],
        created_date: r.created_date,
      });
      expect(u.updated_date > r.updated_date).toBe(true);
    });

    it("delete answers { success: true }, then the record is a 404 with a code", async () => {
      const r = await e.ok<Rec>("anonymous", "POST", "Task", { title: "gone" }, 201);
      expect(await e.ok("anonymous", "DELETE", `Task/${r.id}`)).toEqual({ success: true });
      const res = await e.req("anonymous", "GET", `Task/${r.id}`);
      expect(res.status).toBe(404);
      expect(await res.json()).toMatchObject({
        code: "RECORD_NOT_FOUND",
        message: expect.stringContaining(r.id),
      });
    });

    it("a required field missing, or a wrong type, is a 422 naming the field", async () => {
      const a = await e.req("anonymous", "POST", "Task", { done: true });
      expect(a.status).toBe(422);
      expect(await a.json()).toMatchObject({
        code: "VALIDATION_FAILED",
        field: "title",
        message: "Error in field title: Field required",
      });
      const b = await e.req("anonymous", "POST", "Task", { title: "x", priority: 1.5 });
      expect(await b.json()).toMatchObject({
        field: "priority",
        message: "Error in field priority: Input should be a valid integer",
      });
      const c = await e.req("anonymous", "POST", "Task", { title: "x", tags: ["a", 2] });
      expect(await c.json()).toMatchObject({ field: "tags[1]" });
      const r = await e.ok<Rec>("anonymous", "POST", "Task", { title: "x" }, 201);
      const d = await e.req("anonymous", "PUT", `Task/${r.id}`, { title: null });
      expect(d.status).toBe(422);
    });

    it("an unknown entity is a 404 ENTITY_NOT_FOUND; names are case-sensitive", async () => {
      const res = await e.req("anonymous", "GET", "task");
      expect(res.status).toBe(404);
      expect(await res.json()).toMatchObject({ code: "ENTITY_NOT_FOUND" });
    });
  });

  describe("records: list, filter, sort, limits, fields", () => {
    let ids: string[];
    beforeAll(async () => {
      await e.ok("anonymous", "DELETE", "Task", {});
      const made = await e.ok<Rec[]>(
        "anonymous",
        "POST",
        "Task/bulk",
        [
          {
            title: "one",
            priority: 1,
            score: 1.5,
            tags: ["red", "blue"],
            owner: { name: "Ada", city: "London" },
            due: "2026-01-01",
          },
          {
            title: "two",
            priority: 2,
            score: 2.5,
            tags: ["blue"],
            owner: { name: "Bob", city: "Paris" },
            due: "2026-02-01",
          },
          { title: "three", priority: 3, done: true, tags: [], due: "2026-03-01" },
          { title: "four x y", priority: 4, done: true, score: -1 },
        ],
        201,
      );
      ids = made.map((r) => r.id);
    });

    const titles = async (query: string) =>
      (await e.ok<Rec[]>("anonymous", "GET", `Task?${query}`)).map((r) => r.title);

    it("defaults to -created_date (newest first), ties by id", async () => {
      const all = await e.ok<Rec[]>("anonymous", "GET", "Task");
      expect(all).toHaveLength(4);
      const dates = all.map((r) => r.created_date);
      expect([...dates].sort().reverse()).toEqual(dates);
    });

    it("sorts by -field, +field and field", async () => {
      expect(await titles("sort=-priority")).toEqual(["four x y", "three", "two", "one"]);
      expect(await titles("sort=%2Bpriority")).toEqual(["one", "two", "three", "four x y"]);
      expect(await titles("sort=title")).toEqual(["four x y", "one", "three", "two"]);
    });

    it("filters with q as the SDK encodes it (form decoding: + is a space)", async () => {
      expect(await titles(`q=%7B%22title%22:%22four+x+y%22%7D`)).toEqual(["four x y"]);
      expect(await titles(`${q({ priority: { $gte: 2, $lt: 4 } })}&sort=priority`)).toEqual([
        "two",
        "three",
      ]);
      expect(await titles(`${q({ tags: "blue" })}&sort=priority`)).toEqual(["one", "two"]);
      expect(await titles(`${q({ "owner.city": "Paris" })}`)).toEqual(["two"]);
      expect(
        await titles(`${q({ $or: [{ priority: 1 }, { done: true }] })}&sort=priority`),
      ).toEqual(["one", "three", "four x y"]);
      expect(await titles(`${q({ priority: [1, 4] })}&sort=priority`)).toEqual(["one", "four x y"]);
      expect(await titles(`${q({ score: { $exists: false } })}`)).toEqual(["three"]);
      expect(
        await titles(`${q({ title: { $regex: "^T", $options: "i" } })}&sort=priority`),
      ).toEqual(["two", "three"]);
      expect(await titles(`${q({ id: ids[0] })}`)).toEqual(["one"]);
      expect(await titles(`${q({ due: { $gte: "2026-02-01" } })}&sort=due`)).toEqual([
        "two",
        "three",
      ]);
    });

    it("limit, skip and fields (id always kept)", async () => {
      expect(await titles("sort=priority&limit=2&skip=1")).toEqual(["two", "three"]);
      const slim = await e.ok<Rec[]>(
        "anonymous",
        "GET",
        "Task?sort=priority&limit=1&fields=title,priority",
      );
      expect(slim).toEqual([{ id: ids[0], title: "one", priority: 1 }]);
    });

    it("count, with and without q", async () => {
      expect(await e.ok("anonymous", "GET", "Task/count")).toEqual({ count: 4 });
      expect(await e.ok("anonymous", "GET", `Task/count?${q({ done: true })}`)).toEqual({
        count: 2,
      });
    });

    it("v2/list pages with an opaque cursor that carries the query", async () => {
      const first = await e.ok<{ items: Rec[]; next_cursor: string; has_more: boolean }>(
        "anonymous",
        "GET",
        `Task/v2/list?${q({ priority: { $gte: 1 } })}&sort=priority&limit=3`,
      );
      expect(first.items.map((r) => r.title)).toEqual(["one", "two", "three"]);
      expect(first.has_more).toBe(true);
      const next = await e.ok<{ items: Rec[]; next_cursor: string | null; has_more: boolean }>(
        "anonymous",
        "GET",
        `Task/v2/list?cursor=${encodeURIComponent(first.next_cursor)}&limit=3`,
      );
      expect(next).toEqual({
        items: [expect.objectContaining({ title: "four x y" })],
        next_cursor: null,
        has_more: false,
      });
      const changed = await e.req(
        "anonymous",
        "GET",
        `Task/v2/list?cursor=${encodeURIComponent(first.next_cursor)}&sort=-title`,
      );
      expect(changed.status).toBe(400);
    });

    it("v2/list distinct flattens array fields and sorts ascending", async () => {
      const page = await e.ok<{ items: unknown[] }>(
        "anonymous",
        "GET",
        "Task/v2/list?distinct=tags&limit=10",
      );
      expect(page.items).toEqual(["blue", "red"]);
    });

    it("aggregate groups, sums and filters groups with having", async () => {
      const r = await e.ok<{ rows: Record<string, unknown>[]; truncated: boolean }>(
        "anonymous",
        "POST",
        "Task/aggregate",
        {
          groupBy: "done",
          sum: "priority",
          max: "score",
          sort: "done",
        },
      );
      expect(r).toEqual({
        rows: [
          { done: false, count: 2, sum_priority: 3, max_score: 2.5 },
          { done: true, count: 2, sum_priority: 7, max_score: -1 },
        ],
        truncated: false,
      });
      const h = await e.ok<{ rows: unknown[] }>("anonymous", "POST", "Task/aggregate", {
        groupBy: "done",
        sum: "priority",
        having: { sum_priority: { $gt: 5 } },
      });
      expect(h.rows).toEqual([{ done: true, count: 2, sum_priority: 7 }]);
      const byMonth = await e.ok<{ rows: unknown[] }>("anonymous", "POST", "Task/aggregate", {
        query: { due: { $exists: true } },
        dateBucket: { field: "due", unit: "month" },
        sort: "due",
      });
      expect(byMonth.rows).toEqual([
        { due: "2026-01", count: 1 },
        { due: "2026-02", count: 1 },
        { due: "2026-03", count: 1 },
      ]);
    });
  });

  describe("records: bulk, update-many, upsert, deleteMany, import", () => {
    it("bulkCreate is all-or-nothing and names the bad record", async () => {
      const before = (await e.ok<{ count: number }>("anonymous", "GET", "Task/count")).count;
      const res = await e.req("anonymous", "POST", "Task/bulk", [{ title: "ok" }, { title: 5 }]);
      expect(res.status).toBe(422);
      expect(await res.json()).toMatchObject({
        message: "Record 1: Error in field title: Input should be a valid string",
      });
      expect((await e.ok<{ count: number }>("anonymous", "GET", "Task/count")).count).toBe(before);
      expect(await e.ok("anonymous", "POST", "Task/bulk", [], 201)).toEqual([]);
    });

    it("bulkUpdate updates each listed record, or none", async () => {
      const [a, b] = await e.ok<Rec[]>(
        "anonymous",
        "POST",
        "Task/bulk",
        [{ title: "a" }, { title: "b" }],
        201,
      );
      const up = await e.ok<Rec[]>("anonymous", "PUT", "Task/bulk", [
        { id: a!.id, priority: 10 },
        { id: b!.id, priority: 20 },
      ]);
      expect(up.map((r) => [r.title, r.priority])).toEqual([
        ["a", 10],
        ["b", 20],
      ]);
      const bad = await e.req("anonymous", "PUT", "Task/bulk", [
        { id: a!.id, priority: 11 },
        { id: "nope", priority: 1 },
      ]);
      expect(bad.status).toBe(404);
      expect((await e.ok<Rec>("anonymous", "GET", `Task/${a!.id}`)).priority).toBe(10);
    });

    it("updateMany applies operators to 500 at a time and says has_more", async () => {
      await e.ok(
        "anonymous",
        "POST",
        "Task/bulk",
        Array.from({ length: 502 }, (_, i) => ({ title: `m${i}`, priority: -1 })),
        201,
      );
      const first = await e.ok("anonymous", "PATCH", "Task/update-many", {
        query: { priority: -1 },
        data: { $set: { priority: -2, done: true }, $inc: {} },
      });
      expect(first).toEqual({ success: true, updated: 500, has_more: true });
      const second = await e.ok("anonymous", "PATCH", "Task/update-many", {
        query: { priority: -1 },
        data: { $set: { priority: -2 } },
      });
      expect(second).toEqual({ success: true, updated: 2, has_more: false });
      const inc = await e.ok("anonymous", "PATCH", "Task/update-many", {
        query: { title: "m0" },
        data: { $inc: { priority: 5 } },
      });
      expect(inc).toMatchObject({ updated: 1 });
      expect(
        (await e.ok<Rec[]>("anonymous", "GET", `Task?${q({ title: "m0" })}`))[0]!.priority,
      ).toBe(3);
      const bad = await e.req("anonymous", "PATCH", "Task/update-many", {
        query: {},
        data: { $set: { priority: "high" } },
      });
      expect(bad.status).toBe(422);
      expect(await e.ok("anonymous", "DELETE", "Task", { title: { $regex: "^m\\d+$" } })).toEqual({
        success: true,
        deleted: 502,
      });
    });

    it("upsert creates or updates by key; a key repeated in one call keeps the last", async () => {
      const r1 = await e.ok<{ created: number; updated: number; records: Rec[] }>(
        "anonymous",
        "POST",
        "Task/upsert",
        {
          key: "title",
          records: [
            { title: "u1", priority: 1 },
            { title: "u2", priority: 2 },
            { title: "u1", priority: 3 },
          ],
        },
      );
      expect([r1.created, r1.updated]).toEqual([2, 1]);
      const r2 = await e.ok<{ created: number; updated: number; records: Rec[] }>(
        "anonymous",
        "POST",
        "Task/upsert",
        {
          key: ["title"],
          records: [{ title: "u2", priority: 20 }],
        },
      );
      expect([r2.created, r2.updated]).toEqual([0, 1]);
      expect(r2.records[0]).toMatchObject({ title: "u2", priority: 20, id: r1.records[1]!.id });
      const bad = await e.req("anonymous", "POST", "Task/upsert", {
        key: "tags",
        records: [{ title: "x" }],
      });
      expect(bad.status).toBe(400);
    });

    it("import reads CSV with typed cells, and JSON", async () => {
      const form = new FormData();
      form.append(
        "file",
        new File(
          ['title,priority,done,tags\n"csv, one",7,true,"[""a""]"\ncsv two,,false,\n'],
          "tasks.csv",
          { type: "text/csv" },
        ),
      );
      const res = await fetch(`${t.url}/api/apps/${e.appId}/entities/Task/import`, {
        method: "POST",
        body: form,
      });
      const body = (await res.json()) as { status: string; output: Rec[] };
      expect(res.status).toBe(200);
      expect(body.status).toBe("success");
      expect(body.output.map((r) => [r.title, r.priority, r.done, r.tags])).toEqual([
        ["csv, one", 7, true, ["a"]],
        ["csv two", null, false, null],
      ]);
      const json = new FormData();
      json.append("file", new File([JSON.stringify([{ title: "j" }])], "t.json"));
      const r2 = await fetch(`${t.url}/api/apps/${e.appId}/entities/Task/import`, {
        method: "POST",
        body: json,
      });
      expect(((await r2.json()) as { output: Rec[] }).output[0]).toMatchObject({
        title: "j",
        done: false,
      });
    });
  });
});
