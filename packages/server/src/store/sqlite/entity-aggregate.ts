import { type RawBuilder, sql } from "kysely";
import { fieldExpression, fieldType } from "../../entities/query/index.js";
import type { FieldPath, Json, TableShape } from "../../entities/query/types.js";
import type { AggregateQuery } from "../entity-types.js";

/** The output column of a field path: its dotted name. */
export const columnOf = (path: FieldPath) => path.join(".");

function bucket(
  value: RawBuilder<unknown>,
  unit: NonNullable<AggregateQuery["dateBucket"]>["unit"],
) {
  switch (unit) {
    case "day":
      return sql`substr(${value}, 1, 10)`;
    case "month":
      return sql`substr(${value}, 1, 7)`;
    case "year":
      return sql`substr(${value}, 1, 4)`;
    case "week":
      // The Monday that starts the ISO week holding the date.
      return sql`date(substr(${value}, 1, 10), '-' || ((CAST(strftime('%w', substr(${value}, 1, 10)) AS INTEGER) + 6) % 7) || ' days')`;
  }
}

const numeric = (path: FieldPath, shape: TableShape) =>
  sql`CASE WHEN ${fieldType(path, shape)} IN ('integer', 'real') THEN ${fieldExpression(path, shape)} END`;

/**
 * The SELECT of an aggregate: group columns `g0..`, their JSON types `t0..` (to give booleans and
 * objects back as JSON), then the measures under their wire names. Reads at most
 * `query.limit` + 1 rows so the caller can tell it was cut.
 */
export function aggregateSql(
  query: AggregateQuery,
  shape: TableShape,
  from: RawBuilder<unknown>,
  where: RawBuilder<unknown>,
): RawBuilder<unknown> {
  const groups: RawBuilder<unknown>[] = [];
  const selects: RawBuilder<unknown>[] = [];
  query.groupBy.forEach((path, i) => {
    groups.push(sql.raw(`g${i}`));
    selects.push(sql`${fieldExpression(path, shape)} AS ${sql.raw(`g${i}`)}`);
    selects.push(sql`${fieldType(path, shape)} AS ${sql.raw(`t${i}`)}`);
  });
  if (query.dateBucket) {
    const v = fieldExpression(query.dateBucket.path, shape);
    groups.push(sql.raw("b0"));
    selects.push(sql`${bucket(v, query.dateBucket.unit)} AS b0`);
  }
  if (query.count) selects.push(sql`COUNT(*) AS "count"`);
  const measure = (fn: string, path: FieldPath, expr: RawBuilder<unknown>) =>
    selects.push(
      sql`${sql.raw(fn)}(${expr}) AS ${sql.ref(`${fn.toLowerCase()}_${columnOf(path)}`)}`,
    );
  for (const p of query.sum) measure("SUM", p, numeric(p, shape));
  for (const p of query.avg) measure("AVG", p, numeric(p, shape));
  for (const p of query.min) measure("MIN", p, fieldExpression(p, shape));
  for (const p of query.max) measure("MAX", p, fieldExpression(p, shape));
  if (query.countDistinct) {
    selects.push(
      sql`COUNT(DISTINCT ${fieldExpression(query.countDistinct, shape)}) AS ${sql.ref(`count_distinct_${columnOf(query.countDistinct)}`)}`,
    );
  }
  if (selects.length === 0) selects.push(sql`COUNT(*) AS "count"`);
  const groupBy = groups.length > 0 ? sql` GROUP BY ${sql.join(groups)}` : sql``;
  return sql`SELECT ${sql.join(selects)} FROM ${from} WHERE ${where}${groupBy} LIMIT ${query.limit + 1}`;
}

/** One SQL row of {@link aggregateSql} as the wire row: group fields by name, then measures. */
export function readAggregateRow(
  query: AggregateQuery,
  row: Record<string, unknown>,
): Record<string, Json> {
  const out: Record<string, Json> = {};
  query.groupBy.forEach((path, i) => {
    const v = row[`g${i}`];
    const t = row[`t${i}`];
    out[columnOf(path)] =
      t === "true"
        ? true
        : t === "false"
          ? false
          : (t === "object" || t === "array") && typeof v === "string"
            ? (JSON.parse(v) as Json)
            : ((v ?? null) as Json);
  });
  if (query.dateBucket) out[columnOf(query.dateBucket.path)] = (row.b0 ?? null) as Json;
  for (const [k, v] of Object.entries(row)) {
    if (/^[gt]\d+$/.test(k) || k === "b0") continue;
    out[k] = (v ?? null) as Json;
  }
  return out;
}
