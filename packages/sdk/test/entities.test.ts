import { createClient as base44CreateClient } from "@base44/sdk";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { ApiError, createClient } from "../src/index.js";
import { startRecorder } from "./helpers/recorder.js";

let rec: Awaited<ReturnType<typeof startRecorder>>;
beforeAll(async () => {
  rec = await startRecorder();
});
afterAll(() => rec.close());
afterEach(() => {
  vi.unstubAllEnvs();
});

const client = () => createClient({ appId: "app_1", serverUrl: rec.url, storage: false });

describe("client.entities", () => {
  it("is not a thenable and hands out nothing for _-prefixed names", async () => {
    const { entities } = client();
    expect((entities as Record<string, unknown>).then).toBeUndefined();
    expect(entities._internal).toBeUndefined();
    expect(entities[Symbol.iterator as unknown as string]).toBeUndefined();
    // awaiting a client or its entities must not hang or send a request
    const before = rec.requests.length;
    expect(await entities).toBe(entities);
    expect(rec.requests.length).toBe(before);
  });

  it("gives one handler per name, whose methods work detached", async () => {
    const { entities } = client();
    expect(entities.Task).toBe(entities.Task);
    expect(entities.Task).not.toBe(entities.Note);
    const { get } = entities.Task!;
    rec.answer({ body: { id: "r1" } });
    expect(await get("r1")).toEqual({ id: "r1" });
    expect(rec.last().url).toBe("/api/apps/app_1/entities/Task/r1");
  });

  it("sends the token set after creation", async () => {
    const c = client();
    c.setToken("later");
    await c.entities.Task!.list();
    expect(rec.last().headers.authorization).toBe("Bearer later");
  });

  it("encodes ids and names that would leave their path segment", async () => {
    const { entities } = client();
    await entities.Task!.get("../../functions/x");
    expect(rec.last().url).toBe("/api/apps/app_1/entities/Task/..%2F..%2Ffunctions%2Fx");
    await entities["a/b"]!.list();
    expect(rec.last().url).toBe("/api/apps/app_1/entities/a%2Fb");
  });

  it.each([
    ["get", (c: ReturnType<typeof client>) => c.entities.Task!.get("")],
    ["update", (c: ReturnType<typeof client>) => c.entities.Task!.update(undefined as never, {})],
    ["delete", (c: ReturnType<typeof client>) => c.entities.Task!.delete("")],
    ["delete", (c: ReturnType<typeof client>) => c.entities.Task!.delete(42 as never)],
  ])("%s refuses an empty or non-string id before any request", async (verb, call) => {
    const before = rec.requests.length;
    await expect(call(client())).rejects.toThrow(
      new RegExp(`^Cannot ${verb} a Task record: id must be a non-empty string: `),
    );
    await expect(call(client())).rejects.toBeInstanceOf(TypeError);
    expect(rec.requests.length).toBe(before);
  });

  it.each([undefined, null, "all", [{ done: true }]])(
    "deleteMany(%j) rejects with a TypeError before any request",
    async (query) => {
      const before = rec.requests.length;
      await expect(client().entities.Task!.deleteMany(query as never)).rejects.toThrow(
        /^Cannot delete Task records: the query must be an object/,
      );
      expect(rec.requests.length).toBe(before);
    },
  );

  it("asServiceRole.entities throws without a service token", () => {
    expect(() => client().asServiceRole.entities).toThrow(/no service token/);
  });
});

describe("entity errors", () => {
  const bodies: [string, unknown][] = [
    [
      "fnbase's { error, code, message, hint }",
      {
        error: "Invalid Task: title: Field required",
        code: "UNPROCESSABLE",
        message: "Invalid Task: title: Field required",
        hint: "Send a title",
      },
    ],
    ["{ error: { code, message } }", { error: { code: "NOT_FOUND", message: "No such record" } }],
    [
      "the Base44 dev server's validation error",
      { error_type: "ValidationError", message: "Error in field title: Field required" },
    ],
    ["FastAPI's { detail }", { detail: "Not found", code: "NOT_FOUND" }],
    ["an empty body", ""],
  ];

  it.each(bodies)("%s rejects like @base44/sdk's Base44Error", async (_name, body) => {
    vi.stubEnv("NODE_ENV", "production"); // @base44/sdk logs errors to the console otherwise
    rec.answer({ status: 422, body });
    const theirs = await base44CreateClient({ appId: "app_1", serverUrl: rec.url })
      .entities.Task!.create({})
      .catch((e: unknown) => e);
    rec.answer({ status: 422, body });
    const ours = await client()
      .entities.Task!.create({})
      .catch((e: unknown) => e);
    expect(ours).toBeInstanceOf(ApiError);
    const pick = (e: unknown) => {
      const { name: _, ...rest } = (e as ApiError).toJSON();
      return rest;
    };
    expect(pick(ours)).toEqual(pick(theirs));
    expect((ours as ApiError).status).toBe(422);
  });

  it("reads fnbase's { error, code } message, which @base44/sdk leaves at axios' text", async () => {
    const body = { error: "Task not found: r9", code: "NOT_FOUND" };
    rec.answer({ status: 404, body });
    const err = await client()
      .entities.Task!.get("r9")
      .catch((e: unknown) => e);
    expect(err).toMatchObject({
      status: 404,
      code: "NOT_FOUND",
      message: "Task not found: r9",
      data: body,
    });
  });
});
