import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type FnbaseServer, startServer } from "@fnbase/server";

/** Function name → the source of its `entry.ts`. */
export type FunctionSources = Record<string, string>;

/** A real fnbase server with one app and the given functions deployed. */
export interface TestServer extends AsyncDisposable {
  server: FnbaseServer;
  url: string;
  appId: string;
  adminKey: string;
  /** `PATCH /api/apps/{appId}` through the management API, as the CLI would. */
  patchApp(patch: Record<string, unknown>): Promise<void>;
  /** Whether `POST /api/apps/{appId}/auth/login` exists yet (any answer but 404). */
  hasAuthRoutes(): Promise<boolean>;
}

/**
 * Starts a real fnbase server on port 0 in a fresh data dir, creates an app and deploys each
 * function through the management HTTP API (`PUT backend-functions/{name}`).
 */
export async function startFnbase(functions: FunctionSources): Promise<TestServer> {
  const dataDir = await mkdtemp(join(tmpdir(), "fnbase-sdk-it-"));
  const server = await startServer({ port: 0, dataDir, adminKey: "b44k_sdk_integration_key" });
  const adminKey = server.adminKey ?? "";
  const api = (path: string, init: RequestInit = {}) =>
    fetch(`${server.url}${path}`, {
      ...init,
      headers: { "content-type": "application/json", api_key: adminKey, ...init.headers },
    });
  try {
    const created = await api("/api/apps", {
      method: "POST",
      body: JSON.stringify({ name: "sdk-integration" }),
    });
    if (created.status !== 201) throw new Error(`Cannot create the app: ${await created.text()}`);
    const { id: appId } = (await created.json()) as { id: string };
    for (const [name, content] of Object.entries(functions)) {
      const res = await api(`/api/apps/${appId}/backend-functions/${encodeURIComponent(name)}`, {
        method: "PUT",
        body: JSON.stringify({ entry: "entry.ts", files: [{ path: "entry.ts", content }] }),
      });
      if (!res.ok) throw new Error(`Cannot deploy "${name}": ${await res.text()}`);
    }
    const close = async () => {
      await server.close();
      await rm(dataDir, { recursive: true, force: true });
    };
    return {
      server,
      url: server.url,
      appId,
      adminKey,
      async patchApp(patch) {
        const res = await api(`/api/apps/${appId}`, {
          method: "PATCH",
          body: JSON.stringify(patch),
        });
        if (!res.ok) throw new Error(`Cannot patch the app: ${await res.text()}`);
      },
      async hasAuthRoutes() {
        const res = await fetch(`${server.url}/api/apps/${appId}/auth/login`, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: "{}",
        });
        await res.body?.cancel();
        return res.status !== 404 && res.status !== 405;
      },
      [Symbol.asyncDispose]: close,
    };
  } catch (error) {
    await server.close();
    await rm(dataDir, { recursive: true, force: true });
    throw error;
  }
}

const FUNCTIONS_DIR = new URL("../../fixtures/functions/", import.meta.url);

/** Reads the fixture functions `names` from `packages/sdk/fixtures/functions/{name}/entry.ts`. */
export async function loadFunctions(...names: string[]): Promise<FunctionSources> {
  const sources: FunctionSources = {};
  for (const name of names) {
    sources[name] = await readFile(new URL(`${name}/entry.ts`, FUNCTIONS_DIR), "utf8");
  }
  return sources;
}

/** A fresh email for a test user. */
export function testEmail(): string {
  return `user-${Math.random().toString(36).slice(2, 10)}@example.com`;
}
