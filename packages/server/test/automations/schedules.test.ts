/**
 * Scheduled automations against a real server and store, on a clock the tests move (the
 * server's `now`): each kind of schedule, how they end, one catch-up run after downtime,
 * enabling and disabling, run now, retries with backoff, and the run history with its log line.
 */
import { rm } from "node:fs/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startServer } from "../../src/server.js";
import { ADMIN_KEY, type TestServer } from "../helpers.js";
import {
  allowCollector,
  automationOptions,
  automationsApi,
  type Collector,
  clock,
  reporter,
  startAutomationServer,
  startCollector,
} from "./automation-helpers.js";

const c = clock();
let t: TestServer;
let col: Collector;

/** An app with `job` carrying `automation`; answers its API and the automation's id. */
async function scheduled(name: string, automation: Record<string, unknown>, status = 200) {
  const appId = await t.createApp(name);
  await allowCollector(t, appId, col);
  await t.deploy(appId, "job", {
    entry: "entry.ts",
    files: [{ path: "entry.ts", content: reporter(col.url, { status }) }],
    automations: [{ name, type: "scheduled", function_args: { from: name }, ...automation }],
  });
  const api = automationsApi(t, appId);
  const [a] = await api.list();
  return { appId, api, id: a!.id as string };
}

/** Moves the clock to `iso` and runs what is due; answers the scheduled_for of new runs. */
async function at(iso: string, api: ReturnType<typeof automationsApi>): Promise<string[]> {
  const before = new Set((await api.runs()).map((r) => r.id));
  c.set(iso);
  await t.server.automations.tick();
  return (await api.runs())
    .filter((r) => !before.has(r.id))
    .map((r) => `${r.scheduled_for ?? r.trigger} ${r.status}`)
    .reverse();
}

const OK = "succeeded";

beforeAll(async () => {
  t = await startAutomationServer(c);
  col = await startCollector();
});
afterAll(async () => {
  await t?.close();
  await col?.close();
});

describe("schedules run on the clock, in UTC", () => {
  it("one-time: once at its date (no zone: UTC), then ended", async () => {
    c.set("2026-12-01T00:00:00Z");
    col.received.length = 0;
    const { api } = await scheduled("once", {
      schedule_mode: "one-time",
      one_time_date: "2026-12-01T09:00:00",
    });
    expect((await api.list())[0]).toMatchObject({ next_run_at: "2026-12-01T09:00:00.000Z" });
    expect(await at("2026-12-01T08:59:59Z", api)).toEqual([]);
    expect(await at("2026-12-01T09:00:00Z", api)).toEqual([`2026-12-01T09:00:00.000Z ${OK}`]);
    expect(await at("2026-12-02T09:00:00Z", api)).toEqual([]);
    expect((await api.list())[0]).toMatchObject({ status: "ended", next_run_at: null });
    // A scheduled run's body is its function_args.
    expect(col.received.map((r) => (r.body as { body: unknown }).body)).toEqual([{ from: "once" }]);
  });

  it("cron: on its expression, until ends_after_count runs", async () => {
    c.set("2026-12-01T10:00:00Z");
    const { api } = await scheduled("cron", {
      schedule_mode: "recurring",
      schedule_type: "cron",
      cron_expression: "*/30 * * * *",
      ends_type: "after",
      ends_after_count: 3,
    });
    expect(await at("2026-12-01T10:29:00Z", api)).toEqual([]);
    expect(await at("2026-12-01T10:30:00Z", api)).toEqual([`2026-12-01T10:30:00.000Z ${OK}`]);
    expect(await at("2026-12-01T10:45:00Z", api)).toEqual([]);
    expect(await at("2026-12-01T11:00:30Z", api)).toEqual([`2026-12-01T11:00:00.000Z ${OK}`]);
    expect(await at("2026-12-01T11:30:00Z", api)).toEqual([`2026-12-01T11:30:00.000Z ${OK}`]);
    expect(await at("2026-12-01T12:00:00Z", api)).toEqual([]);
    expect((await api.list())[0]).toMatchObject({ status: "ended", run_count: 3 });
  });

  it("simple: every day at start_time, until ends_on_date (inclusive)", async () => {
    c.set("2026-12-01T12:00:00Z");
    const { api } = await scheduled("daily", {
      schedule_mode: "recurring",
      schedule_type: "simple",
      repeat_unit: "days",
      start_time: "06:00",
      ends_type: "on",
      ends_on_date: "2026-12-03",
    });
    expect(await at("2026-12-02T05:59:00Z", api)).toEqual([]);
    expect(await at("2026-12-02T06:00:00Z", api)).toEqual([`2026-12-02T06:00:00.000Z ${OK}`]);
    expect(await at("2026-12-03T07:00:00Z", api)).toEqual([`2026-12-03T06:00:00.000Z ${OK}`]);
    expect(await at("2026-12-04T06:00:00Z", api)).toEqual([]);
    expect((await api.list())[0]).toMatchObject({ status: "ended" });
  });

  it("simple: every 2 hours on Mondays only", async () => {
    c.set("2026-12-06T20:00:00Z"); // a Sunday
    const { api } = await scheduled("mondays", {
      schedule_mode: "recurring",
      schedule_type: "simple",
      repeat_unit: "hours",
      repeat_interval: 2,
      repeat_on_days: [1],
    });
    expect(await at("2026-12-06T23:00:00Z", api)).toEqual([]);
    expect(await at("2026-12-07T00:00:00Z", api)).toEqual([`2026-12-07T00:00:00.000Z ${OK}`]);
    expect(await at("2026-12-07T02:00:00Z", api)).toEqual([`2026-12-07T02:00:00.000Z ${OK}`]);
    expect((await api.list())[0]).toMatchObject({ next_run_at: "2026-12-07T04:00:00.000Z" });
    expect(await at("2026-12-08T00:00:00Z", api)).toEqual([`2026-12-07T22:00:00.000Z ${OK}`]);
    expect((await api.list())[0]).toMatchObject({ next_run_at: "2026-12-14T00:00:00.000Z" });
  });

  it("a cadence under 5 minutes is refused at deploy, naming the automation and field", async () => {
    const appId = await t.createApp("too-often");
    const res = await t.admin(`/api/apps/${appId}/backend-functions/job`, {
      method: "PUT",
      body: JSON.stringify({
        entry: "entry.ts",
        files: [{ path: "entry.ts", content: "Deno.serve(() => new Response())" }],
        automations: [
          {
            name: "every-minute",
            type: "scheduled",
            schedule_mode: "recurring",
            schedule_type: "cron",
            cron_expression: "* * * * *",
          },
        ],
      }),
    });
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({
      code: "INVALID_AUTOMATION",
      field: "automations[0].cron_expression",
      error:
        'Invalid automation "every-minute" of "job": cron_expression: runs every 1 minute, more often than every 5 minutes: "* * * * *"',
    });
    expect(
      (await (await t.admin(`/api/apps/${appId}/backend-functions`)).json()) as object,
    ).toEqual({
      functions: [],
    });
  });
});

