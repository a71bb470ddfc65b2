import { FnbaseError } from "@fnbase/shared";
import { type AutomationDefinition, isScheduled } from "./definition.js";
import { compileSchedule, ScheduleError } from "./schedule.js";
import { normalizeShape } from "./shape.js";

/** What a schedule check needs: the cadence floor and the clock. */
export interface ValidateOptions {
  /** Shortest interval a recurring schedule may have, in ms (default 5 minutes). */
  minIntervalMs: number;
  /** Epoch ms; one-time dates and cron expressions are checked against it. */
  now: number;
}

const label = (raw: unknown, i: number) => {
  const name = (raw as { name?: unknown } | null)?.name;
  return typeof name === "string" && name !== "" ? `"${name}"` : `#${i}`;
};

/**
 * Checks one automation: the Base44 CLI's shape (normalised, see shape.ts), then what fnbase
 * must be able to run (dates, start times, cron expressions, the cadence floor).
 *
 * @throws {FnbaseError} INVALID_AUTOMATION naming the function, the automation and the field,
 *   e.g. `Invalid automation "nightly" of "report": cron_expression: runs every 1 minute, more
 *   often than every 5 minutes: "* * * * *"` with `field: "automations[0].cron_expression"`.
 */
export function validateAutomation(
  fn: string,
  raw: unknown,
  o: ValidateOptions,
  where = "automation",
  i = 0,
): AutomationDefinition {
  const fail = (path: string, why: string) =>
    new FnbaseError(
      "INVALID_AUTOMATION",
      `Invalid automation ${label(raw, i)} of "${fn}": ${path === "" ? "" : `${path}: `}${why}`,
      {
        field: path === "" ? where : `${where}.${path}`,
        hint: "See the automations of function.jsonc in Base44's docs (scheduled, entity, connector)",
      },
    );
  const shaped = normalizeShape(raw);
  if (!shaped.ok) throw fail(shaped.error.path, shaped.error.why);
  const def = shaped.value as unknown as AutomationDefinition;
  if (isScheduled(def)) {
    try {
      compileSchedule(def, { minIntervalMs: o.minIntervalMs, anchor: o.now, now: o.now });
    } catch (err) {
      if (err instanceof ScheduleError) throw fail(err.field, err.why);
      throw err;
    }
  }
  return def;
}

/**
 * Checks the `automations` of a deploy body: an array (absent or null: undefined), each item valid,
 * names unique within the function. Nothing is changed when one is wrong.
 *
 * @throws {FnbaseError} INVALID_AUTOMATION (see {@link validateAutomation}).
 * @example
 * validateAutomations("report", body.automations, { minIntervalMs: 300_000, now: Date.now() });
 */
export function validateAutomations(
  fn: string,
  raw: unknown,
  o: ValidateOptions,
): AutomationDefinition[] | undefined {
  if (raw === undefined || raw === null) return undefined;
  if (!Array.isArray(raw)) {
    throw new FnbaseError(
      "INVALID_AUTOMATION",
      `Invalid automations of "${fn}": must be an array: ${JSON.stringify(raw)}`,
      { field: "automations" },
    );
  }
  const seen = new Set<string>();
  return raw.map((item, i) => {
    const def = validateAutomation(fn, item, o, `automations[${i}]`, i);
    if (seen.has(def.name)) {
      throw new FnbaseError(
        "INVALID_AUTOMATION",
        `Invalid automation "${def.name}" of "${fn}": the name appears more than once`,
        { field: `automations[${i}].name`, hint: "Automation names are unique within a function" },
      );
    }
    seen.add(def.name);
    return def;
  });
}
