// Hostile: on the host runtime, a function's heap has its own limit (its Worker's), but what it
// holds outside its heap (ArrayBuffers, Uint8Arrays) is held only by its host's memory cgroup.
// Without cgroups (a server not run as root and without FNBASE_CGROUP, the recommended setup's
// default, or `cgroup: "off"`) nothing held it: found by a hostile session (2026-12-01), a
// function of 128 MB held 2.1 GB of Uint8Arrays (its host's RSS 2.3 GB) and went on, where on
// the process runtime the watchdog stops a process past its limit's resident memory. The
// watchdog now checks a host's resident memory against its limit (128 MB and each Worker's).
// Real Deno, real HTTP on port 0.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { oneFile, startTestServer, type TestServer } from "../helpers.js";

const holder = `
const held = [];
Deno.serve((req) => {
  const mb = Number(new URL(req.url).searchParams.get("mb") ?? 0);
  for (let i = 0; i < mb; i++) held.push(new Uint8Array(1024 * 1024).fill(1));
  return Response.json({ heldMb: held.length });
});
`;

let t: TestServer;
let app: string;

beforeAll(async () => {
  // A spare host with one Worker of 128 MB: the host's limit is a few hundred MB.
  t = await startTestServer({
    runtime: "host",
    cgroup: "off",
    memoryLimitMb: 128,
    spareWorkers: 1,
  });
  app = await t.createApp("holder");
  await t.deploy(app, "holder", oneFile(holder));
}, 120_000);

afterAll(() => t?.close());

describe("host runtime without cgroups: memory outside a function's heap", () => {
  it("is held by its host's limit: the host is stopped past it", async () => {
    const seen: (number | string)[] = [];
    for (let i = 0; i < 12; i++) {
      const res = await t.invoke(app, "holder?mb=100");
      seen.push(
        res.status === 200 ? ((await res.json()) as { heldMb: number }).heldMb : res.status,
      );
      // Let the watchdog sample it (every 250 ms at most).
      await new Promise((r) => setTimeout(r, 300));
    }
    // Never 1,200 MB: the host went past its limit (a few hundred MB) and was stopped, and the
    // next call started afresh.
    const most = Math.max(...seen.filter((s): s is number => typeof s === "number"));
    expect({ most: most < 1_000, seen }).toEqual({ most: true, seen });
  }, 120_000);
});
