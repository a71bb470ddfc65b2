import { randomUUID } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import { type Decision, ERROR_DETAIL_HEADER, functionTarget } from "@fnbase/runtime";
import { FnbaseError, type Logger, toErrorResponse } from "@fnbase/shared";
import { decodeJwt } from "jose";
import { parseBearer, type TokenService } from "../auth/tokens.js";
import type { Catalog } from "../catalog.js";
import type { ResolvedOptions } from "../config.js";
import type { FrontLink } from "../front/link.js";
import type { InstanceSpec } from "../runtime/instance.js";
import type { RuntimeManager } from "../runtime/manager.js";
import type { AppRecord, FunctionRecord } from "../store/index.js";
import { corsHeaders, isPreflight, originAllowed, preflightHeaders } from "./cors.js";
import { BodyTooLarge, forward, TimedOut, untilExited } from "./forward.js";
import { inboundHeaders } from "./headers.js";
import { type InvocationRoute, rawPrefix, resolveFunctionName } from "./route.js";

/** What the gateway reports about each finished invocation (for logs and metrics). */
export interface InvocationRecord {
  appId: string;
  functionName: string;
  requestId: string;
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
  new FnbaseError("PAYLOAD_TOO_LARGE", `Request body is over the limit of ${max} bytes`);
const errorBody = (e: FnbaseError) => JSON.stringify(toErrorResponse(e).body);

function sendError(
  res: ServerResponse,
  err: unknown,
  extra: Record<string, string>,
  log: Logger,
): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const { status, body } = toErrorResponse(err);
  if (status >= 500 && !(err instanceof FnbaseError)) log.error({ err }, "invocation failed");
  const requestId = extra["x-request-id"];
  const text = JSON.stringify(requestId === undefined ? body : { ...body, request_id: requestId });
  res.writeHead(status, {
    ...extra,
    "content-type": "application/json; charset=utf-8",
    "content-length": Buffer.byteLength(text),
  });
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

/**
 * Routes invocations to function instances: resolves the app and function, checks the caller's
 * token, sets the contract's headers (after removing any a caller sent), and streams bodies
 * both ways without buffering. Errors are `{ error, code }` JSON with CORS headers.
 */
export class Gateway {
  readonly #d: GatewayDeps;

  constructor(deps: GatewayDeps) {
    this.#d = deps;
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

  async handle(
    req: IncomingMessage,
    res: ServerResponse,
    route: InvocationRoute,
    url: string,
  ): Promise<void> {
    const started = performance.now();
    const { catalog, options, log } = this.#d;
    const requestId = randomUUID();
    const app = this.#findApp(route, req);
    const origin = req.headers.origin;
    const allowed = origin ? originAllowed(app, origin, options.corsAnyOrigin) : false;
    const extra = { ...corsHeaders(origin, allowed), "x-request-id": requestId };

    if (isPreflight(req)) {
      if (!allowed) {
        sendError(
          res,
          new FnbaseError("FORBIDDEN", `Origin not allowed: ${origin}`),
          { "x-request-id": requestId },
          log,
        );
        return;
      }
      res.writeHead(204, { ...preflightHeaders(req), "x-request-id": requestId });
      res.end();
      return;
    }

    let fnName: string | undefined;
    // Whether this caller may see a failure's details (see ServerOptions.exposeErrors).
    let detailed = options.exposeErrors;
    let status = 0;
    let cold = false;
    const bytesIn = { n: 0 };
    let bytesOut = 0;
    try {
      if (!app) {
        const which = route.appId ?? (req.headers["x-app-id"] as string | undefined);
        throw which
          ? new FnbaseError("APP_NOT_FOUND", `App not found: ${which}`)
          : new FnbaseError(
              "APP_NOT_FOUND",
              options.defaultApp
                ? `No app for this request: the default app ${options.defaultApp} does not exist`
                : "No app for this request: send X-App-Id or use /api/apps/{appId}/functions/{name}",
              {
                hint: options.defaultApp
                  ? `Create it (fnbase apps create <name> --id ${options.defaultApp}) or restart the server with another --default-app`
                  : "Create an app: /functions/* serves the first one created, or the server's --default-app",
              },
            );
      }
      if (!app.functions_enabled) {
        throw new FnbaseError("FUNCTIONS_DISABLED", "Backend functions are disabled for this app");
      }
      const fns = catalog.functions(app.id);
      fnName = resolveFunctionName(route.segments, (n) => fns.has(n));
      const fn = fnName === undefined ? undefined : fns.get(fnName);
      if (!fn || fnName === undefined) {
        throw new FnbaseError(
          "FUNCTION_NOT_FOUND",
          `Function not found: "${route.segments.join("/")}"`,
          {
            hint: "Deploy it with `fnbase deploy`",
          },
        );
      }

      const headers = inboundHeaders(req.headers);
      let ttl = DECISION_TTL_MS;
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
          headers.authorization = `Bearer ${await this.#d.tokens.serviceToken(app.id)}`;
          detailed = true;
        } else {
          await this.#d.tokens.verify(app.id, token);
          headers.authorization = auth;
          const exp = decodeJwt(token).exp;
          if (typeof exp === "number") ttl = Math.min(ttl, exp * 1000 - Date.now());
        }
      }
      headers["base44-app-id"] = app.id;
      headers["base44-api-url"] = this.#d.apiUrl();
      headers["base44-service-authorization"] =
        `Bearer ${await this.#d.tokens.serviceToken(app.id)}`;
      headers["x-request-id"] = requestId;
      if (detailed) headers[ERROR_DETAIL_HEADER] = "1";
      // Behind the front, the caller's address comes from the front (checked by the listener).
      const viaFront = req.headers["x-fnbase-client-addr"];
      headers["x-forwarded-for"] =
        typeof viaFront === "string" ? viaFront : (req.socket.remoteAddress ?? "");
      headers["x-forwarded-proto"] = "http";
      if (req.headers.host) headers["x-forwarded-host"] = req.headers.host;

      const declared = req.headers["content-length"];
      if (declared !== undefined && Number(declared) > options.maxBodyBytes)
        throw new BodyTooLarge();
      const hasBody =
        declared !== undefined ? declared !== "0" : req.headers["transfer-encoding"] !== undefined;

      const lease = await this.#d.runtime.acquire({
        appId: app.id,
        functionName: fnName,
        deploymentId: fn.deployment_id,
        prepare: () => this.#d.prepare(app, fn),
      });
      cold = lease.cold;
      const { instance } = lease;
      headers[instance.authHeader[0]] = instance.authHeader[1];

