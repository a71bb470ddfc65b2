/**
 * What an automation is, as `function.jsonc` holds it and `GET backend-functions` echoes it:
 * the union of the Base44 CLI 0.1.18 (`src/core/resources/function/schema.ts`,
 * `../shared/BASE44-DATA.md` §4.1), after its defaults are filled in (`is_active: true`,
 * `ends_type: "never"`) and unknown keys dropped. Keys absent from what was sent stay absent, so
 * `base44 functions pull` writes back what was deployed.
 */

/** Fields every automation has. */
export interface AutomationBase {
  name: string;
  description?: string | null;
  /** Passed to the function as its JSON body (scheduled and manual runs) or merged into it (entity events). */
  function_args?: Record<string, unknown> | null;
  is_active: boolean;
}

/** How a recurring schedule ends. */
export interface ScheduleEnds {
  ends_type: "never" | "on" | "after";
  /** UTC date or date-time, inclusive; used when `ends_type` is `on`. */
  ends_on_date?: string | null;
  /** Runs in all; used when `ends_type` is `after`. */
  ends_after_count?: number | null;
}

/** Runs once, at `one_time_date` (UTC when it names no zone). */
export interface ScheduledOneTime extends AutomationBase {
  type: "scheduled";
  schedule_mode: "one-time";
  one_time_date: string;
}

/** Runs on a 5-field cron expression, in UTC. */
export interface ScheduledCron extends AutomationBase, ScheduleEnds {
  type: "scheduled";
  schedule_mode: "recurring";
  schedule_type: "cron";
  cron_expression: string;
}

/** The units of a simple schedule. */
export const REPEAT_UNITS = ["minutes", "hours", "days", "weeks", "months"] as const;
export type RepeatUnit = (typeof REPEAT_UNITS)[number];

/** Runs every `repeat_interval` units, at `start_time` (UTC), on the days it names. */
export interface ScheduledSimple extends AutomationBase, ScheduleEnds {
  type: "scheduled";
  schedule_mode: "recurring";
  schedule_type: "simple";
  repeat_unit: RepeatUnit;
  repeat_interval?: number | null;
  /** `HH:MM` (UTC). */
  start_time?: string | null;
  /** Weekdays, 0 = Sunday. */
  repeat_on_days?: number[] | null;
  repeat_on_day_of_month?: number | null;
}

/** The record events an entity automation listens to. */
export const EVENT_TYPES = ["create", "update", "delete"] as const;
export type EventType = (typeof EVENT_TYPES)[number];

/** Runs on each create, update or delete of a record of `entity_name`. */
export interface EntityAutomation extends AutomationBase {
  type: "entity";
  entity_name: string;
  event_types: EventType[];
}

/** One condition of a connector trigger, or a nested group. */
export type TriggerCondition =
  | { field: string; operator: string; value?: unknown }
  | TriggerConditionGroup;
export interface TriggerConditionGroup {
  logic?: "and" | "or";
  conditions: TriggerCondition[];
}

/**
 * A webhook of an OAuth connector. Kept and echoed so Base44 projects deploy and pull
 * unchanged; fnbase has no connectors, so these never run.
 */
export interface ConnectorAutomation extends AutomationBase {
  type: "connector";
  integration_type: string;
  events: string[];
  resource_id?: string | null;
  trigger_conditions?: TriggerConditionGroup | null;
}

/** Any automation, normalised. */
export type AutomationDefinition =
  | ScheduledOneTime
  | ScheduledCron
  | ScheduledSimple
  | EntityAutomation
  | ConnectorAutomation;

/** A scheduled automation of any kind. */
export type ScheduledAutomation = ScheduledOneTime | ScheduledCron | ScheduledSimple;

/** True for the scheduled kinds. */
export const isScheduled = (d: AutomationDefinition): d is ScheduledAutomation =>
  d.type === "scheduled";
