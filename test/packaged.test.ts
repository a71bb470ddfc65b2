/**
 * Issue 16, item 1: fnbase used from a project outside this clone, as the README says: `npm run
 * pack`, then `npm install <folder>/*.tgz` in an empty project (only the npm registry is
 * reachable, and it has none of our packages), then the CLI from that project (`init`,
 * `server`, `apps create`, `link`, `deploy`, `invoke`) and `@fnbase/sdk` from a script there.
 */
import { type ChildProcess, execFile, spawn } from "node:child_process";
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const REPO = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const require = createRequire(join(REPO, "packages/server/package.json"));
const KEY = `b44k_packaged_${Math.random().toString(36).slice(2)}`;

interface Run {
  code: number;
  stdout: string;
  stderr: string;
  ms: number;
}

/** Runs a program to completion. */
function run(file: string, args: string[], cwd: string, env: NodeJS.ProcessEnv): Promise<Run> {
  const started = performance.now();
  return new Promise((done) => {
    execFile(
      file,
      args,
      { cwd, env, timeout: 240_000, maxBuffer: 1 << 26 },
      (err, stdout, stderr) => {
        const code = err ? (typeof err.code === "number" ? err.code : 1) : 0;
        done({ code, stdout, stderr, ms: Math.round(performance.now() - started) });
      },
    );
  });
}

/** An environment without this repository's or the machine's fnbase settings. */
function cleanEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: "1", ...extra };
  for (const k of Object.keys(env)) {
    if (/^(FNBASE_|BASE44_|VITEST|npm_)/.test(k) && !(k in extra)) delete env[k];
  }
  return env;
}

/**
 * A prebuilt better-sqlite3 for this machine, made from the copy this repository compiled, for
 * prebuild-install to take (`npm_config_better_sqlite3_local_prebuilds`). The registry has no
 * binaries and GitHub is unreachable here, so without it the install compiles SQLite (a minute
 * of CPU), as a user's install does on such a machine.
 */
async function localPrebuild(dir: string): Promise<string> {
  const pkgDir = dirname(require.resolve("better-sqlite3/package.json"));
  const { version } = JSON.parse(await readFile(join(pkgDir, "package.json"), "utf8")) as {
    version: string;
  };
  const name = `better-sqlite3-v${version}-node-v${process.versions.modules}-${process.platform}-${process.arch}.tar.gz`;
  await mkdir(dir, { recursive: true });
  const r = await run(
    "tar",
    ["czf", join(dir, name), "-C", pkgDir, "build/Release/better_sqlite3.node"],
    dir,
    process.env,
  );
  expect(r.code, r.stderr).toBe(0);
  return dir;
}

let root: string;
let project: string;
let env: NodeJS.ProcessEnv;
let server: ChildProcess | undefined;
const timings: Record<string, number> = {};

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), "fnbase-packaged-"));
  project = join(root, "my-app");
  await mkdir(project);
  env = cleanEnv({
    FNBASE_CONFIG_DIR: join(root, "config"),
    FNBASE_LOG_LEVEL: "silent",
    npm_config_better_sqlite3_local_prebuilds: await localPrebuild(join(root, "prebuilds")),
    npm_config_update_notifier: "false",
  });
}, 60_000);
afterAll(async () => {
  server?.kill("SIGTERM");
  if (server && server.exitCode === null) await new Promise((r) => server?.once("exit", r));
  await rm(root, { recursive: true, force: true });
  console.log(`packaged: ${JSON.stringify(timings)}`);
});

