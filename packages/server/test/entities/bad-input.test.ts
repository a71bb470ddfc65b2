import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestServer, type TestServer } from "../helpers.js";
import { storeCases } from "../postgres.js";
import { type EntityClient, entityClient, q } from "./entity-helpers.js";

/** The same cases on every store: SQLite, and PostgreSQL when one is reachable. */
describe.each(await storeCases())("bad input on $name", ({ skip, setup }) => {
  if (skip) {
    it.skip("PostgreSQL is not reachable", () => {});
    return;
  }
  let t: TestServer;
  let cleanup = async () => {};
  let e: EntityClient;

  beforeAll(async () => {
    const s = await setup();
    cleanup = s.cleanup;
    t = await startTestServer({
      store: s.store,
      maxRecordBytes: 64 * 1024,
      maxEntityBodyBytes: 2 * 1024 ** 2,
    });
    e = await entityClient(t, "bad-input");
    await e.push({
      Item: { name: "Item", properties: { name: { type: "string" }, data: { type: "object" } } },
    });
  }, 120_000);
  afterAll(async () => {
    await t?.close();
    await cleanup();
  });

  async function expectCoded(res: Response, status: number, code: string, message?: RegExp) {
    const text = await res.text();
    expect(res.status, text).toBe(status);
    const body = JSON.parse(text) as { code: string; error: string };
    expect(body.code).toBe(code);
    if (message) expect(body.error).toMatch(message);
  }

  describe("bad input to the record routes", () => {
    it("a malformed q is a 400 naming what is wrong", async () => {
      await expectCoded(
        await e.req("anonymous", "GET", "Item?q=%7Bnope"),
        400,
        "INVALID_QUERY",
        /JSON/,
      );
      await expectCoded(
        await e.req("anonymous", "GET", `Item?${q({ name: { $foo: 1 } })}`),
        400,
        "INVALID_QUERY",
        /\$foo/,
      );
      await expectCoded(
        await e.req("anonymous", "GET", `Item?${q({ name: { $in: 5 } })}`),
        400,
        "INVALID_QUERY",
        /\$in/,
      );
      await expectCoded(
        await e.req("anonymous", "GET", `Item?${q({ $where: "1" })}`),
        400,
        "INVALID_QUERY",
        /\$where/,
      );
      let deep: unknown = { name: "x" };
      for (let i = 0; i < 50; i++) deep = { $or: [deep] };
      await expectCoded(await e.req("anonymous", "GET", `Item?${q(deep)}`), 400, "INVALID_QUERY");
      await expectCoded(await e.req("anonymous", "GET", `Item?${q([1, 2])}`), 400, "INVALID_QUERY");
    });

    it("limits and skips that are not small whole numbers are a 400; a big limit is capped", async () => {
      for (const p of ["limit=1e300", "limit=-1", "limit=abc", "skip=1e300", "skip=1.5"]) {
        await expectCoded(
          await e.req("anonymous", "GET", `Item?${p}`),
          400,
          "INVALID_QUERY",
          /limit|skip/,
        );
      }
      expect((await e.req("anonymous", "GET", "Item?limit=999999")).status).toBe(200);
      await expectCoded(await e.req("anonymous", "GET", "Item?sort=$x"), 400, "INVALID_QUERY");
    });

    it("bodies that are not records are a 400; too-deep nesting is refused without a crash", async () => {
      await expectCoded(await e.req("anonymous", "POST", "Item", [1]), 400, "BAD_REQUEST");
      await expectCoded(await e.req("anonymous", "POST", "Item", "text"), 400, "BAD_REQUEST");
      const res = await fetch(`${t.url}/api/apps/${e.appId}/entities/Item`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: "{nope",
      });
      await expectCoded(res, 400, "INVALID_JSON");
      const deep = `{"name":"x","data":${"[".repeat(20_000)}${"]".repeat(20_000)}}`;
      const d = await fetch(`${t.url}/api/apps/${e.appId}/entities/Item`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: deep,
      });
      expect(d.status).toBeGreaterThanOrEqual(400);
      expect(d.status).toBeLessThan(500);
      const user = await e.user("deep@example.com");
      const u = await fetch(`${t.url}/api/apps/${e.appId}/entities/User/me`, {
        method: "PUT",
        headers: { "content-type": "application/json", authorization: `Bearer ${user.token}` },
        body: `{"x":${"[".repeat(20_000)}${"]".repeat(20_000)}}`,
      });
      expect(u.status).toBeGreaterThanOrEqual(400);
      expect(u.status).toBeLessThan(500);
    });

    it("a record over the size limit is a 413, a body over the body limit too", async () => {
      await expectCoded(
        await e.req("anonymous", "POST", "Item", { name: "x".repeat(70_000) }),
        413,
        "PAYLOAD_TOO_LARGE",
      );
      const big = await e.req(
        "anonymous",
        "POST",
        "Item/bulk",
        Array.from({ length: 40 }, () => ({ name: "y".repeat(60_000) })),
      );
      await expectCoded(big, 413, "PAYLOAD_TOO_LARGE");
      expect(await e.ok("anonymous", "GET", "Item/count")).toEqual({ count: 0 });
    });

    it("a wrong token is a 401, never an anonymous call", async () => {
      const res = await fetch(`${t.url}/api/apps/${e.appId}/entities/Item`, {
        headers: { authorization: "Bearer nope" },
      });
      await expectCoded(res, 401, "INVALID_TOKEN");
      const key = await fetch(`${t.url}/api/apps/${e.appId}/entities/Item`, {
        headers: { api_key: "b44k_wrong" },
      });
      await expectCoded(key, 401, "UNAUTHORIZED");
    });

    it("an unknown app is a 404", async () => {
      const res = await fetch(`${t.url}/api/apps/nope/entities/Item`);
      await expectCoded(res, 404, "APP_NOT_FOUND");
    });
  });
});