describe("enabling, disabling and running now", () => {
  it("a disabled schedule does not run; enabled again, it runs from then on without catching up", async () => {
    c.set("2026-12-01T00:00:00Z");
    const { api, id } = await scheduled("toggle", {
      schedule_mode: "recurring",
      schedule_type: "cron",
      cron_expression: "0 * * * *",
    });
    await api.patch(id, { is_active: false });
    expect((await api.list())[0]).toMatchObject({ status: "disabled", next_run_at: null });
    expect(await at("2026-12-01T05:00:00Z", api)).toEqual([]);
    const enabled = await api.patch(id, { is_active: true });
    expect(enabled).toMatchObject({ status: "active", next_run_at: "2026-12-01T06:00:00.000Z" });
    expect(await at("2026-12-01T05:30:00Z", api)).toEqual([]);
    expect(await at("2026-12-01T06:00:00Z", api)).toEqual([`2026-12-01T06:00:00.000Z ${OK}`]);
  });

  it("run now runs at once with the function_args, even when disabled", async () => {
    col.received.length = 0;
    c.set("2026-12-01T00:00:00Z");
    const { api, id } = await scheduled("manual", {
      schedule_mode: "one-time",
      one_time_date: "2027-06-01T00:00:00Z",
      is_active: false,
    });
    const queued = await api.runNow(id);
    expect(queued).toMatchObject({ trigger: "manual", status: "queued", automation_id: id });
    await t.server.automations.tick();
    const [run] = await api.runs(id);
    expect(run).toMatchObject({ id: queued.id, trigger: "manual", status: OK, http_status: 200 });
    expect(col.received.map((r) => (r.body as { body: unknown }).body)).toEqual([
      { from: "manual" },
    ]);
  });
});

