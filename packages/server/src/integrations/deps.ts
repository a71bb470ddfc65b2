import type { Logger } from "@fnbase/shared";
import type { Catalog } from "../catalog.js";
import type { IdentityDeps } from "../identity/index.js";
import type { AnalyticsEvents } from "./analytics/analytics-store.js";
import type { Mailer } from "./email/mailer.js";
import type { FileService } from "./files/file-service.js";
import type { LlmClient } from "./llm/openai-client.js";

/** What the integration routes work with. */
export interface IntegrationDeps {
  catalog: Catalog;
  /** Caller resolution (tokens, API keys, users). */
  identity: IdentityDeps;
  files: FileService;
  mailer: Mailer;
  llm: LlmClient;
  analytics: AnalyticsEvents;
  /** Any origin may call the browser routes (`fnbase dev`). */
  corsAnyOrigin: boolean;
  now: () => number;
  log: Logger;
}
