import axios from "axios";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createClient, createClientFromRequest } from "../src/index.js";
import { startRecorder } from "./helpers/recorder.js";

let rec: Awaited<ReturnType<typeof startRecorder>>;
beforeAll(async () => {
  rec = await startRecorder();
});
afterAll(() => rec.close());

describe("functions.invoke()", () => {
  it("POSTs JSON to /api/apps/{appId}/functions/{name} with the app id, token and version", async () => {
    const client = createClient({
      appId: "app_1",
      serverUrl: `${rec.url}/`,
      token: "user-tok",
      functionsVersion: "v7",
      headers: { "X-Extra": "1" },
    });
    rec.answer({ body: { total: 3 } });
    const res = await client.functions.invoke("process-order", { orderId: 42 });
    expect(res.status).toBe(200);
    expect(res.data).toEqual({ total: 3 });
    expect(res.headers["content-type"]).toContain("application/json");
    expect(res.config).toBeDefined();
    const got = rec.last();
    expect(got.method).toBe("POST");
    expect(got.url).toBe("/api/apps/app_1/functions/process-order");
    expect(got.headers["x-app-id"]).toBe("app_1");
    expect(got.headers.authorization).toBe("Bearer user-tok");
    expect(got.headers["base44-functions-version"]).toBe("v7");
    expect(got.headers["x-extra"]).toBe("1");
    expect(got.headers["content-type"]).toContain("application/json");
    expect(JSON.parse(got.body.toString())).toEqual({ orderId: 42 });
  });

  it("sends no Authorization anonymously and keeps the / of nested names", async () => {
    const client = createClient({ appId: "app_1", serverUrl: rec.url, storage: false });
    await client.functions.invoke("orders/process", {});
    expect(rec.last().url).toBe("/api/apps/app_1/functions/orders/process");
    expect(rec.last().headers.authorization).toBeUndefined();
    expect(rec.last().headers["base44-functions-version"]).toBeUndefined();
    await client.functions.invoke("odd name?", {});
    expect(rec.last().url).toBe("/api/apps/app_1/functions/odd%20name%3F");
  });

  it("refuses string data before any request", async () => {
    const client = createClient({ appId: "app_1", serverUrl: rec.url });
    const before = rec.requests.length;
    // @ts-expect-error a string is not named parameters
    await expect(client.functions.invoke("f", "text")).rejects.toThrow(TypeError);
    expect(rec.requests.length).toBe(before);
  });

  it("sends files as multipart with names and bytes intact", async () => {
    const client = createClient({ appId: "app_1", serverUrl: rec.url });
    const bytes = new Uint8Array(256).map((_, i) => i);
    const file = new File([bytes], "all-bytes.bin", { type: "application/octet-stream" });
    await client.functions.invoke("upload", { file, meta: { a: 1 }, n: 5 });
    const got = rec.last();
    expect(got.headers["content-type"]).toMatch(/^multipart\/form-data; boundary=/);
    const form = await new Response(new Uint8Array(got.body), {
      headers: { "content-type": got.headers["content-type"]! },
    }).formData();
    const received = form.get("file") as File;
    expect(received.name).toBe("all-bytes.bin");
    expect(new Uint8Array(await received.arrayBuffer())).toEqual(bytes);
    expect(form.get("meta")).toBe('{"a":1}');
    expect(form.get("n")).toBe("5");
  });

  it("passes a FormData through as multipart", async () => {
    const client = createClient({ appId: "app_1", serverUrl: rec.url });
    const form = new FormData();
    form.append("doc", new File(["hello"], "doc.txt"));
    await client.functions.invoke("upload", form);
    const got = rec.last();
    const parsed = await new Response(new Uint8Array(got.body), {
      headers: { "content-type": got.headers["content-type"]! },
    }).formData();
    expect((parsed.get("doc") as File).name).toBe("doc.txt");
  });

  it("rejects a non-2xx answer with axios' error carrying status and parsed body", async () => {
    const client = createClient({ appId: "app_1", serverUrl: rec.url });
    rec.answer({ status: 422, body: { error: "bad order" } });
    const err = await client.functions.invoke("f", {}).catch((e: unknown) => e);
    expect(axios.isAxiosError(err)).toBe(true);
    if (!axios.isAxiosError(err)) return;
    expect(err.response?.status).toBe(422);
    expect(err.response?.data).toEqual({ error: "bad order" });
  });
});

