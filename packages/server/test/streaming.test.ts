import { createHash, randomBytes, randomInt } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sse, startTestServer, type TestServer } from "./helpers.js";

// Answers one line per chunk as soon as it reads it, so the caller can wait for the answer to
// each chunk before sending the next one.
const ECHO_CHUNKS = `
Deno.serve((req) => {
  const reader = req.body!.getReader();
  const enc = new TextEncoder();
  const body = new ReadableStream({
    async pull(c) {
      const { done, value } = await reader.read();
      if (done) { c.enqueue(enc.encode("end\\n")); c.close(); return; }
      c.enqueue(enc.encode("got " + value.length + "\\n"));
    },
  });
  return new Response(body);
});`;

const UPLOAD = `
Deno.serve(async (req) => {
  const file = (await req.formData()).get("file");
  if (!(file instanceof File)) return Response.json({ error: "no file" }, { status: 400 });
  const digest = await crypto.subtle.digest("SHA-256", await file.arrayBuffer());
  const sha256 = Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, "0")).join("");
  return Response.json({ name: file.name, size: file.size, sha256 });
});`;

let t: TestServer;
let appId: string;

beforeAll(async () => {
  t = await startTestServer();
  appId = await t.createApp("streaming");
  await t.deploy(appId, "sse", sse(1500));
  await t.deploy(appId, "chunks", ECHO_CHUNKS);
  await t.deploy(appId, "upload", UPLOAD);
}, 120_000);
afterAll(() => t?.close());

describe("streaming", () => {
  it("an SSE event reaches the client before the function finishes", async () => {
    // Warm the instance so the timing measures streaming, not the cold start.
    await (await t.invoke(appId, "sse")).text();
    const started = performance.now();
    const res = await t.invoke(appId, "sse");
    expect(res.headers.get("content-type")).toBe("text/event-stream");
    const reader = res.body!.getReader();
    const dec = new TextDecoder();
    const first = await reader.read();
    const firstAt = performance.now() - started;
    expect(dec.decode(first.value)).toBe("data: first\n\n");
    let rest = "";
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      rest += dec.decode(value);
    }
    const lastAt = performance.now() - started;
    expect(rest).toBe("data: last\n\n");
    expect(firstAt).toBeLessThan(700);
    expect(lastAt).toBeGreaterThan(1400);
  }, 60_000);

  it("a chunked request body is read by the function while it is still being sent", async () => {
    let send!: ReadableStreamDefaultController<Uint8Array>;
    const body = new ReadableStream<Uint8Array>({ start: (c) => (send = c) });
    send.enqueue(new Uint8Array(1000));
    const res = await t.invoke(appId, "chunks", {
      method: "POST",
      body,
      duplex: "half",
    } as RequestInit);
    expect(res.status).toBe(200);
    const reader = res.body!.getReader();
    const dec = new TextDecoder();
    let seen = "";
    const nextLine = async () => {
      while (!seen.includes("\n")) {
        const { done, value } = await reader.read();
        if (done) throw new Error(`Stream ended early: ${seen}`);
        seen += dec.decode(value);
      }
      const i = seen.indexOf("\n");
      const line = seen.slice(0, i);
      seen = seen.slice(i + 1);
      return line;
    };
    // Each answer arrives before the next chunk is even sent: the body streams, unbuffered.
    expect(await nextLine()).toBe("got 1000");
    send.enqueue(new Uint8Array(2000));
    expect(await nextLine()).toBe("got 2000");
    send.enqueue(new Uint8Array(3000));
    expect(await nextLine()).toBe("got 3000");
    send.close();
    expect(await nextLine()).toBe("end");
  }, 60_000);

  it("a binary multipart upload arrives byte for byte", async () => {
    const bytes = randomBytes(randomInt(1024 * 1024, 5 * 1024 * 1024));
    const form = new FormData();
    form.append("file", new Blob([bytes]), "random.bin");
    const res = await t.invoke(appId, "upload", { method: "POST", body: form });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({
      name: "random.bin",
      size: bytes.length,
      sha256: createHash("sha256").update(bytes).digest("hex"),
    });
  }, 60_000);
});
