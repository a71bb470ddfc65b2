import { FnbaseError } from "@fnbase/shared";
import { Hono, type MiddlewareHandler } from "hono";
import { streamSSE } from "hono/streaming";
import type { FunctionOutputLine } from "../config.js";
import type { LogStore } from "../store/log-types.js";
import { tail } from "./live-tail.js";
import { functionsParam, levelParam, parseLogQuery } from "./query-params.js";

/** What the log routes work with. */
export interface LogRoutesDeps {
  store: LogStore;
  /** Writes buffered lines, so a query sees everything written so far. */
  flush: () => Promise<void>;
  hasApp: (appId: string) => boolean;
  subscribe: (cb: (line: FunctionOutputLine) => void) => () => void;
  /** The management API's key check. */
  auth: MiddlewareHandler;
}

function mustApp(d: LogRoutesDeps, appId: string): string {
  if (!d.hasApp(appId)) throw new FnbaseError("APP_NOT_FOUND", `App not found: ${appId}`);
  return appId;
}

/**
 * `GET /api/apps/{appId}/functions-mgmt/{name}/logs` (stored lines, newest first by default;
 * `request_id` and `q` narrow them to one request or to messages containing a text),
 * `GET .../functions-mgmt/logs?function=a,b` (the same over every function of the app, each
 * line naming its function) and `GET /api/apps/{appId}/functions-mgmt/logs/stream?function=a,b` (live, server-sent
 * events), as in the contract. Entries carry `request_id` and `source` besides the contract's
 * `time`, `level` and `message`.
 *
 * @example
 * createApi(deps, (api) => api.route("/", logsRoutes(logDeps)));
 */
export function logsRoutes(d: LogRoutesDeps): Hono {
  const r = new Hono();
  const base = "/api/apps/:appId/functions-mgmt";
  r.use(`${base}/*`, d.auth);

  r.get(`${base}/logs/stream`, (c) => {
    const appId = mustApp(d, c.req.param("appId"));
    const functions = functionsParam(c.req.query("function"));
    const minLevel = levelParam(c.req.query("level"));
    const filter = { appId, ...(functions && { functions }), ...(minLevel && { minLevel }) };
    c.header("cache-control", "no-cache");
    c.header("x-accel-buffering", "no");
    return streamSSE(c, (stream) => tail(stream, filter, d.subscribe));
  });

  // Every function's lines at once (`function=a,b` narrows them): the dashboard's log view and
  // its links from an invocation's request id to its lines.
  r.get(`${base}/logs`, async (c) => {
    const appId = mustApp(d, c.req.param("appId"));
    const functions = functionsParam(c.req.query("function"));
    const q = parseLogQuery(c.req.query());
    d.flush();
    const rows = await d.store.query({ appId, ...(functions && { functions }), ...q });
    return c.json(
      rows.map((l) => ({
        time: l.time,
        level: l.level,
        function: l.function,
        message: l.message,
        request_id: l.request_id,
        source: l.source,
      })),
    );
  });

  r.get(`${base}/:name{.+}/logs`, async (c) => {
    const appId = mustApp(d, c.req.param("appId"));
    const name = c.req.param("name");
    const q = parseLogQuery(c.req.query());
    await d.flush();
    const rows = await d.store.query({ appId, functions: [name], ...q });
    return c.json(
      rows.map((l) => ({
        time: l.time,
        level: l.level,
        message: l.message,
        request_id: l.request_id,
        source: l.source,
      })),
    );
  });
  return r;
}
