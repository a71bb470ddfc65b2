// Hostile: every outside request is hostile, and bad input gets a coded `{error, code}` with
// the right status, never a 500. `/v2/list` cursors are opaque base64url JSON the caller sends
// back, so a caller can forge any shape; filters can nest as deep as a request allows.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type EntityClient, entityClient, type TestUser } from "../entities/entity-helpers.js";
import { startTestServer, type TestServer } from "../helpers.js";
import { storeCases } from "../postgres.js";

describe.each(await storeCases())("forged and hostile list input on $name", ({ skip, setup }) => {
  if (skip) {
    it.skip("PostgreSQL is not reachable", () => {});
    return;
  }
  let t: TestServer;
  let e: EntityClient;
  let bob: TestUser;
  let cleanup = async () => {};

  beforeAll(async () => {
    const s = await setup();
    cleanup = s.cleanup;
    t = await startTestServer({ store: s.store });
    e = await entityClient(t, "cursors");
    await e.push({
      Item: {
        name: "Item",
        properties: {
          name: { type: "string" },
          flag: { type: "boolean" },
          meta: { type: "object" },
          tags: { type: "array" },
        },
      },
    });
    bob = await e.user("bob@example.com");
    for (const [name, flag, meta, tags] of [
      ["a", true, { x: { k: 1 }, y: [1, 2] }, [{ k: 1 }, "s"]],
      ["b", false, { x: { k: 2 }, z: 3 }, [[1], { k: 1 }]],
      ["c", true, { x: { k: 1 } }, ["s", 2]],
    ] as const) {
      await e.ok(e.admin, "POST", "Item", { name, flag, meta, tags }, 201);
    }
  }, 120_000);
  afterAll(async () => {
    await t?.close();
    await cleanup();
  });

  const cursor = (c: unknown) => Buffer.from(JSON.stringify(c)).toString("base64url");

  /** Every value of a distinct walk, one page at a time; throws after `max` pages. */
  async function walk(field: string, max = 20): Promise<unknown[]> {
    const out: unknown[] = [];
    let path = `Item/v2/list?distinct=${field}&limit=1`;
    for (let i = 0; i < max; i++) {
      const res = await e.req(bob.as, "GET", path);
      const text = await res.text();
      expect(res.status, text).toBe(200);
      const page = JSON.parse(text) as { items: unknown[]; next_cursor: string | null };
      out.push(...page.items);
      if (!page.next_cursor) return out;
      path = `Item/v2/list?cursor=${page.next_cursor}&limit=1`;
    }
    throw new Error(`distinct=${field} did not end in ${max} pages: ${JSON.stringify(out)}`);
  }

  it("a forged cursor of any shape is a 400 INVALID_QUERY", async () => {
    const forged = [
      { q: "", after: null },
      { q: "", after: 1 },
      { q: "", after: "x" },
      { q: "", after: { values: [], id: { $gt: "" } } },
      { q: "", after: { values: "x", id: "a" } },
      { q: "", after: { values: [], id: 5 } },
      { q: "", fields: 5, after: { values: [], id: "a" } },
      { q: "", sort: ["name"], after: { values: ["a"], id: "a" } },
      { q: "", distinct: "name", after: { value: { a: 1 } }, fields: {} },
      { q: "", distinct: 5, after: { value: "a" } },
      { q: "", distinct: "name", after: {} },
      { q: "", distinct: "name", after: { values: [], id: "a" } },
    ];
    for (const c of forged) {
      const res = await e.req(bob.as, "GET", `Item/v2/list?cursor=${cursor(c)}`);
      const body = (await res.json()) as { code?: string };
      expect(`${res.status} ${body.code}`, JSON.stringify(c)).toBe("400 INVALID_QUERY");
    }
  });

  it("a filter nested thousands of levels deep is a 400, in q and in deleteMany's body", async () => {
    const deep = "[".repeat(5000) + "]".repeat(5000);
    const listed = await e.req(bob.as, "GET", `Item?q=${encodeURIComponent(deep)}`);
    expect(listed.status, await listed.text()).toBe(400);
    const res = await fetch(`${t.url}/api/apps/${e.appId}/entities/Item`, {
      method: "DELETE",
      headers: { authorization: `Bearer ${bob.token}`, "content-type": "application/json" },
      body: deep,
    });
    const body = (await res.json()) as { code?: string };
    expect(`${res.status} ${body.code}`).toBe("400 INVALID_JSON");
    expect((await e.ok<unknown[]>(e.admin, "GET", "Item")).length).toBe(3);
  });

  it("a distinct walk over objects, arrays and booleans ends, each value once", async () => {
    const meta = await walk("meta");
    expect(meta).toHaveLength(new Set(meta.map((v) => JSON.stringify(v))).size);
    expect(meta).toEqual(expect.arrayContaining([3, { k: 1 }, { k: 2 }, [1, 2]]));
    const tags = await walk("tags");
    expect(tags).toHaveLength(new Set(tags.map((v) => JSON.stringify(v))).size);
    expect(tags).toEqual(expect.arrayContaining([2, "s", { k: 1 }, [1]]));
    expect(await walk("flag")).toEqual(expect.arrayContaining([true, false]));
  });
});
