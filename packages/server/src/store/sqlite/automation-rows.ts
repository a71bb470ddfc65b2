import type { AutomationKind, AutomationRow } from "../automation-types.js";

/** An automation as SQLite returns it. */
export interface AutomationDbRow {
  id: string;
  app_id: string;
  function_name: string;
  name: string;
  position: number;
  source: string;
  definition: string;
  kind: string;
  is_active: number;
  entity_name: string | null;
  event_types: string;
  owner_id: string | null;
  next_run_at: number | null;
  run_count: number;
  schedule_anchor: number;
  created_date: string;
  updated_date: string;
}

/** A stored automation as the store's callers see it. */
export const toAutomation = (r: AutomationDbRow): AutomationRow => ({
  id: r.id,
  app_id: r.app_id,
  function_name: r.function_name,
  name: r.name,
  position: r.position,
  source: r.source === "api" ? "api" : "deploy",
  definition: JSON.parse(r.definition) as Record<string, unknown>,
  kind: r.kind as AutomationKind,
  is_active: r.is_active === 1,
  owner_id: r.owner_id,
  next_run_at: r.next_run_at,
  run_count: r.run_count,
  schedule_anchor: r.schedule_anchor,
  created_date: r.created_date,
  updated_date: r.updated_date,
});
