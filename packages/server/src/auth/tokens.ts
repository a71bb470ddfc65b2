import { FnbaseError } from "@fnbase/shared";
import { errors as joseErrors, jwtVerify, SignJWT } from "jose";

/** What a verified token says. */
export interface TokenClaims {
  /** User id, or `service` for the service role. */
  sub: string;
  app_id: string;
  /** `service` (with sub `service`) for the service role; else the user's role when signed. */
  role: string;
  email?: string;
  /**
   * Set on the tokens an automation run is given (claim `fnb_depth`): how many automation runs
   * in a row led to this one. Writes made with the token carry it to the events they queue, so
   * a chain of automations triggering each other stops at a limit.
   */
  depth?: number;
}

/** Lifetime of the service token minted for invocations. */
export const SERVICE_TOKEN_TTL_S = 300;
/** Lifetime of a user access token. */
export const USER_TOKEN_TTL_S = 7 * 24 * 3600;

const ISSUER = "fnbase";
/** Verified tokens kept (most recently used first out last): about 1 kB each. */
const VERIFIED_MAX = 10_000;

/**
 * Signs and verifies the JWTs of one server (jose, HS256 with a per-app signing key). Keys are
 * looked up through `keyFor` and cached as CryptoKey-ready bytes.
 */
export class TokenService {
  readonly #keyFor: (appId: string) => Promise<string | undefined>;
  readonly #keys = new Map<string, Uint8Array>();
  readonly #serviceTokens = new Map<string, { token: string; refreshAt: number }>();
  /** Tokens verified lately, by app and token: their claims and when they expire (ms). */
  readonly #verified = new Map<string, { claims: TokenClaims; expiresAt: number }>();

  constructor(keyFor: (appId: string) => Promise<string | undefined>) {
    this.#keyFor = keyFor;
  }

