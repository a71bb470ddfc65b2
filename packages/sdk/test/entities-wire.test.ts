import {
  createClient as base44CreateClient,
  createClientFromRequest as base44FromRequest,
} from "@base44/sdk";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  createClient,
  createClientFromRequest,
  type EntitiesModule,
  type EntityHandler,
} from "../src/index.js";
import { type Recorded, startRecorder } from "./helpers/recorder.js";

/**
 * Every entities call goes through `@base44/sdk` 0.8.50 and through `@fnbase/sdk` against one
 * recorder; the two requests must be the same (method, URL, headers, body) and so must the
 * results. Each case also states the request it expects, so a change in both at once shows.
 */

let rec: Awaited<ReturnType<typeof startRecorder>>;
beforeAll(async () => {
  rec = await startRecorder();
});
afterAll(() => rec.close());

type Entities = EntitiesModule;
type Query = Record<string, unknown>;

interface Case {
  name: string;
  /** The entity the call goes to (default `Task`). */
  entity?: string;
  call: (entity: EntityHandler) => Promise<unknown>;
  /** The answer both clients receive. */
  answer?: unknown;
  method: string;
  /** The path after `/api/apps/app_1/entities/`. */
  path: string;
  /** The decoded query string, `q` parsed from JSON. */
  query?: Query;
  /** The JSON body, or the multipart parts. */
  body?: unknown;
  /** What the call resolves with (default: the answer). */
  result?: unknown;
}

const file = () => new File(["title,n\nfirst,1\n"], "tasks.csv", { type: "text/csv" });
const complex = {
  n: { $gte: 5 },
  status: { $in: ["open", "in review"] },
  $or: [{ done: true }, { title: { $regex: "^x" } }],
};

