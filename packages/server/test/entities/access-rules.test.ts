import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestServer, type TestServer } from "../helpers.js";
import { storeCases } from "../postgres.js";
import { type EntityClient, entityClient, q, type TestUser } from "./entity-helpers.js";

/** The same cases on every store: SQLite, and PostgreSQL when one is reachable. */
describe.each(await storeCases())("access rules on $name", ({ skip, setup }) => {
  if (skip) {
    it.skip("PostgreSQL is not reachable", () => {});
    return;
  }
  let t: TestServer;
  let cleanup = async () => {};
  let e: EntityClient;
  let ada: TestUser;
  let bob: TestUser;
  let boss: TestUser;
  let manager: TestUser;
  let service: { token: string };

  type Rec = Record<string, unknown> & { id: string };

  const isAdmin = { user_condition: { role: "admin" } };
  const SCHEMAS = {
    User: {
      name: "User",
      type: "object",
      properties: {
        role: { type: "string", enum: ["user", "admin", "manager"] },
        team: { type: "string" },
      },
    },
    // Owners read and change their orders; admins read all; managers (a custom role, through an
    // operator in user_condition, as real apps write it) read all too; only admins delete.
    Order: {
      name: "Order",
      properties: { item: { type: "string" }, total: { type: "number" }, team: { type: "string" } },
      rls: {
        create: true,
        read: {
          $or: [
            { created_by_id: "{{user.id}}" },
            { user_condition: { role: { $in: ["admin", "manager"] } } },
          ],
        },
        update: { created_by_id: "{{user.id}}" },
        delete: isAdmin,
      },
    },
    // Records of the caller's team, by a custom user field in a template.
    Note: {
      name: "Note",
      properties: { text: { type: "string" }, team: { type: "string" } },
      rls: { read: { "data.team": "{{user.data.team}}" }, write: { "data.team": "{{user.team}}" } },
    },
    Public: {
      name: "Public",
      properties: { text: { type: "string" } },
      rls: { read: true, write: false },
    },
    Salary: {
      name: "Salary",
      properties: {
        person: { type: "string" },
        amount: { type: "number", rls: { read: isAdmin, write: isAdmin } },
      },
    },
  };

  beforeAll(async () => {
    const s = await setup();
    cleanup = s.cleanup;
    t = await startTestServer({ store: s.store });
    e = await entityClient(t, "rules");
    await e.push(SCHEMAS);
    [ada, bob, boss, manager] = await Promise.all([
      e.user("ada@example.com"),
      e.user("bob@example.com"),
      e.user("boss@example.com", "admin"),
      e.user("manager@example.com", "manager"),
    ]);
    await e.ok(e.admin, "PUT", `User/${ada.id}`, { team: "red" });
    await e.ok(e.admin, "PUT", `User/${bob.id}`, { team: "blue" });
    service = { token: await e.serviceToken() };
  }, 120_000);
  afterAll(async () => {
    await t?.close();
    await cleanup();
  });

  describe("entity access rules", () => {
    let adaOrder: Rec;
    let bobOrder: Rec;
    beforeAll(async () => {
      adaOrder = await e.ok<Rec>(ada.as, "POST", "Order", { item: "tea", total: 3 }, 201);
      bobOrder = await e.ok<Rec>(bob.as, "POST", "Order", { item: "coffee", total: 5 }, 201);
    });

    it("stamps created_by and created_by_id with the creator", () => {
      expect(adaOrder).toMatchObject({ created_by: "ada@example.com", created_by_id: ada.id });
    });

    it("a record the read rule hides is a 404, never a 403, and is absent from lists and counts", async () => {
      const res = await e.req(bob.as, "GET", `Order/${adaOrder.id}`);
      expect(res.status).toBe(404);
      expect((await e.ok<Rec[]>(bob.as, "GET", "Order")).map((r) => r.id)).toEqual([bobOrder.id]);
      expect(await e.ok(bob.as, "GET", "Order/count")).toEqual({ count: 1 });
      expect(await e.ok(bob.as, "GET", `Order/count?${q({ item: "tea" })}`)).toEqual({ count: 0 });
      const agg = await e.ok<{ rows: unknown[] }>(bob.as, "POST", "Order/aggregate", {
        sum: "total",
      });
      expect(agg.rows).toEqual([{ count: 1, sum_total: 5 }]);
    });

    it("admins and a custom role read all through user_condition (with $in)", async () => {
      expect(await e.ok(boss.as, "GET", "Order/count")).toEqual({ count: 2 });
      expect(await e.ok(manager.as, "GET", "Order/count")).toEqual({ count: 2 });
    });

    it("an update or delete of a readable record the rule refuses is a 403", async () => {
      const up = await e.req(boss.as, "PUT", `Order/${adaOrder.id}`, { total: 99 });
      expect(up.status).toBe(403);
      expect(await up.json()).toMatchObject({ code: "FORBIDDEN" });
      const del = await e.req(ada.as, "DELETE", `Order/${adaOrder.id}`);
      expect(del.status).toBe(403);
      expect(await e.ok<Rec>(ada.as, "PUT", `Order/${adaOrder.id}`, { total: 4 })).toMatchObject({
        total: 4,
      });
      const hidden = await e.req(bob.as, "PUT", `Order/${adaOrder.id}`, { total: 1 });
      expect(hidden.status).toBe(404);
    });

    it("anonymous callers pass open and true rules, never conditions", async () => {
      expect((await e.req("anonymous", "GET", "Order")).status).toBe(200);
      expect(await e.ok("anonymous", "GET", "Order")).toEqual([]);
      expect((await e.req("anonymous", "GET", `Order/${adaOrder.id}`)).status).toBe(404);
      expect(await e.ok("anonymous", "GET", "Public")).toEqual([]);
      expect((await e.req("anonymous", "POST", "Public", { text: "x" })).status).toBe(403);
    });

    it("the service role and an API key pass every rule, and on-behalf-of names the creator", async () => {
      expect(await e.ok(service, "GET", "Order/count")).toEqual({ count: 2 });
      expect(await e.ok(e.admin, "GET", "Order/count")).toEqual({ count: 2 });
      const res = await fetch(`${t.url}/api/apps/${e.appId}/entities/Public`, {
        method: "POST",
        headers: {
          authorization: `Bearer ${service.token}`,
          "on-behalf-of": `Bearer ${ada.token}`,
          "content-type": "application/json",
        },
        body: JSON.stringify({ text: "by the service role for ada" }),
      });
      expect(res.status).toBe(201);
      expect(await res.json()).toMatchObject({
        created_by_id: ada.id,
        created_by: "ada@example.com",
      });
      expect(await e.ok<Rec>(service, "POST", "Public", { text: "plain" }, 201)).toMatchObject({
        created_by_id: null,
      });
    });

    it("deleteMany and updateMany only touch what the caller may read and change", async () => {
      await e.ok(ada.as, "POST", "Order", { item: "cake", total: 1 }, 201);
      expect(await e.ok(ada.as, "DELETE", "Order", {})).toEqual({ success: true, deleted: 0 });
      expect(
        await e.ok(bob.as, "PATCH", "Order/update-many", {
          query: {},
          data: { $set: { total: 0 } },
        }),
      ).toEqual({
        success: true,
        updated: 1,
        has_more: false,
      });
      expect((await e.ok<Rec>(ada.as, "GET", `Order/${adaOrder.id}`)).total).toBe(4);
      expect(await e.ok(boss.as, "DELETE", "Order", { item: "cake" })).toEqual({
        success: true,
        deleted: 1,
      });
    });

    it("templates read custom user fields, as data.x or x", async () => {
      const n = await e.ok<Rec>(ada.as, "POST", "Note", { text: "red note", team: "red" }, 201);
      expect((await e.req(ada.as, "POST", "Note", { text: "spoof", team: "blue" })).status).toBe(
        403,
      );
      expect((await e.ok<Rec[]>(ada.as, "GET", "Note")).map((r) => r.id)).toEqual([n.id]);
      expect(await e.ok(bob.as, "GET", "Note")).toEqual([]);
      // A user without the field matches nothing (the template does not become "equal to null").
      expect(await e.ok(boss.as, "GET", "Note")).toEqual([]);
    });

    it("field rules hide a field, refuse writing it, and refuse filtering by it", async () => {
      const s = await e.ok<Rec>(boss.as, "POST", "Salary", { person: "ada", amount: 100 }, 201);
      expect(await e.ok(ada.as, "GET", `Salary/${s.id}`)).not.toHaveProperty("amount");
      expect(await e.ok(boss.as, "GET", `Salary/${s.id}`)).toMatchObject({ amount: 100 });
      expect((await e.req(ada.as, "PUT", `Salary/${s.id}`, { amount: 1 })).status).toBe(403);
      expect(
        await e.ok<Rec>(ada.as, "PUT", `Salary/${s.id}`, { person: "ada l." }),
      ).not.toHaveProperty("amount");
      expect((await e.req(ada.as, "GET", `Salary?${q({ amount: { $gt: 50 } })}`)).status).toBe(403);
      expect((await e.req(ada.as, "GET", "Salary?sort=-amount")).status).toBe(403);
    });
  });

  describe("every rule form, for every kind of caller", () => {
    // Records of each form, made by ada, by bob and by the service role (no creator); then each
    // caller lists them. Expected: which creators' records each caller sees.
    const FORMS: Record<string, { read: unknown; sees: Record<string, string[]> }> = {
      RNull: { read: null, sees: { ada: ["ada", "bob", "svc"], anon: ["ada", "bob", "svc"] } },
      REmpty: { read: "", sees: { ada: ["ada", "bob", "svc"], anon: ["ada", "bob", "svc"] } },
      RObject: { read: {}, sees: { ada: ["ada", "bob", "svc"], anon: ["ada", "bob", "svc"] } },
      RFalse: { read: false, sees: { ada: [], boss: [], anon: [] } },
      RByEmail: {
        read: { created_by: "{{user.email}}" },
        sees: { ada: ["ada"], bob: ["bob"], anon: [] },
      },
      RNoCreator: { read: { created_by_id: null }, sees: { ada: ["svc"], anon: [] } },
      RAnd: {
        read: { $and: [{ created_by_id: "{{user.id}}" }, { "data.tag": "x" }] },
        sees: { ada: ["ada"], bob: ["bob"] },
      },
      RNor: {
        read: { $nor: [{ created_by_id: "{{user.id}}" }] },
        sees: { ada: ["bob", "svc"], anon: [] },
      },
      ROperators: {
        read: { created_by_id: { $in: ["{{user.id}}", "nobody"] }, "data.tag": { $ne: "y" } },
        sees: { ada: ["ada"], boss: [] },
      },
      RUserData: {
        read: { user_condition: { "data.team": "red" } },
        sees: { ada: ["ada", "bob", "svc"], bob: [] },
      },
    };
    beforeAll(async () => {
      const schemas: Record<string, unknown> = { ...SCHEMAS };
      for (const [name, f] of Object.entries(FORMS)) {
        schemas[name] = {
          name,
          properties: { tag: { type: "string" } },
          rls: { create: true, read: f.read },
        };
      }
      await e.push(schemas);
      for (const name of Object.keys(FORMS)) {
        await e.ok(ada.as, "POST", name, { tag: "x" }, 201);
        await e.ok(bob.as, "POST", name, { tag: "x" }, 201);
        await e.ok(service, "POST", name, { tag: "x" }, 201);
      }
    });

    it("lists exactly the records each rule lets each caller read", async () => {
      const creatorOf = (r: Rec) =>
        r.created_by_id === ada.id ? "ada" : r.created_by_id === bob.id ? "bob" : "svc";
      const callers = { ada: ada.as, bob: bob.as, boss: boss.as, anon: "anonymous" as const };
      for (const [name, f] of Object.entries(FORMS)) {
        for (const [who, expected] of Object.entries(f.sees)) {
          const rows = await e.ok<Rec[]>(
            callers[who as keyof typeof callers],
            "GET",
            `${name}?sort=created_date`,
          );
          expect(rows.map(creatorOf).sort(), `${name} as ${who}`).toEqual(expected);
          const { count } = await e.ok<{ count: number }>(
            callers[who as keyof typeof callers],
            "GET",
            `${name}/count`,
          );
          expect(count, `${name} count as ${who}`).toBe(expected.length);
        }
        expect((await e.ok<Rec[]>(service, "GET", name)).length, `${name} as service`).toBe(3);
      }
    });
  });

  describe("the User entity", () => {
    it("a user reads and updates only their own row; filter, sort and limit are honoured for admins", async () => {
      expect((await e.ok<Rec[]>(ada.as, "GET", "User")).map((u) => u.id)).toEqual([ada.id]);
      expect((await e.req(ada.as, "GET", `User/${bob.id}`)).status).toBe(404);
      expect((await e.req(ada.as, "PUT", `User/${bob.id}`, { team: "x" })).status).toBe(404);
      const found = await e.ok<Rec[]>(boss.as, "GET", `User?${q({ email: "bob@example.com" })}`);
      expect(found.map((u) => u.id)).toEqual([bob.id]);
      const sorted = await e.ok<Rec[]>(service, "GET", "User?sort=email&limit=2");
      expect(sorted.map((u) => u.email)).toEqual(["ada@example.com", "bob@example.com"]);
    });

    it("the service role filters by email and updates that user only (role and full_name too)", async () => {
      const [u] = await e.ok<Rec[]>(service, "GET", `User?${q({ email: "bob@example.com" })}`);
      const up = await e.ok<Rec>(service, "PUT", `User/${u!.id}`, {
        role: "manager",
        full_name: "Bob B.",
      });
      expect(up).toMatchObject({
        id: bob.id,
        role: "manager",
        full_name: "Bob B.",
        email: "bob@example.com",
      });
      expect((await e.ok<Rec>(service, "GET", `User/${boss.id}`)).role).toBe("admin");
      await e.ok(service, "PUT", `User/${bob.id}`, { role: "user" });
    });

    it("roles outside the User schema's enum, and role changes by users, are refused", async () => {
      expect((await e.req(service, "PUT", `User/${bob.id}`, { role: "owner" })).status).toBe(400);
      expect((await e.req(ada.as, "PUT", `User/${ada.id}`, { role: "admin" })).status).toBe(403);
      expect((await e.req(ada.as, "PUT", "User/me", { team: 5 })).status).toBe(422);
      expect(
        await e.ok<Rec>(ada.as, "PUT", "User/me", { team: "green", undeclared: 1 }),
      ).toMatchObject({ team: "green" });
    });

    it("users cannot be created through the entity, anonymous callers are refused, admins delete", async () => {
      expect((await e.req(service, "POST", "User", { email: "x@y.z" })).status).toBe(405);
      expect((await e.req("anonymous", "GET", "User")).status).toBe(401);
      const temp = await e.user("temp@example.com");
      expect((await e.req(ada.as, "DELETE", `User/${temp.id}`)).status).toBe(404);
      expect(await e.ok(boss.as, "DELETE", `User/${temp.id}`)).toEqual({ success: true });
      expect((await e.req(temp.as, "GET", "User/me")).status).toBe(401);
    });
  });
});
