/**
 * The real Base44 CLI (the `base44` npm package, a root devDependency) against a real fnbase
 * server: `BASE44_API_URL` points at the server and `BASE44_API_KEY` holds a workspace key, as
 * the contract promises. The CLI runs as a child process on a temp Base44 project; what it
 * deployed is then invoked over HTTP. No mocks.
 */
import { execFile, spawn } from "node:child_process";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sleep, startTestServer, type TestServer } from "./helpers.js";

const BIN = createRequire(import.meta.url).resolve("base44/bin/run.js");

let t: TestServer;
let appId: string;
let apiKey: string;
let home: string;
let project: string;

/** The temp project: two functions (one nested) that import a file of `base44/shared/`. */
const FILES: Record<string, string> = {
  "base44/config.jsonc": `// Base44 project settings
{ "name": "cli-compat" }
`,
  // The entity as the Base44 CLI's template writes it, with access rules.
  "base44/entities/Task.jsonc": `{
  "name": "Task",
  "type": "object",
  "properties": {
    "title": { "type": "string", "description": "What to do" },
    "done": { "type": "boolean", "default": false }
  },
  "required": ["title"],
  "rls": { "read": { "created_by_id": "{{user.id}}" }, "write": { "created_by_id": "{{user.id}}" } }
}
`,
  "base44/shared/greeting.ts": `export const greet = (who: string, word = "Hello") => \`\${word}, \${who}!\`;
`,
  "base44/functions/hello/entry.ts": `import { greet } from "../../shared/greeting.ts";

Deno.serve(async (req) => {
  const { name } = await req.json();
  return Response.json({ message: greet(name, Deno.env.get("GREETING_WORD")) });
});
`,
  "base44/functions/orders/process/entry.ts": `import { secrets } from "base44:runtime";
import { greet } from "../../../shared/greeting.ts";

Deno.serve(async (req) => {
  const order = await req.json();
  console.log(\`processing order \${order.id}\`);
  return Response.json({ processed: order.id, note: greet("orders"), has_secret: secrets.get("GREETING_WORD") !== undefined });
});
`,
};

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** The CLI's environment: non-interactive, no user config of the machine, no telemetry. */
const cliEnv = () => ({
  PATH: process.env.PATH,
  HOME: home,
  CI: "true",
  NO_COLOR: "1",
  BASE44_API_URL: t.url,
  BASE44_API_KEY: apiKey,
  BASE44_DISABLE_TELEMETRY: "1",
  // The CLI's own switch for its upgrade check, which would run `npm view base44`.
  BASE44_CLI_TEST_OVERRIDES: JSON.stringify({ latestVersion: null }),
});

