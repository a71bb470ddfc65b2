import { type Kysely, type RawBuilder, sql, type Transaction } from "kysely";
import { compilePgWhere } from "../../entities/query/postgres.js";
import { compilePgAfter, compilePgOrderBy } from "../../entities/query/postgres-order.js";
import { pgFieldText, pgLocate } from "../../entities/query/postgres-paths.js";
import { pgCompiler } from "../../entities/query/postgres-runtime.js";
import type { FieldPath, Filter, Json } from "../../entities/query/types.js";
import { flat } from "../../entities/records/record-shape.js";
import type {
  AggregateRow,
  EntityRef,
  EntitySchemaRow,
  EntityStore,
  FindQuery,
  RecordChange,
  SchemaSyncResult,
  StoredRecord,
} from "../entity-types.js";
import { pgAggregateSql, readPgAggregateRow } from "./entity-aggregate.js";
import {
  PG_USERS_LAYOUT,
  type PgRow,
  type PgTableLayout,
  pgCreateTableSql,
  pgRecordsLayout,
  pgToStored,
} from "./entity-tables.js";

type Db = Kysely<Record<string, Record<string, unknown>>>;
type Tx = Transaction<Record<string, Record<string, unknown>>>;

/**
 * What the PostgreSQL entity store calls inside each write's transaction with every record the
 * write changed (the automations' outbox), on that transaction.
 */
export type PgRecordChangeListener = (
  tx: Db,
  ref: EntityRef,
  changes: RecordChange[],
) => Promise<(() => void) | undefined>;

interface SchemaDbRow {
  id: number;
  app_id: string;
  name: string;
  schema: string;
  indexes: string;
  created_date: string;
  updated_date: string;
  deleted_date: string | null;
}

const now = () => new Date().toISOString();
const indexName = (table: string, path: FieldPath) =>
  `${table}_f_${Buffer.from(JSON.stringify(path)).toString("hex").slice(0, 48)}`;
/** An advisory lock key for a string (PostgreSQL's own `hashtext`, taken in SQL). */
const lockOn = (tx: Db, key: string) =>
  sql`SELECT pg_advisory_xact_lock(hashtext(${key}))`.execute(tx);

/**
 * The PostgreSQL implementation of {@link EntityStore}: each entity's records in a table of
 * their own (`e_<id>`, `data` a `json` column), filters compiled by `entities/query`'s
 * PostgreSQL compiler. Writes that read first lock the rows they read (`FOR UPDATE`), so two
 * nodes updating one record apply their changes one after the other; upserts and schema syncs
 * take an advisory lock (per entity, per app) so two nodes never both create what neither found.
 *
 * @example
 * const entities = openPgEntityStore(db, automations.onRecordChangesIn);
 */
