/**
 * The shape rules of an automation, as the Base44 CLI 0.1.18 checks them with zod
 * (`src/core/resources/function/schema.ts`): one object schema per kind, tried in the CLI's
 * order, keys in the schema's order, unknown keys dropped, defaults filled in. Written as a
 * small table here rather than with zod, whose messages name no automation and whose union
 * errors list every kind; the kind is picked by its literal fields, so the error names the
 * field that is wrong for the kind the caller meant.
 */

import { REPEAT_UNITS } from "./definition.js";

/** A failed rule: what is wrong, and the path below the field (for nested values). */
export interface ShapeError {
  path: string;
  why: string;
}

type Result = { set: false } | { set: true; value: unknown };
/** A rule: `present` is false when the key is absent (or undefined). */
type Rule = (value: unknown, present: boolean) => Result;

class Fail extends Error {
  constructor(
    readonly path: string,
    readonly why: string,
  ) {
    super(why);
  }
}

const show = (v: unknown) => JSON.stringify(v) ?? String(v);
const typeName = (v: unknown) => (v === null ? "null" : Array.isArray(v) ? "an array" : typeof v);
const need = (present: boolean, what: string) => {
  if (!present) throw new Fail("", `is required (${what})`);
};

const str =
  (min = 0, what = "a string"): Rule =>
  (v, present) => {
    need(present, what);
    if (typeof v !== "string") throw new Fail("", `must be ${what}, not ${typeName(v)}`);
    if (v.length < min) throw new Fail("", "must not be empty");
    return { set: true, value: v };
  };
const literal =
  (x: string): Rule =>
  (v, present) => {
    need(present, show(x));
    if (v !== x) throw new Fail("", `must be ${show(x)}: ${show(v)}`);
    return { set: true, value: v };
  };
const oneOf =
  (values: readonly string[]): Rule =>
  (v, present) => {
    const list = values.map(show).join(", ");
    need(present, `one of ${list}`);
    if (typeof v !== "string" || !values.includes(v))
      throw new Fail("", `must be one of ${list}: ${show(v)}`);
    return { set: true, value: v };
  };
const bool: Rule = (v, present) => {
  need(present, "true or false");
  if (typeof v !== "boolean") throw new Fail("", `must be true or false: ${show(v)}`);
  return { set: true, value: v };
};
const int =
  (min: number, max = Number.MAX_SAFE_INTEGER): Rule =>
  (v, present) => {
    const range = max === Number.MAX_SAFE_INTEGER ? `>= ${min}` : `from ${min} to ${max}`;
    need(present, `an integer ${range}`);
    if (typeof v !== "number" || !Number.isInteger(v) || v < min || v > max)
      throw new Fail("", `must be an integer ${range}: ${show(v)}`);
    return { set: true, value: v };
  };
const plainObject: Rule = (v, present) => {
  need(present, "an object");
  if (typeof v !== "object" || v === null || Array.isArray(v))
    throw new Fail("", `must be an object, not ${typeName(v)}`);
  return { set: true, value: v };
};
const arrayOf =
  (item: Rule, min = 0): Rule =>
  (v, present) => {
    need(present, "an array");
    if (!Array.isArray(v)) throw new Fail("", `must be an array, not ${typeName(v)}`);
    if (v.length < min) throw new Fail("", `must hold at least ${min} item${min === 1 ? "" : "s"}`);
    return {
      set: true,
      value: v.map((x, i) => {
        try {
          return (item(x, x !== undefined) as { value: unknown }).value;
        } catch (err) {
          if (err instanceof Fail) throw new Fail(`[${i}]${err.path}`, err.why);
          throw err;
        }
      }),
    };
  };
const optional =
  (rule: Rule): Rule =>
  (v, present) =>
    present ? rule(v, true) : { set: false };
const nullable =
  (rule: Rule): Rule =>
  (v, present) =>
    present && v === null ? { set: true, value: null } : rule(v, present);
const withDefault =
  (rule: Rule, fallback: unknown): Rule =>
  (v, present) =>
    present ? rule(v, true) : { set: true, value: fallback };
const anything: Rule = (v, present) => (present ? { set: true, value: v } : { set: false });

type Shape = [key: string, rule: Rule][];

/** Applies a shape: keys in its order, absent optional keys left out, unknown keys dropped. */
function applyShape(shape: Shape, input: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, rule] of shape) {
    const value = Object.hasOwn(input, key) ? input[key] : undefined;
    try {
      const r = rule(value, value !== undefined);
      if (r.set) out[key] = r.value;
    } catch (err) {
      if (err instanceof Fail) throw new Fail(`${key}${err.path}`, err.why);
      throw err;
    }
  }
  return out;
}

const objectRule =
  (shape: () => Shape): Rule =>
  (v, present) => {
    plainObject(v, present);
    return { set: true, value: applyShape(shape(), v as Record<string, unknown>) };
  };

