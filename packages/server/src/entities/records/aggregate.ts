import { FnbaseError } from "@fnbase/shared";
import { AGGREGATE_MAX_GROUPS, type AggregateQuery, type AggregateRow } from "../../store/index.js";
import { and, matches, parseFields, parseFilter } from "../query/index.js";
import type { FieldPath, Json } from "../query/types.js";
import type { EntityCall, EntityService } from "./service.js";

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === "object" && v !== null && !Array.isArray(v);

/** Rows one aggregate answers with: default and most (`@base44/sdk` 0.8.50 types). */
export const AGGREGATE_MAX_ROWS = 1_000;
const UNITS = ["day", "week", "month", "year"] as const;
const DATE_BUILTINS = ["created_date", "updated_date"];

/** One field name or a list of them, as paths; `what` names the spec key in errors. */
function fieldList(v: unknown, what: string, max = 20): FieldPath[] {
  if (v === undefined) return [];
  const list = typeof v === "string" ? [v] : v;
  if (!Array.isArray(list) || !list.every((f) => typeof f === "string") || list.length > max) {
    throw new FnbaseError(
      "INVALID_QUERY",
      `Invalid aggregate: "${what}" must be a field name or a list of at most ${max}`,
    );
  }
  return (parseFields(list.join(",")) ?? []).map((f) => f.split("."));
}

/**
 * Reads an aggregate spec (`@base44/sdk` 0.8.50 `EntityAggregateSpec`): `query`, `groupBy` (up
 * to 4 fields), `dateBucket` (`created_date`/`updated_date` by day, week, month or year; other
 * date fields by day, month or year), `count` (default true), `sum`/`avg`/`min`/`max`,
 * `countDistinct`, `having`, `sort`, `limit` (at most 1,000).
 *
 * @throws {FnbaseError} INVALID_QUERY naming the key.
 */
export function parseAggregate(spec: unknown) {
  if (!isObject(spec))
    throw new FnbaseError("INVALID_QUERY", "Invalid aggregate: the body must be an object");
  const known = [
    "query",
    "groupBy",
    "dateBucket",
    "count",
    "sum",
    "avg",
    "min",
    "max",
    "countDistinct",
    "having",
    "sort",
    "limit",
  ];
  for (const k of Object.keys(spec)) {
    if (!known.includes(k))
      throw new FnbaseError("INVALID_QUERY", `Invalid aggregate: unknown key "${k}"`);
  }
  const groupBy = fieldList(spec.groupBy, "groupBy", 4);
  let dateBucket: AggregateQuery["dateBucket"];
  if (spec.dateBucket !== undefined) {
    const b = spec.dateBucket;
    if (
      !isObject(b) ||
      typeof b.field !== "string" ||
      !UNITS.includes(b.unit as (typeof UNITS)[number])
    ) {
      throw new FnbaseError(
        "INVALID_QUERY",
        'Invalid aggregate: "dateBucket" must be { field, unit: day|week|month|year }',
      );
    }
    if (b.unit === "week" && !DATE_BUILTINS.includes(b.field)) {
      throw new FnbaseError(
        "INVALID_QUERY",
        `Invalid aggregate: a week bucket needs created_date or updated_date, not "${b.field}"`,
      );
    }
    dateBucket = {
      path: fieldList(b.field, "dateBucket.field", 1)[0]!,
      unit: b.unit as (typeof UNITS)[number],
    };
  }
  if (spec.count !== undefined && typeof spec.count !== "boolean") {
    throw new FnbaseError("INVALID_QUERY", 'Invalid aggregate: "count" must be true or false');
  }
  const countDistinct =
    spec.countDistinct === undefined
      ? undefined
      : fieldList(spec.countDistinct, "countDistinct", 1)[0];
  let sort: AggregateQuery["sort"];
  if (spec.sort !== undefined) {
    if (typeof spec.sort !== "string" || !/^[-+]?[A-Za-z0-9_.]{1,200}$/.test(spec.sort)) {
      throw new FnbaseError(
        "INVALID_QUERY",
        `Invalid aggregate: "sort" must be a column name, - for descending: ${JSON.stringify(spec.sort)}`,
      );
    }
    sort = { column: spec.sort.replace(/^[-+]/, ""), descending: spec.sort.startsWith("-") };
  }
  let limit = AGGREGATE_MAX_ROWS;
  if (spec.limit !== undefined) {
    if (!Number.isInteger(spec.limit) || (spec.limit as number) < 1) {
      throw new FnbaseError(
        "INVALID_QUERY",
        `Invalid aggregate: "limit" must be a positive whole number: ${JSON.stringify(spec.limit)}`,
      );
    }
    limit = Math.min(spec.limit as number, AGGREGATE_MAX_ROWS);
  }
  const query: AggregateQuery = {
    filter: parseFilter(spec.query ?? {}),
    groupBy,
    ...(dateBucket ? { dateBucket } : {}),
    count: spec.count !== false,
    sum: fieldList(spec.sum, "sum"),
    avg: fieldList(spec.avg, "avg"),
    min: fieldList(spec.min, "min"),
    max: fieldList(spec.max, "max"),
    ...(countDistinct ? { countDistinct } : {}),
    limit: AGGREGATE_MAX_GROUPS,
  };
  const having = spec.having === undefined ? undefined : parseFilter(spec.having);
  return { query, having, sort, limit };
}

function compare(a: Json | undefined, b: Json | undefined): number {
  if (a === b) return 0;
  if (a === null || a === undefined) return -1;
  if (b === null || b === undefined) return 1;
  if (typeof a === typeof b && (typeof a === "number" || typeof a === "string")) {
    return a < (b as typeof a) ? -1 : 1;
  }
  return String(a) < String(b) ? -1 : 1;
}

/**
 * `POST /aggregate`: groups the records the caller may read and computes the measures; `having`
 * filters the groups, `sort` orders them by a column, and `truncated` says whether groups were
 * left out by `limit`.
 */
export async function aggregate(
  svc: EntityService,
  call: EntityCall,
  spec: unknown,
): Promise<{ rows: AggregateRow[]; truncated: boolean }> {
  const s = svc.scope(call);
  const a = parseAggregate(spec);
  const q = a.query;
  const used = [...q.groupBy, ...q.sum, ...q.avg, ...q.min, ...q.max];
  if (q.dateBucket) used.push(q.dateBucket.path);
  if (q.countDistinct) used.push(q.countDistinct);
  svc.checkFields(
    s,
    q.filter,
    used.map((path) => ({ path, descending: false })),
  );
  const got = await svc.store.aggregate(s.ref, {
    ...q,
    filter: and(q.filter, svc.access(s, "read")),
  });
  let rows = got.rows;
  if (a.having) {
    const having = a.having;
    rows = rows.filter((r) => matches(having, r));
  }
  if (a.sort) {
    const { column, descending } = a.sort;
    rows = [...rows].sort((x, y) => (descending ? -1 : 1) * compare(x[column], y[column]));
  }
  return { rows: rows.slice(0, a.limit), truncated: got.truncated || rows.length > a.limit };
}
