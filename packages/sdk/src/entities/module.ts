import type { AxiosInstance } from "axios";
import type { Realtime, RealtimeCallback } from "../realtime.js";
import type { EntitiesModule, EntityHandler } from "./handler.js";

/** What an entities module needs from its client. */
export interface EntitiesModuleOptions {
  /** The API axios instance: resolves with the body, rejects with an `ApiError`. */
  api: AxiosInstance;
  appId: string;
  /** The auth headers to send now: `Authorization`, and `on-behalf-of` for the service role. */
  auth: () => Record<string, string>;
  /** The client's realtime connection, for `subscribe`. */
  realtime: Realtime;
}

/** The page size `list(options)` and `filter(query, options)` ask for when given none. */
const PAGE_LIMIT = 100;

type Params = Record<string, unknown>;
type PageOptions = {
  sort?: unknown;
  limit?: number;
  cursor?: unknown;
  fields?: unknown;
  distinct?: unknown;
};

const isPageOptions = (value: unknown): value is PageOptions =>
  typeof value === "object" && value !== null;

const fieldsParam = (fields: unknown) => (Array.isArray(fields) ? fields.join(",") : fields);

/**
 * Creates `client.entities`: a Proxy that hands out one handler per entity name. `then` and
 * names starting with `_` give `undefined`, so the module is not a thenable and internals probe
 * nothing. Requests are those of `@base44/sdk` 0.8.50 (`dist/modules/entities.js`).
 */
export function createEntitiesModule(options: EntitiesModuleOptions): EntitiesModule {
  const handlers = new Map<string, EntityHandler>();
  return new Proxy({} as EntitiesModule, {
    get(_target, name) {
      if (typeof name !== "string" || name === "then" || name.startsWith("_")) return undefined;
      let handler = handlers.get(name);
      if (!handler) {
        handler = createEntityHandler(options, name);
        handlers.set(name, handler);
      }
      return handler;
    },
  });
}

function createEntityHandler(options: EntitiesModuleOptions, name: string): EntityHandler {
  const { api, auth } = options;
  const base = `/apps/${encodeURIComponent(options.appId)}/entities/${encodeURIComponent(name)}`;
  const config = (params?: Params) => ({ params, headers: auth() });
  // An empty or missing id would turn `/{id}` into the collection: `delete("")` must not
  // become a request on every record.
  const record = (verb: string, id: unknown) => {
    if (typeof id !== "string" || id === "") {
      throw new TypeError(
        `Cannot ${verb} a ${name} record: id must be a non-empty string: ${typeof id === "string" ? '""' : String(id)}`,
      );
    }
    return `${base}/${encodeURIComponent(id)}`;
  };

  // GET /{entity}: the array form of list() and filter()
  const readArray = (query: unknown, [sort, limit, skip, fields]: unknown[]) => {
    const params: Params = {};
    if (query) params.q = JSON.stringify(query);
    if (sort) params.sort = sort;
    if (limit) params.limit = limit;
    if (skip) params.skip = skip;
    if (fields) params.fields = fieldsParam(fields);
    return api.get(base, config(params));
  };
  // GET /{entity}/v2/list: one page of records, or of a field's distinct values
  const readPage = (query: unknown, page: PageOptions) => {
    const params: Params = {};
    if (query) params.q = JSON.stringify(query);
    params.limit = page.limit || PAGE_LIMIT;
    if (page.cursor) params.cursor = page.cursor;
    if ("distinct" in page) params.distinct = page.distinct;
    else {
      if (page.sort) params.sort = page.sort;
      if (page.fields) params.fields = fieldsParam(page.fields);
    }
    return api.get(`${base}/v2/list`, config(params));
  };

  const handler = {
    async list(...args: unknown[]) {
      return isPageOptions(args[0]) ? readPage(undefined, args[0]) : readArray(undefined, args);
    },
    async filter(query: unknown, ...args: unknown[]) {
      return isPageOptions(args[0]) ? readPage(query, args[0]) : readArray(query, args);
    },
    async get(id: string) {
      return api.get(record("get", id), config());
    },
    async create(data: unknown) {
      return api.post(base, data, config());
    },
    async update(id: string, data: unknown) {
      return api.put(record("update", id), data, config());
    },
    async delete(id: string) {
      return api.delete(record("delete", id), config());
    },
    async deleteMany(query: unknown) {
      if (typeof query !== "object" || query === null || Array.isArray(query)) {
        throw new TypeError(
          `Cannot delete ${name} records: the query must be an object ({} matches every record): ${JSON.stringify(query)}`,
        );
      }
      return api.delete(base, { ...config(), data: query });
    },
    async bulkCreate(data: unknown) {
      return api.post(`${base}/bulk`, data, config());
    },
    async bulkUpdate(data: unknown) {
      return api.put(`${base}/bulk`, data, config());
    },
    async updateMany(query: unknown, data: unknown) {
      return api.patch(`${base}/update-many`, { query, data }, config());
    },
    async count(query?: unknown) {
      const params: Params = {};
      if (query) params.q = JSON.stringify(query);
      const result = (await api.get(`${base}/count`, config(params))) as unknown as {
        count: number;
      };
      return result.count;
    },
    async aggregate(spec: unknown) {
      return api.post(`${base}/aggregate`, spec, config());
    },
    async upsert(records: unknown, upsertOptions: { key: unknown }) {
      return api.post(`${base}/upsert`, { records, key: upsertOptions.key }, config());
    },
    subscribe(callback: RealtimeCallback) {
      if (typeof callback !== "function") {
        throw new TypeError(`Cannot subscribe to ${name}: the callback must be a function`);
      }
      return options.realtime.subscribe(name, callback);
    },
    async importEntities(file: File) {
      const form = new FormData();
      form.append("file", file, file.name);
      return api.post(`${base}/import`, form, {
        headers: { ...auth(), "Content-Type": "multipart/form-data" },
      });
    },
  };
  // The API instance's interceptor has already unwrapped each answer to its body.
  return handler as unknown as EntityHandler;
}
