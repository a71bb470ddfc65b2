import { randomUUID } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import type { Duplex } from "node:stream";
import {
  bodyTooLargeMessage,
  type Decision,
  ERROR_DETAIL_HEADER,
  functionAnswerHeaders,
  functionTarget,
  type Head,
} from "@fnbase/runtime";
import { FnbaseError, type Logger, toErrorResponse } from "@fnbase/shared";
import { decodeJwt } from "jose";
import { parseBearer, type TokenService } from "../auth/tokens.js";
import type { Catalog } from "../catalog.js";
import type { ResolvedOptions } from "../config.js";
import type { FrontLink } from "../front/link.js";
import type { Instance, InstanceSpec } from "../runtime/instance.js";
import type { RuntimeManager } from "../runtime/manager.js";
import type { AppRecord, FunctionRecord } from "../store/index.js";
import { AppSlots } from "./app-slots.js";
import { corsHeaders, originAllowed, preflightHeaders } from "./cors.js";
import { BodyTooLarge, forward, type Reply, TimedOut, untilExited } from "./forward.js";
import { flat, inboundHeaders } from "./headers.js";
import { type InvocationRoute, rawPrefix, resolveFunctionName } from "./route.js";
import { forwardUpgrade, writeRawAnswer } from "./upgrade.js";

/** What the gateway reports about each finished invocation (for logs and metrics). */
export interface InvocationRecord {
  appId: string;
  functionName: string;
  requestId: string;
  /** The answer's status (101 for a WebSocket session, recorded when it ends). */
  status: number;
  durationMs: number;
  bytesIn: number;
  bytesOut: number;
  cold: boolean;
  /** True when the front sent it straight to the instance (Node saw only this record). */
  direct: boolean;
}

export interface GatewayDeps {
  catalog: Catalog;
  runtime: RuntimeManager;
  tokens: TokenService;
  options: ResolvedOptions;
  log: Logger;
  /** The server's base URL as a function can reach it. */
  apiUrl: () => string;
  /** Builds an instance spec for a cold start. */
  prepare: (app: AppRecord, fn: FunctionRecord) => Promise<InstanceSpec>;
  /** True when `key` is an admin or workspace API key (its holder may invoke as the service role). */
  isApiKey: (key: string) => Promise<boolean>;
  onInvocation?: (r: InvocationRecord) => void;
  /** The front, which takes a decision back with each invocation it passed on. */
  front?: FrontLink;
}

/** How long the front may reuse a decision (shorter than any token in it). */
const DECISION_TTL_MS = 30_000;

const timeoutError = (fn: string, ms: number) =>
  new FnbaseError("FUNCTION_TIMEOUT", `Function "${fn}" did not finish within ${ms} ms`);
const crashedError = (fn: string) =>
  new FnbaseError("FUNCTION_CRASHED", `Function "${fn}" stopped while handling the request`, {
    hint: "Its logs show why (an uncaught error, Deno.exit, or running out of memory)",
  });
const tooLargeError = (max: number) =>
  new FnbaseError("PAYLOAD_TOO_LARGE", bodyTooLargeMessage(max));
const errorBody = (e: FnbaseError) => JSON.stringify(toErrorResponse(e).body);

function sendError(
  res: ServerResponse,
  err: unknown,
  extra: [string, string][],
  log: Logger,
): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const { status, body } = toErrorResponse(err);
  if (status >= 500 && !(err instanceof FnbaseError)) log.error({ err }, "invocation failed");
  const requestId = extra.find(([k]) => k === "x-request-id")?.[1];
  const text = JSON.stringify(requestId === undefined ? body : { ...body, request_id: requestId });
  const headers: [string, string][] = [
    ...extra,
    ["content-type", "application/json; charset=utf-8"],
    ["content-length", String(Buffer.byteLength(text))],
  ];
  if (status === 503) headers.push(["retry-after", "1"]);
  res.writeHead(status, flat(headers));
  res.end(text);
}

/**
 * The error a caller without the right to details sees: a boot failure without its boot error
 * (which shows code and may show paths), pointing at the logs. Other errors carry no internals.
 */
