import { FnbaseError } from "@fnbase/shared";
import {
  and,
  parseFields,
  parseLimit,
  parseQueryParam,
  parseSort,
  project,
  sortValues,
} from "../query/index.js";
import { type Cursor, decodeCursor, encodeCursor } from "./record-shape.js";
import type { EntityCall, EntityService } from "./service.js";

/** One page of `/v2/list` (`@base44/sdk` 0.8.50 `EntityPage`). */
export interface Page {
  items: unknown[];
  next_cursor: string | null;
  has_more: boolean;
}

/** The query parameters of `/v2/list`, as sent. */
export interface PageParams {
  q?: string;
  sort?: string;
  fields?: string;
  distinct?: string;
  cursor?: string;
  limit?: string;
}

/** Records per page: default and most (the SDK sends 100 by default). */
export const PAGE_DEFAULT = 100;
export const PAGE_MAX = 5_000;
/** Distinct values per page: most. */
export const DISTINCT_MAX = 1_000;

/**
 * The walk a page belongs to: from the cursor when there is one (then the request may repeat
 * the walk's `q`, `sort` and `fields` but not change them), else from the request.
 */
function walkOf(p: PageParams): Cursor | Omit<Cursor, "after"> {
  const asked = {
    q: p.q ?? "",
    ...(p.sort === undefined ? {} : { sort: p.sort }),
    ...(p.fields === undefined ? {} : { fields: p.fields }),
    ...(p.distinct === undefined ? {} : { distinct: p.distinct }),
  };
  if (!p.cursor) return asked;
  const c = decodeCursor(p.cursor);
  for (const k of ["sort", "fields", "distinct"] as const) {
    if (asked[k] !== undefined && asked[k] !== c[k]) {
      throw new FnbaseError(
        "INVALID_QUERY",
        `A cursor carries its walk's ${k}: send only cursor and limit (got ${k}=${asked[k]})`,
      );
    }
  }
  if (p.q !== undefined && p.q !== c.q) {
    throw new FnbaseError(
      "INVALID_QUERY",
      "A cursor carries its walk's q: send only cursor and limit",
    );
  }
  return c;
}

/**
 * `GET /v2/list`: one page of records (or of a field's distinct values, ascending), with an
 * opaque cursor for the next. Pages are keyset pages (after the last record's sort values and
 * id), so each costs the same however deep the walk is, and records written meanwhile are
 * neither skipped nor repeated unless their sort values move across the cursor.
 */
export async function listPage(svc: EntityService, call: EntityCall, p: PageParams): Promise<Page> {
  const walk = walkOf(p);
  const s = svc.scope(call);
  const filter = parseQueryParam(walk.q === "" ? undefined : walk.q);
  const read = and(filter, svc.access(s, "read"));
  if (walk.distinct !== undefined) {
    const [field] = parseFields(walk.distinct) ?? [];
    if (!field) throw new FnbaseError("INVALID_QUERY", "Invalid distinct: name one field");
    const limit = parseLimit(p.limit, { max: DISTINCT_MAX, fallback: PAGE_DEFAULT });
    const path = field.split(".");
    svc.checkFields(s, filter, [{ path, descending: false }]);
    const after = "after" in walk && "value" in walk.after ? walk.after.value : undefined;
    const values = await svc.store.distinct(s.ref, path, read, limit + 1, after);
    const items = values.slice(0, limit);
    const has_more = values.length > limit;
    return {
      items,
      has_more,
      next_cursor: has_more ? encodeCursor({ ...walk, after: { value: items.at(-1)! } }) : null,
    };
  }
  const sort = parseSort(walk.sort);
  const fields = parseFields(walk.fields);
  const limit = parseLimit(p.limit, { max: PAGE_MAX, fallback: PAGE_DEFAULT });
  svc.checkFields(s, filter, sort);
  const after = "after" in walk && "id" in walk.after ? walk.after : undefined;
  const rows = await svc.store.find(s.ref, {
    filter: read,
    sort,
    limit: limit + 1,
    ...(after ? { after } : {}),
  });
  const page = rows.slice(0, limit).map((r) => svc.out(s, r));
  const has_more = rows.length > limit;
  // Sort fields are always readable by the caller (checkFields), so the cursor holds no value
  // a field rule hides.
  const last = page.at(-1);
  return {
    items: fields ? page.map((r) => project(r, fields)) : page,
    has_more,
    next_cursor:
      has_more && last
        ? encodeCursor({
            ...walk,
            after: { values: sortValues(last, sort), id: last.id as string },
          })
        : null,
  };
}
