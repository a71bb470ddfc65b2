import { randomBytes } from "node:crypto";
import { mkdir } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { createLogger, type Logger, readEnv } from "@fnbase/shared";
import { createApi } from "./api/app.js";
import { requireApiKey } from "./api/auth.js";
import { type AdminKey, setupAdminKey } from "./auth/admin-key.js";
import { TokenService } from "./auth/tokens.js";
import { Catalog } from "./catalog.js";
import { type FunctionOutputLine, resolveOptions, type ServerOptions } from "./config.js";
import { Deployer, newId } from "./deploy/deployer.js";
import { entryPath, materialize, resetStaleDeployments } from "./deploy/materialize.js";
import { EntitySchemas, EntityService, recordRoutes } from "./entities/index.js";
import { FrontLink } from "./front/link.js";
import { Gateway, type InvocationRecord } from "./gateway/gateway.js";
import { createListener } from "./http/listener.js";
import { hub } from "./hub.js";
import {
  ApiKeyService,
  loadMasterKey,
  mountIdentity,
  SecretService,
  UserService,
} from "./identity/index.js";
import { createLogPipeline } from "./logs/pipeline.js";
import { platformEvents } from "./logs/platform-events.js";
import { logsRoutes } from "./logs/routes.js";
import { MetricsRegistry } from "./metrics/registry.js";
import { metricsRoutes } from "./metrics/routes.js";
import { openCgroups } from "./runtime/cgroups.js";
import { resolveDenoPath } from "./runtime/deno-binary.js";
import { MAX_LINE_CHARS } from "./runtime/deno-process.js";
import { egressRules } from "./runtime/egress/rules.js";
import { writeImportMap } from "./runtime/import-map.js";
import { clearInstanceFolders, killLeftovers } from "./runtime/leftovers.js";
import { RuntimeManager } from "./runtime/manager.js";
import { detectSandbox } from "./runtime/sandbox.js";
import type { FnbaseServer } from "./server-types.js";

export type { FnbaseServer } from "./server-types.js";

import type { AppRecord, FunctionRecord, Store } from "./store/index.js";
import { openSqliteStore } from "./store/index.js";
import { openSqliteLogStore } from "./store/sqlite/log-store.js";

/**
 * Starts the fnbase server: management API, invocation gateway and runtime on one port, with
 * the embedded store in `dataDir`.
 *
 * @example
 * await using server = await startServer({ port: 0, dataDir: "/tmp/fnbase" });
 * const res = await fetch(`${server.url}/api/apps`, { headers: { api_key: server.adminKey! } });
 */