const cases: Case[] = [
  { name: "list()", call: (t) => t.list(), answer: [], method: "GET", path: "Task" },
  {
    name: "list(sort, limit, skip, fields)",
    call: (t) => t.list("+title", 10, 20, ["title", "n"]),
    answer: [{ id: "r1", title: "a" }],
    method: "GET",
    path: "Task",
    query: { sort: "+title", limit: "10", skip: "20", fields: "title,n" },
  },
  {
    name: "list() sends no zero limit or skip",
    call: (t) => t.list("-created_date", 0, 0),
    method: "GET",
    path: "Task",
    query: { sort: "-created_date" },
  },
  {
    name: "list({}) reads a page of 100",
    call: (t) => t.list({}),
    answer: { items: [], next_cursor: null, has_more: false },
    method: "GET",
    path: "Task/v2/list",
    query: { limit: "100" },
  },
  {
    name: "list(options)",
    call: (t) => t.list({ sort: "-n", limit: 50, cursor: "c1", fields: ["title", "n"] }),
    method: "GET",
    path: "Task/v2/list",
    query: { limit: "50", cursor: "c1", sort: "-n", fields: "title,n" },
  },
  {
    name: "list({ distinct }) sends neither sort nor fields",
    call: (t) => t.list({ distinct: "status", limit: 10, cursor: "c2", sort: "-n" } as never),
    method: "GET",
    path: "Task/v2/list",
    query: { limit: "10", cursor: "c2", distinct: "status" },
  },
  {
    name: "filter(query)",
    call: (t) => t.filter({ status: "open" }),
    method: "GET",
    path: "Task",
    query: { q: { status: "open" } },
  },
  {
    name: "filter($gte, $in, $or, sort, limit, skip, fields)",
    call: (t) => t.filter(complex, "-updated_date", 5, 10, ["title", "n"]),
    method: "GET",
    path: "Task",
    query: { q: complex, sort: "-updated_date", limit: "5", skip: "10", fields: "title,n" },
  },
  {
    name: "filter({}, +title)",
    call: (t) => t.filter({}, "+title"),
    method: "GET",
    path: "Task",
    query: { q: {}, sort: "+title" },
  },
  {
    name: "filter(query, options)",
    call: (t) => t.filter(complex, { sort: "+title", limit: 20, fields: ["title"] }),
    method: "GET",
    path: "Task/v2/list",
    query: { q: complex, limit: "20", sort: "+title", fields: "title" },
  },
  {
    name: "filter(query, { distinct })",
    call: (t) => t.filter({ done: false }, { distinct: "owner" }),
    answer: { items: ["ada", "bob"], next_cursor: "n1", has_more: true },
    method: "GET",
    path: "Task/v2/list",
    query: { q: { done: false }, limit: "100", distinct: "owner" },
  },
  {
    name: "get(id)",
    call: (t) => t.get("6886b8d390dc7e2f4a2c91b3"),
    answer: { id: "6886b8d390dc7e2f4a2c91b3", title: "a" },
    method: "GET",
    path: "Task/6886b8d390dc7e2f4a2c91b3",
  },
  {
    name: "create(data)",
    call: (t) => t.create({ title: "a", n: 1, tags: ["x"] }),
    answer: { id: "r1", title: "a", n: 1, tags: ["x"] },
    method: "POST",
    path: "Task",
    body: { title: "a", n: 1, tags: ["x"] },
  },
  {
    name: "update(id, data)",
    call: (t) => t.update("r1", { done: true }),
    method: "PUT",
    path: "Task/r1",
    body: { done: true },
  },
  {
    name: "delete(id)",
    call: (t) => t.delete("r1"),
    answer: { success: true },
    method: "DELETE",
    path: "Task/r1",
  },
  {
    name: "deleteMany(query) sends the query as a JSON body",
    call: (t) => t.deleteMany({ done: true, n: { $lt: 3 } }),
    answer: { success: true, deleted: 2 },
    method: "DELETE",
    path: "Task",
    body: { done: true, n: { $lt: 3 } },
  },
  {
    name: "bulkCreate(array)",
    call: (t) => t.bulkCreate([{ title: "a" }, { title: "b" }]),
    answer: [{ id: "r1" }, { id: "r2" }],
    method: "POST",
    path: "Task/bulk",
    body: [{ title: "a" }, { title: "b" }],
  },
  {
    name: "bulkUpdate(array)",
    call: (t) =>
      t.bulkUpdate([
        { id: "r1", done: true },
        { id: "r2", n: 2 },
      ]),
    method: "PUT",
    path: "Task/bulk",
    body: [
      { id: "r1", done: true },
      { id: "r2", n: 2 },
    ],
  },
  {
    name: "updateMany(query, ops)",
    call: (t) =>
      t.updateMany({ status: { $in: ["open"] } }, { $set: { done: true }, $inc: { n: 1 } }),
    answer: { success: true, updated: 4, has_more: false },
    method: "PATCH",
    path: "Task/update-many",
    body: { query: { status: { $in: ["open"] } }, data: { $set: { done: true }, $inc: { n: 1 } } },
  },
  {
    name: "count() resolves with the number",
    call: (t) => t.count(),
    answer: { count: 7 },
    result: 7,
    method: "GET",
    path: "Task/count",
  },
  {
    name: "count(query)",
    call: (t) => t.count({ done: false }),
    answer: { count: 1 },
    result: 1,
    method: "GET",
    path: "Task/count",
    query: { q: { done: false } },
  },
  {
    name: "aggregate(spec)",
    call: (t) =>
      t.aggregate({
        query: { n: { $gt: 1 } },
        groupBy: ["status"],
        dateBucket: { field: "created_date", unit: "week" },
        sum: "n",
        having: { count: { $gt: 1 } },
        sort: "-count",
        limit: 10,
      }),
    answer: { rows: [{ status: "open", count: 2, sum_n: 9 }], truncated: false },
    method: "POST",
    path: "Task/aggregate",
    body: {
      query: { n: { $gt: 1 } },
      groupBy: ["status"],
      dateBucket: { field: "created_date", unit: "week" },
      sum: "n",
      having: { count: { $gt: 1 } },
      sort: "-count",
      limit: 10,
    },
  },
  {
    name: "upsert(records, { key })",
    entity: "Contact",
    call: (t) => t.upsert([{ crm_id: "c1", name: "Ada" }], { key: "crm_id" }),
    answer: { created: 1, updated: 0, records: [{ id: "r1", crm_id: "c1", name: "Ada" }] },
    method: "POST",
    path: "Contact/upsert",
    body: { records: [{ crm_id: "c1", name: "Ada" }], key: "crm_id" },
  },
  {
    name: "upsert with a compound key",
    entity: "Contact",
    call: (t) => t.upsert([{ sku: "s", wh: "w" }], { key: ["sku", "wh"] }),
    method: "POST",
    path: "Contact/upsert",
    body: { records: [{ sku: "s", wh: "w" }], key: ["sku", "wh"] },
  },
  {
    name: "importEntities(file) sends one multipart part with its name",
    call: (t) => t.importEntities(file()),
    answer: { status: "success", details: "Imported 1", output: [{ id: "r1" }] },
    method: "POST",
    path: "Task/import",
    body: [["file", { name: "tasks.csv", type: "text/csv", text: "title,n\nfirst,1\n" }]],
  },
  {
    name: "a dotted entity name",
    entity: "commerce.Cart",
    call: (t) => t.list(),
    method: "GET",
    path: "commerce.Cart",
  },
];

interface Seen {
  method: string;
  url: string;
  path: string;
  query: Query;
  headers: Record<string, unknown>;
  body: unknown;
}

/** The request as a comparable value: the query decoded, `q` parsed, the body parsed. */
async function seen(request: Recorded): Promise<Seen> {
  const url = new URL(request.url, "http://x");
  const query: Query = {};
  for (const [key, value] of url.searchParams) query[key] = key === "q" ? JSON.parse(value) : value;
  const headers: Record<string, unknown> = { ...request.headers };
  const type = String(headers["content-type"] ?? "");
  let body: unknown;
  if (type.startsWith("multipart/form-data")) {
    const form = await new Response(new Uint8Array(request.body), {
      headers: { "content-type": type },
    }).formData();
    body = await Promise.all(
      [...form].map(async ([name, value]) => [
        name,
        typeof value === "string"
          ? value
          : { name: value.name, type: value.type, text: await value.text() },
      ]),
    );
    // The boundary, and with it the length, is random.
    headers["content-type"] = "multipart/form-data";
    delete headers["content-length"];
  } else {
    body = request.body.length ? JSON.parse(request.body.toString()) : undefined;
  }
  return {
    method: request.method,
    url: request.url,
    path: url.pathname,
    query,
    headers,
    body,
  };
}

