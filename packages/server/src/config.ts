import { readFileSync } from "node:fs";
import { resolve } from "node:path";

/**
 * The process's soft limit on open files (what the front, its child, inherits), from
 * /proc/self/limits; 1024, the usual default, where that cannot be read.
 */
export function openFileLimit(): number {
  try {
    const m = /^Max open files\s+(\d+)/m.exec(readFileSync("/proc/self/limits", "utf8"));
    if (m) return Number(m[1]);
  } catch {
    // not Linux
  }
  return 1024;
}

/** Options of {@link startServer}; every one has a documented default. */
export interface ServerOptions {
  /** Port to listen on; 0 picks a free one. Default 4400. */
  port?: number;
  /** Address to bind. Default `127.0.0.1`. */
  host?: string;
  /** Directory for the store, deployments, module cache and keys. Default `./.fnbase`. */
  dataDir?: string;
  /** Admin API key; default `FNBASE_ADMIN_KEY` or one generated at first start. */
  adminKey?: string;
  /** Master key sealing secrets (64 hex chars or base64 of 32 bytes); default `FNBASE_MASTER_KEY` or `<dataDir>/master.key`. */
  masterKey?: string;
  /** App served by `/functions/*` and `/api/functions/*` when no app id or domain picks one. */
  defaultApp?: string;
  /** Time limit per request in ms. Default 300,000 (5 minutes). */
  requestTimeoutMs?: number;
  /** Stop an instance after this long without requests, in ms. Default 300,000. */
  idleTimeoutMs?: number;
  /** How long an instance may take to boot, in ms. Default 60,000 (first npm: imports download). */
  bootTimeoutMs?: number;
  /**
   * Deno processes kept started ahead of need, so that a cold start only loads the function's
   * code. Each holds about 40 MB while it waits. Default 1; 0 starts every instance on demand.
   */
  spareInstances?: number;
  /** Largest request body passed to a function, in bytes. Default 2 GiB. */
  maxBodyBytes?: number;
  /** Largest deploy upload (sum of file sizes), in bytes. Default 20 MiB. */
  maxUploadBytes?: number;
  /** Deployments kept per function for rollback. Default 20. */
  keepDeployments?: number;
  /**
   * Callers' connections the public port keeps open at once. Default: half of what the open-file
   * limit leaves after 512 for the server's own use (each busy connection may hold a second one
   * to an instance), at least 64, at most 16,384. When reached, a new connection closes the
   * oldest idle one (of the address holding the most), or is refused with 503 when none is idle.
   */
  maxConnections?: number;
  /**
   * Connections one client address may keep open at once (behind a reverse proxy on the same
   * machine every caller shares its address: raise it). Default 256. When reached, a new one
   * closes that address's oldest idle one, or is refused with 429.
   */
  maxConnectionsPerAddress?: number;
  /**
   * Requests (WebSocket sessions included) one app may have in progress at once, on each of the
   * front's direct path and Node's gateway; more get 503 with Retry-After. Default: half of
   * `maxConnections`.
   */
  maxConcurrentPerApp?: number;
  /**
   * Let the front answer repeat invocations from the decisions Node hands it (default true).
   * False sends every request through Node: for tests that compare the two paths.
   */
  decisions?: boolean;
  /** Allow any origin on every app (what `fnbase dev` does). Default false. */
  corsAnyOrigin?: boolean;
  /** Path of the Deno binary. Default `FNBASE_DENO` or the `deno` npm package's binary. */
  denoPath?: string;
  /** Give instances all permissions (`fnbase dev --allow-all`). Default false. */
  allowAll?: boolean;
  /** Function log lines older than this are pruned, in ms. Default 7 days. */
  logRetentionMs?: number;
  /** Per app, the oldest log lines are pruned past this many bytes. Default 100 MiB. */
  logMaxBytesPerApp?: number;
  /** How often log retention runs, in ms. Default 60,000. */
  logPruneIntervalMs?: number;
  /** Log lines per second one instance may write, sustained; more are dropped and counted. Default 500. */
  logLinesPerSecond?: number;
  /** Log lines one instance may write at once before `logLinesPerSecond` applies. Default 2,000. */
  logBurstLines?: number;
  /** Called with each line an instance writes (for `fnbase dev`'s terminal). */
  onFunctionOutput?: (line: FunctionOutputLine) => void;
}

/** One line of a function's output, tagged with where it came from. */
export interface FunctionOutputLine {
  time: string;
  level: "debug" | "info" | "warning" | "error";
  message: string;
  app_id: string;
  function: string;
  deployment_id: string;
  instance_id: string;
  request_id?: string;
  /** `function` for the function's own output, `platform` for fnbase's events. */
  source: "function" | "platform";
}

/** Options with every default filled in. */
export type ResolvedOptions = Required<
  Omit<ServerOptions, "adminKey" | "masterKey" | "defaultApp" | "denoPath" | "onFunctionOutput">
> &
  Pick<ServerOptions, "adminKey" | "masterKey" | "defaultApp" | "denoPath" | "onFunctionOutput">;

/** Fills in defaults. */
export function resolveOptions(o: ServerOptions): ResolvedOptions {
  const maxConnections =
    o.maxConnections ?? Math.min(16_384, Math.max(64, Math.floor((openFileLimit() - 512) / 2)));
  return {
    port: o.port ?? 4400,
    host: o.host ?? "127.0.0.1",
    dataDir: resolve(o.dataDir ?? ".fnbase"),
    adminKey: o.adminKey,
    masterKey: o.masterKey,
    defaultApp: o.defaultApp,
    requestTimeoutMs: o.requestTimeoutMs ?? 300_000,
    idleTimeoutMs: o.idleTimeoutMs ?? 300_000,
    bootTimeoutMs: o.bootTimeoutMs ?? 60_000,
    spareInstances: o.spareInstances ?? 1,
    maxBodyBytes: o.maxBodyBytes ?? 2 * 1024 ** 3,
    maxUploadBytes: o.maxUploadBytes ?? 20 * 1024 ** 2,
    keepDeployments: o.keepDeployments ?? 20,
    maxConnections,
    maxConnectionsPerAddress: o.maxConnectionsPerAddress ?? 256,
    maxConcurrentPerApp: o.maxConcurrentPerApp ?? Math.max(8, Math.floor(maxConnections / 2)),
    decisions: o.decisions ?? true,
    corsAnyOrigin: o.corsAnyOrigin ?? false,
    denoPath: o.denoPath,
    allowAll: o.allowAll ?? false,
    logRetentionMs: o.logRetentionMs ?? 7 * 24 * 3_600_000,
    logMaxBytesPerApp: o.logMaxBytesPerApp ?? 100 * 1024 ** 2,
    logPruneIntervalMs: o.logPruneIntervalMs ?? 60_000,
    logLinesPerSecond: o.logLinesPerSecond ?? 500,
    logBurstLines: o.logBurstLines ?? 2_000,
    onFunctionOutput: o.onFunctionOutput,
  };
}
