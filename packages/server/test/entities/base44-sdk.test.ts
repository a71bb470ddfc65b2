/**
 * `@base44/sdk` 0.8.50, unchanged, against fnbase's entities: from Node as a frontend would
 * call it, and inside deployed functions through `npm:@base44/sdk`, including Base44's own
 * documented function examples.
 */
import { createClient } from "@base44/sdk";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestServer, type TestServer } from "../helpers.js";
import { storeCases } from "../postgres.js";
import { type EntityClient, entityClient, type TestUser } from "./entity-helpers.js";

declare module "@base44/sdk" {
  interface EntityTypeRegistry {
    Orders: { item: string; quantity?: number; status?: "open" | "shipped"; tags?: string[] };
  }
}

/** The same cases on every store: SQLite, and PostgreSQL when one is reachable. */
describe.each(await storeCases())("@base44/sdk entities on $name", ({ skip, setup }) => {
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

  const ORDERS = {
    name: "Orders",
    type: "object",
    properties: {
      item: { type: "string" },
      quantity: { type: "integer", default: 1 },
      status: { type: "string", enum: ["open", "shipped"], default: "open" },
      tags: { type: "array", items: { type: "string" } },
    },
    required: ["item"],
    rls: {
      create: true,
      read: { $or: [{ created_by_id: "{{user.id}}" }, { user_condition: { role: "admin" } }] },
      write: { created_by_id: "{{user.id}}" },
    },
  };

  beforeAll(async () => {
    const s = await setup();
    cleanup = s.cleanup;
    t = await startTestServer({ store: s.store });
    e = await entityClient(t, "sdk-entities");
    await e.push({ Orders: ORDERS });
    [ada, bob, boss] = await Promise.all([
      e.user("ada@example.com"),
      e.user("bob@example.com"),
      e.user("boss@example.com", "admin"),
    ]);
  }, 120_000);
  afterAll(async () => {
    await t?.close();
    await cleanup();
  });

  const client = (token?: string) =>
    createClient({ serverUrl: t.url, appId: e.appId, ...(token ? { token } : {}) });

  describe("@base44/sdk 0.8.50 from Node", () => {
    it("every route: create, get, update, filter, list pages, count, bulk, updateMany, upsert, aggregate, delete", async () => {
      const sdk = client(ada.token);
      const o = await sdk.entities.Orders.create({ item: "tea", tags: ["hot"] });
      expect(o).toMatchObject({ item: "tea", quantity: 1, status: "open", created_by_id: ada.id });
      expect(await sdk.entities.Orders.get(o.id)).toEqual(o);
      expect(await sdk.entities.Orders.update(o.id, { quantity: 2 })).toMatchObject({
        quantity: 2,
        item: "tea",
      });
      await sdk.entities.Orders.bulkCreate([
        { item: "cake", quantity: 5 },
        { item: "jam", tags: ["sweet", "hot"] },
      ]);
      const hot = await sdk.entities.Orders.filter({ tags: "hot" } as never, "item");
      expect(hot.map((r) => r.item)).toEqual(["jam", "tea"]);
      const big = await sdk.entities.Orders.filter({ quantity: { $gte: 2 } }, "-quantity", 10, 0, [
        "item",
      ]);
      expect(big).toEqual([
        { id: expect.any(String), item: "cake" },
        { id: o.id, item: "tea" },
      ]);
      expect(await sdk.entities.Orders.list("-created_date", 1)).toHaveLength(1);
      expect(await sdk.entities.Orders.count({ status: "open" })).toBe(3);
      const page = await sdk.entities.Orders.list({ sort: "item", limit: 2 });
      expect(page.items.map((r) => r.item)).toEqual(["cake", "jam"]);
      const rest = await sdk.entities.Orders.list({ cursor: page.next_cursor, limit: 2 });
      expect(rest).toMatchObject({ has_more: false, next_cursor: null });
      expect(rest.items.map((r) => r.item)).toEqual(["tea"]);
      const distinct = await sdk.entities.Orders.list({ distinct: "tags" });
      expect(distinct.items).toEqual(["hot", "sweet"]);
      expect(
        await sdk.entities.Orders.updateMany({ item: "jam" }, { $set: { status: "shipped" } }),
      ).toEqual({
        success: true,
        updated: 1,
        has_more: false,
      });
      const up = await sdk.entities.Orders.upsert(
        [{ item: "cake", quantity: 6 }, { item: "pie" }],
        {
          key: "item",
        },
      );
      expect([up.created, up.updated]).toEqual([1, 1]);
      const agg = await sdk.entities.Orders.aggregate({
        groupBy: "status",
        sum: "quantity",
        sort: "status",
      });
      expect(agg.rows).toEqual([
        { status: "open", count: 3, sum_quantity: 9 },
        { status: "shipped", count: 1, sum_quantity: 1 },
      ]);
      const done = await sdk.entities.Orders.bulkUpdate([{ id: o.id, status: "shipped" }]);
      expect(done[0]).toMatchObject({ status: "shipped" });
      expect(await sdk.entities.Orders.delete(o.id)).toEqual({ success: true });
      expect(await sdk.entities.Orders.deleteMany({ item: "pie" })).toEqual({
        success: true,
        deleted: 1,
      });
    });

    it("errors reach the SDK as Base44Error with status, code and the server's message", async () => {
      const sdk = client(bob.token);
      await expect(sdk.entities.Orders.get("000000000000000000000000")).rejects.toMatchObject({
        status: 404,
        code: "RECORD_NOT_FOUND",
        message: expect.stringContaining("not found"),
      });
      await expect(sdk.entities.Orders.create({ quantity: 1 })).rejects.toMatchObject({
        status: 422,
        message: "Error in field item: Field required",
      });
      await expect(client().entities.Nope!.list()).rejects.toMatchObject({
        status: 404,
        code: "ENTITY_NOT_FOUND",
      });
    });

    it("a user sees only their own orders; an admin sees all", async () => {
      await client(bob.token).entities.Orders.create({ item: "bob's" });
      const mine = await client(bob.token).entities.Orders.list();
      expect(mine.map((r) => r.item)).toEqual(["bob's"]);
      const all = await client(boss.token).entities.Orders.list();
      expect(all.length).toBeGreaterThan(mine.length);
    });
  });

  /** Base44's documented function examples, as functions on fnbase (npm:@base44/sdk inside). */
  const FUNCTIONS: Record<string, string> = {
    // "Basic Structure": the caller reads their own order.
    "get-order": `
  import { createClientFromRequest } from "npm:@base44/sdk";
  Deno.serve(async (req) => {
    const base44 = createClientFromRequest(req);
    const user = await base44.auth.me();
    if (!user) return Response.json({ error: "Unauthorized" }, { status: 401 });
    const { orderId } = await req.json();
    const order = await base44.entities.Orders.get(orderId);
    return Response.json({ order });
  });`,
    // "With Service Role Access": an admin lists every order through the service role.
    "all-orders": `
  import { createClientFromRequest } from "npm:@base44/sdk";
  Deno.serve(async (req) => {
    const base44 = createClientFromRequest(req);
    const user = await base44.auth.me();
    if (user?.role !== "admin") return Response.json({ error: "Forbidden" }, { status: 403 });
    const orders = await base44.asServiceRole.entities.Orders.list("-created_date");
    return Response.json({ count: orders.length, items: orders.map((o) => o.item) });
  });`,
    // "Error Handling": a missing record answers a clean 404.
    "safe-order": `
  import { createClientFromRequest } from "npm:@base44/sdk";
  Deno.serve(async (req) => {
    const base44 = createClientFromRequest(req);
    try {
      const { orderId } = await req.json();
      const order = await base44.asServiceRole.entities.Orders.get(orderId);
      return Response.json({ order });
    } catch (error) {
      const status = error.status === 404 ? 404 : 500;
      return Response.json({ error: error.message, status: error.status }, { status });
    }
  });`,
    // A real pattern: find a user by email through the service role, then update that user only.
    promote: `
  import { createClientFromRequest } from "npm:@base44/sdk";
  Deno.serve(async (req) => {
    const base44 = createClientFromRequest(req);
    const { email } = await req.json();
    const [user] = await base44.asServiceRole.entities.User.filter({ email });
    if (!user) return Response.json({ error: "No such user" }, { status: 404 });
    const updated = await base44.asServiceRole.entities.User.update(user.id, { role: "admin" });
    return Response.json({ id: updated.id, role: updated.role });
  });`,
  };

  describe("@base44/sdk inside functions", () => {
    beforeAll(async () => {
      for (const [name, code] of Object.entries(FUNCTIONS)) await t.deploy(e.appId, name, code);
    }, 120_000);

    const call = (name: string, token: string | undefined, body: unknown) =>
      t.invoke(e.appId, name, {
        method: "POST",
        headers: {
          "content-type": "application/json",
          ...(token ? { authorization: `Bearer ${token}` } : {}),
        },
        body: JSON.stringify(body),
      });

    it("a user reads their own order, and not another user's", async () => {
      const o = await client(ada.token).entities.Orders.create({ item: "ada's order" });
      const res = await call("get-order", ada.token, { orderId: o.id });
      expect(res.status).toBe(200);
      expect(await res.json()).toMatchObject({ order: { id: o.id, item: "ada's order" } });
      const other = await call("get-order", bob.token, { orderId: o.id });
      expect(other.status).toBe(500);
      await other.text();
    }, 60_000);

    it("an admin lists all orders through the service role; a user is refused", async () => {
      const res = await call("all-orders", boss.token, {});
      const body = (await res.json()) as { count: number; items: string[] };
      expect(res.status).toBe(200);
      expect(body.items).toContain("bob's");
      expect(body.items).toContain("ada's order");
      expect((await call("all-orders", ada.token, {})).status).toBe(403);
    }, 60_000);

    it("a missing record answers a clean 404 from the function's own error handling", async () => {
      const res = await call("safe-order", undefined, { orderId: "nope" });
      expect(res.status).toBe(404);
      expect(await res.json()).toMatchObject({ status: 404 });
    }, 60_000);

    it("User.filter({ email }) then update changes that user, and only that user", async () => {
      const res = await call("promote", undefined, { email: "bob@example.com" });
      expect(await res.json()).toEqual({ id: bob.id, role: "admin" });
      const users = await client(boss.token).entities.User!.list("email");
      expect(users.map((u) => [u.email, u.role])).toEqual([
        ["ada@example.com", "user"],
        ["bob@example.com", "admin"],
        ["boss@example.com", "admin"],
      ]);
    }, 60_000);
  });
});