export function openPgEntityStore(db: Db, onChanges: PgRecordChangeListener): EntityStore {
  const ddl = pgCompiler();
  const rows = async (q: RawBuilder<unknown>, on: Db = db): Promise<PgRow[]> =>
    (await q.execute(on)).rows as PgRow[];

  /** Layouts of entities by app and name; a table id never changes once made. */
  const layouts = new Map<string, PgTableLayout>();
  const key = (appId: string, name: string) => `${appId}\0${name}`;
  const layoutOf = async (ref: EntityRef): Promise<PgTableLayout> => {
    if (ref.entity === "User") return PG_USERS_LAYOUT;
    const k = key(ref.appId, ref.entity);
    let l = layouts.get(k);
    if (!l) {
      const [row] = await rows(
        sql`SELECT id, deleted_date FROM entity_schemas WHERE app_id = ${ref.appId} AND name = ${ref.entity}`,
      );
      if (!row || row.deleted_date !== null) {
        throw new Error(`Entity ${ref.entity} of app ${ref.appId} has no table`);
      }
      l = pgRecordsLayout(Number(row.id));
      layouts.set(k, l);
    }
    return l;
  };

  const where = (layout: PgTableLayout, ref: EntityRef, filter: Filter): RawBuilder<unknown> => {
    const f = compilePgWhere(filter, layout.shape(ref));
    return layout.appColumn
      ? sql`${sql.ref(`${layout.table}.${layout.appColumn}`)} = ${ref.appId} AND (${f})`
      : sql`(${f})`;
  };
  const table = (layout: PgTableLayout) => sql.table(layout.table);
  const columns = (layout: PgTableLayout) =>
    sql.raw(
      ["id", "created_date", "updated_date", ...layout.builtins, "data"]
        .map((c) => `"${layout.table}"."${c}"`)
        .join(", "),
    );

  const syncIndexes = async (
    tx: Db,
    id: number,
    layout: PgTableLayout,
    wanted: FieldPath[],
    had: FieldPath[],
  ) => {
    const { table: _qualified, ...shape } = layout.shape({
      appId: "",
      entity: "",
      kindOf: () => "unknown",
    });
    const want = new Map(wanted.map((p) => [indexName(layout.table, p), p]));
    for (const p of had) {
      const name = indexName(layout.table, p);
      if (!want.has(name)) await sql.raw(`DROP INDEX IF EXISTS "${name}"`).execute(tx);
    }
    for (const [name, p] of want) {
      const expr = ddl.selectNoFrom(pgFieldText(p, shape).as("x")).compile();
      if (expr.parameters.length > 0) continue;
      const text = expr.sql.slice("select ".length, expr.sql.lastIndexOf(" as "));
      await sql
        .raw(`CREATE INDEX IF NOT EXISTS "${name}" ON "${layout.table}" ((${text}))`)
        .execute(tx);
    }
    await sql`UPDATE entity_schemas SET indexes = ${JSON.stringify(wanted)} WHERE id = ${id}`.execute(
      tx,
    );
  };

  const insertRows = async (
    tx: Db,
    layout: PgTableLayout,
    records: StoredRecord[],
    dataJson?: readonly string[],
  ) => {
    if (records.length === 0) return;
    const cols = ["id", "created_date", "updated_date", ...layout.builtins, "data"];
    await sql`INSERT INTO ${table(layout)} (${sql.raw(cols.join(", "))}) VALUES ${sql.join(
      records.map(
        (r, i) =>
          sql`(${sql.join([
            r.id,
            r.created_date,
            r.updated_date,
            ...layout.builtins.map((b) => r.builtins[b] ?? null),
          ])}, ${dataJson?.[i] ?? JSON.stringify(r.data)}::json)`,
      ),
    )}`.execute(tx);
  };
  const updateRow = async (tx: Db, layout: PgTableLayout, ref: EntityRef, r: StoredRecord) => {
    const sets = [
      sql`updated_date = ${r.updated_date}`,
      ...layout.writable.map((w) => sql`${sql.ref(w)} = ${r.builtins[w] ?? null}`),
      sql`data = ${JSON.stringify(r.data)}::json`,
    ];
    const app = layout.appColumn ? sql` AND ${sql.ref(layout.appColumn)} = ${ref.appId}` : sql``;
    await sql`UPDATE ${table(layout)} SET ${sql.join(sets)} WHERE id = ${r.id}${app}`.execute(tx);
  };
  const selectForUpdate = async (
    tx: Db,
    layout: PgTableLayout,
    ref: EntityRef,
    filter: Filter,
    order: RawBuilder<unknown>,
    limit: number,
  ): Promise<StoredRecord[]> =>
    (
      await rows(
        sql`SELECT ${columns(layout)} FROM ${table(layout)} WHERE ${where(layout, ref, filter)} ORDER BY ${order} LIMIT ${limit} FOR UPDATE`,
        tx,
      )
    ).map((r) => pgToStored(layout, r));

  /** A write's transaction; what the listener asked to run after the commit runs then. */
  const write = async <T>(f: (tx: Tx, after: (cb?: () => void) => void) => Promise<T>) => {
    const callbacks: (() => void)[] = [];
    const result = await db.transaction().execute((tx) => f(tx, (cb) => cb && callbacks.push(cb)));
    for (const cb of callbacks) cb();
    return result;
  };

  const find = async (ref: EntityRef, query: FindQuery): Promise<StoredRecord[]> => {
    const layout = await layoutOf(ref);
    const shape = layout.shape(ref);
    const after = query.after
      ? sql` AND (${compilePgAfter(query.sort, query.after, shape)})`
      : sql``;
    const order = sql.join(compilePgOrderBy(query.sort, shape));
    return (
      await rows(
        sql`SELECT ${columns(layout)} FROM ${table(layout)} WHERE ${where(layout, ref, query.filter)}${after} ORDER BY ${order} LIMIT ${query.limit} OFFSET ${query.skip ?? 0}`,
      )
    ).map((r) => pgToStored(layout, r));
  };

  return {
    async listSchemas(appId, options = {}) {
      const list = (await rows(
        sql`SELECT * FROM entity_schemas WHERE app_id = ${appId} ORDER BY name COLLATE "C"`,
      )) as unknown as SchemaDbRow[];
      return list
        .filter((r) => options.includeDeleted || r.deleted_date === null)
        .map(
          (r): EntitySchemaRow => ({
            app_id: r.app_id,
            name: r.name,
            schema: JSON.parse(r.schema) as Record<string, unknown>,
            created_date: r.created_date,
            updated_date: r.updated_date,
            deleted_date: r.deleted_date,
          }),
        );
    },
    async syncSchemas(appId, schemas) {
      return await write(async (tx): Promise<SchemaSyncResult> => {
        await lockOn(tx, `entity_schemas:${appId}`);
        const result: SchemaSyncResult = { created: [], updated: [], deleted: [] };
        const t = now();
        const existing = new Map(
          (
            (await rows(
              sql`SELECT * FROM entity_schemas WHERE app_id = ${appId}`,
              tx,
            )) as unknown as SchemaDbRow[]
          ).map((r) => [r.name, r]),
        );
        for (const s of schemas) {
          const json = JSON.stringify(s.schema);
          const old = existing.get(s.name);
          if (!old) {
            await sql`INSERT INTO entity_schemas (app_id, name, schema, indexes, created_date, updated_date)
              VALUES (${appId}, ${s.name}, ${json}, '[]', ${t}, ${t})`.execute(tx);
            result.created.push(s.name);
          } else if (old.deleted_date !== null || old.schema !== json) {
            await sql`UPDATE entity_schemas SET schema = ${json}, updated_date = ${t}, deleted_date = NULL
              WHERE app_id = ${appId} AND name = ${s.name}`.execute(tx);
            (old.deleted_date !== null ? result.created : result.updated).push(s.name);
          }
          if (s.name === "User") continue;
          const [row] = (await rows(
            sql`SELECT id, indexes FROM entity_schemas WHERE app_id = ${appId} AND name = ${s.name}`,
            tx,
          )) as unknown as SchemaDbRow[];
          const layout = pgRecordsLayout(Number(row!.id));
          await sql.raw(pgCreateTableSql(layout.table)).execute(tx);
          await syncIndexes(tx, Number(row!.id), layout, s.indexes, JSON.parse(row!.indexes));
          layouts.set(key(appId, s.name), layout);
        }
        const names = new Set(schemas.map((s) => s.name));
        for (const [name, row] of existing) {
          if (names.has(name) || row.deleted_date !== null) continue;
          await sql`UPDATE entity_schemas SET deleted_date = ${t}, updated_date = ${t}
            WHERE app_id = ${appId} AND name = ${name}`.execute(tx);
          result.deleted.push(name);
        }
        return result;
      });
    },
    find,
    async *findJson(ref, query, batch) {
      // The page is read whole (which records, in which order, settled at the first next()),
      // then handed out a batch at a time as JSON text; on SQLite later batches are read late.
      const records = await find(ref, query);
      for (let i = 0; i < records.length; i += batch) {
        yield records.slice(i, i + batch).map((r) => JSON.stringify(flat(r)));
      }
    },
    async count(ref, filter) {
      const layout = await layoutOf(ref);
      const [row] = await rows(
        sql`SELECT COUNT(*) AS n FROM ${table(layout)} WHERE ${where(layout, ref, filter)}`,
      );
      return Number(row?.n ?? 0);
    },
    async distinct(ref, path, filter, limit, after) {
      const layout = await layoutOf(ref);
      const shape = layout.shape(ref);
      const loc = pgLocate({ shape, aliases: 0 }, { kind: "root" }, path);
      if (loc.kind === "missing") return [];
      // Values as JSON text: a column's as a JSON string; an array's elements and an object's
      // member values each on their own (SQLite's json_each), any other value as it is.
      const source =
        loc.kind === "column"
          ? sql`SELECT to_json(${loc.column})::text AS j FROM ${table(layout)} WHERE ${where(layout, ref, filter)} AND ${loc.column} IS NOT NULL`
          : sql`SELECT e.v::text AS j FROM ${table(layout)} CROSS JOIN LATERAL (
              SELECT x AS v FROM json_array_elements(CASE WHEN json_typeof(${loc.site.json}) = 'array' THEN ${loc.site.json} END) AS x
              UNION ALL SELECT o.value FROM json_each(CASE WHEN json_typeof(${loc.site.json}) = 'object' THEN ${loc.site.json} END) AS o
              UNION ALL SELECT ${loc.site.json} WHERE json_typeof(${loc.site.json}) NOT IN ('array', 'object')
            ) AS e WHERE ${where(layout, ref, filter)} AND json_typeof(e.v) <> 'null'`;
      const v = sql`d.j::json`;
      const terms = sql`(CASE json_typeof(${v}) WHEN 'number' THEN 1 WHEN 'boolean' THEN 1 ELSE 2 END),
        (CASE json_typeof(${v}) WHEN 'number' THEN (${v} #>> '{}')::numeric WHEN 'boolean' THEN (CASE WHEN (${v} #>> '{}') = 'true' THEN 1 ELSE 0 END) ELSE 0 END),
        ((CASE WHEN json_typeof(${v}) = 'string' THEN ${v} #>> '{}' WHEN json_typeof(${v}) IN ('array', 'object') THEN d.j ELSE '' END) COLLATE "C")`;
      const cursor = after === undefined ? sql`` : sql` WHERE (${terms}) > (${afterTerms(after)})`;
      const list = await rows(
        sql`SELECT d.j AS v FROM (SELECT DISTINCT j FROM (${source}) AS s) AS d${cursor} ORDER BY ${terms} LIMIT ${limit}`,
      );
      return list.map((r) => JSON.parse(r.v as string) as Json);
    },
    async aggregate(ref, query) {
      const layout = await layoutOf(ref);
      const shape = layout.shape(ref);
      const list = await rows(
        pgAggregateSql(query, shape, table(layout), where(layout, ref, query.filter)),
      );
      return {
        rows: list.slice(0, query.limit).map((r) => readPgAggregateRow(query, r)) as AggregateRow[],
        truncated: list.length > query.limit,
      };
    },
    async insert(ref, records, dataJson) {
      const layout = await layoutOf(ref);
      await write(async (tx, after) => {
        await insertRows(tx, layout, records, dataJson);
        after(
          await onChanges(
            tx,
            ref,
            records.map((r, i) => ({ after: r, afterJson: dataJson?.[i] })),
          ),
        );
      });
    },
    async updateWhere(ref, filter, limit, change) {
      const layout = await layoutOf(ref);
      return await write(async (tx, after) => {
        const changes: RecordChange[] = [];
        for (const before of await selectForUpdate(tx, layout, ref, filter, sql`id`, limit)) {
          const next = change(before);
          if (!next) continue;
          await updateRow(tx, layout, ref, next);
          changes.push({ before, after: next });
        }
        after(await onChanges(tx, ref, changes));
        return changes;
      });
    },
    async upsert(ref, items, change) {
      const layout = await layoutOf(ref);
      return await write(async (tx, after) => {
        await lockOn(tx, `upsert:${layout.table}:${ref.appId}`);
        const changes: RecordChange[] = [];
        for (const [i, item] of items.entries()) {
          const [before] = await selectForUpdate(
            tx,
            layout,
            ref,
            item.match,
            sql`created_date, id`,
            1,
          );
          const next = change(i, before);
          if (before) await updateRow(tx, layout, ref, next);
          else await insertRows(tx, layout, [next]);
          changes.push(before ? { before, after: next } : { after: next });
        }
        after(await onChanges(tx, ref, changes));
        return changes;
      });
    },
    async deleteWhere(ref, filter, limit) {
      const layout = await layoutOf(ref);
      return await write(async (tx, after) => {
        const app = layout.appColumn
          ? sql` AND ${sql.ref(layout.appColumn)} = ${ref.appId}`
          : sql``;
        const gone = (
          await rows(
            sql`DELETE FROM ${table(layout)} WHERE id IN (SELECT id FROM ${table(layout)} WHERE ${where(layout, ref, filter)} ORDER BY id LIMIT ${limit} FOR UPDATE)${app} RETURNING ${columns(layout)}`,
            tx,
          )
        ).map((r) => pgToStored(layout, r));
        gone.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
        after(
          await onChanges(
            tx,
            ref,
            gone.map((before) => ({ before })),
          ),
        );
        return gone;
      });
    },
  };
}

/** The three sort terms of a distinct value, as `distinct`'s ORDER BY computes them. */
function afterTerms(v: Json): RawBuilder<unknown> {
  if (typeof v === "number") return sql`1, ${String(v)}::numeric, ''::text COLLATE "C"`;
  if (typeof v === "boolean") return sql`1, ${v ? "1" : "0"}::numeric, ''::text COLLATE "C"`;
  const text = typeof v === "string" ? v : JSON.stringify(v);
  return sql`2, 0::numeric, ${text}::text COLLATE "C"`;
}
