import { createHash, randomBytes } from "node:crypto";
import { request } from "node:http";
import { Readable } from "node:stream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestServer, type TestServer } from "./helpers.js";

// Hashes the body as it streams in, never holding it.
const HASH = `
import { createHash } from "node:crypto";
Deno.serve(async (req) => {
  const h = createHash("sha256");
  let size = 0;
  for await (const chunk of req.body!) {
    size += chunk.length;
    h.update(chunk);
  }
  return Response.json({ size, sha256: h.digest("hex") });
});`;

const MiB = 1024 * 1024;
const TOTAL_MIB = 1024;

let t: TestServer;
let appId: string;

beforeAll(async () => {
  t = await startTestServer({ maxBodyBytes: 2 * 1024 * MiB });
  appId = await t.createApp("large");
  await t.deploy(appId, "hash", HASH);
}, 120_000);
afterAll(() => t?.close());

describe("a 1 GiB upload", () => {
  it("passes through byte for byte with the gateway's memory flat", async () => {
    const block = randomBytes(MiB);
    const expected = createHash("sha256");
    function* chunks() {
      for (let i = 0; i < TOTAL_MIB; i++) {
        const chunk = Buffer.from(block);
        chunk.writeUInt32BE(i, 0);
        expected.update(chunk);
        yield chunk;
      }
    }
    const before = process.memoryUsage().rss;
    let peak = before;
    const sampler = setInterval(() => {
      peak = Math.max(peak, process.memoryUsage().rss);
    }, 50);

    const answer = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = request(`${t.url}/api/apps/${appId}/functions/hash`, {
        method: "POST",
        headers: { "content-type": "application/octet-stream", "content-length": TOTAL_MIB * MiB },
      });
      req.on("response", (res) => {
        let body = "";
        res.on("data", (d) => {
          body += d;
        });
        res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
      });
      req.on("error", reject);
      Readable.from(chunks()).pipe(req);
    });
    clearInterval(sampler);

    expect(answer.status).toBe(200);
    expect(JSON.parse(answer.body)).toEqual({
      size: TOTAL_MIB * MiB,
      sha256: expected.digest("hex"),
    });
    const growthMiB = (peak - before) / MiB;
    console.log(`1 GiB upload: server process RSS grew at most ${growthMiB.toFixed(1)} MiB`);
    // The body is 1024 MiB; buffering even a tenth of it would show here.
    expect(growthMiB).toBeLessThan(100);
  }, 180_000);
});