const BASE: Shape = [
  ["name", str(1)],
  ["description", optional(nullable(str()))],
  ["function_args", optional(nullable(plainObject))],
  ["is_active", withDefault(bool, true)],
];
const ENDS: Shape = [
  ["ends_type", withDefault(oneOf(["never", "on", "after"]), "never")],
  ["ends_on_date", optional(nullable(str()))],
  ["ends_after_count", optional(nullable(int(1)))],
];
const ONE_TIME: Shape = [
  ...BASE,
  ["type", literal("scheduled")],
  ["schedule_mode", literal("one-time")],
  ["one_time_date", str(1)],
];
const CRON: Shape = [
  ...BASE,
  ["type", literal("scheduled")],
  ["schedule_mode", literal("recurring")],
  ["schedule_type", literal("cron")],
  ["cron_expression", str(1)],
  ...ENDS,
];
const SIMPLE: Shape = [
  ...BASE,
  ["type", literal("scheduled")],
  ["schedule_mode", literal("recurring")],
  ["schedule_type", literal("simple")],
  ["repeat_unit", oneOf(REPEAT_UNITS)],
  ["repeat_interval", optional(nullable(int(1)))],
  ["start_time", optional(nullable(str()))],
  ["repeat_on_days", optional(nullable(arrayOf(int(0, 6))))],
  ["repeat_on_day_of_month", optional(nullable(int(1, 31)))],
  ...ENDS,
];
const ENTITY: Shape = [
  ...BASE,
  ["type", literal("entity")],
  ["entity_name", str(1)],
  ["event_types", arrayOf(oneOf(["create", "update", "delete"]), 1)],
];
/**
 * A trigger condition `{ field, operator, value? }` or a nested group: the CLI's union tries
 * the condition first, then the group; when both fail, the error is the group's if the value
 * has `conditions`, else the condition's.
 */
const condition: Rule = (v, present) => {
  plainObject(v, present);
  const o = v as Record<string, unknown>;
  try {
    return {
      set: true,
      value: applyShape(
        [
          ["field", str(1)],
          ["operator", str(1)],
          ["value", optional(nullable(anything))],
        ],
        o,
      ),
    };
  } catch (err) {
    if (!(err instanceof Fail) || !Object.hasOwn(o, "conditions")) throw err;
    return group(v, present);
  }
};
const group: Rule = objectRule(() => [
  ["logic", optional(oneOf(["and", "or"]))],
  ["conditions", arrayOf(condition, 1)],
]);
const CONNECTOR: Shape = [
  ...BASE,
  ["type", literal("connector")],
  [
    "integration_type",
    (v, present) => {
      const r = str(1, "a connector type")(v, present);
      if (!/^[a-z0-9_-]+$/i.test(v as string))
        throw new Fail("", `must hold only letters, digits, _ and -: ${show(v)}`);
      return r;
    },
  ],
  ["events", arrayOf(str())],
  ["resource_id", optional(nullable(str()))],
  ["trigger_conditions", optional(nullable(group))],
];

/** The shape meant by an automation's literal fields (`type`, `schedule_mode`, `schedule_type`). */
function shapeOf(o: Record<string, unknown>): Shape {
  switch (o.type) {
    case "entity":
      return ENTITY;
    case "connector":
      return CONNECTOR;
    case "scheduled":
      if (o.schedule_mode === "one-time") return ONE_TIME;
      if (o.schedule_mode !== "recurring")
        return [["schedule_mode", oneOf(["one-time", "recurring"])]];
      if (o.schedule_type === "simple") return SIMPLE;
      if (o.schedule_type === "cron") return CRON;
      return [["schedule_type", oneOf(["cron", "simple"])]];
    default:
      return [["type", oneOf(["scheduled", "entity", "connector"])]];
  }
}

/** What {@link normalizeShape} answers. */
export type ShapeResult =
  | { ok: true; value: Record<string, unknown> }
  | { ok: false; error: ShapeError };

/**
 * Checks one automation against the CLI's shape and answers it normalised: keys in the CLI's
 * order, unknown keys dropped, `is_active` and `ends_type` filled in; or the field that is
 * wrong (`path`, e.g. `event_types[1]`) and why.
 *
 * @example
 * normalizeShape({ name: "n", type: "entity", entity_name: "Task", event_types: ["create"] });
 * // { ok: true, value: { name: "n", is_active: true, type: "entity", entity_name: "Task", event_types: ["create"] } }
 */
export function normalizeShape(input: unknown): ShapeResult {
  try {
    if (typeof input !== "object" || input === null || Array.isArray(input))
      throw new Fail("", `must be an object, not ${typeName(input)}`);
    const o = input as Record<string, unknown>;
    // The name first, so that any later error can name the automation.
    applyShape([["name", str(1)]], o);
    return { ok: true, value: applyShape(shapeOf(o), o) };
  } catch (err) {
    if (err instanceof Fail) return { ok: false, error: { path: err.path, why: err.why } };
    throw err;
  }
}