function withoutDetails(err: unknown, fnName: string | undefined): unknown {
  if (!(err instanceof FnbaseError) || err.code !== "FUNCTION_BOOT_FAILED") return err;
  return new FnbaseError("FUNCTION_BOOT_FAILED", `Function "${fnName}" failed to start`, {
    hint: `Its boot error is in the function's logs: fnbase logs --function ${fnName}`,
  });
}

/** Whether a caller may see a failure's details: set by `#prepare` once it knows who calls. */
interface Detail {
  detailed: boolean;
}

/** The app and function an invocation names. */
interface Resolved {
  app: AppRecord;
  fnName: string;
  fn: FunctionRecord;
  /** The app's functions by name. */
  fns: Map<string, FunctionRecord>;
}

/** An invocation resolved to its function and instance, ready to forward. */
interface Prepared {
  app: AppRecord;
  fnName: string;
  headers: Record<string, string | string[]>;
  timeoutMs: number;
  instance: Instance;
  cold: boolean;
  /** The decision to hand the front with the answer, if it may have one. */
  decide: (() => string | undefined) | undefined;
  /** Gives back the instance lease and the app's slot. */
  release(): void;
}

/**
 * Routes invocations to function instances: resolves the app and function, checks the caller's
 * token, sets the contract's headers (after removing any a caller sent), and streams bodies
 * both ways without buffering. Errors are `{ error, code }` JSON with CORS headers. A CORS
 * preflight goes to the function like any request; when the function does not answer it with
 * Access-Control-Allow-Origin (or cannot be reached), the gateway answers it from the app's
 * CORS settings. WebSocket upgrades (upgrade.ts) take the same path.
 */
export class Gateway {
  readonly #d: GatewayDeps;
  readonly #slots: AppSlots;

  constructor(deps: GatewayDeps) {
    this.#d = deps;
    this.#slots = new AppSlots(deps.options.maxConcurrentPerApp);
  }