describe("asServiceRole", () => {
  it("throws a clear error without a service token", () => {
    const client = createClient({ appId: "app_1", serverUrl: rec.url });
    expect(() => client.asServiceRole).toThrow(
      /Cannot use asServiceRole: this client has no service token/,
    );
  });

  it("invokes and fetches with the service token", async () => {
    const client = createClient({
      appId: "app_1",
      serverUrl: rec.url,
      token: "user",
      serviceToken: "svc",
    });
    expect(client.asServiceRole).toBe(client.asServiceRole);
    await client.asServiceRole.functions.invoke("admin-task", { x: 1 });
    expect(rec.last().headers.authorization).toBe("Bearer svc");
    expect(rec.last().url).toBe("/api/apps/app_1/functions/admin-task");
    await client.asServiceRole.functions.fetch("admin-task");
    expect(rec.last().headers.authorization).toBe("Bearer svc");
  });
});

describe("functions.fetch()", () => {
  it("goes to /api/functions/{path} with any method, merged headers and the token", async () => {
    const client = createClient({
      appId: "app_1",
      serverUrl: rec.url,
      token: "tok",
      functionsVersion: "v2",
    });
    const res = await client.functions.fetch("/users/profile", {
      method: "PUT",
      headers: { "Content-Type": "application/json", "X-Mine": "yes" },
      body: JSON.stringify({ name: "Jane" }),
    });
    expect(res).toBeInstanceOf(Response);
    expect(await res.json()).toEqual({ ok: true });
    const got = rec.last();
    expect(got.method).toBe("PUT");
    expect(got.url).toBe("/api/functions/users/profile");
    expect(got.headers.authorization).toBe("Bearer tok");
    expect(got.headers["x-app-id"]).toBe("app_1");
    expect(got.headers["base44-functions-version"]).toBe("v2");
    expect(got.headers["x-mine"]).toBe("yes");
    expect(got.body.toString()).toBe('{"name":"Jane"}');

    await client.functions.fetch("users/profile", {
      method: "DELETE",
      headers: { Authorization: "Bearer other" },
    });
    expect(rec.last().url).toBe("/api/functions/users/profile");
    expect(rec.last().method).toBe("DELETE");
    expect(rec.last().headers.authorization).toBe("Bearer other");
  });

  it("streams the body and honours an AbortSignal", async () => {
    const client = createClient({ appId: "app_1", serverUrl: rec.url });
    let finish = () => {};
    rec.handle((_req, res) => {
      res.writeHead(200, { "content-type": "text/plain" });
      res.write("first");
      finish = () => res.end("last");
    });
    try {
      const res = await client.functions.fetch("stream");
      const reader = res.body!.getReader();
      const first = await reader.read();
      expect(new TextDecoder().decode(first.value)).toBe("first");
      finish();
      let rest = "";
      for (let r = await reader.read(); !r.done; r = await reader.read()) {
        rest += new TextDecoder().decode(r.value);
      }
      expect(rest).toBe("last");

      rec.handle(() => {}); // never answers
      const controller = new AbortController();
      const pending = client.functions.fetch("hang", { signal: controller.signal });
      setTimeout(() => controller.abort(), 20);
      await expect(pending).rejects.toThrow(/abort/i);
    } finally {
      rec.handle(undefined);
    }
  });
});

describe("createClientFromRequest() clients", () => {
  it("call Base44-Api-Url as the caller, with the service role and forwarded state", async () => {
    const client = createClientFromRequest(
      new Request("http://inside/", {
        headers: {
          "Base44-App-Id": "app_9",
          "Base44-Api-Url": rec.url,
          Authorization: "Bearer caller",
          "Base44-Service-Authorization": "Bearer service",
          "Base44-Functions-Version": "v3",
          "Base44-State": "s1",
        },
      }),
    );
    await client.functions.invoke("a", {});
    expect(rec.last().url).toBe("/api/apps/app_9/functions/a");
    expect(rec.last().headers.authorization).toBe("Bearer caller");
    expect(rec.last().headers["base44-functions-version"]).toBe("v3");
    expect(rec.last().headers["base44-state"]).toBe("s1");
    await client.asServiceRole.functions.invoke("b", {});
    expect(rec.last().headers.authorization).toBe("Bearer service");
    expect(rec.last().headers["x-app-id"]).toBe("app_9");
  });
});

describe("createClient()", () => {
  it("refuses a missing appId", () => {
    // @ts-expect-error appId is required
    expect(() => createClient({ serverUrl: rec.url })).toThrow(/appId must be a non-empty string/);
  });
});
