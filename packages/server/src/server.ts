import { randomBytes, timingSafeEqual } from "node:crypto";
import { chmod, mkdir, readFile, rm } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import { join } from "node:path";
import { dashboardDir } from "@fnbase/dashboard";
import { NODE_MAX_HEADER_BYTES, runtimeSrcDir } from "@fnbase/runtime";
import { createLogger, type Logger, readEnv } from "@fnbase/shared";
import { createApi } from "./api/app.js";
import { requireApiKey } from "./api/auth.js";
import { type AdminKey, setupAdminKey } from "./auth/admin-key.js";
import { TokenService } from "./auth/tokens.js";
import {
  type AutomationDefinition,
  AutomationEngine,
  automationRoutes,
} from "./automations/index.js";
import { Catalog } from "./catalog.js";
import { type Change, localBus } from "./cluster/changes.js";
import { healthRoutes } from "./cluster/health-routes.js";
import {
  type FunctionOutputLine,
  type ResolvedOptions,
  resolveOptions,
  type ServerOptions,
} from "./config.js";
import { mountDashboard, SessionStore } from "./dashboard/index.js";
import { type DataDirLock, lockDataDir } from "./data-dir-lock.js";
import { defaultAppNotice } from "./default-app.js";
import { CodeChecker } from "./deploy/check.js";
import { Deployer, newId } from "./deploy/deployer.js";
import { entryPath, materialize, resetStaleDeployments } from "./deploy/materialize.js";
import {
  ChangeFeed,
  EntitySchemas,
  EntityService,
  hideFields,
  recordRoutes,
  USER_ENTITY,
  withChangeFeed,
} from "./entities/index.js";
import { FrontLink } from "./front/link.js";
import { Gateway, type InvocationRecord } from "./gateway/gateway.js";
import { createListener } from "./http/listener.js";
import { hub } from "./hub.js";
import {
  ApiKeyService,
  loadMasterKey,
  mountIdentity,
  type PublicUser,
  SecretService,
  UserService,
} from "./identity/index.js";
import { mountIntegrations, openIntegrations } from "./integrations/index.js";
import { createLogPipeline } from "./logs/pipeline.js";
import { platformEvents } from "./logs/platform-events.js";
import { logsRoutes } from "./logs/routes.js";
import { AutomationMetrics } from "./metrics/automation-metrics.js";
import { MetricsRegistry } from "./metrics/registry.js";
import { metricsRoutes } from "./metrics/routes.js";
import { MetricsSeries, sampleMemory } from "./metrics/series.js";
import { Realtime } from "./realtime/realtime.js";
import { openCgroups } from "./runtime/cgroups.js";
import { resolveDenoPath } from "./runtime/deno-binary.js";
import { checkSocketPaths, MAX_LINE_CHARS } from "./runtime/deno-process.js";
import { egressRules } from "./runtime/egress/rules.js";
import { writeImportMap } from "./runtime/import-map.js";
import { clearInstanceFolders, killLeftovers } from "./runtime/leftovers.js";
import { RuntimeManager } from "./runtime/manager.js";
import { detectSandbox } from "./runtime/sandbox.js";
import type { FnbaseServer } from "./server-types.js";

export type { FnbaseServer } from "./server-types.js";

import type { AppRecord, FunctionRecord, Store } from "./store/index.js";
import { openStores } from "./store/open.js";
import { pgAnalytics } from "./store/postgres/analytics-store.js";
import { pgFileRows } from "./store/postgres/file-rows.js";
import type { LogBatch } from "./store/postgres/log-store.js";

/** True when two keys are the same (constant time). */
const sameKey = (a: string, b: string) => {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
};

/** How often the memory of running instances is sampled for the metrics series, in ms. */
const MEMORY_SAMPLE_MS = 15_000;

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
  deps: {
    store?: Store;
    log?: Logger;
  } = {},
): Promise<FnbaseServer> {
  const options = resolveOptions(input);
  const log = deps.log ?? createLogger({ component: "server" }, { format: options.logFormat });
  // Before anything is written: a data dir too deep for the instances' sockets is refused.
  const instancesDir = join(options.dataDir, "instances");
  checkSocketPaths(options.dataDir, instancesDir);
  await mkdir(options.dataDir, { recursive: true });
  // One server per data dir, before anything in it is touched (see data-dir-lock.ts).
  const lock = await lockDataDir(options.dataDir);
  try {
    return await serve(options, deps, log, lock);
  } catch (err) {
    await lock.release();
    throw err;
  }
}

