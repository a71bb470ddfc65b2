// client.entities against a real fnbase server (port 0, real store, real Deno for the service
// role): a schema pushed through the management API, two users kept apart by its access rules.
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import {
  ApiError,
  createClient,
  type EntityHandler,
  type ServerEntityFields,
  type User,
} from "../src/index.js";
import { loadFunctions, startFnbase, type TestServer, testEmail } from "./helpers/fnbase.js";

/** The Task entity as the CLI pushes it: `title` required, each user reads and writes their own. */
const TASK_SCHEMA = {
  name: "Task",
  type: "object",
  properties: {
    title: { type: "string" },
    done: { type: "boolean", default: false },
    n: { type: "number" },
  },
  required: ["title"],
  rls: {
    read: { created_by_id: "{{user.id}}" },
    write: { created_by_id: "{{user.id}}" },
  },
};
const PASSWORD = "correct horse battery";

type Task = { title: string; done?: boolean; n?: number } & ServerEntityFields;

interface Signed {
  tasks: EntityHandler<Task>;
  cleanup: () => void;
  invoke: (name: string, data: Record<string, unknown>) => Promise<{ data: unknown }>;
  user: User;
}

let fnbase: TestServer;
let alice: Signed;
let bob: Signed;

async function signUp(): Promise<Signed> {
  const email = testEmail();
  const client = createClient({ appId: fnbase.appId, serverUrl: fnbase.url, storage: false });
  await client.auth.register({ email, password: PASSWORD });
  const { user } = await client.auth.loginViaEmailPassword(email, PASSWORD);
  return {
    tasks: client.entities.Task as EntityHandler<Task>,
    cleanup: () => client.cleanup(),
    invoke: client.functions.invoke,
    user,
  };
}

beforeAll(async () => {
  fnbase = await startFnbase(await loadFunctions("tasks-admin"));
  const res = await fetch(`${fnbase.url}/api/apps/${fnbase.appId}/entity-schemas`, {
    method: "PUT",
    headers: { "content-type": "application/json", api_key: fnbase.adminKey },
    body: JSON.stringify({ entityNameToSchema: { Task: TASK_SCHEMA } }),
  });
  const answer = await res.text();
  if (res.status !== 200) {
    throw new Error(`Cannot push the entity schemas: ${res.status} ${answer}`);
  }
  expect(JSON.parse(answer)).toEqual({ created: ["Task"], updated: [], deleted: [] });
  alice = await signUp();
  bob = await signUp();
});
afterAll(() => fnbase?.[Symbol.asyncDispose]());

/** The error `promise` rejects with, failing the test when it resolves. */
async function rejection(promise: Promise<unknown>): Promise<ApiError> {
  const error = await promise.then(
    () => expect.fail("expected the call to be rejected"),
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ApiError);
  return error as ApiError;
}

const isoDate = (value: unknown) => typeof value === "string" && !Number.isNaN(Date.parse(value));