      const timeoutMs = fn.timeout_ms ?? options.requestTimeoutMs;
      const front = this.#d.front;
      const decide =
        front?.isFront(req.headers["x-fnbase-front"]) && ttl > 1_000
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
              const prefix = nested ? undefined : rawPrefix(route, fnName!);
              const d: Decision = {
                p: prefix ?? url.split("?")[0]!,
                sub: prefix !== undefined,
                i: instance.id,
                s: instance.socketPath,
                h: inject,
                c: Object.entries(corsHeaders(origin, allowed)),
                t: timeoutMs,
                b: options.maxBodyBytes,
                ttl,
                a: app.id,
                f: fnName!,
                e: {
                  timeout: errorBody(timeoutError(fnName!, timeoutMs)),
                  crashed: errorBody(crashedError(fnName!)),
                  tooLarge: errorBody(tooLargeError(options.maxBodyBytes)),
                },
              };
              return front.decide(d, () => this.#d.runtime.hold(instance));
            }
          : undefined;
      try {
        const r = await forward(instance, req, res, {
          url: functionTarget(req.headers.host, url),
          headers,
          hasBody,
          chunked: declared === undefined,
          maxBodyBytes: options.maxBodyBytes,
          timeoutMs,
          bytesIn,
          decorate: (out) => {
            if (origin && allowed && out["access-control-allow-origin"] === undefined)
              Object.assign(out, corsHeaders(origin, allowed));
            out["x-request-id"] = requestId;
            // Only the gateway speaks to the front: a function's own value never passes.
            delete out["x-fnbase-decision"];
            const d = decide?.();
            if (d !== undefined) out["x-fnbase-decision"] = d;
          },
          onStatus: (s) => {
            status = s;
          },
        });
        bytesOut = r.bytesOut;
      } catch (err) {
        if (err instanceof TimedOut) throw timeoutError(fnName, timeoutMs);
        if (err instanceof BodyTooLarge) throw err;
        if (!instance.alive || (err as { code?: string }).code === "UND_ERR_SOCKET") {
          // The socket closes before the process's exit is seen: wait for the exit (briefly),
          // so the caller's next request starts a new instance instead of hitting this one.
          await untilExited(instance, 1_000);
          throw crashedError(fnName);
        }
        throw err;
      } finally {
        lease.release();
      }
    } catch (err) {
      const e =
        err instanceof BodyTooLarge
          ? tooLargeError(options.maxBodyBytes)
          : detailed
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
              detailed
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
}
