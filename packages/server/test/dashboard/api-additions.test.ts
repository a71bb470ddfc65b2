/**
 * What the dashboard reads beyond the contract: every function's log lines of one request or
 * holding a text (`GET functions-mgmt/logs`), and the metrics series of the last hour or day.
 */
import { afterAll, beforeAll, expect, it } from "vitest";
import { expectError, sleep, startTestServer, type TestServer } from "../helpers.js";

let t: TestServer;
let appId: string;

beforeAll(async () => {
  t = await startTestServer();
  appId = await t.createApp("additions");
  await t.deploy(
    appId,
    "talk",
    `Deno.serve((req) => { console.log("said " + new URL(req.url).searchParams.get("w")); return new Response("ok"); });`,
  );
  await t.deploy(appId, "fail", `Deno.serve(() => new Response("no", { status: 503 }));`);
});
afterAll(() => t?.close());

interface Line {
  function: string;
  message: string;
  request_id: string | null;
}

it("finds a request's lines across functions, and lines holding a text", async () => {
  const ids: string[] = [];
  for (const w of ["apple", "pear", "100%_sure"]) {
    const res = await t.invoke(appId, `talk?w=${encodeURIComponent(w)}`);
    await res.text();
    ids.push(res.headers.get("x-request-id")!);
  }
  // An instance's lines reach the store a moment after its answer: wait for the last one.
  const lines = async (query: string) =>
    (await (await t.admin(`/api/apps/${appId}/functions-mgmt/logs?${query}`)).json()) as Line[];
  for (let i = 0; i < 250 && (await lines(`request_id=${ids[2]}`)).length === 0; i++) {
    await sleep(20);
  }
  const byId = await lines(`request_id=${ids[1]}`);
  expect(byId.map((l) => l.message)).toEqual(["said pear"]);
  expect(byId[0]).toMatchObject({ function: "talk", request_id: ids[1] });
  const search = async (q: string) =>
    (
      (await (
        await t.admin(`/api/apps/${appId}/functions-mgmt/logs?q=${encodeURIComponent(q)}`)
      ).json()) as Line[]
    ).map((l) => l.message);
  expect(await search("APPLE")).toEqual(["said apple"]);
  // % and _ are text, not wildcards.
  expect(await search("0%_")).toEqual(["said 100%_sure"]);
  expect(await search("%")).toEqual(["said 100%_sure"]);
  const one = await t.admin(`/api/apps/${appId}/functions-mgmt/talk/logs?request_id=${ids[0]}`);
  expect(((await one.json()) as Line[]).map((l) => l.message)).toEqual(["said apple"]);
  await expectError(
    await t.admin(`/api/apps/${appId}/functions-mgmt/logs?q=${"x".repeat(201)}`),
    400,
    "INVALID_QUERY",
  );
});

it("answers the last hour's series per function and in all", async () => {
  for (let i = 0; i < 3; i++) await (await t.invoke(appId, "fail")).text();
  type Series = {
    step_seconds: number;
    times: number[];
    total: { invocations: number[]; errors: number[]; p95_ms: (number | null)[] };
    functions: Record<string, { invocations: number[]; cold_starts: number[] }>;
  };
  const sum = (a: number[]) => a.reduce((x, y) => x + y, 0);
  let s: Series | undefined;
  // Calls the front answered itself reach Node's counters in batches.
  for (let i = 0; i < 100; i++) {
    const res = await t.admin(`/api/apps/${appId}/metrics/series?range=1h`);
    expect(res.status).toBe(200);
    s = (await res.json()) as Series;
    if (sum(s.functions.fail?.invocations ?? []) >= 3) break;
    await sleep(20);
  }
  if (!s) throw new Error("no series");
  expect(s.step_seconds).toBe(60);
  expect(s.times).toHaveLength(60);
  expect(sum(s.functions.fail!.invocations)).toBe(3);
  expect(sum(s.functions.fail!.cold_starts)).toBe(1);
  expect(sum(s.total.errors)).toBe(3);
  expect(sum(s.total.invocations)).toBeGreaterThanOrEqual(3);
  expect(s.total.p95_ms.some((v) => v !== null)).toBe(true);
  expect((await t.admin(`/api/apps/${appId}/metrics/series?range=24h`)).status).toBe(200);
  await expectError(
    await t.admin(`/api/apps/${appId}/metrics/series?range=7d`),
    400,
    "INVALID_QUERY",
  );
});