describe("entities against a real server", () => {
  it("creates, gets, updates, lists, filters, counts and deletes a user's records", async () => {
    const { tasks, user } = alice;
    const docs = await tasks.create({ title: "write docs", n: 3 });
    expect(docs).toMatchObject({ title: "write docs", n: 3, done: false, created_by_id: user.id });
    expect(docs.id).toEqual(expect.any(String));
    expect(isoDate(docs.created_date) && isoDate(docs.updated_date)).toBe(true);
    expect(await tasks.get(docs.id)).toEqual(docs);

    const done = await tasks.update(docs.id, { done: true });
    expect(done).toMatchObject({ id: docs.id, title: "write docs", n: 3, done: true });
    expect(Date.parse(done.updated_date)).toBeGreaterThanOrEqual(Date.parse(docs.updated_date));
    const ship = await tasks.create({ title: "ship", n: 7 });

    const ids = (records: { id: string }[]) => records.map((r) => r.id);
    const titles = (records: { title: string }[]) => records.map((r) => r.title);
    // Both may share a millisecond, so their created_date order is not asserted.
    expect(ids(await tasks.list("-created_date")).sort()).toEqual([ship.id, docs.id].sort());
    expect(titles(await tasks.list("+title"))).toEqual(["ship", "write docs"]);
    expect(titles(await tasks.list("-title", 1))).toEqual(["write docs"]);
    expect(titles(await tasks.list("title", 1, 1))).toEqual(["write docs"]);
    expect(await tasks.list("title", 5, 0, ["title"])).toEqual([
      expect.objectContaining({ title: "ship" }),
      expect.objectContaining({ title: "write docs" }),
    ]);
    expect(ids(await tasks.filter({ n: { $gte: 5 } }))).toEqual([ship.id]);
    expect(ids(await tasks.filter({ title: { $in: ["ship", "nope"] } }))).toEqual([ship.id]);
    expect(titles(await tasks.filter({ $or: [{ done: true }, { n: 7 }] }, "+title"))).toEqual([
      "ship",
      "write docs",
    ]);
    expect(await tasks.count()).toBe(2);
    expect(await tasks.count({ done: true })).toBe(1);

    expect(await tasks.delete(ship.id)).toEqual({ success: true });
    expect((await rejection(tasks.get(ship.id))).status).toBe(404);
    expect(ids(await tasks.list())).toEqual([docs.id]);
    expect(await tasks.count()).toBe(1);
  });

  it("keeps a user's records from another user", async () => {
    const secret = await alice.tasks.create({ title: "alice only" });
    const own = await bob.tasks.create({ title: "bob's" });

    const refused = await rejection(bob.tasks.get(secret.id));
    expect(refused.status).toBe(404);
    expect(refused.code).toEqual(expect.any(String));
    const bobSees = (await bob.tasks.list()).map((r) => r.id);
    expect(bobSees).toContain(own.id);
    expect(bobSees).not.toContain(secret.id);
    expect(await bob.tasks.filter({ title: "alice only" })).toEqual([]);
    expect(await bob.tasks.count({ title: "alice only" })).toBe(0);

    // Writing someone else's record is refused (403, or 404 like a read) and changes nothing.
    expect([403, 404]).toContain((await rejection(bob.tasks.update(secret.id, { n: 1 }))).status);
    expect([403, 404]).toContain((await rejection(bob.tasks.delete(secret.id))).status);
    expect(await alice.tasks.get(secret.id)).toEqual(secret);
  });

  it("lets the service role inside a function read every user's records", async () => {
    const mine = await alice.tasks.create({ title: "for the admin (alice)" });
    const theirs = await bob.tasks.create({ title: "for the admin (bob)" });
    const { data } = await alice.invoke("tasks-admin", { ids: [mine.id, theirs.id] });
    expect(data).toMatchObject({
      got: ["for the admin (alice)", "for the admin (bob)"],
      listed: expect.arrayContaining([mine.id, theirs.id]),
    });
    const { count } = data as { count: number };
    expect(count).toBeGreaterThanOrEqual(2);
    expect(count).toBe((data as { listed: string[] }).listed.length);
  });

  it("runs the bulk, paging, aggregate, upsert, updateMany, deleteMany and import routes", async () => {
    const { tasks } = alice;
    await tasks.deleteMany({});
    const made = await tasks.bulkCreate([
      { title: "b1", n: 1 },
      { title: "b2", n: 2 },
      { title: "b3", n: 3 },
    ]);
    expect(made.map((r) => r.title)).toEqual(["b1", "b2", "b3"]);
    const updated = await tasks.bulkUpdate([{ id: made[0]!.id, n: 10 }]);
    expect(updated[0]).toMatchObject({ title: "b1", n: 10 });
    const page = await tasks.list({ sort: "title", limit: 2 });
    expect(page.items.map((r) => r.title)).toEqual(["b1", "b2"]);
    expect(page.has_more).toBe(true);
    const next = await tasks.list({ cursor: page.next_cursor, limit: 2 });
    expect(next).toMatchObject({ has_more: false, next_cursor: null });
    expect(next.items.map((r) => r.title)).toEqual(["b3"]);
    const distinct = await tasks.filter({ n: { $lt: 5 } }, { distinct: "n" });
    expect(distinct.items).toEqual([2, 3]);
    expect(await tasks.updateMany({ n: { $lt: 5 } }, { $inc: { n: 100 } })).toEqual({
      success: true,
      updated: 2,
      has_more: false,
    });
    const agg = await tasks.aggregate({ sum: "n", min: "n", count: true });
    expect(agg).toEqual({ rows: [{ count: 3, sum_n: 215, min_n: 10 }], truncated: false });
    const up = await tasks.upsert([{ title: "b1", n: 1 }, { title: "b4" }], { key: "title" });
    expect([up.created, up.updated]).toEqual([1, 1]);
    const file = new File(["title,n\nimported,5\n"], "tasks.csv", { type: "text/csv" });
    const imported = await tasks.importEntities(file);
    expect(imported).toMatchObject({ status: "success", output: [{ title: "imported", n: 5 }] });
    expect(await tasks.deleteMany({ title: { $in: ["b2", "b3"] } })).toEqual({
      success: true,
      deleted: 2,
    });
    expect((await tasks.list("title")).map((r) => r.title)).toEqual(["b1", "b4", "imported"]);
  });

  it("subscribe delivers the changes the user may read, over the realtime socket", async () => {
    const seen: { type: string; data: Task }[] = [];
    const stop = alice.tasks.subscribe((e) => seen.push(e));
    // Alice writes until her own create arrives: then the socket has joined the room.
    let mine: Task | undefined;
    for (let i = 0; i < 100 && seen.length === 0; i++) {
      mine = await alice.tasks.create({ title: `alice live ${i}` });
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(mine).toBeDefined();
    const hidden = await bob.tasks.create({ title: "bob live" });
    const updated = await alice.tasks.update(mine!.id, { done: true });
    await vi.waitFor(() => expect(seen.some((e) => e.type === "update")).toBe(true), {
      timeout: 10_000,
    });
    expect(seen.at(-1)).toMatchObject({ type: "update", data: { id: updated.id, done: true } });
    expect(seen.some((e) => e.data.id === hidden.id)).toBe(false);
    stop();
    alice.cleanup();
  });

  it("refuses a record without its required title with a 422 that names title", async () => {
    const before = await alice.tasks.count();
    const err = await rejection(alice.tasks.create({ n: 1 }));
    expect(err.status).toBe(422);
    expect(err.message).toMatch(/title/);
    expect(await alice.tasks.count()).toBe(before);
  });
});
