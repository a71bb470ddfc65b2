import { rm } from "node:fs/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cli, cliJson, startTestServer, type TestServer, tempDir, writeFiles } from "./helpers.js";

let t: TestServer;
let project: string;
let appId: string;

/** A function that answers 200, or 500 when its function_args say `fail`. */
const JOB = `Deno.serve(async (req) => {
  const args = await req.json();
  return Response.json({ ok: !args.fail }, { status: args.fail ? 500 : 200 });
});
`;

beforeAll(async () => {
  t = await startTestServer();
  appId = (await t.server.createApp("automations-cli")).id;
  project = await tempDir();
  await writeFiles(project, {
    "base44/config.jsonc": "{}\n",
    "base44/.app.jsonc": JSON.stringify({ id: appId }),
    "base44/functions/job/entry.ts": JOB,
    "base44/functions/job/function.jsonc": JSON.stringify({
      name: "job",
      entry: "entry.ts",
      automations: [
        {
          name: "nightly",
          type: "scheduled",
          schedule_mode: "recurring",
          schedule_type: "cron",
          cron_expression: "0 3 * * *",
        },
        {
          name: "broken",
          type: "scheduled",
          schedule_mode: "one-time",
          one_time_date: "2099-01-01T00:00:00Z",
          function_args: { fail: true },
        },
      ],
    }),
    "base44/functions/other/entry.ts": JOB,
    "base44/functions/other/function.jsonc": JSON.stringify({
      name: "other",
      entry: "entry.ts",
      automations: [
        { name: "nightly", type: "entity", entity_name: "Task", event_types: ["create"] },
      ],
    }),
  });
  const deployed = await cli(["deploy"], { cwd: project, env: t.env() });
  expect(deployed.code, deployed.stdout + deployed.stderr).toBe(0);
});
afterAll(async () => {
  await t.close();
  await rm(project, { recursive: true, force: true });
});

const run = (args: string[]) => cli(args, { cwd: project, env: t.env() });
const runJson = <T = Record<string, unknown>>(args: string[]) =>
  cliJson<T>(args, { cwd: project, env: t.env() });

interface Automation {
  id: string;
  name: string;
  function_name: string;
  status: string;
  next_run_at: string | null;
}

describe("fnbase automations", () => {
  it("list shows each automation with what triggers it and its next run", async () => {
    const r = await runJson<{ automations: Automation[] }>(["automations", "list"]);
    expect(r.code).toBe(0);
    expect(r.json.automations.map((a) => `${a.function_name}:${a.name} ${a.status}`)).toEqual([
      "job:nightly active",
      "job:broken active",
      "other:nightly active",
    ]);
    const human = await run(["automations", "list"]);
    expect(human.stdout).toContain("job:nightly");
    expect(human.stdout).toContain('cron "0 3 * * *"');
    expect(human.stdout).toContain("on create of Task");
    expect(human.stdout).toMatch(/next \d{4}-\d{2}-\d{2}T03:00:00\.000Z\s+never ran/);
  });

  it("disable and enable switch one without a deploy; a shared name needs its function", async () => {
    const ambiguous = await runJson<{ code: string; error: string }>([
      "automations",
      "disable",
      "nightly",
    ]);
    expect(ambiguous.code).toBe(2);
    expect(ambiguous.json.error).toContain("job:nightly, other:nightly");
    const off = await runJson<{ automation: Automation }>([
      "automations",
      "disable",
      "job:nightly",
    ]);
    expect(off.json.automation).toMatchObject({ status: "disabled", next_run_at: null });
    const on = await run(["automations", "enable", "job:nightly"]);
    expect(on.code).toBe(0);
    expect(on.stdout).toMatch(/^job:nightly active \(next run .*T03:00:00\.000Z\)/);
  });

  it("run runs it now and waits: exit 0 when it succeeds, 1 when it fails", async () => {
    const ok = await runJson<{ run: { status: string; http_status: number; trigger: string } }>([
      "automations",
      "run",
      "job:nightly",
    ]);
    expect(ok.code).toBe(0);
    expect(ok.json.run).toMatchObject({ status: "succeeded", http_status: 200, trigger: "manual" });
    // A 500 is retried later (after 30 s): run reports the first attempt and exits 1.
    const broken = await run(["automations", "run", "broken"]);
    expect(broken.code).toBe(1);
    expect(broken.stdout).toMatch(/QUEUED\s+broken\s+run now/);
    expect(broken.stdout).toContain("HTTP 500");
    expect(broken.stderr).toMatch(/It will be tried again at \d{4}-/);
  });

  it("runs lists the history, newest first, with status, duration and request id", async () => {
    const r = await runJson<{ runs: { automation_name: string; status: string }[] }>([
      "automations",
      "runs",
    ]);
    expect(r.json.runs.map((x) => [x.automation_name, x.status])).toEqual([
      ["broken", "queued"],
      ["nightly", "succeeded"],
    ]);
    const one = await run(["automations", "runs", "job:nightly"]);
    expect(one.stdout).toMatch(/SUCCEEDED\s+nightly\s+run now\s+\d+ ms\s+request [0-9a-f-]{36}/);
    const none = await run(["automations", "runs", "--status", "failed"]);
    expect(none.stdout).toContain("No runs yet");
  });

  it("an unknown automation exits 4", async () => {
    const r = await runJson<{ code: string }>(["automations", "run", "nope"]);
    expect(r.code).toBe(4);
    expect(r.json.code).toBe("AUTOMATION_NOT_FOUND");
  });
});

describe("fnbase automations owner", () => {
  it("sets the user an automation runs as, by email, and --none takes it away", async () => {
    const reg = await fetch(`${t.server.url}/api/apps/${appId}/auth/register`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ email: "ada@example.com", password: "correct horse battery" }),
    });
    expect(reg.status).toBeLessThan(300);
    const set = await runJson<{ automation: { owner: { email: string } | null } }>([
      "automations",
      "owner",
      "job:nightly",
      "ada@example.com",
    ]);
    expect(set.code, set.stderr).toBe(0);
    expect(set.json.automation.owner?.email).toBe("ada@example.com");
    expect((await run(["automations", "owner", "job:nightly", "ada@example.com"])).stdout).toBe(
      "job:nightly runs as ada@example.com\n",
    );
    const unknown = await run(["automations", "owner", "job:nightly", "nobody@example.com"]);
    expect(unknown.code).not.toBe(0);
    expect(unknown.stderr).toContain("nobody@example.com");
    const none = await runJson<{ automation: { owner: unknown } }>([
      "automations",
      "owner",
      "job:nightly",
      "--none",
    ]);
    expect(none.json.automation.owner).toBe(null);
    const neither = await run(["automations", "owner", "job:nightly"]);
    expect(neither.code).toBe(2);
    expect(neither.stderr).toContain("--none");
  });
});