async function run(entities: Entities, c: Case) {
  const before = rec.requests.length;
  rec.answer({ body: c.answer ?? { ok: true } });
  const result = await c.call(entities[c.entity ?? "Task"]!);
  expect(rec.requests.length).toBe(before + 1);
  return { request: await seen(rec.last()), result };
}

const userHeaders = (url: string, user: boolean) =>
  new Request("http://function.local/", {
    headers: {
      "Base44-App-Id": "app_1",
      "Base44-Api-Url": url,
      "Base44-Service-Authorization": "Bearer svc-tok",
      "Base44-State": "state-1",
      ...(user ? { Authorization: "Bearer user-tok" } : {}),
    },
  });

/** Each pair: the same client made with each SDK, and the auth headers it must send. */
const clients: {
  name: string;
  make: (url: string) => { base44: Entities; fnbase: Entities };
  auth: Record<string, string | undefined>;
}[] = [
  {
    name: "createClient with a user token",
    make: (url) => {
      const config = {
        appId: "app_1",
        serverUrl: url,
        token: "user-tok",
        headers: { "X-Extra": "1" },
      };
      return {
        base44: base44CreateClient(config).entities as unknown as Entities,
        fnbase: createClient({ ...config, storage: false }).entities,
      };
    },
    auth: { authorization: "Bearer user-tok", "on-behalf-of": undefined, "x-extra": "1" },
  },
  {
    name: "createClient anonymous",
    make: (url) => ({
      base44: base44CreateClient({ appId: "app_1", serverUrl: url })
        .entities as unknown as Entities,
      fnbase: createClient({ appId: "app_1", serverUrl: url, storage: false }).entities,
    }),
    auth: { authorization: undefined, "on-behalf-of": undefined },
  },
  {
    name: "createClientFromRequest, as the user",
    make: (url) => ({
      base44: base44FromRequest(userHeaders(url, true)).entities as unknown as Entities,
      fnbase: createClientFromRequest(userHeaders(url, true)).entities,
    }),
    auth: {
      authorization: "Bearer user-tok",
      "on-behalf-of": undefined,
      "base44-state": "state-1",
    },
  },
  {
    name: "createClientFromRequest, asServiceRole with a user",
    make: (url) => ({
      base44: base44FromRequest(userHeaders(url, true)).asServiceRole
        .entities as unknown as Entities,
      fnbase: createClientFromRequest(userHeaders(url, true)).asServiceRole.entities,
    }),
    auth: {
      authorization: "Bearer svc-tok",
      "on-behalf-of": "Bearer user-tok",
      "base44-state": "state-1",
    },
  },
  {
    name: "createClientFromRequest, asServiceRole for an anonymous caller",
    make: (url) => ({
      base44: base44FromRequest(userHeaders(url, false)).asServiceRole
        .entities as unknown as Entities,
      fnbase: createClientFromRequest(userHeaders(url, false)).asServiceRole.entities,
    }),
    auth: { authorization: "Bearer svc-tok", "on-behalf-of": undefined },
  },
];

describe.each(clients)("$name", ({ make, auth }) => {
  it.each(cases)("$name", async (c) => {
    const { base44, fnbase } = make(rec.url);
    const theirs = await run(base44, c);
    const ours = await run(fnbase, c);

    expect(ours.request).toEqual(theirs.request);
    expect(ours.result).toEqual(theirs.result);

    expect(ours.request.method).toBe(c.method);
    expect(ours.request.path).toBe(`/api/apps/app_1/entities/${c.path}`);
    expect(ours.request.query).toEqual(c.query ?? {});
    expect(ours.request.body).toEqual(c.body);
    expect(ours.result).toEqual("result" in c ? c.result : (c.answer ?? { ok: true }));
    expect(ours.request.headers["x-app-id"]).toBe("app_1");
    for (const [name, value] of Object.entries(auth)) {
      expect(ours.request.headers[name], name).toBe(value);
    }
  });
});

it("encodes a +title sort as %2B and leaves $ : , readable in q", async () => {
  const client = createClient({ appId: "app_1", serverUrl: rec.url, storage: false });
  await client.entities.Task!.filter({ n: { $gte: 5 }, t: "a b" }, "+title", 5, 0, ["a", "b"]);
  expect(rec.last().url).toBe(
    "/api/apps/app_1/entities/Task?q=%7B%22n%22:%7B%22$gte%22:5%7D,%22t%22:%22a+b%22%7D&sort=%2Btitle&limit=5&fields=a,b",
  );
});
