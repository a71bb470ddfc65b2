import { createHash, randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
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

/** Resident memory of a process in bytes (Linux), else 0. */
function rssOf(pid: number | undefined): number {
  try {
    const kb = /VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, "utf8"))?.[1];
    return kb ? Number(kb) * 1024 : 0;
  } catch {
    return 0;
  }
}

/** Uploads 1 GiB; returns the answer, the expected hash and the peak RSS growth of the server
 * process (this one) and of the front, in MiB. */
async function upload(): Promise<{
  status: number;
  body: string;
  sha256: string;
  nodeMiB: number;
  frontMiB: number;
}> {
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
  const frontPid = t.server.frontPid;
  const before = { node: process.memoryUsage().rss, front: rssOf(frontPid) };
  const peak = { ...before };
  const sampler = setInterval(() => {
    peak.node = Math.max(peak.node, process.memoryUsage().rss);
    peak.front = Math.max(peak.front, rssOf(frontPid));
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
  return {
    ...answer,
    sha256: expected.digest("hex"),
    nodeMiB: (peak.node - before.node) / MiB,
    frontMiB: (peak.front - before.front) / MiB,
  };
}

describe("a 1 GiB upload", () => {
  // The first goes through Node's gateway (front -> Node -> instance), the second straight from
  // the front to the instance. The body is 1024 MiB: buffering even a tenth of it would show.
  it.each(["through the gateway", "straight from the front"])(
    "passes %s byte for byte with memory flat",
    async (how) => {
      const r = await upload();
      expect(r.status).toBe(200);
      expect(JSON.parse(r.body)).toEqual({ size: TOTAL_MIB * MiB, sha256: r.sha256 });
      console.log(
        `1 GiB upload ${how}: RSS grew at most ${r.nodeMiB.toFixed(1)} MiB (server), ${r.frontMiB.toFixed(1)} MiB (front)`,
      );
      expect(r.nodeMiB).toBeLessThan(100);
      expect(r.frontMiB).toBeLessThan(100);
    },
    180_000,
  );
});
