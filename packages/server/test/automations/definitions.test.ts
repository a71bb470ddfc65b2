/**
 * Defining automations: deploys (normalised and echoed by `GET backend-functions`, kept when
 * a deploy has no `automations`, replaced when it has, removed with the function, restored by
 * a rollback) and the automations API (for apps without `function.jsonc`).
 */
import { beforeAll, describe, expect, it } from "vitest";
import { expectError, type TestServer } from "../helpers.js";
import { automationsApi, clock, startAutomationServer } from "./automation-helpers.js";

const c = clock("2026-12-01T00:00:00Z");
let t: TestServer;
const CODE = "Deno.serve(() => Response.json({ ok: true }))";

const body = (automations?: unknown[]) => ({
  entry: "entry.ts",
  files: [{ path: "entry.ts", content: CODE }],
  ...(automations === undefined ? {} : { automations }),
});
const NIGHTLY = {
  name: "nightly",
  type: "scheduled",
  schedule_mode: "recurring",
  schedule_type: "cron",
  cron_expression: "0 2 * * *",
  unknown_key: "dropped",
};
const ON_TASK = { type: "entity", name: "on-task", entity_name: "Task", event_types: ["create"] };

async function listed(appId: string) {
  const res = await t.admin(`/api/apps/${appId}/backend-functions`);
  return ((await res.json()) as { functions: { name: string; automations: unknown }[] }).functions;
}

beforeAll(async () => {
  t = await startAutomationServer(c);
  return () => t.close();
});

describe("automations in deploys", () => {
  it("are normalised as the Base44 CLI does and echoed exactly, always as an array", async () => {
    const appId = await t.createApp("echo");
    await t.deploy(appId, "job", body([NIGHTLY, ON_TASK]));
    await t.deploy(appId, "plain", body());
    const fns = await listed(appId);
    expect(fns.map((f) => [f.name, f.automations])).toEqual([
      [
        "job",
        [
          {
            name: "nightly",
            is_active: true,
            type: "scheduled",
            schedule_mode: "recurring",
            schedule_type: "cron",
            cron_expression: "0 2 * * *",
            ends_type: "never",
          },
          {
            name: "on-task",
            is_active: true,
            type: "entity",
            entity_name: "Task",
            event_types: ["create"],
          },
        ],
      ],
      ["plain", []],
    ]);
    const job = fns[0]!.automations as Record<string, unknown>[];
    expect(Object.keys(job[0]!)).toEqual([
      "name",
      "is_active",
      "type",
      "schedule_mode",
      "schedule_type",
      "cron_expression",
      "ends_type",
    ]);
    // The same deploy again is unchanged.
    expect((await t.deploy(appId, "job", body([NIGHTLY, ON_TASK]))).status).toBe("unchanged");
  });

  it("a deploy without automations keeps them; with some, they become exactly those", async () => {
    const appId = await t.createApp("keep");
    const api = automationsApi(t, appId);
    await t.deploy(appId, "job", body([NIGHTLY, ON_TASK]));
    const before = await api.list();
    await t.deploy(appId, "job", {
      ...body(),
      files: [{ path: "entry.ts", content: `${CODE}\n` }],
    });
    expect((await api.list()).map((a) => a.id)).toEqual(before.map((a) => a.id));

    // Listed again with a change: same id (history kept); the one left out is gone.
    await t.deploy(appId, "job", body([{ ...NIGHTLY, cron_expression: "0 3 * * *" }]));
    const after = await api.list();
    expect(after.map((a) => [a.id, a.cron_expression, a.next_run_at])).toEqual([
      [before[0]!.id, "0 3 * * *", "2026-12-01T03:00:00.000Z"],
    ]);
    await t.deploy(appId, "job", body([]));
    expect(await api.list()).toEqual([]);
    expect((await listed(appId))[0]!.automations).toEqual([]);
  });

  it("is_active comes from the file at each deploy; enable and disable last until then", async () => {
    const appId = await t.createApp("active");
    const api = automationsApi(t, appId);
    await t.deploy(appId, "job", body([NIGHTLY]));
    const [a] = await api.list();
    await api.patch(a!.id as string, { is_active: false });
    // The echo shows the state, so `base44 functions pull` writes what runs.
    expect((await listed(appId))[0]!.automations).toMatchObject([{ is_active: false }]);
    await t.deploy(appId, "job", body([NIGHTLY]));
    expect((await api.list())[0]).toMatchObject({ is_active: true, status: "active" });
  });

  it("go with their function when it is deleted; a rollback brings back the deployment's", async () => {
    const appId = await t.createApp("lifecycle");
    const api = automationsApi(t, appId);
    await t.deploy(appId, "job", body([NIGHTLY]));
    await t.deploy(appId, "job", body([ON_TASK]));
    expect((await api.list()).map((a) => a.name)).toEqual(["on-task"]);
    const back = await t.admin(`/api/apps/${appId}/backend-functions/job/rollback`, {
      method: "POST",
    });
    expect(back.status).toBe(200);
    expect((await api.list()).map((a) => a.name)).toEqual(["nightly"]);
    await t.admin(`/api/apps/${appId}/backend-functions/job`, { method: "DELETE" });
    expect(await api.list()).toEqual([]);
  });

  it("a bad one refuses the whole deploy, naming it and its field; nothing changes", async () => {
    const appId = await t.createApp("refused");
    await t.deploy(appId, "job", body([NIGHTLY]));
    const res = await t.admin(`/api/apps/${appId}/backend-functions/job`, {
      method: "PUT",
      body: JSON.stringify(body([NIGHTLY, { ...ON_TASK, event_types: ["create", "archive"] }])),
    });
    const err = await expectError(res, 400, "INVALID_AUTOMATION");
    expect(err).toMatchObject({
      error:
        'Invalid automation "on-task" of "job": event_types[1]: must be one of "create", "update", "delete": "archive"',
      field: "automations[1].event_types[1]",
    });
    expect((await automationsApi(t, appId).list()).map((a) => a.name)).toEqual(["nightly"]);
    const dup = await t.admin(`/api/apps/${appId}/backend-functions/job`, {
      method: "PUT",
      body: JSON.stringify(body([NIGHTLY, NIGHTLY])),
    });
    expect((await expectError(dup, 400, "INVALID_AUTOMATION")).error).toContain(
      "appears more than once",
    );
  });
});

