import { type RawBuilder, sql } from "kysely";
import { pgFieldText, pgFieldType } from "../../entities/query/postgres-paths.js";
import type { FieldPath, Json, TableShape } from "../../entities/query/types.js";
import type { AggregateQuery } from "../entity-types.js";
import { columnOf } from "../sqlite/entity-aggregate.js";

type Sql = RawBuilder<unknown>;

function bucket(text: Sql, unit: NonNullable<AggregateQuery["dateBucket"]>["unit"]): Sql {
  switch (unit) {
    case "day":
      return sql`substr(${text}, 1, 10)`;
    case "month":
      return sql`substr(${text}, 1, 7)`;
    case "year":
      return sql`substr(${text}, 1, 4)`;
    case "week":
      return sql`fnbase_week(${text})`;
  }
}

/** A field's number (numbers; booleans as 1/0, as SQLite's JSON functions give them), else NULL. */
const asNumber = (p: FieldPath, s: TableShape, booleans: boolean) => {
  const type = pgFieldType(p, s);
  const text = pgFieldText(p, s);
  return booleans
    ? sql`(CASE ${type} WHEN 'number' THEN (${text})::numeric WHEN 'boolean' THEN (CASE WHEN ${text} = 'true' THEN 1 ELSE 0 END) END)`
    : sql`(CASE WHEN ${type} = 'number' THEN (${text})::numeric END)`;
};
/** A field's text when SQLite would compare it as text (strings, arrays, objects), else NULL. */
const asText = (p: FieldPath, s: TableShape) =>
  sql`(CASE WHEN ${pgFieldType(p, s)} IN ('string', 'array', 'object') THEN ${pgFieldText(p, s)} END) COLLATE "C"`;

/**
 * The SELECT of an aggregate on PostgreSQL, with SQLite's answers (`sqlite/entity-aggregate.ts`):
 * groups by each field's type and text (`g0`, `t0`, ...), sums and averages over numbers, and
 * MIN/MAX in SQLite's order of types (any number below any text), read back by
 * {@link readPgAggregateRow}. At most `query.limit` + 1 rows.
 */
export function pgAggregateSql(
  query: AggregateQuery,
  shape: TableShape,
  from: Sql,
  where: Sql,
): Sql {
  const groups: Sql[] = [];
  const selects: Sql[] = [];
  query.groupBy.forEach((path, i) => {
    groups.push(sql.raw(`g${i}`), sql.raw(`t${i}`));
    selects.push(sql`${pgFieldText(path, shape)} AS ${sql.raw(`g${i}`)}`);
    selects.push(sql`${pgFieldType(path, shape)} AS ${sql.raw(`t${i}`)}`);
  });
  if (query.dateBucket) {
    groups.push(sql.raw("b0"));
    selects.push(
      sql`${bucket(pgFieldText(query.dateBucket.path, shape), query.dateBucket.unit)} AS b0`,
    );
  }
  selects.push(sql`COUNT(*) AS "count"`);
  for (const [i, p] of query.sum.entries()) {
    selects.push(sql`SUM(${asNumber(p, shape, false)}) AS ${sql.raw(`s${i}`)}`);
  }
  for (const [i, p] of query.avg.entries()) {
    selects.push(sql`AVG(${asNumber(p, shape, false)}) AS ${sql.raw(`a${i}`)}`);
  }
  query.min.forEach((p, i) => {
    selects.push(sql`MIN(${asNumber(p, shape, true)}) AS ${sql.raw(`minn${i}`)}`);
    selects.push(sql`MIN(${asText(p, shape)}) AS ${sql.raw(`mint${i}`)}`);
  });
  query.max.forEach((p, i) => {
    selects.push(sql`MAX(${asNumber(p, shape, true)}) AS ${sql.raw(`maxn${i}`)}`);
    selects.push(sql`MAX(${asText(p, shape)}) AS ${sql.raw(`maxt${i}`)}`);
  });
  if (query.countDistinct) {
    const p = query.countDistinct;
    const type = pgFieldType(p, shape);
    const text = pgFieldText(p, shape);
    // SQLite's distinct values: a number and a boolean of the same value are one, "1" and 1 two.
    selects.push(
      sql`COUNT(DISTINCT (CASE ${type} WHEN 'number' THEN 'n' || ((${text})::numeric)::text WHEN 'boolean' THEN (CASE WHEN ${text} = 'true' THEN 'n1' ELSE 'n0' END) WHEN 'null' THEN NULL ELSE 's' || ${text} END)) AS cd`,
    );
  }
  const groupBy = groups.length > 0 ? sql` GROUP BY ${sql.join(groups)}` : sql``;
  return sql`SELECT ${sql.join(selects)} FROM ${from} WHERE ${where}${groupBy} LIMIT ${query.limit + 1}`;
}

/** A group's value back as JSON, from its text and `json_typeof`. */
function groupValue(text: unknown, type: unknown): Json {
  if (text === null || text === undefined || type === "null") return null;
  if (type === "boolean") return text === "true";
  if (type === "number") return Number(text);
  if (type === "array" || type === "object") return JSON.parse(text as string) as Json;
  return text as string;
}

/** One row of {@link pgAggregateSql} as the wire row: group fields, then the measures asked for. */
export function readPgAggregateRow(
  query: AggregateQuery,
  row: Record<string, unknown>,
): Record<string, Json> {
  const out: Record<string, Json> = {};
  query.groupBy.forEach((path, i) => {
    out[columnOf(path)] = groupValue(row[`g${i}`], row[`t${i}`]);
  });
  if (query.dateBucket) out[columnOf(query.dateBucket.path)] = (row.b0 ?? null) as Json;
  const measures =
    query.count ||
    (query.groupBy.length === 0 &&
      query.dateBucket === undefined &&
      query.sum.length === 0 &&
      query.avg.length === 0 &&
      query.min.length === 0 &&
      query.max.length === 0 &&
      !query.countDistinct);
  if (measures) out.count = Number(row.count);
  const value = (v: unknown) => (v ?? null) as Json;
  query.sum.forEach((p, i) => {
    out[`sum_${columnOf(p)}`] = value(row[`s${i}`]);
  });
  query.avg.forEach((p, i) => {
    out[`avg_${columnOf(p)}`] = value(row[`a${i}`]);
  });
  query.min.forEach((p, i) => {
    out[`min_${columnOf(p)}`] = value(row[`minn${i}`] ?? row[`mint${i}`]);
  });
  query.max.forEach((p, i) => {
    out[`max_${columnOf(p)}`] = value(row[`maxt${i}`] ?? row[`maxn${i}`]);
  });
  if (query.countDistinct) out[`count_distinct_${columnOf(query.countDistinct)}`] = Number(row.cd);
  return out;
}