describe("fnbase outside the clone (issue 16, item 1)", () => {
  it("npm run pack writes one tarball per package, their metadata ready to publish", async () => {
    const r = await run(
      process.execPath,
      [join(REPO, "scripts/pack.mjs"), "--out", join(root, "packs"), "--no-build"],
      REPO,
      process.env,
    );
    timings.pack = r.ms;
    expect(r.code, r.stderr).toBe(0);
    expect((await readdir(join(root, "packs"))).sort()).toEqual([
      "fnbase-0.1.0.tgz",
      "fnbase-dashboard-0.1.0.tgz",
      "fnbase-project-0.1.0.tgz",
      "fnbase-runtime-0.1.0.tgz",
      "fnbase-sdk-0.1.0.tgz",
      "fnbase-server-0.1.0.tgz",
      "fnbase-shared-0.1.0.tgz",
    ]);
    expect(r.stdout).toContain(`npm install ${join(root, "packs", "*.tgz")}`);
  }, 120_000);

  it("installs into an empty project with npm install <folder>/*.tgz, our packages from the tarballs", async () => {
    await writeFile(
      join(project, "package.json"),
      '{ "name": "my-app", "private": true, "type": "module" }\n',
    );
    const tarballs = (await readdir(join(root, "packs"))).map((f) => join(root, "packs", f));
    const r = await run(
      "npm",
      ["install", ...tarballs, "--prefer-offline", "--no-audit", "--no-fund"],
      project,
      env,
    );
    timings.install = r.ms;
    expect(r.code, r.stderr).toBe(0);
    const lock = JSON.parse(await readFile(join(project, "package-lock.json"), "utf8")) as {
      packages: Record<string, { resolved?: string }>;
    };
    for (const name of [
      "fnbase",
      "@fnbase/sdk",
      "@fnbase/server",
      "@fnbase/runtime",
      "@fnbase/dashboard",
      "@fnbase/project",
      "@fnbase/shared",
    ]) {
      expect(lock.packages[`node_modules/${name}`]?.resolved, name).toMatch(/^file:.*\.tgz$/);
    }
    // No test, fixture or source map of ours went into the tarballs.
    const server = await readdir(join(project, "node_modules/@fnbase/server/src/deploy"));
    expect(server.filter((f) => f.endsWith(".test.ts"))).toEqual([]);
  }, 240_000);

  it("runs init, server, apps create, link, deploy and invoke from that project", async () => {
    // `npx fnbase` as the README says, then the same bin without npx's start-up each time.
    const init = await run("npx", ["--no", "fnbase", "init", "."], project, env);
    expect(init.code, init.stderr).toBe(0);
    const bin = join(project, "node_modules", ".bin", "fnbase");
    const fnbase = (args: string[], extra: Record<string, string> = {}) =>
      run(bin, args, project, { ...env, ...extra });

    server = spawn(bin, ["server", "--port", "0", "--data", join(root, "data")], {
      cwd: project,
      env: { ...env, FNBASE_ADMIN_KEY: KEY },
    });
    let out = "";
    server.stdout?.on("data", (c) => {
      out += String(c);
    });
    const url = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`fnbase server did not start:\n${out}`)),
        60_000,
      );
      server?.stdout?.on("data", () => {
        const m = /listening on (http:\/\/\S+)/.exec(out);
        if (m?.[1]) {
          clearTimeout(timer);
          resolve(m[1]);
        }
      });
    });
    const logged = { FNBASE_SERVER: url, FNBASE_API_KEY: KEY };
    const app = await fnbase(["apps", "create", "my-app", "--json"], logged);
    expect(app.code, app.stderr).toBe(0);
    const appId = (JSON.parse(app.stdout) as { id: string }).id;
    expect((await fnbase(["link", appId], logged)).code).toBe(0);
    const deploy = await fnbase(["deploy"], logged);
    expect(deploy.code, deploy.stdout + deploy.stderr).toBe(0);
    expect(deploy.stdout).toMatch(/hello deployed/);
    const invoke = await fnbase(["invoke", "hello", "--data", '{"name":"Ada"}'], logged);
    expect(invoke.stdout).toContain('"message":"Hello, Ada!"');
    // The dashboard's build came along in @fnbase/dashboard, and the deploy printed its link.
    const link = /Dashboard: (\S+)/.exec(deploy.stdout)?.[1];
    expect(link).toBe(`${url}/_/apps/${appId}/functions`);
    const page = await fetch(link!);
    expect(page.status).toBe(200);
    const html = await page.text();
    const script = /src="(\/_\/assets\/[^"]+\.js)"/.exec(html)?.[1];
    expect(script).toBeDefined();
    expect((await fetch(`${url}${script}`)).status).toBe(200);

    // The SDK, from a script of the project.
    await writeFile(
      join(project, "call.mjs"),
      `import { createClient } from "@fnbase/sdk";
const client = createClient({ appId: process.argv[2], serverUrl: process.argv[3] });
const { data } = await client.functions.invoke("hello", { name: "Grace" });
console.log(JSON.stringify(data));
`,
    );
    const sdk = await run(process.execPath, ["call.mjs", appId, url], project, env);
    expect(sdk.stdout.trim(), sdk.stderr).toBe('{"message":"Hello, Grace!"}');
  }, 120_000);
});
