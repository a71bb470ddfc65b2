/**
 * Lists longer than one batch of the store (100 records): streamed, compressed when asked, in
 * order, each record as `get` answers it, field rules and projections applied on every batch.
 */

import { gunzipSync, inflateSync } from "node:zlib";
import { request } from "undici";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ADMIN_KEY, startTestServer, type TestServer } from "../helpers.js";
import { type EntityClient, entityClient, q, type TestUser } from "./entity-helpers.js";

let t: TestServer;
let e: EntityClient;
let ada: TestUser;
type Rec = Record<string, unknown> & { id: string; created_date: string };

const NOTE = {
  name: "Note",
  type: "object",
  properties: {
    n: { type: "integer" },
    text: { type: "string" },
    secret: { type: "string", rls: { read: { user_condition: { role: "admin" } } } },
  },
};
const COUNT = 1_234;
let made: Rec[] = [];

beforeAll(async () => {
  t = await startTestServer();
  e = await entityClient(t, "lists");
  await e.push({ Note: NOTE });
  ada = await e.user("ada@example.com");
  // Two calls, so records come with two creation times; each call's ids increase.
  for (const [from, to] of [
    [0, 700],
    [700, COUNT],
  ]) {
    const body = Array.from({ length: to! - from! }, (_, i) => ({
      n: from! + i,
      text: `note ${from! + i} \u2028 "quoted" é`,
      secret: `s${from! + i}`,
    }));
    made = made.concat(await e.ok<Rec[]>(ada.as, "POST", "Note/bulk", body, 201));
  }
}, 120_000);
afterAll(() => t?.close());

/** GET of the list route with `accept-encoding`, read raw: status, encoding, parsed body. */
async function raw(query: string, encoding: string, headers: Record<string, string> = {}) {
  const res = await request(`${t.url}/api/apps/${e.appId}/entities/Note?${query}`, {
    headers: { api_key: ADMIN_KEY, "accept-encoding": encoding, ...headers },
  });
  const bytes = Buffer.from(await res.body.arrayBuffer());
  const enc = res.headers["content-encoding"] as string | undefined;
  const text = (
    enc === "gzip" ? gunzipSync(bytes) : enc === "deflate" ? inflateSync(bytes) : bytes
  ).toString("utf8");
  return {
    status: res.statusCode,
    enc,
    length: res.headers["content-length"],
    body: JSON.parse(text),
  };
}

/** What the service role reads of each record (the creator's answers lacked `secret`). */
const full = (): Rec[] => made.map((x) => ({ ...x, secret: `s${x.n}` }));

/** The default order: newest first, then by id. */
const byDefault = (a: Rec, b: Rec) =>
  a.created_date === b.created_date
    ? a.id < b.id
      ? -1
      : 1
    : a.created_date < b.created_date
      ? 1
      : -1;

describe("lists of more than one batch", () => {
  it("streams every record in order, as create answered it, gzip, deflate or plain", async () => {
    const expected = full().sort(byDefault);
    for (const encoding of ["gzip", "deflate", "identity"]) {
      const r = await raw("", encoding);
      expect(r.status).toBe(200);
      expect(r.enc).toBe(encoding === "identity" ? undefined : encoding);
      expect(r.length).toBeUndefined(); // streamed
      expect(r.body).toEqual(expected);
    }
    // Ids a process makes increase: one call's records come in creation order.
    const firstCall = expected.filter((x) => (x.n as number) < 700);
    expect(firstCall.map((x) => x.n)).toEqual(Array.from({ length: 700 }, (_, i) => i));
  });

  it("pages with skip and limit across batches, and filters", async () => {
    const expected = full().sort(byDefault);
    expect((await raw("skip=450&limit=600", "gzip")).body).toEqual(expected.slice(450, 1050));
    // A bad query fails before the answer starts: an ordinary coded 400.
    const bad = await raw(`${q({ n: { $bogus: 1 } })}&limit=5000`, "gzip");
    expect(bad).toMatchObject({ status: 400, body: { code: "INVALID_QUERY" } });
    const big = await raw(`${q({ n: { $gte: 100 } })}&sort=-n&limit=5000`, "identity");
    expect(big.body.map((x: Rec) => x.n)).toEqual(
      Array.from({ length: COUNT - 100 }, (_, i) => COUNT - 1 - i),
    );
  });

  it("answers a list that fits in one batch whole, with its length", async () => {
    const r = await raw("limit=3", "identity");
    expect(r.length).toBe(String(Buffer.byteLength(JSON.stringify(r.body))));
    const none = await raw(q({ n: -1 }), "gzip");
    expect(none).toMatchObject({ body: [], length: "2" });
    // The JSON SQLite writes is the create answer's, key for key in the same order.
    const made = await e.req(e.admin, "POST", "Note", { text: "x", n: 99_999, secret: "k" });
    const listed = await e.req(e.admin, "GET", `Note?${q({ n: 99_999 })}`);
    const text = await made.text();
    expect(await listed.text()).toBe(`[${text}]`);
    await e.ok(e.admin, "DELETE", `Note/${(JSON.parse(text) as Rec).id}`);
  });

  it("applies field rules and projections on every batch", async () => {
    const asAda = await e.ok<Rec[]>(ada.as, "GET", "Note");
    expect(asAda).toHaveLength(COUNT);
    expect(asAda.some((x) => "secret" in x)).toBe(false);
    expect(asAda[0]).toMatchObject({ n: expect.any(Number), text: expect.any(String) });
    const projected = await raw("fields=n", "gzip");
    expect(projected.body).toHaveLength(COUNT);
    expect(Object.keys(projected.body[COUNT - 1]).sort()).toEqual(["id", "n"]);
    // The service role reads the field.
    expect((await raw("limit=600", "identity")).body[0]).toHaveProperty("secret");
  });
});