  #findApp(route: InvocationRoute, req: IncomingMessage): AppRecord | undefined {
    const { catalog, options } = this.#d;
    if (route.appId !== undefined) return catalog.app(route.appId);
    const headerId = req.headers["x-app-id"];
    if (typeof headerId === "string" && headerId !== "") return catalog.app(headerId);
    const host = req.headers.host?.replace(/:\d+$/, "");
    const byHost = host ? catalog.appByDomain(host) : undefined;
    if (byHost) return byHost;
    return catalog.defaultApp(options.defaultApp);
  }

  /**
   * What every invocation settles first, HTTP or WebSocket: its start time (for the duration),
   * request id, app, and whether its origin may call it (CORS headers to answer with).
   */
  #begin(route: InvocationRoute, req: IncomingMessage) {
    const started = performance.now();
    const requestId = randomUUID();
    const app = this.#findApp(route, req);
    const origin = req.headers.origin;
    const allowed = origin ? originAllowed(app, origin, this.#d.options.corsAnyOrigin) : false;
    return { started, requestId, app, origin, allowed, cors: corsHeaders(origin, allowed) };
  }

  /** The function of `app` that `route` names; throws the coded error a caller gets. */
  #resolve(app: AppRecord | undefined, route: InvocationRoute, req: IncomingMessage): Resolved {
    if (!app) {
      const which = route.appId ?? (req.headers["x-app-id"] as string | undefined);
      const { defaultApp } = this.#d.options;
      throw which
        ? new FnbaseError("APP_NOT_FOUND", `App not found: ${which}`)
        : new FnbaseError(
            "APP_NOT_FOUND",
            defaultApp
              ? `No app for this request: the default app ${defaultApp} does not exist`
              : "No app for this request: send X-App-Id or use /api/apps/{appId}/functions/{name}",
            {
              hint: defaultApp
                ? `Create it (fnbase apps create <name> --id ${defaultApp}) or restart the server with another --default-app`
                : "Create an app: /functions/* serves the first one created, or the server's --default-app",
            },
          );
    }
    if (!app.functions_enabled) {
      throw new FnbaseError("FUNCTIONS_DISABLED", "Backend functions are disabled for this app");
    }
    const fns = this.#d.catalog.functions(app.id);
    const fnName = resolveFunctionName(route.segments, (n) => fns.has(n));
    const fn = fnName === undefined ? undefined : fns.get(fnName);
    if (!fn || fnName === undefined) {
      throw new FnbaseError(
        "FUNCTION_NOT_FOUND",
        `Function not found: "${route.segments.join("/")}"`,
        {
          hint:
            this.#d.options.functionNotFoundHint?.(app.id, route.segments.join("/")) ??
            "Deploy it with `fnbase deploy`",
        },
      );
    }
    return { app, fnName, fn, fns };
  }

  /**
   * Everything before forwarding: the caller's identity, the host's headers, the app's slot and
   * an instance. Throws the coded error a caller gets.
   */
  async #prepare(
    resolved: Resolved,
    route: InvocationRoute,
    req: IncomingMessage,
    url: string,
    head: Head,
    requestId: string,
    cors: [string, string][],
    detail: Detail,
  ): Promise<Prepared> {
    const { options } = this.#d;
    const { fnName, fn, fns, app: found } = resolved;
    const headers = inboundHeaders(req.headers);
    let ttl = DECISION_TTL_MS;
    // An automation run's token carries its chain depth; the service token follows it.
    let depth: number | undefined;
    const auth = req.headers.authorization;
    if (auth !== undefined) {
      const token = parseBearer(auth);
      if (!token) {
        throw new FnbaseError(
          "INVALID_TOKEN",
          "Malformed Authorization header: expected `Bearer <token>`",
        );
      }
      if (token.startsWith("b44k_") && (await this.#d.isApiKey(token))) {
        headers.authorization = `Bearer ${await this.#d.tokens.serviceToken(found.id)}`;
        detail.detailed = true;
      } else {
        depth = (await this.#d.tokens.verify(found.id, token)).depth;
        headers.authorization = auth;
        const exp = decodeJwt(token).exp;
        if (typeof exp === "number") ttl = Math.min(ttl, exp * 1000 - Date.now());
      }
    }
    headers["base44-app-id"] = found.id;
    headers["base44-api-url"] = this.#d.apiUrl();
    headers["base44-service-authorization"] =
      `Bearer ${await this.#d.tokens.serviceToken(found.id, depth)}`;
    headers["x-request-id"] = requestId;
    if (detail.detailed) headers[ERROR_DETAIL_HEADER] = "1";
    // Behind the front, the caller's address comes from the front (checked by the listener).
    const viaFront = req.headers["x-fnbase-client-addr"];
    headers["x-forwarded-for"] =
      typeof viaFront === "string" ? viaFront : (req.socket.remoteAddress ?? "");
    headers["x-forwarded-proto"] = "http";
    if (req.headers.host) headers["x-forwarded-host"] = req.headers.host;

    const declared = req.headers["content-length"];
    if (declared !== undefined && Number(declared) > options.maxBodyBytes) {
      throw new BodyTooLarge();
    }

    this.#slots.take(found.id);
    let lease: Awaited<ReturnType<RuntimeManager["acquire"]>>;
    try {
      lease = await this.#d.runtime.acquire({
        appId: found.id,
        functionName: fnName,
        deploymentId: fn.deployment_id,
        prepare: () => this.#d.prepare(found, fn),
      });
    } catch (err) {
      this.#slots.give(found.id);
      throw err;
    }
    const { instance } = lease;
    headers[instance.authHeader[0]] = instance.authHeader[1];
    const timeoutMs = fn.timeout_ms ?? options.requestTimeoutMs;
    const front = this.#d.front;
    const context = head.context;
    const decide =
      options.decisions &&
      context !== null &&
      front?.isFront(req.headers["x-fnbase-front"]) &&
      ttl > 1_000
        ? (): string | undefined => {
            const inject: [string, string][] = [];
            for (const k of [
              "authorization",
              "base44-app-id",
              "base44-api-url",
              "base44-service-authorization",
              "x-forwarded-proto",
              ERROR_DETAIL_HEADER,
              instance.authHeader[0],
            ]) {
              const v = headers[k];
              if (typeof v === "string") inject.push([k, v]);
            }
            // A decision covers the paths under the function's name too, unless another
            // function is nested under it (then the longest prefix could differ).
            const nested = [...fns.keys()].some((n) => n.startsWith(`${fnName}/`));
            const prefix = nested ? undefined : rawPrefix(route, fnName);
            const d: Decision = {
              p: prefix ?? url.split("?")[0]!,
              k: context,
              sub: prefix !== undefined,
              i: instance.id,
              s: instance.socketPath,
              h: inject,
              c: cors,
              t: timeoutMs,
              b: options.maxBodyBytes,
              ttl,
              a: found.id,
              f: fnName,
              e: {
                timeout: errorBody(timeoutError(fnName, timeoutMs)),
                crashed: errorBody(crashedError(fnName)),
                tooLarge: errorBody(tooLargeError(options.maxBodyBytes)),
              },
            };
            return front.decide(d, () => this.#d.runtime.hold(instance));
          }
        : undefined;
    let released = false;
    return {
      app: found,
      fnName,
      headers,
      timeoutMs,
      instance,
      cold: lease.cold,
      decide,
      release: () => {
        if (released) return;
        released = true;
        lease.release();
        this.#slots.give(found.id);
      },
    };
  }

  /** Answers one HTTP invocation (`head`: the request as http_rules.js's checkHead read it). */
  async handle(
    req: IncomingMessage,
    res: ServerResponse,
    route: InvocationRoute,
    url: string,
    head: Head,
  ): Promise<void> {
    const { options, log } = this.#d;
    const { started, requestId, app, origin, allowed, cors } = this.#begin(route, req);
    const extra: [string, string][] = [...cors, ["x-request-id", requestId]];
    // The gateway's own answer to a preflight the function does not answer itself.
    const preflight = (): Reply =>
      allowed && origin
        ? {
            status: 204,
            headers: [
              ...preflightHeaders(origin, req.headers["access-control-request-headers"]),
              ["x-request-id", requestId],
            ],
            body: "",
          }
        : {
            status: 403,
            headers: [
              ["x-request-id", requestId],
              ["content-type", "application/json; charset=utf-8"],
            ],
            body: errorBody(new FnbaseError("FORBIDDEN", `Origin not allowed: ${origin}`)),
          };

    let fnName: string | undefined;
    // Whether this caller may see a failure's details (see ServerOptions.exposeErrors).
    const detail: Detail = { detailed: options.exposeErrors };
    let status = 0;
    let cold = false;
    const bytesIn = { n: 0 };
    let bytesOut = 0;
    try {
      const resolved = this.#resolve(app, route, req);
      fnName = resolved.fnName;
      const p = await this.#prepare(resolved, route, req, url, head, requestId, cors, detail);
      cold = p.cold;
      const declared = req.headers["content-length"];
      const hasBody =
        declared !== undefined ? declared !== "0" : req.headers["transfer-encoding"] !== undefined;
      try {
        const r = await forward(p.instance, req, res, {
          url: functionTarget(req.headers.host, url),
          headers: p.headers,
          hasBody,
          chunked: declared === undefined,
          maxBodyBytes: options.maxBodyBytes,
          timeoutMs: p.timeoutMs,
          bytesIn,
          respond: (s, fnHeaders) => {
            if (head.preflight && !fnHeaders.some(([k]) => k === "access-control-allow-origin")) {
              const own = preflight();
              status = own.status;
              return own;
            }
            status = s;
            const out = functionAnswerHeaders(fnHeaders, cors);
            out.push(["x-request-id", requestId]);
            const d = p.decide?.();
            if (d !== undefined) out.push(["x-fnbase-decision", d]);
            return { status: s, headers: out };
          },
        });
        bytesOut = r.bytesOut;
      } catch (err) {
        if (err instanceof TimedOut) throw timeoutError(p.fnName, p.timeoutMs);
        if (err instanceof BodyTooLarge) throw err;
        if (!p.instance.alive || (err as { code?: string }).code === "UND_ERR_SOCKET") {
          // The socket closes before the process's exit is seen: wait for the exit (briefly),
          // so the caller's next request starts a new instance instead of hitting this one.
          await untilExited(p.instance, 1_000);
          throw crashedError(p.fnName);
        }
        throw err;
      } finally {
        p.release();
      }
    } catch (err) {
      if (head.preflight && !res.headersSent) {
        // The function could not answer the preflight: the app's settings do.
        const own = preflight();
        status = own.status;
        const headers = own.headers;
        if (own.body) headers.push(["content-length", String(Buffer.byteLength(own.body))]);
        res.writeHead(own.status, flat(headers));
        res.end(own.body);
        return;
      }
      const e =
        err instanceof BodyTooLarge
          ? tooLargeError(options.maxBodyBytes)
          : detail.detailed
            ? err
            : withoutDetails(err, fnName);
      if (e instanceof FnbaseError) status = e.status;
      else if (!res.headersSent) status = 502;
      if (err instanceof BodyTooLarge) res.setHeader("connection", "close");
      sendError(
        res,
        e instanceof FnbaseError || res.headersSent
          ? e
          : new FnbaseError(
              "UPSTREAM_ERROR",
              detail.detailed
                ? `Function "${fnName}" could not be reached: ${(e as Error).message}`
                : `Function "${fnName}" could not be reached`,
            ),
        extra,
        log,
      );
    } finally {
      if (app && fnName !== undefined) {
        this.#d.onInvocation?.({
          appId: app.id,
          functionName: fnName,
          requestId,
          status,
          durationMs: performance.now() - started,
          bytesIn: bytesIn.n || Number(req.headers["content-length"] ?? 0),
          bytesOut,
          cold,
          direct: false,
        });
      }
    }
  }

  /**
   * Answers a WebSocket upgrade to a function: the same app, function, identity, headers, slot
   * and records as {@link handle}; the session lasts at most the function's time limit, and what
   * the caller sends counts against the body limit.
   */
  async upgrade(
    req: IncomingMessage,
    socket: Duplex,
    early: Buffer,
    route: InvocationRoute,
    url: string,
    head: Head,
  ): Promise<void> {
    const { options, log } = this.#d;
    const { started, requestId, app, cors } = this.#begin(route, req);
    let p: Prepared;
    const detail: Detail = { detailed: options.exposeErrors };
    let fnName: string | undefined;
    try {
      const resolved = this.#resolve(app, route, req);
      fnName = resolved.fnName;
      p = await this.#prepare(resolved, route, req, url, head, requestId, cors, detail);
    } catch (err) {
      const e =
        err instanceof BodyTooLarge
          ? tooLargeError(options.maxBodyBytes)
          : detail.detailed
            ? err
            : withoutDetails(err, fnName);
      const { status, body } = toErrorResponse(e);
      if (status >= 500 && !(e instanceof FnbaseError)) log.error({ err }, "upgrade failed");
      writeRawAnswer(socket, status, [...cors, ["x-request-id", requestId]], JSON.stringify(body));
      return;
    }
    const r = await forwardUpgrade(p.instance, req, socket, early, {
      url: functionTarget(req.headers.host, url),
      headers: p.headers,
      timeoutMs: p.timeoutMs,
      maxBodyBytes: options.maxBodyBytes,
      respond: (s, fnHeaders) => {
        const out = functionAnswerHeaders(fnHeaders, cors);
        out.push(["x-request-id", requestId]);
        const d = p.decide?.();
        if (d !== undefined) out.push(["x-fnbase-decision", d]);
        return { status: s, headers: out };
      },
      errorBody: (why) =>
        why === "timeout"
          ? errorBody(timeoutError(p.fnName, p.timeoutMs))
          : errorBody(crashedError(p.fnName)),
    });
    p.release();
    this.#d.onInvocation?.({
      appId: p.app.id,
      functionName: p.fnName,
      requestId,
      status: r.status,
      durationMs: performance.now() - started,
      bytesIn: r.bytesIn,
      bytesOut: r.bytesOut,
      cold: p.cold,
      direct: false,
    });
  }
}
