import { RELAY_PORT } from "./sandbox.js";

/**
 * Standard network settings an instance inherits from the server's environment, so `npm:` and
 * `https:` imports download behind a proxy or a TLS-inspecting gateway. They are the machine's
 * settings, not fnbase configuration (see `ENV_VARS`), passed on as a shell would. In the
 * sandbox, the proxy settings are the egress relay's instead (see {@link processEnv}).
 */
const NETWORK_ENV = [
  "HTTP_PROXY",
  "HTTPS_PROXY",
  "NO_PROXY",
  "http_proxy",
  "https_proxy",
  "no_proxy",
  "DENO_CERT",
  "DENO_TLS_CA_STORE",
  "NPM_CONFIG_REGISTRY",
];

/**
 * What decides where Deno's outgoing HTTP goes, read by Deno itself (fetch's client, WebSocket,
 * `node:http(s)` with NODE_USE_ENV_PROXY, its downloads) from the process's environment when it
 * needs them. A host process runs Deno with these ignored (`--ignore-env`): its functions share
 * its environment, and one that set them would send its siblings' requests where it chose.
 * (`REQUEST_METHOD` set, a CGI request, makes Deno skip HTTP_PROXY.)
 */
export const PROXY_ENV = [
  "HTTP_PROXY",
  "HTTPS_PROXY",
  "ALL_PROXY",
  "NO_PROXY",
  "http_proxy",
  "https_proxy",
  "all_proxy",
  "no_proxy",
  "NODE_USE_ENV_PROXY",
  "REQUEST_METHOD",
];

/** Environment names the host sets; an app's secret of the same name does not replace them. */
export const HOST_ENV = new Set([
  "DENO_DIR",
  "TMPDIR",
  "HOME",
  "NO_COLOR",
  "DENO_NO_UPDATE_CHECK",
  "FNBASE_EGRESS_SOCKET",
  "FNBASE_EGRESS_PORT",
  "FNBASE_WARMUP_SOCKET",
  "FNBASE_WORKER_HEAP_MB",
  "NODE_USE_ENV_PROXY",
  ...NETWORK_ENV,
]);

/** What {@link processEnv} needs to know. */
export interface ProcessEnvInput {
  denoDir: string;
  /** The process's writable folder (TMPDIR and HOME). */
  tmpDir: string;
  /** Where the bootstrap serves itself one request while it boots. */
  warmUpSocket: string;
  /** npm registry the operator chose for instances; wins over the inherited one. */
  npmRegistry: string | undefined;
  /** The egress proxy's socket when the process runs in a network namespace of its own. */
  egressSocket: string | undefined;
  /** False: the socket is not in the environment (a host process gets it on its stdin). */
  egressSocketInEnv?: boolean;
}

/**
 * The environment an instance process starts with: the host's few settings, never the server's
 * own variables (an app's secrets are added at assignment). In a network namespace, every
 * standard proxy variable points at the egress relay on the namespace's loopback, and
 * `NODE_USE_ENV_PROXY` makes `node:http(s)` follow them as `fetch` does.
 */
export function processEnv(i: ProcessEnvInput): Record<string, string> {
  const env: Record<string, string> = { DENO_TLS_CA_STORE: "mozilla,system" };
  for (const name of NETWORK_ENV) {
    const value = process.env[name];
    if (value) env[name] = value;
  }
  if (i.npmRegistry) env.NPM_CONFIG_REGISTRY = i.npmRegistry;
  if (i.egressSocket !== undefined) {
    const proxy = `http://127.0.0.1:${RELAY_PORT}`;
    for (const name of ["HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy"])
      env[name] = proxy;
    delete env.NO_PROXY;
    delete env.no_proxy;
    env.NODE_USE_ENV_PROXY = "1";
    if (i.egressSocketInEnv !== false) env.FNBASE_EGRESS_SOCKET = i.egressSocket;
    env.FNBASE_EGRESS_PORT = String(RELAY_PORT);
  }
  return {
    ...env,
    DENO_DIR: i.denoDir,
    TMPDIR: i.tmpDir,
    HOME: i.tmpDir,
    FNBASE_WARMUP_SOCKET: i.warmUpSocket,
    NO_COLOR: "1",
    DENO_NO_UPDATE_CHECK: "1",
  };
}

/** The V8 heap limit for a process limited to `memoryMb` in all, leaving room for the rest. */
export function heapLimitMb(memoryMb: number): number {
  return Math.max(16, memoryMb - Math.min(64, Math.floor(memoryMb / 4)));
}