  async #key(appId: string): Promise<Uint8Array> {
    let k = this.#keys.get(appId);
    if (!k) {
      const hex = await this.#keyFor(appId);
      if (!hex) throw new FnbaseError("APP_NOT_FOUND", `App not found: ${appId}`);
      k = Buffer.from(hex, "hex");
      this.#keys.set(appId, k);
    }
    return k;
  }

  /** Signs a token for `claims`, valid `ttlSeconds`. */
  async sign(claims: TokenClaims, ttlSeconds: number): Promise<string> {
    const { sub, app_id, depth, ...rest } = claims;
    return await new SignJWT({
      ...rest,
      app_id,
      ...(depth === undefined ? {} : { fnb_depth: depth }),
    })
      .setProtectedHeader({ alg: "HS256", typ: "JWT" })
      .setSubject(sub)
      .setIssuer(ISSUER)
      .setAudience(app_id)
      .setIssuedAt()
      .setExpirationTime(`${ttlSeconds}s`)
      .sign(await this.#key(app_id));
  }

  /**
   * The app's service token for an invocation. Short-lived (5 minutes); a fresh one is minted
   * when the cached one has under four minutes left, so a function always holds a token with at
   * least that long to run, without a signature on every request's hot path. With `depth`,
   * the token of an automation run's chain (see {@link TokenClaims.depth}).
   */
  async serviceToken(appId: string, depth?: number): Promise<string> {
    const key = depth === undefined ? appId : `${appId}\0${depth}`;
    const cached = this.#serviceTokens.get(key);
    const now = Date.now();
    if (cached && cached.refreshAt > now) return cached.token;
    const token = await this.sign(
      { sub: "service", app_id: appId, role: "service", ...(depth === undefined ? {} : { depth }) },
      SERVICE_TOKEN_TTL_S,
    );
    this.#serviceTokens.set(key, { token, refreshAt: now + 60_000 });
    return token;
  }

  /**
   * Verifies a token for `appId`; throws INVALID_TOKEN (401) for anything wrong with it. A token
   * that passed is remembered until it expires (the last {@link VERIFIED_MAX} of them), so the
   * next request with it skips the signature check (an HMAC through WebCrypto, the largest part
   * of a small entity call): signing keys never change, so the answer could not differ until
   * then, and what the token names (the user) is still looked up on every request.
   */
  async verify(appId: string, token: string): Promise<TokenClaims> {
    const key = `${appId}\0${token}`;
    const hit = this.#verified.get(key);
    if (hit) {
      this.#verified.delete(key);
      if (hit.expiresAt > Date.now()) {
        this.#verified.set(key, hit);
        return { ...hit.claims };
      }
    }
    const claims = await this.#verify(appId, token);
    if (claims.expiresAt > Date.now()) {
      if (this.#verified.size >= VERIFIED_MAX) {
        this.#verified.delete(this.#verified.keys().next().value!);
      }
      this.#verified.set(key, { claims: claims.claims, expiresAt: claims.expiresAt });
    }
    return { ...claims.claims };
  }

  async #verify(appId: string, token: string): Promise<{ claims: TokenClaims; expiresAt: number }> {
    try {
      const { payload } = await jwtVerify(token, await this.#key(appId), {
        issuer: ISSUER,
        audience: appId,
        algorithms: ["HS256"],
      });
      if (typeof payload.sub !== "string" || payload.app_id !== appId)
        throw new Error("bad claims");
      const role = payload.role;
      if (typeof role !== "string" || (role === "service") !== (payload.sub === "service")) {
        throw new Error("bad role");
      }
      const claims: TokenClaims = { sub: payload.sub, app_id: appId, role };
      if (typeof payload.email === "string") claims.email = payload.email;
      const depth = payload.fnb_depth;
      if (typeof depth === "number" && Number.isInteger(depth) && depth >= 0) claims.depth = depth;
      // jwtVerify has checked `exp`; a token without one is not remembered.
      return { claims, expiresAt: typeof payload.exp === "number" ? payload.exp * 1000 : 0 };
    } catch (err) {
      const expired = err instanceof joseErrors.JWTExpired;
      throw new FnbaseError(
        "INVALID_TOKEN",
        expired ? "Token expired" : "Invalid token: not a valid token for this app",
        {
          hint: expired
            ? "Log in again"
            : "Send `Authorization: Bearer <token>` with a token of this app",
        },
      );
    }
  }

  /**
   * Signs a one-purpose link token (an invitation, a password reset) carrying `claims`. Its
   * audience is `<appId>#<purpose>`, so it never passes {@link verify} as an access token, and
   * a token of one purpose never passes as another's.
   */
  async signLink(
    appId: string,
    purpose: string,
    claims: Record<string, string>,
    ttlSeconds: number,
  ): Promise<string> {
    return await new SignJWT({ ...claims, app_id: appId })
      .setProtectedHeader({ alg: "HS256", typ: "JWT" })
      .setIssuer(ISSUER)
      .setAudience(`${appId}#${purpose}`)
      .setIssuedAt()
      .setExpirationTime(`${ttlSeconds}s`)
      .sign(await this.#key(appId));
  }

  /**
   * Verifies a link token of `purpose` for `appId`; answers its claims. Expired: LINK_EXPIRED
   * (410); anything else wrong: INVALID_TOKEN (401).
   */
  async verifyLink(
    appId: string,
    purpose: string,
    token: string,
  ): Promise<Record<string, unknown>> {
    try {
      const { payload } = await jwtVerify(token, await this.#key(appId), {
        issuer: ISSUER,
        audience: `${appId}#${purpose}`,
        algorithms: ["HS256"],
      });
      if (payload.app_id !== appId) throw new Error("bad claims");
      return payload as Record<string, unknown>;
    } catch (err) {
      if (err instanceof joseErrors.JWTExpired) {
        throw new FnbaseError("LINK_EXPIRED", "This link has expired", {
          hint: "Ask for a new one",
        });
      }
      throw new FnbaseError("INVALID_TOKEN", `Invalid ${purpose} link`, {
        hint: "Use the link from the email as it is",
      });
    }
  }

  /** Forgets cached keys and tokens of an app. */
  forget(appId: string): void {
    this.#keys.delete(appId);
    for (const k of this.#serviceTokens.keys()) {
      if (k === appId || k.startsWith(`${appId}\0`)) this.#serviceTokens.delete(k);
    }
  }
}

/** Parses `Bearer <token>`; undefined when the header has another form. */
export function parseBearer(header: string | undefined): string | undefined {
  if (!header) return undefined;
  const m = /^Bearer ([A-Za-z0-9._~+/=-]+)$/.exec(header);
  return m?.[1];
}