export async function startServer(
  input: ServerOptions = {},
  deps: { store?: Store; log?: Logger } = {},
): Promise<FnbaseServer> {
  const options = resolveOptions(input);
  const log = deps.log ?? createLogger({ component: "server" });
  await mkdir(options.dataDir, { recursive: true });
  const store = deps.store ?? openSqliteStore(join(options.dataDir, "fnbase.db"));
  const catalog = await Catalog.load(store);
  const admin: AdminKey = await setupAdminKey(
    store,
    options.adminKey ?? readEnv("FNBASE_ADMIN_KEY"),
  );
  const tokens = new TokenService((id) => store.getSigningKey(id));
  const master = await loadMasterKey(
    store,
    options.dataDir,
    options.masterKey ?? readEnv("FNBASE_MASTER_KEY"),
  ).catch(async (err: unknown) => {
    if (!deps.store) await store.close();
    throw err;
  });
  const users = new UserService(store.identity, tokens);
  const entitySchemas = await EntitySchemas.load(
    store.entities,
    catalog.apps().map((a) => a.id),
  );
  const entities = new EntityService(store.entities, entitySchemas, {
    maxRecordBytes: options.maxRecordBytes,
  });
  // The front owns the public port and keeps routing decisions; a change voids them.
  const invocations = hub<InvocationRecord>();
  const denoPath = resolveDenoPath(options.denoPath);
  const denoDir = join(options.dataDir, "deno-cache");
  const instancesDir = join(options.dataDir, "instances");
  const codeLinksRoot = join(options.dataDir, "code-links");
  // Whatever an earlier start on this data dir left: processes (there should be none, see
  // runtime/sandbox.ts), their folders, their code links and Deno's copies of their code.
  const leftovers = await killLeftovers(instancesDir);
  if (leftovers.length > 0) log.warn({ pids: leftovers }, "killed processes an earlier start left");
  await clearInstanceFolders({ instancesDir, codeLinksRoot, denoDir });
  await mkdir(instancesDir, { recursive: true });
  // Links from lanes to deployments (see runtime/lanes.ts), in a folder new at every start, so
  // no path a process of an earlier start could hold leads to code again.
  const codeLinksDir = join(codeLinksRoot, randomBytes(6).toString("hex"));
  await mkdir(codeLinksDir, { recursive: true });
  await resetStaleDeployments(options.dataDir);
  const sandbox = await detectSandbox(options.sandbox);
  if (sandbox.kind === "none" && options.sandbox !== "off") {
    log.warn(
      { reason: sandbox.reason },
      "function instances run without a sandbox: they share this host's network (see docs/SECURITY.md)",
    );
  }
  const cgroups = await openCgroups(options.cgroup);
  const front = new FrontLink({
    denoPath,
    host: options.host,
    port: options.port,
    idleMs: options.idleTimeoutMs,
    instancesDir,
    log,
    onInvocation: (r) => invocations.emit(r),
    instance: (id) => runtime.instances().find((i) => i.id === id),
  });
  catalog.onChange(() => front.flush());
  const apiKeys = new ApiKeyService(store.identity, () => front.flush());
  // A secret change replaces running instances (the next request sees the new value) and is
  // written on each function's log, by name only.
  const secrets = new SecretService(store.identity, master.key, async (appId, change) => {
    runtime.retire(appId);
    events.secretsChanged(appId, change);
    // The front must stop sending requests to the retired instances before the caller goes on.
    await front.flush();
  });
  const importMap = await writeImportMap(join(options.dataDir, "runtime"));
  const output = hub<FunctionOutputLine>();
  if (options.onFunctionOutput) output.on(options.onFunctionOutput);
  const metrics = new MetricsRegistry();
  invocations.on((r) => metrics.invocation(r));
  // Logs live in their own SQLite file; see store/sqlite/log-store.ts for why.
  const logStore = openSqliteLogStore(join(options.dataDir, "logs.db"));
  const logs = createLogPipeline({
    store: logStore,
    limits: {
      linesPerSecond: options.logLinesPerSecond,
      burstLines: options.logBurstLines,
      maxLineChars: MAX_LINE_CHARS,
    },
    retentionMs: options.logRetentionMs,
    maxBytesPerApp: options.logMaxBytesPerApp,
    pruneIntervalMs: options.logPruneIntervalMs,
    metrics,
    log,
    emit: (line) => output.emit(line),
  });
  output.on((line) => logs.keep(line));

  const runtime = new RuntimeManager({
    denoPath,
    denoDir,
    sandbox,
    cgroups,
    writableBytes: options.instanceDiskBytes,
    memoryMb: options.memoryLimitMb,
    cpuTimeLimitMs: options.cpuTimeLimitMs,
    egressRules: egressRules({
      catalog,
      npmRegistry: options.npmRegistry,
      frontPort: (): number => front.port,
      frontHost: options.host,
    }),
    importMapPath: importMap.path,
    readableDirs: importMap.readable,
    npmRegistry: options.npmRegistry,
    instancesDir,
    codeLinksDir,
    bootTimeoutMs: options.bootTimeoutMs,
    spares: options.spareInstances,
    idleTimeoutMs: options.idleTimeoutMs,
    allowAll: options.allowAll,
    log,
    onOutput: (line) => logs.accept(line),
    onColdStart: (appId, fn, ms) => metrics.coldStart(appId, fn, ms),
    onLimit: (appId, fn, reason) => metrics.limitStop(appId, fn, reason),
    onEgressRefused: (appId, fn) => metrics.egressRefused(appId, fn),
    onRevoke: (instance) => front.revoke(instance),
  });
  const events = platformEvents({
    catalog,
    requestTimeoutMs: options.requestTimeoutMs,
    emit: (line) => output.emit(line),
  });
  // A request that ran out of time (the gateway's 504) becomes an error line with its id.
  invocations.on((r) => events.invocation(r));
  const deployer = new Deployer(
    catalog,
    runtime,
    {
      dataDir: options.dataDir,
      maxUploadBytes: options.maxUploadBytes,
      keepDeployments: options.keepDeployments,
      log,
    },
    events.event,
  );
  const isApiKey = async (key: string) => admin.matches(key) || (await apiKeys.matches(key));

  let apiUrl = "";
  const prepare = async (app: AppRecord, fn: FunctionRecord) => {
    const dep = await store.getDeployment(fn.deployment_id);
    if (!dep)
      throw new Error(`Deployment ${fn.deployment_id} of "${fn.name}" is missing from the store`);
    const root = await materialize(options.dataDir, dep);
    return {
      appId: app.id,
      functionName: fn.name,
      deploymentId: dep.id,
      entry: entryPath(options.dataDir, dep),
      root,
      env: await secrets.env(app.id),
      memoryMb: fn.memory_mb ?? options.memoryLimitMb,
      timeLimitMs: fn.timeout_ms ?? options.requestTimeoutMs,
    };
  };
  const gateway = new Gateway({
    catalog,
    runtime,
    tokens,
    options,
    log,
    apiUrl: () => apiUrl,
    prepare,
    isApiKey,
    onInvocation: (r) => invocations.emit(r),
    front,
  });
  const api = createApi(
    {
      catalog,
      deployer,
      entitySchemas,
      runtime,
      tokens,
      log,
      isApiKey,
      isAdminKey: (key: string) => admin.matches(key),
      maxUploadBytes: options.maxUploadBytes,
      keepDeployments: options.keepDeployments,
      corsAnyOrigin: options.corsAnyOrigin,
    },
    (app) => {
      const auth = requireApiKey(isApiKey);
      const hasApp = (id: string) => catalog.app(id) !== undefined;
      app.route(
        "/",
        logsRoutes({
          store: logStore,
          flush: () => logs.writer.flush(),
          hasApp,
          subscribe: (cb) => output.on(cb),
          auth,
        }),
      );
      app.route(
        "/",
        metricsRoutes({
          metrics,
          hasApp,
          auth,
          running: () => {
            const n = new Map<string, number>();
            for (const i of runtime.instances()) {
              const k = `${i.spec.appId}\0${i.spec.functionName}`;
              n.set(k, (n.get(k) ?? 0) + 1);
            }
            return n;
          },
        }),
      );
      const identity = {
        catalog,
        tokens,
        users,
        secrets,
        apiKeys,
        isApiKey,
        isAdminKey: (key: string) => admin.matches(key),
        log,
      };
      mountIdentity(app, identity);
      recordRoutes(app, {
        identity,
        entities,
        maxBodyBytes: options.maxEntityBodyBytes,
        maxImportBytes: options.maxImportBytes,
      });
    },
  );

  const http: Server = createServer(
    { keepAliveTimeout: 65_000, requestTimeout: 0 },
    createListener(gateway, api, log, front),
  );
  // Node listens on an internal port; the front (a Deno process) owns the public one.
  await new Promise<void>((resolve, reject) => {
    http.once("error", reject);
    http.listen(0, "127.0.0.1", () => resolve());
  });
  try {
    await front.start((http.address() as AddressInfo).port);
  } catch (err) {
    http.close();
    await runtime.close();
    await cgroups?.close();
    await logs.close();
    await logStore.close();
    if (!deps.store) await store.close();
    throw err;
  }
  const port = front.port;
  const reachable =
    options.host === "0.0.0.0" || options.host === "::" ? "127.0.0.1" : options.host;
  const url = `http://${reachable.includes(":") ? `[${reachable}]` : reachable}:${port}`;
  apiUrl = url;
  // Debug: the CLI prints its own banner; FNBASE_LOG_LEVEL=debug shows this line.
  log.debug({ url, dataDir: options.dataDir }, "fnbase server listening");

  let closed: Promise<void> | undefined;
  const close = () => {
    closed ??= (async () => {
      await front.close();
      await runtime.close();
      await cgroups?.close();
      await new Promise<void>((resolve) => {
        http.close(() => resolve());
        http.closeAllConnections();
      });
      await logs.close();
      await logStore.close();
      await store.close();
    })();
    return closed;
  };

  return {
    url,
    port,
    internalUrl: `http://127.0.0.1:${(http.address() as AddressInfo).port}`,
    get frontPid() {
      return front.pid;
    },
    adminKey: admin.given ?? admin.generated,
    adminKeyGenerated: admin.generated !== undefined,
    options,
    api,
    createApp: (name, id) => catalog.createApp({ id: id ?? newId(), name }),
    hasApp: (appId) => catalog.app(appId) !== undefined,
    deploy: (appId, name, body) => deployer.deploy(appId, name, body),
    syncEntities: (appId, schemas) => entitySchemas.sync(appId, schemas),
    removeFunction: (appId, name) => deployer.remove(appId, name),
    functionNames: (appId) => [...catalog.functions(appId).keys()],
    replaceSecrets: (appId, values) => secrets.replaceAll(appId, values),
    onOutput: (cb) => output.on(cb),
    onInvocation: (cb) => invocations.on(cb),
    sparePids: () =>
      runtime.spares().flatMap((p) => (p.waiting && p.pid !== undefined ? [p.pid] : [])),
    async instanceMemory() {
      return await Promise.all(
        runtime.instances().map(async (i) => ({
          app_id: i.spec.appId,
          function: i.spec.functionName,
          rss: await i.rss(),
        })),
      );
    },
    close,
    [Symbol.asyncDispose]: close,
  };
}
