import { request } from "undici";
import type { TokenService } from "../auth/tokens.js";
import { USER_TOKEN_TTL_S } from "../auth/tokens.js";
import type { Catalog } from "../catalog.js";
import type { ClaimedRun, IdentityStore } from "../store/index.js";
import type { AutomationDefinition } from "./definition.js";
import { runBody } from "./event-payload.js";

/** What one attempt came to. */
export interface Attempt {
  /** The function's HTTP status; null when no answer came. */
  status: number | null;
  requestId: string | null;
  /** Why it failed (the answer's start, or the transport error); null on success. */
  error: string | null;
  /** Worth another attempt: no answer, 408, 429 or 5xx. Other 4xx are the function's own verdict. */
  retryable: boolean;
  durationMs: number;
}

/** What {@link AutomationInvoker} works with. */
export interface InvokerDeps {
  catalog: Catalog;
  tokens: TokenService;
  identity: IdentityStore;
  /** The server's public URL (the front), where every invocation comes in. */
  url: () => string;
  /** The server's time limit of a request, for functions without their own. */
  requestTimeoutMs: number;
}

/** The part of a failed answer kept as the run's error. */
const MAX_ERROR_CHARS = 2_000;
/** How long a minted token is reused (it lives 5 minutes; see TokenService.serviceToken). */
const TOKEN_REUSE_MS = 60_000;
const OWNER_TOKEN_TTL_S = Math.min(300, USER_TOKEN_TTL_S);

/** The first {@link MAX_ERROR_CHARS} characters of a body; the rest is not read. */
async function start(body: AsyncIterable<Buffer> & { destroy(): void }): Promise<string> {
  let text = "";
  for await (const chunk of body) {
    text += chunk.toString();
    if (text.length >= MAX_ERROR_CHARS) {
      body.destroy();
      break;
    }
  }
  return text.slice(0, MAX_ERROR_CHARS);
}

const failed = (error: string, retryable: boolean, started: number): Attempt => ({
  status: null,
  requestId: null,
  error,
  retryable,
  durationMs: performance.now() - started,
});

/**
 * Runs an automation's function the way any caller invokes it: `POST
 * /api/apps/{app}/functions/{name}` on the server's public URL, so it goes through the front,
 * the gateway and the runtime like every invocation (the same headers, time limit, logs and
 * metrics). It authenticates as the automation's owner (a user token minted for the run) or,
 * without an owner, as the service role (◇ a service token in `Authorization`: `auth.me()` then
 * answers 403, and `base44.entities` act with the service role, as whoever deployed it with an
 * API key would). Either token carries the run's chain depth (`fnb_depth`), which the gateway
 * passes on to the service token it adds, and which every write made with them carries to the
 * events it queues.
 *
 * @example
 * const attempt = await invoker.invoke(claimed);
 */
export class AutomationInvoker {
  readonly #d: InvokerDeps;
  readonly #tokens = new Map<string, { token: string; until: number }>();

  constructor(deps: InvokerDeps) {
    this.#d = deps;
  }

  async #token(appId: string, ownerId: string | null, depth: number): Promise<string | undefined> {
    if (ownerId === null) return await this.#d.tokens.serviceToken(appId, depth);
    const key = `${appId}\0${ownerId}\0${depth}`;
    const cached = this.#tokens.get(key);
    if (cached && cached.until > Date.now()) return cached.token;
    const user = await this.#d.identity.getUser(appId, ownerId);
    if (!user) return undefined;
    const token = await this.#d.tokens.sign(
      { sub: user.id, app_id: appId, role: user.role, email: user.email, depth },
      OWNER_TOKEN_TTL_S,
    );
    if (this.#tokens.size > 1_000) this.#tokens.clear();
    this.#tokens.set(key, { token, until: Date.now() + TOKEN_REUSE_MS });
    return token;
  }

  /** The time limit of the automation's function, in ms. */
  timeoutMs(appId: string, functionName: string): number {
    return this.#d.catalog.fn(appId, functionName)?.timeout_ms ?? this.#d.requestTimeoutMs;
  }

  /** One attempt of a claimed run. */
  async invoke({ run, automation }: ClaimedRun): Promise<Attempt> {
    const started = performance.now();
    const fn = automation.function_name;
    if (!this.#d.catalog.fn(automation.app_id, fn)) {
      return failed(`Function "${fn}" is not deployed`, false, started);
    }
    const token = await this.#token(automation.app_id, automation.owner_id, run.depth);
    if (token === undefined) {
      return failed(
        `The automation's owner (user ${automation.owner_id}) no longer exists: set another with PATCH automations/${automation.id}`,
        false,
        started,
      );
    }
    const def = automation.definition as unknown as AutomationDefinition;
    const path = fn.split("/").map(encodeURIComponent).join("/");
    const timeout = this.timeoutMs(automation.app_id, fn) + 10_000;
    try {
      const res = await request(
        `${this.#d.url()}/api/apps/${automation.app_id}/functions/${path}`,
        {
          method: "POST",
          headers: {
            authorization: `Bearer ${token}`,
            "content-type": "application/json",
          },
          body: runBody(def.function_args, run.event),
          headersTimeout: timeout,
          bodyTimeout: timeout,
        },
      );
      const status = res.statusCode;
      const rid = res.headers["x-request-id"];
      const requestId = typeof rid === "string" ? rid : null;
      const ok = status >= 200 && status < 300;
      let error: string | null = null;
      if (ok) await res.body.dump();
      else error = `HTTP ${status}: ${await start(res.body)}`;
      return {
        status,
        requestId,
        error,
        retryable: !ok && (status >= 500 || status === 408 || status === 429),
        durationMs: performance.now() - started,
      };
    } catch (err) {
      return failed(`No answer: ${(err as Error).message}`, true, started);
    }
  }
}