/** The rest of {@link startServer}, on a data dir it holds. */
async function serve(
  options: ResolvedOptions,
  deps: { store?: Store; log?: Logger },
  log: Logger,
  lock: DataDirLock,
): Promise<FnbaseServer> {
  const instancesDir = join(options.dataDir, "instances");
  // SQLite in the data dir, or PostgreSQL shared by several nodes (see store/open.ts).
  const stores = await openStores({
    store: options.store,
    dataDir: options.dataDir,
    ...(options.nodeId !== undefined ? { nodeId: options.nodeId } : {}),
    ...(deps.store ? { existing: deps.store } : {}),
  });
  const store = stores.store;
  const logStore = stores.logs;
  // The change bus, listening before the catalog loads so no change falls between the two
  // (what arrives before the handler is set is covered by the reload of everything below).
  // The PostgreSQL parts (pg, socket.io's adapter) load only for a PostgreSQL store: a server on
  // the embedded store does not hold them (they are part of the idle server's memory).
  const bus = stores.postgres
    ? await (await import("./cluster/open.js")).openPgBus(
        stores.postgres.connection,
        stores.postgres.url,
        stores.nodeId,
        log,
      )
    : localBus();
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
    await logStore.close();
    if (!deps.store) await store.close();
    throw err;
  });
  const users = new UserService(store.identity, tokens);
  const entitySchemas = await EntitySchemas.load(
    store.entities,
    catalog.apps().map((a) => a.id),
  );
  // Every write of every route passes through the store's four writes: the feed hears each
  // committed change there (realtime subscribers; automations queue theirs inside the write).
  const changes = new ChangeFeed((err) => log.error({ err }, "entity change listener failed"));
  const entities = new EntityService(withChangeFeed(store.entities, changes), entitySchemas, {
    maxRecordBytes: options.maxRecordBytes,
  });
  // The front owns the public port and keeps routing decisions; a change voids them.
  const invocations = hub<InvocationRecord>();
  const denoPath = resolveDenoPath(options.denoPath);
  const denoDir = join(options.dataDir, "deno-cache");
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
  // Node's internal socket: in a folder only the server's user may enter, mode 0600, and out of
  // every instance's Deno permissions (see docs/SECURITY.md); none outlives a server.
  const internalDir = join(options.dataDir, "internal");
  await rm(internalDir, { recursive: true, force: true });
  await mkdir(internalDir, { mode: 0o700 });
  await chmod(internalDir, 0o700);
  const internalSocket = join(internalDir, "node.sock");
  // The largest file any app may upload: the server's limit or an app's own, if larger.
  const maxFileBytes = Math.max(
    options.maxFileBytes,
    ...Object.values(options.appFileLimits).map((l) => l.maxFileBytes ?? 0),
  );
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
    portOption: options.portOption,
    idleMs: options.idleTimeoutMs,
    limits: {
      maxUploadBytes: options.maxUploadBytes,
      maxFileBytes,
      maxConnections: options.maxConnections,
      maxConnectionsPerAddress: options.maxConnectionsPerAddress,
      maxConcurrentPerApp: options.maxConcurrentPerApp,
      maxIdleUpstream: Math.max(16, Math.min(256, Math.floor(options.maxConnections / 4))),
    },
    internalDir,
    instancesDir,
    log,
    onInvocation: (r) => invocations.emit(r),
    instance: (id) => runtime.instances().find((i) => i.id === id),
  });
  // Every change to what nodes cache goes through the bus, and every node applies it with
  // `applyChange` (below) before the change's caller gets its answer.
  catalog.onChange((c) => bus.publish(c));
  entitySchemas.onSync((appId) => bus.publish({ kind: "schemas", appId }));
  const apiKeys = new ApiKeyService(store.identity, () => bus.publish({ kind: "api_keys" }));
  // A secret change replaces running instances (the next request sees the new value) and is
  // written on each function's log, by name only.
  const secrets = new SecretService(store.identity, master.key, async (appId, change) => {
    events.secretsChanged(appId, change);
    await bus.publish({ kind: "secrets", appId });
  });
  const importMap = await writeImportMap(join(options.dataDir, "runtime"));
  const checker = new CodeChecker({
    denoPath,
    cacheDir: join(options.dataDir, "check-cache"),
    imports: (
      JSON.parse(await readFile(importMap.path, "utf8")) as { imports: Record<string, string> }
    ).imports,
    readable: [runtimeSrcDir, ...importMap.readable],
    timeoutMs: 15_000,
    log,
  });
  const output = hub<FunctionOutputLine>();
  if (options.onFunctionOutput) output.on(options.onFunctionOutput);
  // What live tails read: this node's lines, and on a cluster the lines other nodes stored
  // (each node tells the others which rows a batch wrote; a node with a reader reads them).
  const tails = hub<FunctionOutputLine>();
  output.on((line) => tails.emit(line));
  let tailing = 0;
  const pgLogs = stores.postgres?.logs;
  if (pgLogs) {
    pgLogs.onAppend((batch) => bus.send("logs", batch));
    bus.listen("logs", (data) => {
      if (tailing === 0) return;
      const batch = data as LogBatch;
      for (const appId of batch.apps) {
        void pgLogs.readBatch(batch, appId).then(
          (lines) => {
            for (const { id: _id, ...l } of lines) {
              tails.emit({ ...l, request_id: l.request_id ?? undefined } as FunctionOutputLine);
            }
          },
          (err: unknown) => log.warn({ err }, "reading another node's log lines failed"),
        );
      }
    });
  }
  const metrics = new MetricsRegistry();
  invocations.on((r) => metrics.invocation(r));
  const series = new MetricsSeries();
  invocations.on((r) => series.invocation(r.appId, r.functionName, r.status, r.durationMs));
  // Logs: their own SQLite file (see store/sqlite/log-store.ts), or PostgreSQL's `logs` table.
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
    spareWorkers: options.spareWorkers,
    runtime: options.runtime,
    currentDeployment: (appId, fn) => catalog.fn(appId, fn)?.deployment_id,
    idleTimeoutMs: options.idleTimeoutMs,
    allowAll: options.allowAll,
    log,
    onOutput: (line) => logs.accept(line),
    onColdStart: (appId, fn, ms) => {
      metrics.coldStart(appId, fn, ms);
      series.coldStart(appId, fn);
      // A first sample of the new instance's memory, without waiting for the next round.
      setTimeout(() => void sampleMemory(runtime, series), 1_000).unref();
    },
    onLimit: (appId, fn, reason) => metrics.limitStop(appId, fn, reason),
    onEgressRefused: (appId, fn) => metrics.egressRefused(appId, fn),
    onRevoke: (instance) => front.revoke(instance),
  });
  /**
   * Applies a change (this node's or another's) to this node's caches: the catalog and schemas
   * are read again, instances of what changed are retired, and the front drops its decisions
   * before the change's caller goes on (see front/link.ts).
   */
  // Set once realtime exists (below): sockets opened with a key resolve it again.
  let recheckApiKeys = async (): Promise<void> => {};
  const applyChange = async (c: Change): Promise<void> => {
    switch (c.kind) {
      case "app":
        await catalog.reloadApp(c.appId);
        break;
      case "function": {
        const f = await catalog.reloadFunction(c.appId, c.name);
        runtime.retire(c.appId, c.name, f?.deployment_id);
        break;
      }
      case "secrets":
        runtime.retire(c.appId);
        break;
      case "api_keys":
        // Sockets opened with a key resolve it again (a revoked one is closed).
        await recheckApiKeys();
        break;
      case "schemas":
        await entitySchemas.reload(c.appId);
        break;
      case "all":
        // What rests on the old state goes first (a store that does not answer fails the reload).
        for (const app of catalog.apps()) runtime.retire(app.id);
        await front.flush();
        await catalog.reloadAll();
        for (const app of catalog.apps()) {
          runtime.retire(app.id);
          await entitySchemas.reload(app.id);
        }
        break;
    }
    await front.flush();
  };
  bus.handle(applyChange);
  if (stores.postgres) await applyChange({ kind: "all" });
  const events = platformEvents({
    catalog,
    requestTimeoutMs: options.requestTimeoutMs,
    emit: (line) => output.emit(line),
  });
  // A request that ran out of time (the gateway's 504) becomes an error line with its id.
  invocations.on((r) => events.invocation(r));
  let apiUrl = "";
  /** HTTP requests Node has taken: automation deliveries yield while they come in. */
  let requestsTaken = 0;
  // Automations run through the public URL like any invocation (see automations/invoke.ts).
  const automationMetrics = new AutomationMetrics();
  const automations = new AutomationEngine(
    {
      now: options.now,
      minIntervalMs: options.automationMinIntervalMs,
      maxDepth: options.automationMaxDepth,
      concurrency: options.automationConcurrency,
      deferMs: options.automationDeferMs,
      retryDelaysMs: options.automationRetryDelaysMs,
      pollMs: options.automationPollMs,
      requestTimeoutMs: options.requestTimeoutMs,
    },
    {
      store,
      catalog,
      tokens,
      url: () => apiUrl,
      log,
      metrics: automationMetrics,
      emit: (line) => output.emit(line),
      requests: () => requestsTaken,
    },
  );
  const deployer = new Deployer(
    catalog,
    runtime,
    {
      dataDir: options.dataDir,
      maxUploadBytes: options.maxUploadBytes,
      keepDeployments: options.keepDeployments,
      log,
      check: (root, name, entry) => checker.check(root, name, entry),
    },
    events.event,
    {
      validate: (fn, raw) => automations.service.validate(fn, raw),
      sync: (appId, fn, defs) =>
        automations.service.syncDeployed(appId, fn, defs as AutomationDefinition[]),
      removeFunction: (appId, fn) => automations.service.removeFunction(appId, fn),
    },
  );
  // A key only this process knows, never printed: what a one-time dashboard sign-in link
  // (`dashboardSignInLink`, which `fnbase dev` prints) signs its session in with.
  const internalKey = `b44k_${randomBytes(24).toString("base64url")}`;
  const isAdmin = (key: string) => admin.matches(key) || sameKey(key, internalKey);
  const isApiKey = async (key: string) => isAdmin(key) || (await apiKeys.matches(key));
  const now = options.now;
  // Core integrations (files, email, LLM), analytics; links use the public URL, never a Host.
  const publicUrl = () => options.publicUrl ?? apiUrl;
  const integrations = openIntegrations(options, {
    masterKey: master.key,
    baseUrl: publicUrl,
    now,
    log,
    ...(stores.postgres
      ? {
          fileRows: pgFileRows(stores.postgres.connection.db),
          analytics: pgAnalytics(stores.postgres.connection.db),
        }
      : {}),
  });

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
  const identity = {
    catalog,
    tokens,
    users,
    secrets,
    apiKeys,
    isApiKey,
    isAdminKey: isAdmin,
    log,
    mailer: integrations.mailer,
    publicUrl,
    userView: (appId: string, user: PublicUser) => {
      const schema = entitySchemas.get(appId, USER_ENTITY);
      return schema ? hideFields(schema, { kind: "user", user }, user) : user;
    },
  };
  // Realtime: every committed record change, filtered per socket by its reader's access rules.
  const realtime = new Realtime({ identity, entities, log, now });
  recheckApiKeys = () => realtime.recheckApiKeys();
  // Dashboard sessions (memory only); each is checked against its key or user on every use.
  const dashboardSessions = new SessionStore();
  // Across nodes, through socket.io's PostgreSQL adapter on a small pool of its own.
  const realtimePool = stores.postgres
    ? await (await import("./cluster/realtime-adapter.js")).useRealtimeAdapter(
        realtime,
        stores.postgres.url,
        log,
      )
    : undefined;
  changes.on((c) => realtime.broadcast(c));
  const api = createApi(
    {
      catalog,
      deployer,
      entitySchemas,
      runtime,
      tokens,
      log,
      isApiKey,
      isAdminKey: isAdmin,
      maxUploadBytes: options.maxUploadBytes,
      maxFileBytes,
      keepDeployments: options.keepDeployments,
      corsAnyOrigin: options.corsAnyOrigin,
      automations: (appId) => automations.service.definitions(appId),
      defaultApp: options.defaultApp,
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
          subscribe: (cb) => {
            tailing++;
            const off = tails.on(cb);
            return () => {
              tailing--;
              off();
            };
          },
          auth,
        }),
      );
      app.route(
        "/",
        metricsRoutes({
          metrics,
          node: stores.nodeId,
          hasApp,
          auth,
          automations: automationMetrics,
          series,
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
      mountIntegrations(app, {
        catalog,
        identity,
        files: integrations.files,
        mailer: integrations.mailer,
        llm: integrations.llm,
        analytics: integrations.analytics,
        corsAnyOrigin: options.corsAnyOrigin,
        now,
        log,
      });
      app.route("/", automationRoutes({ service: automations.service, hasApp, auth }));
      app.route(
        "/",
        healthRoutes({
          node: stores.nodeId,
          ready: () => !draining && bus.ready,
          pingStore: async () => {
            await store.getMeta("admin_key_sha256");
          },
        }),
      );
      mountIdentity(app, identity);
      mountDashboard(app, {
        dir: dashboardDir,
        sessions: dashboardSessions,
        catalog,
        users,
        isApiKey,
        isAdminKey: isAdmin,
        url: () => apiUrl,
        publicUrl: options.publicUrl,
        log,
      });
      recordRoutes(app, {
        identity,
        entities,
        maxBodyBytes: options.maxEntityBodyBytes,
        maxImportBytes: options.maxImportBytes,
      });
    },
  );

  const listener = createListener(gateway, api, log, front, realtime);
  const http: Server = createServer(
    { keepAliveTimeout: 65_000, requestTimeout: 0, maxHeaderSize: NODE_MAX_HEADER_BYTES },
    (req, res) => {
      requestsTaken++;
      listener.request(req, res);
    },
  );
  http.on("upgrade", listener.upgrade);
  // Node listens on an internal unix socket; the front (a Deno process) owns the public port.
  await new Promise<void>((resolve, reject) => {
    http.once("error", reject);
    http.listen(internalSocket, () => resolve());
  });
  await chmod(internalSocket, 0o600);
  try {
    await front.start(internalSocket);
    // It serves: a key made at this start is kept from now on (see AdminKey.persist).
    await admin.persist?.();
  } catch (err) {
    await front.close().catch(() => {});
    http.close();
    await runtime.close();
    await cgroups?.close();
    await logs.close();
    await logStore.close();
    integrations.close();
    if (!deps.store) await store.close();
    throw err;
  }
  const port = front.port;
  const reachable =
    options.host === "0.0.0.0" || options.host === "::" ? "127.0.0.1" : options.host;
  const url = `http://${reachable.includes(":") ? `[${reachable}]` : reachable}:${port}`;
  apiUrl = url;
  await automations.start();
  // The memory of each function's instances, sampled for the series (one /proc read each).
  const memorySampler = setInterval(() => {
    void sampleMemory(runtime, series);
  }, MEMORY_SAMPLE_MS);
  memorySampler.unref();
  // Debug: the CLI prints its own banner; FNBASE_LOG_LEVEL=debug shows this line.
  log.debug({ url, dataDir: options.dataDir }, "fnbase server listening");
  log.debug(defaultAppNotice(catalog, options.defaultApp));

  let draining = false;
  let closed: Promise<void> | undefined;
  const close = () => {
    closed ??= (async () => {
      clearInterval(memorySampler);
      // Runs in flight get a moment to end while the front still serves them.
      await automations.close();
      await realtime.close();
      await realtimePool?.end().catch(() => {});
      await front.close();
      await runtime.close();
      await cgroups?.close();
      await new Promise<void>((resolve) => {
        http.close(() => resolve());
        http.closeAllConnections();
      });
      await logs.close();
      await logStore.close();
      await bus.close();
      integrations.close();
      await store.close();
      await lock.release();
    })();
    return closed;
  };

  /**
   * Graceful drain (SIGTERM): readiness answers 503 at once, then after `drainDelayMs` (for the
   * load balancer to see it) the front stops taking connections, answers what is in progress
   * (at most `drainTimeoutMs`), and the server closes.
   */
  const drain = async () => {
    draining = true;
    if (options.drainDelayMs > 0) await new Promise((r) => setTimeout(r, options.drainDelayMs));
    await front.drain(options.drainTimeoutMs);
    await close();
  };

  return {
    url,
    port,
    nodeId: stores.nodeId,
    drain,
    internalSocket,
    get frontPid() {
      return front.pid;
    },
    adminKey: admin.given ?? admin.generated,
    adminKeyGenerated: admin.generated !== undefined,
    options,
    api,
    createApp: (name, id) => catalog.createApp({ id: id ?? newId(), name }),
    hasApp: (appId) => catalog.app(appId) !== undefined,
    defaultAppNotice: () => defaultAppNotice(catalog, options.defaultApp),
    dashboardSignInLink: (path = "/") => {
      const code = dashboardSessions.grant({
        kind: "key",
        key: internalKey,
        admin: true,
        prefix: "sign-in link",
      });
      return `${url}/_${path}?code=${code}`;
    },
    deploy: (appId, name, body) => deployer.deploy(appId, name, body),
    syncEntities: (appId, schemas) => entitySchemas.sync(appId, schemas),
    removeFunction: (appId, name) => deployer.remove(appId, name),
    functionNames: (appId) => [...catalog.functions(appId).keys()],
    replaceSecrets: (appId, values) => secrets.replaceAll(appId, values),
    onOutput: (cb) => output.on(cb),
    onInvocation: (cb) => invocations.on(cb),
    automations: { tick: () => automations.tick() },
    sparePids: () =>
      runtime.spares().flatMap((p) => (p.waiting && p.pid !== undefined ? [p.pid] : [])),
    hostProcesses: () =>
      runtime.hosts().map((h) => ({ app_id: h.appId, pid: h.pid, workers: h.workers })),
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
