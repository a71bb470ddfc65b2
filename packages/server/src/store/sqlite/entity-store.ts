import type Database from "better-sqlite3";
import { type RawBuilder, sql } from "kysely";
import {
  compileAfter,
  compileOrderBy,
  compileWhere,
  fieldExpression,
  jsonPathSegment,
  registerSqliteFunctions,
  sqliteCompiler,
} from "../../entities/query/index.js";
import type { FieldPath, Filter, Json } from "../../entities/query/types.js";
import type {
  AggregateQuery,
  AggregateRow,
  EntityRef,
  EntitySchemaRow,
  EntityStore,
  FindQuery,
  RecordChange,
  RecordChangeListener,
  SchemaSyncResult,
  SchemaToSync,
  StoredRecord,
} from "../entity-types.js";
import { aggregateSql, readAggregateRow } from "./entity-aggregate.js";
import {
  createTableSql,
  flatJsonSql,
  type Row,
  recordsLayout,
  storedColumns,
  type TableLayout,
  toStored,
  USERS_LAYOUT,
} from "./entity-tables.js";

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

/**
 * The SQLite implementation of {@link EntityStore}, over the same database as the core store.
 * Filters are compiled by `entities/query`'s SQLite compiler; statements are prepared once per
 * distinct SQL text and kept (at most 500). `onChanges` hears every write inside its
 * transaction (the automations' outbox).
 *
 * @example
 * const entities = openEntityStore(db);
 * await entities.syncSchemas("app1", [{ name: "Task", schema, indexes: [] }]);
 */
