import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { expectError, sleep, startTestServer, type TestServer } from "../helpers.js";
import { openStream, queryLogs, waitForLogs } from "./log-helpers.js";

const LEVELS_FN = `
console.log("module scope");
Deno.serve(async (req) => {
  const tag = new URL(req.url).searchParams.get("tag") ?? "none";
  console.debug("debug", tag);
  console.log("info", tag);
  await new Promise((r) => setTimeout(r, 5));
  console.warn("warning", tag);
  console.error("error", tag);
  return new Response("ok");
});
`;
const BROKEN_FN = `throw new Error("boom at boot");`;
const CRASHER_FN = `
Deno.serve(() => {
  setTimeout(() => Deno.exit(3), 20);
  return new Response("bye");
});
`;
const NAME = "obs/levels";

let t: TestServer;
let appId: string;

beforeAll(async () => {
  t = await startTestServer();
  appId = await t.createApp("logs");
  await t.deploy(appId, NAME, LEVELS_FN);
  await t.deploy(appId, "broken", BROKEN_FN);
  await t.deploy(appId, "crasher", CRASHER_FN);
});
afterAll(() => t?.close());

const fnLines = (tag: string) => (l: { message: string }) => l.message.endsWith(` ${tag}`);

describe("function logs", () => {
  it("shows lines of each level in the query within one second, with the request id", async () => {
    const res = await t.invoke(appId, `${NAME}?tag=q1`);
    expect(await res.text()).toBe("ok");
    const started = Date.now();
    const requestId = res.headers.get("x-request-id");
    expect(requestId).toBeTruthy();
    const lines = await waitForLogs(t, appId, NAME, (ls) => ls.filter(fnLines("q1")).length >= 4);
    expect(Date.now() - started).toBeLessThan(1_000);
    const mine = lines.filter(fnLines("q1"));
    expect(mine.map((l) => [l.level, l.message])).toEqual([
      ["debug", "debug q1"],
      ["info", "info q1"],
      ["warning", "warning q1"],
      ["error", "error q1"],
    ]);
    for (const l of mine) {
      expect(l.request_id).toBe(requestId);
      expect(l.source).toBe("function");
      expect(Number.isNaN(Date.parse(l.time))).toBe(false);
    }
    const moduleLine = lines.find((l) => l.message === "module scope");
    expect(moduleLine?.request_id).toBeNull();
    expect(lines.some((l) => l.source === "platform" && /cold start \d+ ms/.test(l.message))).toBe(
      true,
    );
  });

  it("streams every level live to a reader subscribed before the call", async () => {
    const stream = await openStream(t, appId, `function=${encodeURIComponent(NAME)},other`);
    try {
      const res = await t.invoke(appId, `${NAME}?tag=s1`);
      await res.text();
      const events = await stream.until((es) => es.filter(fnLines("s1")).length >= 4, 1_000);
      const mine = events.filter(fnLines("s1"));
      expect(mine.map((e) => e.level)).toEqual(["debug", "info", "warning", "error"]);
      for (const e of mine) {
        expect(e.function).toBe(NAME);
        expect(e.request_id).toBe(res.headers.get("x-request-id"));
      }
    } finally {
      stream.close();
    }
  });

  it("streams only the functions and level asked for", async () => {
    const stream = await openStream(t, appId, "function=crasher&level=warning");
    try {
      await (await t.invoke(appId, `${NAME}?tag=s2`)).text();
      await sleep(300);
      expect(stream.events).toEqual([]);
    } finally {
      stream.close();
    }
  });

  it("filters by level at that level and above", async () => {
    await (await t.invoke(appId, `${NAME}?tag=lv`)).text();
    await waitForLogs(t, appId, NAME, (ls) => ls.filter(fnLines("lv")).length >= 4);
    const warn = (await queryLogs(t, appId, NAME, "level=warning&limit=1000")).filter(
      fnLines("lv"),
    );
    expect(warn.map((l) => l.level).sort()).toEqual(["error", "warning"]);
    const err = (await queryLogs(t, appId, NAME, "level=error")).filter(fnLines("lv"));
    expect(err.map((l) => l.level)).toEqual(["error"]);
    const all = (await queryLogs(t, appId, NAME, "level=debug&limit=1000")).filter(fnLines("lv"));
    expect(all).toHaveLength(4);
  });

  it("filters by time and honours order and limit", async () => {
    await sleep(20);
    const before = new Date().toISOString();
    await sleep(20);
    await (await t.invoke(appId, `${NAME}?tag=tm`)).text();
    await waitForLogs(t, appId, NAME, (ls) => ls.filter(fnLines("tm")).length >= 4);
    await sleep(20);
    const after = new Date().toISOString();

    const window = await queryLogs(
      t,
      appId,
      NAME,
      `since=${before}&until=${after}&order=asc&limit=1000`,
    );
    expect(window.filter((l) => l.source === "function").map((l) => l.message)).toEqual([
      "debug tm",
      "info tm",
      "warning tm",
      "error tm",
    ]);
    expect(await queryLogs(t, appId, NAME, `since=${after}`)).toEqual([]);
    const older = await queryLogs(t, appId, NAME, `until=${before}&limit=1000`);
    expect(older.some(fnLines("tm"))).toBe(false);
    expect(older.length).toBeGreaterThan(0);

    const newest = await queryLogs(t, appId, NAME, "limit=2");
    expect(newest.map((l) => l.message)).toEqual(["error tm", "warning tm"]);
    const oldest = await queryLogs(t, appId, NAME, "limit=1&order=asc");
    expect(oldest.map((l) => l.message)).not.toContain("error tm");
  });

  it("answers 400 INVALID_QUERY to bad parameters", async () => {
    const base = `/api/apps/${appId}/functions-mgmt/${encodeURIComponent(NAME)}/logs`;
    for (const q of [
      "limit=0",
      "limit=1001",
      "limit=ten",
      "limit=1.5",
      "level=verbose",
      "order=up",
      "since=yesterday",
      "until=",
      "since=2025-01-02T00:00:00Z&until=2025-01-01T00:00:00Z",
    ]) {
      await expectError(await t.admin(`${base}?${q}`), 400, "INVALID_QUERY");
    }
    const stream = `/api/apps/${appId}/functions-mgmt/logs/stream`;
    await expectError(await t.admin(`${stream}?function=a,,b`), 400, "INVALID_QUERY");
    await expectError(await t.admin(`${stream}?level=loud`), 400, "INVALID_QUERY");
    await expectError(await fetch(`${t.url}${base}`), 401, "UNAUTHORIZED");
    await expectError(await t.admin("/api/apps/nope/functions-mgmt/x/logs"), 404, "APP_NOT_FOUND");
  });

  it("records a boot failure with the error and its stack", async () => {
    const res = await t.invoke(appId, "broken");
    expect(res.status).toBe(502);
    const lines = await waitForLogs(t, appId, "broken", (ls) =>
      ls.some((l) => l.source === "platform" && l.level === "error"),
    );
    const boot = lines.find((l) => l.source === "function" && l.message.includes("boom at boot"));
    expect(boot?.level).toBe("error");
    expect(boot?.message).toMatch(/at .*entry\.ts/);
    const platform = lines.find((l) => l.source === "platform" && l.level === "error");
    expect(platform?.message).toMatch(/failed to start: .*boom at boot/);
  });

  it("records a crash with the exit reason", async () => {
    const res = await t.invoke(appId, "crasher");
    expect(await res.text()).toBe("bye");
    const lines = await waitForLogs(
      t,
      appId,
      "crasher",
      (ls) => ls.some((l) => /crashed/.test(l.message)),
      { ms: 3_000 },
    );
    const crash = lines.find((l) => /crashed/.test(l.message));
    expect(crash).toMatchObject({ level: "error", source: "platform" });
    expect(crash?.message).toMatch(/exited with code 3/);
  });

  it("serves metrics per function as Prometheus text and JSON", async () => {
    await expectError(await fetch(`${t.url}/metrics`), 401, "UNAUTHORIZED");
    const res = await t.admin("/metrics");
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/^text\/plain/);
    const text = await res.text();
    // Every series names the node (the host name and process id unless set).
    const node = `node="${t.server.nodeId}"`;
    const label = `${node},app="${appId}",function="${NAME}"`;
    const count = Number(
      new RegExp(`fnbase_invocations_total\\{${label}\\} (\\d+)`).exec(text)?.[1],
    );
    expect(count).toBeGreaterThanOrEqual(5);
    expect(text).toContain(`fnbase_responses_total{${label},class="2xx"} ${count}`);
    expect(text).toContain(`fnbase_invocation_duration_seconds_count{${label}} ${count}`);
    expect(text).toContain(`fnbase_cold_starts_total{${label}} 1`);
    // Starts from a spare take a few ms: the cold start histogram resolves them.
    expect(text).toMatch(
      new RegExp(`fnbase_cold_start_duration_seconds_bucket\\{${label},le="0.005"\\} [01]\n`),
    );
    expect(text).toContain(`fnbase_instances_running{${label}} 1`);
    expect(text).toMatch(
      new RegExp(
        `fnbase_responses_total\\{${node},app="${appId}",function="broken",class="5xx"\\} 1`,
      ),
    );

    const json = (await (await t.admin(`/api/apps/${appId}/metrics`)).json()) as {
      functions: {
        name: string;
        invocations: number;
        responses: Record<string, number>;
        cold_starts: { count: number; avg_ms: number };
        instances_running: number;
        bytes_out: number;
        log_lines: number;
      }[];
    };
    const fn = json.functions.find((f) => f.name === NAME);
    expect(fn).toMatchObject({ invocations: count, instances_running: 1 });
    expect(fn?.responses["2xx"]).toBe(count);
    expect(fn?.cold_starts.count).toBe(1);
    expect(fn?.cold_starts.avg_ms).toBeGreaterThan(0);
    expect(fn?.bytes_out).toBe(2 * count);
    expect(fn?.log_lines).toBeGreaterThanOrEqual(4 * count);
  });
});
