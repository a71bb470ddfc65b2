/**
 * Shared helpers of the server's integration tests: a real server on port 0 with a temp data
 * dir and an admin key, driven over HTTP. No mocks.
 */
import { mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { ServerOptions } from "../src/config.js";
import { type FnbaseServer, startServer } from "../src/server.js";

export const ADMIN_KEY = "b44k_test_admin_key_0123456789";

/** A running test server and what tests need to talk to it. */
export interface TestServer extends AsyncDisposable {
  server: FnbaseServer;
  url: string;
  dataDir: string;
  /** `fetch` against the server with the admin key on. */
  admin(path: string, init?: RequestInit): Promise<Response>;
  /** Creates an app through `POST /api/apps`; returns its id. */
  createApp(name?: string, id?: string): Promise<string>;
  /** Deploys inline code through `PUT backend-functions/{name}`; throws unless 200. */
  deploy(appId: string, name: string, code: string | DeployBody): Promise<DeployAnswer>;
  /** `fetch` of `/api/apps/{appId}/functions/{path}`. */
  invoke(appId: string, path: string, init?: RequestInit): Promise<Response>;
  close(): Promise<void>;
}

export interface DeployBody {
  entry: string;
  files: { path: string; content: string }[];
  timeout_seconds?: number;
  [extra: string]: unknown;
}

export interface DeployAnswer {
  status: "deployed" | "unchanged";
  deployment_id: string;
}

/** The deploy body of a one-file function. */
export const oneFile = (code: string, extra: Partial<DeployBody> = {}): DeployBody => ({
  entry: "entry.ts",
  files: [{ path: "entry.ts", content: code }],
  ...extra,
});

/** Starts a real server on port 0 in a fresh temp data dir. */
export async function startTestServer(options: ServerOptions = {}): Promise<TestServer> {
  const dataDir = await mkdtemp(join(tmpdir(), "fnbase-test-"));
  const server = await startServer({
    port: 0,
    dataDir,
    adminKey: ADMIN_KEY,
    idleTimeoutMs: 60_000,
    // Deliveries at once even while the test's own requests keep Node busy: the deferral has
    // its own test (automations/race.test.ts), and waiting 10 s would only slow the others.
    automationDeferMs: 0,
    ...options,
  }).catch(async (err: unknown) => {
    // A start a test expects to fail leaves no data dir behind either.
    await rm(dataDir, { recursive: true, force: true });
    throw err;
  });
  const url = server.url;
  const admin = (path: string, init: RequestInit = {}) => {
    const headers = new Headers(init.headers);
    headers.set("api_key", ADMIN_KEY);
    if (typeof init.body === "string") headers.set("content-type", "application/json");
    return fetch(`${url}${path}`, { ...init, headers });
  };
  let closed: Promise<void> | undefined;
  const close = () => {
    closed ??= server.close().then(() => rm(dataDir, { recursive: true, force: true }));
    return closed;
  };
  return {
    server,
    url,
    dataDir,
    admin,
    async createApp(name = "test-app", id) {
      const res = await admin("/api/apps", {
        method: "POST",
        body: JSON.stringify(id === undefined ? { name } : { name, id }),
      });
      if (res.status !== 201) throw new Error(`Cannot create app: ${await res.text()}`);
      return ((await res.json()) as { id: string }).id;
    },
    async deploy(appId, name, code) {
      const body = typeof code === "string" ? oneFile(code) : code;
      const res = await admin(`/api/apps/${appId}/backend-functions/${encodeURIComponent(name)}`, {
        method: "PUT",
        body: JSON.stringify(body),
      });
      if (res.status !== 200) throw new Error(`Cannot deploy ${name}: ${await res.text()}`);
      return (await res.json()) as DeployAnswer;
    },
    invoke: (appId, path, init) => fetch(`${url}/api/apps/${appId}/functions/${path}`, init),
    close,
    [Symbol.asyncDispose]: close,
  };
}

/** Code of a function that answers what it received: method, path, query, headers, body. */
export const ECHO = `
Deno.serve(async (req) => {
  const url = new URL(req.url);
  const body = req.method === "GET" || req.method === "HEAD" ? "" : await req.text();
  return Response.json({
    method: req.method,
    url: req.url,
    path: url.pathname,
    search: url.search,
    headers: Object.fromEntries(req.headers),
    body,
  }, { headers: { "x-echo": "1" } });
});
`;

/** What {@link ECHO} answers. */
export interface Echo {
  method: string;
  url: string;
  path: string;
  search: string;
  headers: Record<string, string>;
  body: string;
}

/** Fails the test unless `res` is fnbase's `{ error, code }` JSON with this status and code. */
export async function expectError(
  res: Response,
  status: number,
  code: string,
): Promise<{ error: string; code: string }> {
  const text = await res.text();
  if (res.status !== status) {
    throw new Error(`Expected status ${status} (${code}), got ${res.status}: ${text}`);
  }
  const body = JSON.parse(text) as { error: string; code: string };
  if (body.code !== code || typeof body.error !== "string" || body.error === "") {
    throw new Error(`Expected code ${code}, got: ${text}`);
  }
  if (!res.headers.get("content-type")?.startsWith("application/json")) {
    throw new Error(`Expected a JSON error, got content-type: ${res.headers.get("content-type")}`);
  }
  return body;
}

/** A function that sleeps `?ms=` milliseconds, then answers `{ slept }`. */
export const SLEEPY = `
Deno.serve(async (req) => {
  const ms = Number(new URL(req.url).searchParams.get("ms") ?? "0");
  await new Promise((r) => setTimeout(r, ms));
  return Response.json({ slept: ms });
});`;

/** A function that answers its boot id, and exits (code 3) on a path ending in `/exit`. */
export const CRASHY = `
const bootId = crypto.randomUUID();
Deno.serve((req) => {
  if (new URL(req.url).pathname.endsWith("/exit")) Deno.exit(3);
  return Response.json({ bootId });
});`;

/** A function that streams `data: first`, waits `gapMs`, then streams `data: last`. */
export const sse = (gapMs: number) => `
Deno.serve(() => {
  const enc = new TextEncoder();
  const body = new ReadableStream({
    async start(c) {
      c.enqueue(enc.encode("data: first\\n\\n"));
      await new Promise((r) => setTimeout(r, ${gapMs}));
      c.enqueue(enc.encode("data: last\\n\\n"));
      c.close();
    },
  });
  return new Response(body, { headers: { "content-type": "text/event-stream" } });
});`;

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Polls `check` every 50 ms until it holds (true) or `ms` have passed (false). */
export async function eventually(
  check: () => boolean | Promise<boolean>,
  ms = 8_000,
): Promise<boolean> {
  for (const end = Date.now() + ms; Date.now() < end; await sleep(50)) {
    if (await check()) return true;
  }
  return false;
}

/**
 * The pid, as the server sees it, of the Deno process whose writable folder is `tmp` (the
 * `TMPDIR` a function reports). A function's own `Deno.pid` is not it on the host runtime: its
 * host process is its PID namespace's init, pid 1 inside (see `runtime/sandbox.ts`).
 */
export async function denoPidOf(tmp: string): Promise<number> {
  for (const name of await readdir("/proc")) {
    if (!/^\d+$/.test(name)) continue;
    const comm = await readFile(`/proc/${name}/comm`, "utf8").catch(() => "");
    if (comm.trim() !== "deno") continue;
    const cmdline = await readFile(`/proc/${name}/cmdline`, "utf8").catch(() => "");
    if (cmdline.split("\0").some((arg) => arg.startsWith(`--allow-write=${tmp},`))) {
      return Number(name);
    }
  }
  throw new Error(`No Deno process writes ${tmp}`);
}

/** True when no process `pid` exists (any more). */
export const gone = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return false;
  } catch {
    return true;
  }
};