export function openEntityStore(
  db: Database.Database,
  onChanges: RecordChangeListener = () => {},
): EntityStore {
  registerSqliteFunctions(db);
  const compiler = sqliteCompiler();
  const statements = new Map<string, Database.Statement>();
  const prepare = (text: string): Database.Statement => {
    let s = statements.get(text);
    if (!s) {
      s = db.prepare(text);
      if (statements.size >= 500) statements.delete(statements.keys().next().value!);
      statements.set(text, s);
    }
    return s;
  };
  const run = (q: RawBuilder<unknown>) => {
    const c = q.compile(compiler);
    return { stmt: prepare(c.sql), params: c.parameters as unknown[] };
  };
  const all = (q: RawBuilder<unknown>): Row[] => {
    const { stmt, params } = run(q);
    return stmt.all(...params) as Row[];
  };

  const q = {
    listSchemas: db.prepare<[string], SchemaDbRow>(
      "SELECT * FROM entity_schemas WHERE app_id = ? ORDER BY name",
    ),
    getSchema: db.prepare<[string, string], SchemaDbRow>(
      "SELECT * FROM entity_schemas WHERE app_id = ? AND name = ?",
    ),
    insertSchema: db.prepare(
      `INSERT INTO entity_schemas (app_id, name, schema, indexes, created_date, updated_date)
       VALUES (@app_id, @name, @schema, '[]', @now, @now)`,
    ),
    updateSchema: db.prepare(
      `UPDATE entity_schemas SET schema = @schema, updated_date = @now, deleted_date = NULL
       WHERE app_id = @app_id AND name = @name`,
    ),
    setIndexes: db.prepare("UPDATE entity_schemas SET indexes = ? WHERE id = ?"),
    markDeleted: db.prepare(
      "UPDATE entity_schemas SET deleted_date = ?, updated_date = ? WHERE app_id = ? AND name = ?",
    ),
  };

  /** Layouts of live entities, by app and name; the User entity always has one. */
  const layouts = new Map<string, TableLayout>();
  const key = (appId: string, name: string) => `${appId}\0${name}`;
  const layoutOf = (ref: EntityRef): TableLayout => {
    if (ref.entity === "User") return USERS_LAYOUT;
    const k = key(ref.appId, ref.entity);
    let l = layouts.get(k);
    if (!l) {
      const row = q.getSchema.get(ref.appId, ref.entity);
      if (!row || row.deleted_date !== null) {
        throw new Error(`Entity ${ref.entity} of app ${ref.appId} has no table`);
      }
      l = recordsLayout(row.id);
      layouts.set(k, l);
    }
    return l;
  };

  /** `WHERE` of a read: the app (shared tables) and the compiled filter. */
  const where = (layout: TableLayout, ref: EntityRef, filter: Filter): RawBuilder<unknown> => {
    const f = compileWhere(filter, layout.shape(ref));
    return layout.appColumn
      ? sql`${sql.ref(layout.appColumn)} = ${ref.appId} AND (${f})`
      : sql`(${f})`;
  };
  const table = (layout: TableLayout) => sql.table(layout.table);
  const columns = (layout: TableLayout) => sql.raw(storedColumns(layout));

  /**
   * Makes sure the table has an index for each path (in the default order after the field, as
   * the built-ins' indexes are), and none for paths in `drop`.
   */
  const ensureIndexes = (layout: TableLayout, wanted: FieldPath[], drop: FieldPath[] = []) => {
    // Index expressions name columns bare; SQLite matches them with the qualified ones queries use.
    const { table: _qualified, ...shape } = layout.shape({
      appId: "",
      entity: "",
      kindOf: () => "unknown",
    });
    const want = new Map(wanted.map((p) => [indexName(layout.table, p), p]));
    for (const p of drop) {
      const name = indexName(layout.table, p);
      if (!want.has(name)) db.exec(`DROP INDEX IF EXISTS "${name}"`);
    }
    for (const [name, p] of want) {
      const expr = fieldExpression(p, shape).compile(compiler);
      if (expr.parameters.length > 0) continue; // only literal paths can back an index
      db.exec(
        `CREATE INDEX IF NOT EXISTS "${name}" ON "${layout.table}"(${expr.sql}, created_date DESC, id)`,
      );
    }
  };
  /** Index statements for a schema's paths, dropping those it no longer asks for. */
  const syncIndexes = (
    id: number,
    layout: TableLayout,
    wanted: FieldPath[],
    had: FieldPath[],
  ): void => {
    ensureIndexes(layout, wanted, had);
    q.setIndexes.run(JSON.stringify(wanted), id);
  };
  // Indexes a migration left to build (migration 6 rebuilt every table without them).
  for (const row of db
    .prepare<[], { id: number; indexes: string }>(
      `SELECT s.id, s.indexes FROM entity_schemas AS s
       JOIN sqlite_master AS m ON m.type = 'table' AND m.name = 'e_' || s.id`,
    )
    .all()) {
    ensureIndexes(recordsLayout(row.id), JSON.parse(row.indexes) as FieldPath[]);
  }

  const sync = db.transaction((appId: string, schemas: SchemaToSync[]): SchemaSyncResult => {
    const result: SchemaSyncResult = { created: [], updated: [], deleted: [] };
    const t = now();
    const existing = new Map(q.listSchemas.all(appId).map((r) => [r.name, r]));
    for (const s of schemas) {
      const json = JSON.stringify(s.schema);
      const old = existing.get(s.name);
      if (!old) {
        q.insertSchema.run({ app_id: appId, name: s.name, schema: json, now: t });
        result.created.push(s.name);
      } else if (old.deleted_date !== null) {
        q.updateSchema.run({ app_id: appId, name: s.name, schema: json, now: t });
        result.created.push(s.name);
      } else if (old.schema !== json) {
        q.updateSchema.run({ app_id: appId, name: s.name, schema: json, now: t });
        result.updated.push(s.name);
      }
      if (s.name === "User") continue;
      const row = q.getSchema.get(appId, s.name)!;
      const layout = recordsLayout(row.id);
      db.exec(createTableSql(layout.table));
      syncIndexes(row.id, layout, s.indexes, JSON.parse(row.indexes) as FieldPath[]);
      layouts.set(key(appId, s.name), layout);
    }
    const names = new Set(schemas.map((s) => s.name));
    for (const [name, row] of existing) {
      if (names.has(name) || row.deleted_date !== null) continue;
      q.markDeleted.run(t, t, appId, name);
      layouts.delete(key(appId, name));
      result.deleted.push(name);
    }
    return result;
  });

  const insertSql = (layout: TableLayout) =>
    `INSERT INTO "${layout.table}" (id, created_date, updated_date, ${layout.builtins.join(", ")}, data)
     VALUES (?, ?, ?, ${layout.builtins.map(() => "?").join(", ")}, ${layout.jsonb ? "jsonb(?)" : "?"})`;
  const insertRow = (layout: TableLayout, r: StoredRecord, dataJson?: string) => {
    const args: unknown[] = [r.id, r.created_date, r.updated_date];
    for (const b of layout.builtins) args.push(r.builtins[b] ?? null);
    args.push(dataJson ?? JSON.stringify(r.data));
    insertStatement(layout).run(...args);
  };
  const inserts = new WeakMap<TableLayout, Database.Statement>();
  const insertStatement = (layout: TableLayout): Database.Statement => {
    let s = inserts.get(layout);
    if (!s) {
      s = db.prepare(insertSql(layout));
      inserts.set(layout, s);
    }
    return s;
  };
  const updateRow = (layout: TableLayout, ref: EntityRef, r: StoredRecord) => {
    const data = layout.jsonb ? "data = jsonb(?)" : "data = ?";
    const sets = ["updated_date = ?", ...layout.writable.map((w) => `${w} = ?`), data];
    const app = layout.appColumn ? ` AND ${layout.appColumn} = ?` : "";
    prepare(`UPDATE "${layout.table}" SET ${sets.join(", ")} WHERE id = ?${app}`).run(
      r.updated_date,
      ...layout.writable.map((w) => r.builtins[w] ?? null),
      JSON.stringify(r.data),
      r.id,
      ...(layout.appColumn ? [ref.appId] : []),
    );
  };
  const selectWhere = (
    layout: TableLayout,
    ref: EntityRef,
    filter: Filter,
    order: RawBuilder<unknown>,
    limit: number,
  ): StoredRecord[] =>
    all(
      sql`SELECT ${columns(layout)} FROM ${table(layout)} WHERE ${where(layout, ref, filter)} ORDER BY ${order} LIMIT ${limit}`,
    ).map((r) => toStored(layout, r));

  const updateWhere = db.transaction(
    (
      ref: EntityRef,
      filter: Filter,
      limit: number,
      change: (c: StoredRecord) => StoredRecord | undefined,
    ): RecordChange[] => {
      const layout = layoutOf(ref);
      const changes: RecordChange[] = [];
      for (const before of selectWhere(layout, ref, filter, sql`id`, limit)) {
        const after = change(before);
        if (!after) continue;
        updateRow(layout, ref, after);
        changes.push({ before, after });
      }
      onChanges(ref, changes);
      return changes;
    },
  );

  const upsert = db.transaction(
    (
      ref: EntityRef,
      items: { match: Filter }[],
      change: (i: number, c: StoredRecord | undefined) => StoredRecord,
    ): RecordChange[] => {
      const layout = layoutOf(ref);
      const changes: RecordChange[] = [];
      items.forEach((item, i) => {
        const [before] = selectWhere(layout, ref, item.match, sql`created_date, id`, 1);
        const after = change(i, before);
        if (before) updateRow(layout, ref, after);
        else insertRow(layout, after);
        changes.push(before ? { before, after } : { after });
      });
      onChanges(ref, changes);
      return changes;
    },
  );

  const insert = db.transaction(
    (ref: EntityRef, records: StoredRecord[], dataJson: readonly string[] | undefined) => {
      const layout = layoutOf(ref);
      for (let i = 0; i < records.length; i++) insertRow(layout, records[i]!, dataJson?.[i]);
      onChanges(
        ref,
        records.map((after, i) => ({ after, afterJson: dataJson?.[i] })),
      );
    },
  );

  /**
   * Group commit: the inserts asked for while the event loop handles one round of I/O are
   * written in one transaction when the round ends (`setImmediate`), each in a savepoint of its
   * own (a nested `db.transaction`), so one that fails leaves the others in. One commit for all
   * of them writes each index page they share once: single creates from many callers cost a
   * fraction of a commit each.
   */
  const waiting: {
    ref: EntityRef;
    records: StoredRecord[];
    dataJson: readonly string[] | undefined;
    done: (err?: { error: unknown }) => void;
  }[] = [];
  const flush = () => {
    const batch = waiting.splice(0);
    const failed = new Map<number, { error: unknown }>();
    try {
      db.transaction(() => {
        batch.forEach((w, i) => {
          try {
            insert(w.ref, w.records, w.dataJson);
          } catch (error) {
            failed.set(i, { error });
          }
        });
      })();
    } catch (error) {
      for (const w of batch) w.done({ error });
      return;
    }
    for (let i = 0; i < batch.length; i++) batch[i]!.done(failed.get(i));
  };

  const deleteWhere = db.transaction((ref: EntityRef, filter: Filter, limit: number) => {
    const layout = layoutOf(ref);
    const app = layout.appColumn ? sql` AND ${sql.ref(layout.appColumn)} = ${ref.appId}` : sql``;
    const gone = all(
      sql`DELETE FROM ${table(layout)} WHERE id IN (SELECT id FROM ${table(layout)} WHERE ${where(layout, ref, filter)} ORDER BY id LIMIT ${limit})${app} RETURNING ${sql.raw(storedColumns(layout, false))}`,
    ).map((r) => toStored(layout, r));
    onChanges(
      ref,
      gone.map((before) => ({ before })),
    );
    return gone;
  });

  return {
    async listSchemas(appId, options = {}) {
      return q.listSchemas
        .all(appId)
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
      return sync(appId, schemas);
    },
    async find(ref, query: FindQuery) {
      const layout = layoutOf(ref);
      const shape = layout.shape(ref);
      const after = query.after
        ? sql` AND (${compileAfter(query.sort, query.after, shape)})`
        : sql``;
      const order = sql.join(compileOrderBy(query.sort, shape));
      return all(
        sql`SELECT ${columns(layout)} FROM ${table(layout)} WHERE ${where(layout, ref, query.filter)}${after} ORDER BY ${order} LIMIT ${query.limit} OFFSET ${query.skip ?? 0}`,
      ).map((r) => toStored(layout, r));
    },
    async *findJson(ref, query: FindQuery, batch: number) {
      const layout = layoutOf(ref);
      const shape = layout.shape(ref);
      const w = where(layout, ref, query.filter);
      const order = sql.join(compileOrderBy(query.sort, shape));
      const json = sql.raw(flatJsonSql(layout));
      const key = sql.ref(`${layout.table}.${layout.rowKey}`);
      const idRef = sql.ref(`${layout.table}.id`);
      const after = (a: FindQuery["after"]) =>
        a ? sql` AND (${compileAfter(query.sort, a, shape)})` : sql``;
      // The first batch as JSON, with what its last row sorts by.
      const sorts = query.sort.map(
        (k, i) => sql`${fieldExpression(k.path, shape)} AS ${sql.id(`s${i}`)}`,
      );
      const head = all(
        sql`SELECT ${json} AS j, ${idRef} AS i${sql.join(
          sorts.map((x) => sql`, ${x}`),
          sql``,
        )} FROM ${table(layout)} WHERE ${w}${after(query.after)} ORDER BY ${order} LIMIT ${Math.min(query.limit, batch)} OFFSET ${query.skip ?? 0}`,
      );
      const last = head.at(-1);
      let keys: number[] = [];
      if (head.length === batch && query.limit > batch && last) {
        // The rest: which rows, in order, settled now (no write can come between the two
        // statements); their JSON a batch at a time later, the filter checked again.
        const from = { values: query.sort.map((_, i) => last[`s${i}`] as Json), id: last.i! };
        keys = all(
          sql`SELECT ${key} AS k FROM ${table(layout)} WHERE ${w}${after(from)} ORDER BY ${order} LIMIT ${query.limit - batch}`,
        ).map((r) => r.k as unknown as number);
      }
      yield head.map((r) => r.j!);
      for (let i = 0; i < keys.length; i += batch) {
        const part = JSON.stringify(keys.slice(i, i + batch));
        yield all(
          sql`SELECT ${json} AS j FROM json_each(${part}) AS k CROSS JOIN ${table(layout)} ON ${key} = k.value WHERE ${w} ORDER BY k.key`,
        ).map((r) => r.j!);
      }
    },
    async count(ref, filter) {
      const layout = layoutOf(ref);
      const [row] = all(
        sql`SELECT COUNT(*) AS n FROM ${table(layout)} WHERE ${where(layout, ref, filter)}`,
      );
      return Number(row?.n ?? 0);
    },
    async distinct(ref, path, filter, limit, after) {
      const layout = layoutOf(ref);
      const shape = layout.shape(ref);
      const value = fieldExpression(path, shape);
      const column = path.length === 1 && shape.columns[path[0]!] !== undefined;
      const source = column
        ? sql`SELECT ${value} AS v, NULL AS t FROM ${table(layout)} WHERE ${where(layout, ref, filter)}`
        : sql`SELECT je.value AS v, je.type AS t FROM ${table(layout)}, json_each(${table(layout)}.data, ${sql.lit(`$${path.map(jsonPathSegment).join("")}`)}) AS je WHERE ${where(layout, ref, filter)}`;
      // As json_each gives values: booleans as 1 and 0, objects and arrays as their JSON text.
      const from =
        typeof after === "boolean"
          ? Number(after)
          : typeof after === "object" && after !== null
            ? JSON.stringify(after)
            : after;
      const cursor = from === undefined || from === null ? sql`` : sql` AND v > ${from}`;
      const rows = all(
        sql`SELECT DISTINCT v, t FROM (${source}) WHERE v IS NOT NULL${cursor} ORDER BY v LIMIT ${limit}`,
      );
      return rows.map((r) => readJsonValue(r.v, r.t));
    },
    async aggregate(ref, query: AggregateQuery) {
      const layout = layoutOf(ref);
      const shape = layout.shape(ref);
      const rows = all(aggregateSql(query, shape, table(layout), where(layout, ref, query.filter)));
      const truncated = rows.length > query.limit;
      return {
        rows: rows.slice(0, query.limit).map((r) => readAggregateRow(query, r)) as AggregateRow[],
        truncated,
      };
    },
    insert(ref, records, dataJson) {
      return new Promise<void>((resolve, reject) => {
        if (waiting.length === 0) setImmediate(flush);
        waiting.push({
          ref,
          records,
          dataJson,
          done: (failure) => (failure ? reject(failure.error) : resolve()),
        });
      });
    },
    async updateWhere(ref, filter, limit, change) {
      return updateWhere(ref, filter, limit, change);
    },
    async upsert(ref, items, change) {
      return upsert(ref, items, change);
    },
    async deleteWhere(ref, filter, limit) {
      return deleteWhere(ref, filter, limit);
    },
  };
}

/** A value json_each or json_extract returned, back as JSON (booleans come back as 1/0). */
export function readJsonValue(v: unknown, type: unknown): Json {
  if (type === "true") return true;
  if (type === "false") return false;
  if ((type === "object" || type === "array") && typeof v === "string")
    return JSON.parse(v) as Json;
  return v as Json;
}
