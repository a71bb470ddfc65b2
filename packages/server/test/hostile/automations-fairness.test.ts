// Hostile: one app must not be able to starve another app's automations. An app whose entity
// automation is slow (a function that waits out most of its time limit) and whose records are
// written in bulk (`POST bulk`: 5,000 records, 5,000 runs, by anyone its create rule lets in)
// used to hold every delivery slot of the one first-in-first-out queue, and another app's run
// waited behind its whole backlog: here 2 waves of 3 s with a concurrency of 4 and 8 slow runs,
// so 6 s instead of a moment; at 5,000 runs of 60 s and the default 32, about 2.6 hours.
// Now the dispatcher claims per app in turns (`dueApps`, an index of each app's open runs) and
// no app holds more than perAppCap(4) = 3 slots: the quiet app's run starts at once.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { entityClient } from "../entities/entity-helpers.js";
import { sleep, startTestServer, type TestServer } from "../helpers.js";

let t: TestServer;

beforeAll(async () => {
  t = await startTestServer({ automationConcurrency: 4 });
}, 60_000);
afterAll(async () => {
  await t?.close();
});

/** An app whose `onTask` automation runs `code` for every Task created. */
async function appWith(name: string, code: string) {
  const e = await entityClient(t, name);
  await e.push({ Task: { name: "Task", properties: { n: { type: "number" } } } });
  await t.deploy(e.appId, "onTask", {
    entry: "entry.ts",
    files: [{ path: "entry.ts", content: code }],
    automations: [
      { name: "on-task", type: "entity", entity_name: "Task", event_types: ["create"] },
    ],
  });
  return e;
}

/** The runs of an app's automations, as the API lists them. */
async function runs(appId: string): Promise<{ status: string }[]> {
  const res = await t.admin(`/api/apps/${appId}/automations/runs`);
  expect(res.status).toBe(200);
  return ((await res.json()) as { runs: { status: string }[] }).runs;
}

describe("automations of two apps", () => {
  it("a quiet app's run is not held behind a flooding app's backlog", async () => {
    const flood = await appWith(
      "flood",
      `Deno.serve(async () => { await new Promise((r) => setTimeout(r, 3000)); return Response.json({}); });`,
    );
    const quiet = await appWith("quiet", `Deno.serve(() => Response.json({ ok: true }));`);
    // Warm both functions, so that what is measured is the queue, not a cold start.
    await t.invoke(flood.appId, "onTask", { method: "POST", body: "{}" });
    await t.invoke(quiet.appId, "onTask", { method: "POST", body: "{}" });

    const bulk = Array.from({ length: 8 }, (_, n) => ({ n }));
    await flood.ok(flood.admin, "POST", "Task/bulk", bulk, 201);
    await sleep(200);
    const written = performance.now();
    await quiet.ok(quiet.admin, "POST", "Task", { n: 1 }, 201);
    let waited = Number.POSITIVE_INFINITY;
    while (performance.now() - written < 10_000) {
      if ((await runs(quiet.appId)).some((r) => r.status === "succeeded")) {
        waited = performance.now() - written;
        break;
      }
      await sleep(50);
    }
    // The quiet app's function answers at once; its run should not wait for the flood's.
    expect(waited, "ms from the quiet app's write to its run's end").toBeLessThan(2_000);
  }, 30_000);
});