describe("failures, retries and the run history", () => {
  it("a 5xx is retried after 30 s, 2 min and 10 min, then failed; its log line names the run", async () => {
    c.set("2026-12-01T00:00:00Z");
    const { appId, api, id } = await scheduled(
      "flaky",
      { schedule_mode: "one-time", one_time_date: "2026-12-01T01:00:00Z" },
      503,
    );
    const history = async () => {
      const [r] = await api.runs(id);
      return [r!.status, r!.attempts, r!.next_attempt_at];
    };
    await at("2026-12-01T01:00:00Z", api);
    expect(await history()).toEqual(["queued", 1, "2026-12-01T01:00:30.000Z"]);
    await at("2026-12-01T01:00:29Z", api);
    expect(await history()).toEqual(["queued", 1, "2026-12-01T01:00:30.000Z"]);
    await at("2026-12-01T01:00:30Z", api);
    expect(await history()).toEqual(["queued", 2, "2026-12-01T01:02:30.000Z"]);
    await at("2026-12-01T01:02:30Z", api);
    expect(await history()).toEqual(["queued", 3, "2026-12-01T01:12:30.000Z"]);
    await at("2026-12-01T01:12:30Z", api);
    expect(await history()).toEqual(["failed", 4, null]);
    const [run] = await api.runs(id);
    expect(run).toMatchObject({
      trigger: "schedule",
      scheduled_for: "2026-12-01T01:00:00.000Z",
      http_status: 503,
      automation_name: "flaky",
      function_name: "job",
    });
    expect(run!.error).toMatch(/^HTTP 503: /);
    expect(typeof run!.duration_ms).toBe("number");
    // The platform's line for the attempt carries the request id of the function's own lines.
    const logs = (await (
      await t.admin(`/api/apps/${appId}/functions-mgmt/job/logs?limit=100`)
    ).json()) as { message: string; request_id: string | null; source: string; level: string }[];
    const line = logs.find((l) => l.request_id === run!.request_id && l.source === "platform");
    expect(line?.level).toBe("error");
    expect(line?.message).toContain(
      `Automation "flaky" (${id}), run ${run!.id} (schedule 2026-12-01T01:00:00.000Z), attempt 4: failed: HTTP 503`,
    );
    // Counted per automation in the metrics.
    const metrics = (await (await t.admin(`/api/apps/${appId}/metrics`)).json()) as {
      automations: { id: string; attempts: Record<string, number> }[];
    };
    expect(metrics.automations.find((m) => m.id === id)?.attempts).toEqual({
      succeeded: 0,
      failed: 1,
      retried: 3,
      skipped: 0,
    });
  });

  it("a 4xx is the function's own answer: failed at once, not retried", async () => {
    c.set("2026-12-01T00:00:00Z");
    const { api, id } = await scheduled(
      "refused",
      { schedule_mode: "one-time", one_time_date: "2026-12-01T01:00:00Z" },
      403,
    );
    await at("2026-12-01T01:00:00Z", api);
    const [run] = await api.runs(id);
    expect(run).toMatchObject({ status: "failed", attempts: 1, http_status: 403 });
    const failed = await api.call<{ runs: unknown[] }>("GET", "/runs?status=failed");
    expect(failed.runs).toHaveLength(1);
    expect(await api.call("GET", `/runs/${run!.id}`)).toEqual(run);
  });
});

describe("downtime", () => {
  it("ticks missed while the server was down make one catch-up run, for the latest; none runs twice", async () => {
    c.set("2026-12-01T12:30:00Z");
    const { appId, api, id } = await scheduled("hourly", {
      schedule_mode: "recurring",
      schedule_type: "cron",
      cron_expression: "0 * * * *",
    });
    expect(await at("2026-12-01T13:00:00Z", api)).toEqual([`2026-12-01T13:00:00.000Z ${OK}`]);
    const dataDir = t.dataDir;
    await t.server.close();
    c.set("2026-12-01T23:10:00Z");
    const again = await startServer({
      port: 0,
      dataDir,
      adminKey: ADMIN_KEY,
      ...automationOptions(c),
    });
    try {
      await again.automations.tick();
      const get = async (path: string) =>
        (await (
          await fetch(`${again.url}/api/apps/${appId}/automations${path}`, {
            headers: { api_key: ADMIN_KEY },
          })
        ).json()) as Record<string, unknown>;
      const { runs } = (await get(`/${id}/runs`)) as { runs: Record<string, unknown>[] };
      // 13:00 ran before the restart and not again; 14:00 to 23:00 make one run, for 23:00.
      expect(runs.map((r) => [r.scheduled_for, r.status])).toEqual([
        ["2026-12-01T23:00:00.000Z", OK],
        ["2026-12-01T13:00:00.000Z", OK],
      ]);
      expect(await get(`/${id}`)).toMatchObject({ next_run_at: "2026-12-02T00:00:00.000Z" });
    } finally {
      await again.close();
      await rm(dataDir, { recursive: true, force: true });
    }
  });
});
