import { join } from "node:path";
import type { Logger } from "@fnbase/shared";
import type { Hono } from "hono";
import { appCors } from "../api/cors.js";
import type { ResolvedOptions } from "../config.js";
import { type AnalyticsEvents, AnalyticsStore } from "./analytics/analytics-store.js";
import { analyticsRoutes } from "./analytics/routes.js";
import { compatRoutes } from "./compat-routes.js";
import { coreRoutes } from "./core-routes.js";
import { openIntegrationsDb } from "./db.js";
import type { IntegrationDeps } from "./deps.js";
import { Mailer } from "./email/mailer.js";
import { fileRoutes } from "./file-routes.js";
import { DiskStorage } from "./files/disk-storage.js";
import { type FileRowStore, FileRows } from "./files/file-rows.js";
import { FileService } from "./files/file-service.js";
import { S3Storage } from "./files/s3-storage.js";
import { UrlSigner } from "./files/signed-url.js";
import type { FileStorage } from "./files/storage.js";
import { LlmClient } from "./llm/openai-client.js";

export { type AnalyticsEvents, AnalyticsStore } from "./analytics/analytics-store.js";
export type { IntegrationDeps } from "./deps.js";
export { Mailer } from "./email/mailer.js";
export { DiskStorage } from "./files/disk-storage.js";
export { FileService } from "./files/file-service.js";
export { S3Storage } from "./files/s3-storage.js";
export type { ByteRange, FileStorage } from "./files/storage.js";
export { LlmClient } from "./llm/openai-client.js";
export { type IntegrationOptions, resolveIntegrationOptions } from "./options.js";

/** The integration services of a server, and how to stop them. */
export interface Integrations {
  files: FileService;
  mailer: Mailer;
  llm: LlmClient;
  analytics: AnalyticsEvents;
  storage: FileStorage;
  close(): void;
}

/**
 * Opens what the integrations need: `integrations.db` in the data dir, the file storage (local
 * disk or S3), the URL signer (keyed from the master key), the SMTP mailer and the LLM client,
 * and starts analytics retention (every `logPruneIntervalMs`).
 *
 * @example
 * const integrations = openIntegrations(options, { masterKey, baseUrl: () => url, now: Date.now, log });
 */
export function openIntegrations(
  options: ResolvedOptions,
  deps: {
    masterKey: Buffer;
    baseUrl: () => string;
    now: () => number;
    log: Logger;
    /** Where file rows live when not in `integrations.db` (the PostgreSQL store's, on a cluster). */
    fileRows?: FileRowStore;
    /** Where analytics events live when not in `integrations.db` (likewise). */
    analytics?: AnalyticsEvents;
  },
): Integrations {
  const db = openIntegrationsDb(join(options.dataDir, "integrations.db"));
  const storage: FileStorage =
    options.fileStorage === "s3" && options.s3
      ? new S3Storage(options.s3)
      : new DiskStorage(join(options.dataDir, "files"));
  const files = new FileService({
    rows: deps.fileRows ?? new FileRows(db),
    storage,
    signer: new UrlSigner(deps.masterKey, deps.now),
    limits: (appId) => ({
      maxFileBytes: options.appFileLimits[appId]?.maxFileBytes ?? options.maxFileBytes,
      maxAppFilesBytes: options.appFileLimits[appId]?.maxAppFilesBytes ?? options.maxAppFilesBytes,
    }),
    baseUrl: () => options.filesUrl ?? deps.baseUrl(),
    now: deps.now,
    log: deps.log,
  });
  const mailer = new Mailer({ smtpUrl: options.smtpUrl, from: options.mailFrom, log: deps.log });
  const llm = new LlmClient({
    url: options.llmUrl,
    apiKey: options.llmApiKey,
    model: options.llmModel,
    models: options.llmModels,
    imageModel: options.imageModel,
    timeoutMs: options.llmTimeoutMs,
    log: deps.log,
  });
  const analytics = deps.analytics ?? new AnalyticsStore(db);
  const prune = () => {
    analytics
      .prune(deps.now() - options.analyticsRetentionMs, options.analyticsMaxEventsPerApp)
      .catch((err: unknown) => deps.log.error({ err }, "analytics retention failed"));
  };
  const timer = setInterval(prune, options.logPruneIntervalMs);
  timer.unref();
  return {
    files,
    mailer,
    llm,
    analytics,
    storage,
    close() {
      clearInterval(timer);
      mailer.close();
      db.close();
    },
  };
}

/**
 * Mounts the integration routes: Core integrations, file links, analytics, and the other
 * routes `@base44/sdk` calls (answered or refused with a code). Call it from `createApi`'s
 * `extend`, before the key-protected `/api/apps` group.
 *
 * @example
 * createApi(deps, (api) => mountIntegrations(api, integrationDeps));
 */
export function mountIntegrations(api: Hono, d: IntegrationDeps): void {
  // Browser frontends on the app's origins call these.
  const cors = appCors(d.catalog, d.corsAnyOrigin);
  for (const path of [
    "/api/apps/:appId/integration-endpoints/*",
    "/api/apps/:appId/integrations/*",
    "/api/apps/:appId/analytics/track/*",
    "/api/apps/:appId/users/*",
    "/api/apps/:appId/runtime/*",
    "/api/app-logs/:appId/*",
    "/api/apps/public/prod/public-settings/by-id/:appId",
  ]) {
    api.use(path, cors);
  }
  coreRoutes(api, d);
  fileRoutes(api, d);
  analyticsRoutes(api, d);
  compatRoutes(api, d);
}
