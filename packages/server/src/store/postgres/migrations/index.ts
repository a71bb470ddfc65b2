import { pg001Core } from "./001_core.js";
import { pg002Identity } from "./002_identity.js";
import { pg003Entities } from "./003_entities.js";
import { pg004Automations } from "./004_automations.js";
import { pg005Logs } from "./005_logs.js";
import { pg006Realtime } from "./006_realtime.js";
import { pg007Files } from "./007_files.js";
import { pg008Analytics } from "./008_analytics.js";
import { pg009AutomationVersion } from "./009_automation_version.js";
import { pg010AutomationAppQueue } from "./010_automation_app_queue.js";

/**
 * Versioned schema migrations of the PostgreSQL store, in order; append only (a released one
 * never changes). `fnbase_migrations` records which have run; see `migrate.ts`.
 */
export const PG_MIGRATIONS: readonly string[] = [
  pg001Core,
  pg002Identity,
  pg003Entities,
  pg004Automations,
  pg005Logs,
  pg006Realtime,
  pg007Files,
  pg008Analytics,
  pg009AutomationVersion,
  pg010AutomationAppQueue,
];