describe("the cadence floor", () => {
  it("is a server option: a server allowing 1 minute takes a cron every minute", async () => {
    await using fast = await startAutomationServer(c, { automationMinIntervalMs: 60_000 });
    const appId = await fast.createApp("fast");
    const every = { ...NIGHTLY, cron_expression: "* * * * *" };
    await fast.deploy(appId, "job", body([every]));
    const [a] = await automationsApi(fast, appId).list();
    expect(a).toMatchObject({
      cron_expression: "* * * * *",
      next_run_at: "2026-12-01T00:01:00.000Z",
    });
    const slow = await t.admin(`/api/apps/${await t.createApp("slow")}/backend-functions/job`, {
      method: "PUT",
      body: JSON.stringify(body([every])),
    });
    await expectError(slow, 400, "INVALID_AUTOMATION");
  });
});

describe("the automations API", () => {
  it("creates automations for a function without function.jsonc; deploys without the key keep them", async () => {
    const appId = await t.createApp("api");
    const api = automationsApi(t, appId);
    await t.deploy(appId, "report", body());
    const created = await api.create({
      function_name: "report",
      name: "weekly",
      type: "scheduled",
      schedule_mode: "recurring",
      schedule_type: "simple",
      repeat_unit: "weeks",
      repeat_on_days: [1],
      start_time: "08:00",
      function_args: { scope: "all" },
    });
    expect(created).toMatchObject({
      function_name: "report",
      name: "weekly",
      source: "api",
      status: "active",
      is_active: true,
      owner: null,
      function_args: { scope: "all" },
      next_run_at: "2026-12-07T08:00:00.000Z",
      last_run: null,
    });
    await t.deploy(appId, "report", {
      ...body(),
      files: [{ path: "entry.ts", content: `${CODE}//2` }],
    });
    expect((await api.list()).map((a) => a.id)).toEqual([created.id]);
    // Echoed by GET backend-functions, so `base44 functions pull` writes it into function.jsonc.
    expect((await listed(appId))[0]!.automations).toEqual([
      {
        name: "weekly",
        function_args: { scope: "all" },
        is_active: true,
        type: "scheduled",
        schedule_mode: "recurring",
        schedule_type: "simple",
        repeat_unit: "weeks",
        start_time: "08:00",
        repeat_on_days: [1],
        ends_type: "never",
      },
    ]);
    const patched = await api.patch(created.id as string, { start_time: "09:30" });
    expect(patched).toMatchObject({ start_time: "09:30", next_run_at: "2026-12-07T09:30:00.000Z" });
    const got = await api.call<Record<string, unknown>>("GET", `/${created.id}`);
    expect(got).toEqual(patched);
    await api.call("DELETE", `/${created.id}`);
    expect(await api.list()).toEqual([]);
  });

  it("refuses what cannot be: a missing function, a taken name, a bad field, a rename, an unknown id", async () => {
    const appId = await t.createApp("api-errors");
    const api = automationsApi(t, appId);
    await t.deploy(appId, "job", body([ON_TASK]));
    const post = (b: unknown) =>
      t.admin(`/api/apps/${appId}/automations`, { method: "POST", body: JSON.stringify(b) });
    await expectError(await post({ ...ON_TASK, function_name: "nope" }), 404, "FUNCTION_NOT_FOUND");
    await expectError(await post({ ...ON_TASK, function_name: "job" }), 409, "CONFLICT");
    const bad = await expectError(
      await post({ ...ON_TASK, name: "x", function_name: "job", entity_name: "" }),
      400,
      "INVALID_AUTOMATION",
    );
    expect(bad).toMatchObject({ field: "automation.entity_name" });
    const [a] = await api.list();
    const rename = await t.admin(`/api/apps/${appId}/automations/${a!.id}`, {
      method: "PATCH",
      body: JSON.stringify({ name: "other" }),
    });
    await expectError(rename, 400, "INVALID_AUTOMATION");
    const missing = await t.admin(`/api/apps/${appId}/automations/ffffffffffffffffffffffff/run`, {
      method: "POST",
    });
    await expectError(missing, 404, "AUTOMATION_NOT_FOUND");
    const noKey = await fetch(`${t.url}/api/apps/${appId}/automations`);
    await expectError(noKey, 401, "UNAUTHORIZED");
    await expectError(
      await t.admin(`/api/apps/${appId}/automations/runs?limit=0`),
      400,
      "INVALID_QUERY",
    );
  });
});