/** Runs the Base44 CLI in the project and waits for it to exit. */
function base44(args: string[], cwd = project): Promise<Run> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [BIN, ...args],
      { cwd, timeout: 30_000, env: cliEnv() },
      (err, stdout, stderr) => {
        const code = err ? (typeof err.code === "number" ? err.code : 1) : 0;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

/** Fails with the CLI's output unless it exited 0. */
function ok(run: Run): Run {
  if (run.code !== 0) {
    throw new Error(`base44 exited ${run.code}\n${run.stdout}\n${run.stderr}`);
  }
  return run;
}

const post = async (name: string, body: unknown) => {
  const res = await t.invoke(appId, name, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
};

beforeAll(async () => {
  t = await startTestServer();
  appId = await t.createApp("base44-cli");
  const res = await t.admin("/api/workspace/api-keys", {
    method: "POST",
    body: JSON.stringify({ name: "base44 cli" }),
  });
  apiKey = ((await res.json()) as { key: string }).key;
  home = await mkdtemp(join(tmpdir(), "fnbase-b44home-"));
  project = await mkdtemp(join(tmpdir(), "fnbase-b44proj-"));
  const files = {
    ...FILES,
    "base44/.app.jsonc": `// Links this folder to the app\n{ "id": "${appId}" }\n`,
  };
  for (const [path, content] of Object.entries(files)) {
    await mkdir(dirname(join(project, path)), { recursive: true });
    await writeFile(join(project, path), content);
  }
}, 120_000);

afterAll(async () => {
  await t?.close();
  for (const dir of [home, project]) if (dir) await rm(dir, { recursive: true, force: true });
});

describe("the Base44 CLI against fnbase", () => {
  it("reports its version (the CLI under test is installed)", async () => {
    const run = ok(await base44(["--version"]));
    expect(run.stdout.trim()).toMatch(/^\d+\.\d+\.\d+$/);
  });

  it("base44 deploy -y deploys every function with its shared files; both answer", async () => {
    const run = ok(await base44(["deploy", "-y"]));
    expect(run.stdout + run.stderr).toContain("App deployed successfully");
    // The dashboard link it prints leads to the app's page of fnbase's dashboard.
    const link = /Dashboard: (\S+)/.exec(run.stdout + run.stderr)?.[1];
    expect(link).toBe(`${t.url}/apps/${appId}/editor/workspace/overview`);
    const page = await fetch(link!, { redirect: "manual" });
    expect(page.status).toBe(302);
    expect(page.headers.get("location")).toBe(`/_/apps/${appId}`);

    const hello = await post("hello", { name: "Ada" });
    expect(hello).toEqual({ status: 200, body: { message: "Hello, Ada!" } });
    const order = await post("orders/process", { id: 42 });
    expect(order).toEqual({
      status: 200,
      body: { processed: 42, note: "Hello, orders!", has_secret: false },
    });
  }, 60_000);

  it("base44 entities push syncs the schema; the entity then takes records under its rules", async () => {
    const schemas = async () =>
      (await (await t.admin(`/api/apps/${appId}/entity-schemas`)).json()) as { name: string }[];
    expect((await schemas()).map((s) => s.name)).toEqual(["Task"]);
    const run = ok(await base44(["entities", "push", "--yes"]));
    expect(run.stdout + run.stderr).toMatch(/Task/);
    const res = await fetch(`${t.url}/api/apps/${appId}/entities/Task`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ title: "x" }),
    });
    expect(res.status).toBe(403); // anonymous: the create rule is a condition
    await res.text();
  });

  it("base44 functions deploy of the same code reports both unchanged", async () => {
    const run = ok(await base44(["functions", "deploy"]));
    expect(run.stdout).toContain("2 unchanged");
  });

  it("base44 functions list shows what is deployed, nested names included", async () => {
    const run = ok(await base44(["functions", "list"]));
    const out = run.stdout + run.stderr;
    expect(out).toContain("hello");
    expect(out).toContain("orders/process");
    expect(out).toContain("2 functions on remote");
  });

  it("base44 functions pull writes the deployed files back into another project", async () => {
    const other = await mkdtemp(join(tmpdir(), "fnbase-b44pull-"));
    try {
      await mkdir(join(other, "base44"));
      await writeFile(join(other, "base44/config.jsonc"), FILES["base44/config.jsonc"] ?? "");
      await writeFile(join(other, "base44/.app.jsonc"), `{ "id": "${appId}" }`);
      ok(await base44(["functions", "pull"], other));
      for (const path of Object.keys(FILES).filter((p) => p.includes("/functions/"))) {
        expect(await readFile(join(other, path), "utf8")).toBe(FILES[path]);
      }
      expect(await readFile(join(other, "base44/shared/greeting.ts"), "utf8")).toBe(
        FILES["base44/shared/greeting.ts"],
      );
    } finally {
      await rm(other, { recursive: true, force: true });
    }
  });

  it("base44 secrets set/list/delete manage what functions read from the environment", async () => {
    ok(await base44(["secrets", "set", "GREETING_WORD=Bonjour", "OTHER=1"]));
    const listed = ok(await base44(["secrets", "list"]));
    expect(listed.stdout + listed.stderr).toContain("GREETING_WORD");
    expect(listed.stdout + listed.stderr).not.toContain("Bonjour");

    expect(await post("hello", { name: "Ada" })).toEqual({
      status: 200,
      body: { message: "Bonjour, Ada!" },
    });
    expect((await post("orders/process", { id: 1 })).body.has_secret).toBe(true);

    ok(await base44(["secrets", "delete", "OTHER"]));
    const names = (await (await t.admin(`/api/apps/${appId}/secrets`)).json()) as object;
    expect(Object.keys(names)).toEqual(["GREETING_WORD"]);
  }, 60_000);

  it("base44 logs --json shows what a function wrote", async () => {
    await post("orders/process", { id: 777 });
    const run = ok(await base44(["logs", "--function", "orders/process", "--json"]));
    const entries = JSON.parse(run.stdout) as { level: string; message: string }[];
    expect(entries).toContainEqual(
      expect.objectContaining({
        level: "info",
        message: "[orders/process] processing order 777",
      }),
    );
  });

  it("base44 logs --follow streams new lines live over the SSE route", async () => {
    const child = spawn(
      process.execPath,
      [BIN, "logs", "--follow", "--function", "orders/process"],
      {
        cwd: project,
        env: cliEnv(),
      },
    );
    let out = "";
    child.stdout.on("data", (b: Buffer) => {
      out += b.toString();
    });
    child.stderr.on("data", (b: Buffer) => {
      out += b.toString();
    });
    try {
      // The CLI prints nothing once subscribed, so call until a line comes through.
      const deadline = Date.now() + 20_000;
      for (let i = 0; !out.includes("processing order live-") && Date.now() < deadline; i++) {
        await post("orders/process", { id: `live-${i}` });
        await sleep(300);
      }
      expect(out).toMatch(/processing order live-\d+/);
      expect(out).not.toContain("falling back to polling");
    } finally {
      child.kill();
    }
  }, 30_000);

  it("base44 functions delete removes a function; it then answers 404", async () => {
    const run = ok(await base44(["functions", "delete", "hello"]));
    expect(run.stdout + run.stderr).toContain('Function "hello" deleted');
    expect((await post("hello", { name: "Ada" })).status).toBe(404);
    const missing = ok(await base44(["functions", "delete", "hello"]));
    expect(missing.stdout + missing.stderr).toContain('Function "hello" not found');
  });

  it("automations in function.jsonc: deployed, listed, pulled back unchanged, --force lists them", async () => {
    const dir = await mkdtemp(join(tmpdir(), "fnbase-b44auto-"));
    const autoApp = await t.createApp("base44-cli-automations");
    // What `base44 functions pull` writes: the automations as the server normalised them.
    const config = {
      name: "report",
      entry: "entry.ts",
      automations: [
        {
          name: "nightly",
          function_args: { scope: "all" },
          is_active: true,
          type: "scheduled",
          schedule_mode: "recurring",
          schedule_type: "cron",
          cron_expression: "0 2 * * *",
          ends_type: "never",
        },
        {
          name: "on-order",
          is_active: true,
          type: "entity",
          entity_name: "Order",
          event_types: ["create", "update"],
        },
      ],
    };
    const files: Record<string, string> = {
      "base44/config.jsonc": FILES["base44/config.jsonc"] ?? "",
      "base44/.app.jsonc": `{ "id": "${autoApp}" }`,
      "base44/functions/report/entry.ts": "Deno.serve(() => Response.json({ ok: true }));\n",
      "base44/functions/report/function.jsonc": `${JSON.stringify(config, null, 2)}\n`,
    };
    try {
      for (const [path, content] of Object.entries(files)) {
        await mkdir(dirname(join(dir, path)), { recursive: true });
        await writeFile(join(dir, path), content);
      }
      ok(await base44(["deploy", "-y"], dir));
      const listed = ok(await base44(["functions", "list"], dir));
      expect(listed.stdout + listed.stderr).toContain("report (2 automations)");
      const res = await t.admin(`/api/apps/${autoApp}/automations`);
      const { automations } = (await res.json()) as { automations: Record<string, unknown>[] };
      expect(automations.map((a) => [a.name, a.source, a.status])).toEqual([
        ["nightly", "deploy", "active"],
        ["on-order", "deploy", "active"],
      ]);
      // Pulled back: the server's automations equal the file's, so nothing is written.
      const pulled = ok(await base44(["functions", "pull"], dir));
      expect(pulled.stdout + pulled.stderr).toMatch(/report\s+unchanged/);
      expect(
        JSON.parse(await readFile(join(dir, "base44/functions/report/function.jsonc"), "utf8")),
      ).toEqual(config);
      // --force reads the remote list (every automation must pass the CLI's schema).
      ok(await base44(["functions", "deploy", "--force"], dir));
      // One the server refuses fails the deploy with its message.
      config.automations[0]!.cron_expression = "* * * * *";
      await writeFile(join(dir, "base44/functions/report/function.jsonc"), JSON.stringify(config));
      const refused = await base44(["deploy", "-y"], dir);
      expect(refused.code).not.toBe(0);
      expect(refused.stdout + refused.stderr).toContain(
        'Invalid automation "nightly" of "report": cron_expression: runs every 1 minute',
      );
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }, 60_000);

  it("an unknown workspace key is refused with the CLI's API key hint", async () => {
    const saved = apiKey;
    apiKey = "b44k_not_a_key";
    try {
      const run = await base44(["functions", "list"]);
      expect(run.code).not.toBe(0);
      expect(run.stdout + run.stderr).toContain("BASE44_API_KEY");
    } finally {
      apiKey = saved;
    }
  });
});
