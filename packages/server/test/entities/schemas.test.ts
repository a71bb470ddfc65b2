import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestServer, type TestServer } from "../helpers.js";
import { storeCases } from "../postgres.js";
import { type EntityClient, entityClient } from "./entity-helpers.js";

/** The same cases on every store: SQLite, and PostgreSQL when one is reachable. */
describe.each(await storeCases())("schemas on $name", ({ skip, setup }) => {
  if (skip) {
    it.skip("PostgreSQL is not reachable", () => {});
    return;
  }
  let t: TestServer;
  let cleanup = async () => {};
  let e: EntityClient;

  const task = (extra: Record<string, unknown> = {}) => ({
    name: "Task",
    type: "object",
    properties: { title: { type: "string" } },
    required: ["title"],
    ...extra,
  });
  const put = (body: unknown, path = "entity-schemas") =>
    t.admin(`/api/apps/${e.appId}/${path}`, { method: "PUT", body: JSON.stringify(body) });

  beforeAll(async () => {
    const s = await setup();
    cleanup = s.cleanup;
    t = await startTestServer({ store: s.store });
    e = await entityClient(t, "schemas");
  }, 120_000);
  afterAll(async () => {
    await t?.close();
    await cleanup();
  });

  describe("entity schemas", () => {
    it("a push is a full sync answering created, updated and deleted", async () => {
      expect(await e.push({ Task: task(), Tag: { name: "Tag", properties: {} } })).toEqual({
        created: ["Task", "Tag"],
        updated: [],
        deleted: [],
      });
      expect(await e.push({ Task: task(), Tag: { name: "Tag", properties: {} } })).toEqual({
        created: [],
        updated: [],
        deleted: [],
      });
      expect(await e.push({ Task: task({ description: "changed" }) })).toEqual({
        created: [],
        updated: ["Task"],
        deleted: ["Tag"],
      });
      const list = (await (await t.admin(`/api/apps/${e.appId}/entity-schemas`)).json()) as {
        name: string;
      }[];
      expect(list.map((s) => s.name)).toEqual(["Task"]);
      expect(list[0]).toEqual(task({ description: "changed" }));
      const one = await t.admin(`/api/apps/${e.appId}/entity-schemas/Task`);
      expect(await one.json()).toEqual(task({ description: "changed" }));
      expect((await t.admin(`/api/apps/${e.appId}/entity-schemas/Tag`)).status).toBe(404);
    });

    it("records of an entity a push left out are kept and come back when it is pushed again", async () => {
      await e.push({
        Task: task(),
        Tag: { name: "Tag", properties: { label: { type: "string" } } },
      });
      const made = await e.ok<{ id: string }>(
        "anonymous",
        "POST",
        "Tag",
        { label: "keep me" },
        201,
      );
      expect(await e.push({ Task: task() })).toMatchObject({ deleted: ["Tag"] });
      expect((await e.req("anonymous", "GET", "Tag")).status).toBe(404);
      expect(
        await e.push({
          Task: task(),
          Tag: { name: "Tag", properties: { label: { type: "string" } } },
        }),
      ).toMatchObject({
        created: ["Tag"],
      });
      expect(await e.ok("anonymous", "GET", `Tag/${made.id}`)).toMatchObject({ label: "keep me" });
    });

    it("the older sync-all route takes the same body, or a list of schemas", async () => {
      const a = await put({ entityNameToSchema: { Task: task() } }, "entities-schemas/sync-all");
      expect(await a.json()).toEqual({ created: [], updated: [], deleted: ["Tag"] });
      const b = await put(
        [task(), { name: "Tag", properties: { label: { type: "string" } } }],
        "entities-schemas/sync-all",
      );
      expect(await b.json()).toEqual({ created: ["Tag"], updated: [], deleted: [] });
    });

    it("dotted entity names (commerce.Cart) work in the path", async () => {
      await e.push({
        Task: task(),
        "commerce.Cart": { name: "commerce.Cart", properties: { n: { type: "integer" } } },
      });
      const r = await e.ok<{ id: string }>("anonymous", "POST", "commerce.Cart", { n: 2 }, 201);
      expect(await e.ok("anonymous", "GET", `commerce.Cart/${r.id}`)).toMatchObject({ n: 2 });
    });

    it("refuses bad schemas with a coded 400 naming the entity, and changes nothing", async () => {
      const before = await (await t.admin(`/api/apps/${e.appId}/entity-schemas`)).text();
      const cases: [unknown, RegExp][] = [
        [{ entityNameToSchema: "x" }, /entityNameToSchema/],
        [{ entityNameToSchema: { Task: "x" } }, /Task.*JSON object/],
        [{ entityNameToSchema: { "bad name": { properties: {} } } }, /Invalid entity name/],
        [{ entityNameToSchema: { Task: { name: "Other", properties: {} } } }, /"Other".*"Task"/],
        [{ entityNameToSchema: { Task: { type: "array" } } }, /"type" must be "object"/],
        [{ entityNameToSchema: { Task: { schema: { properties: {} } } } }, /nested "schema"/],
        [
          { entityNameToSchema: { Task: { properties: { "a.b": { type: "string" } } } } },
          /invalid property name "a\.b"/,
        ],
        [
          { entityNameToSchema: { Task: { properties: { $x: { type: "string" } } } } },
          /invalid property name "\$x"/,
        ],
        [
          { entityNameToSchema: { Task: { properties: { a: { type: "date" } } } } },
          /unsupported type "date"/,
        ],
        [
          { entityNameToSchema: { Task: { properties: {}, rls: { read: { x: { $foo: 1 } } } } } },
          /\$foo/,
        ],
        [
          { entityNameToSchema: { Task: { properties: {}, rls: { reed: true } } } },
          /unknown rule "reed"/,
        ],
        [
          { entityNameToSchema: { User: { properties: { email: { type: "string" } } } } },
          /base fields: email/,
        ],
      ];
      for (const [body, message] of cases) {
        const res = await put(body);
        expect(res.status, JSON.stringify(body)).toBe(400);
        const err = (await res.json()) as { code: string; error: string };
        expect(err.code).toBe("INVALID_SCHEMA");
        expect(err.error).toMatch(message);
      }
      expect(await (await t.admin(`/api/apps/${e.appId}/entity-schemas`)).text()).toBe(before);
    });

    it("needs an API key", async () => {
      const res = await fetch(`${t.url}/api/apps/${e.appId}/entity-schemas`);
      expect(res.status).toBe(401);
    });
  });
});
