import type Database from "better-sqlite3";
import { m001Core } from "./001_core.js";
import { m002Identity } from "./002_identity.js";
import { m003Entities } from "./003_entities.js";
import { m004Automations } from "./004_automations.js";
import { m005Limits } from "./005_limits.js";
import { m006EntityJsonb } from "./006_entity_jsonb.js";
import { m007AutomationVersion } from "./007_automation_version.js";
import { m008AutomationAppQueue } from "./008_automation_app_queue.js";

/** A migration: SQL to run, or a function for what depends on the data (one table per entity). */
export type Migration = string | ((db: Database.Database) => void);

/**
 * Versioned schema migrations for the SQLite store, in order. Append only: a released
 * migration never changes. `PRAGMA user_version` records how many have run.
 */
export const MIGRATIONS: readonly Migration[] = [
  m001Core,
  m002Identity,
  m003Entities,
  m004Automations,
  m005Limits,
  m006EntityJsonb,
  m007AutomationVersion,
  m008AutomationAppQueue,
];
