import { randomUUID } from "node:crypto";
import { FnbaseError } from "@fnbase/shared";
import { type TokenService, USER_TOKEN_TTL_S } from "../auth/tokens.js";
import type { IdentityStore, UserRow } from "../store/index.js";
import { dummyHash, hashPassword, verifyPassword } from "./passwords.js";

/** A user as callers see it: never the password hash. */
export interface PublicUser extends Record<string, unknown> {
  id: string;
  email: string;
  full_name: string | null;
  role: string;
  app_id: string;
  created_date: string;
  updated_date: string;
}

/** An email: something, an @, something; no spaces or control characters. */
const EMAIL = /^[^\s@\p{Cc}]+@[^\s@\p{Cc}]+$/u;
// biome-ignore lint/suspicious/noControlCharactersInRegex: the point is to find them
const CONTROL = /[\u0000-\u001f\u007f]/;
/** Longest `full_name`, in characters. */
const MAX_FULL_NAME = 256;
const MIN_PASSWORD = 8;
const MAX_PASSWORD = 1024;

/**
 * Strips a stored user down to what a caller may see.
 *
 * @example
 * c.json(publicUser(row)); // no password_hash
 */
export function publicUser(u: UserRow): PublicUser {
  return {
    ...u.data,
    id: u.id,
    email: u.email,
    full_name: u.full_name,
    role: u.role,
    app_id: u.app_id,
    created_date: u.created_date,
    updated_date: u.updated_date,
  };
}

function asObject(body: unknown): Record<string, unknown> {
  if (typeof body !== "object" || body === null || Array.isArray(body)) {
    throw new FnbaseError("BAD_REQUEST", "The body must be a JSON object");
  }
  return body as Record<string, unknown>;
}

/** A new password, checked: 8 to 1,024 characters; BAD_REQUEST otherwise. */
export function checkPassword(password: unknown): string {
  if (typeof password !== "string" || password.length < MIN_PASSWORD) {
    throw new FnbaseError(
      "BAD_REQUEST",
      `Password too short: it needs at least ${MIN_PASSWORD} characters`,
    );
  }
  if (password.length > MAX_PASSWORD) {
    throw new FnbaseError("BAD_REQUEST", `Password too long: at most ${MAX_PASSWORD} characters`);
  }
  return password;
}

/**
 * App users: registration and login (signed access tokens from {@link TokenService}). Everyone
 * who registers is a `user`; an admin is made by the service role, an app admin or an API key
 * holder setting `role: "admin"` through `PUT entities/User/{id}` (the User entity, in
 * `entities/`), so a stranger who registers first on a fresh app never becomes its admin.
 *
 * @example
 * const users = new UserService(store.identity, tokens);
 * const { access_token } = await users.login("app1", { email, password });
 */
export class UserService {
  readonly #store: IdentityStore;
  readonly #tokens: TokenService;

  constructor(store: IdentityStore, tokens: TokenService) {
    this.#store = store;
    this.#tokens = tokens;
  }

  async #issue(u: UserRow): Promise<{ access_token: string; user: PublicUser }> {
    const access_token = await this.#tokens.sign(
      { sub: u.id, app_id: u.app_id, role: u.role, email: u.email },
      USER_TOKEN_TTL_S,
    );
    return { access_token, user: publicUser(u) };
  }

  /** Creates a user with role `user` and logs it in. */
  async register(
    appId: string,
    body: unknown,
  ): Promise<{ access_token: string; user: PublicUser }> {
    const b = asObject(body);
    const email = typeof b.email === "string" ? b.email.trim() : "";
    if (!EMAIL.test(email) || email.length > 254) {
      throw new FnbaseError("BAD_REQUEST", `Invalid email: ${JSON.stringify(b.email ?? null)}`);
    }
    const password = checkPassword(b.password);
    if (b.full_name !== undefined && b.full_name !== null && typeof b.full_name !== "string") {
      throw new FnbaseError("BAD_REQUEST", '"full_name" must be a string');
    }
    if (
      typeof b.full_name === "string" &&
      (b.full_name.length > MAX_FULL_NAME || CONTROL.test(b.full_name))
    ) {
      throw new FnbaseError(
        "BAD_REQUEST",
        `"full_name" must be at most ${MAX_FULL_NAME} characters without control characters`,
      );
    }
    if (await this.#store.getUserByEmail(appId, email)) {
      throw new FnbaseError("CONFLICT", `A user with this email already exists: ${email}`);
    }
    const now = new Date().toISOString();
    const row: UserRow = {
      id: randomUUID(),
      app_id: appId,
      email,
      full_name: typeof b.full_name === "string" ? b.full_name : null,
      role: "user",
      password_hash: await hashPassword(password),
      data: {},
      created_date: now,
      updated_date: now,
    };
    try {
      await this.#store.insertUser(row);
    } catch (cause) {
      throw new FnbaseError("CONFLICT", `A user with this email already exists: ${email}`, {
        cause,
      });
    }
    return await this.#issue(row);
  }

  /**
   * A short-lived access token of a user (`ttlSeconds`, 60 to 3,600), for the holder of an API
   * key to call as that user (the dashboard's invoke console); USER_NOT_FOUND as a 404.
   */
  async accessToken(
    appId: string,
    userId: string,
    ttlSeconds: number,
  ): Promise<{ access_token: string; expires_in: number; user: PublicUser }> {
    const u = await this.#store.getUser(appId, userId);
    if (!u) throw new FnbaseError("NOT_FOUND", `User not found: ${userId.slice(0, 80)}`);
    const access_token = await this.#tokens.sign(
      { sub: u.id, app_id: u.app_id, role: u.role, email: u.email },
      ttlSeconds,
    );
    return { access_token, expires_in: ttlSeconds, user: publicUser(u) };
  }

  /** Checks email and password; answers `{ access_token, user }` or a 401. */
  async login(appId: string, body: unknown): Promise<{ access_token: string; user: PublicUser }> {
    const b = asObject(body);
    const email = typeof b.email === "string" ? b.email : "";
    const password = typeof b.password === "string" ? b.password.slice(0, MAX_PASSWORD) : "";
    const user = email ? await this.#store.getUserByEmail(appId, email) : undefined;
    const ok = await verifyPassword(password, user?.password_hash ?? (await dummyHash()));
    if (!user || !ok) {
      throw new FnbaseError("UNAUTHORIZED", "Invalid email or password");
    }
    return await this.#issue(user);
  }

  /** The user, or undefined. */
  async get(appId: string, id: string): Promise<UserRow | undefined> {
    return await this.#store.getUser(appId, id);
  }

  /**
   * Creates the user an invitation names, with the password they chose, and logs them in.
   * CONFLICT when the email is already a user.
   */
  async createInvited(
    appId: string,
    invite: { email: string; role: string },
    password: unknown,
    fullName: unknown,
  ): Promise<{ access_token: string; user: PublicUser }> {
    const hash = await hashPassword(checkPassword(password));
    if (fullName !== undefined && fullName !== null && typeof fullName !== "string") {
      throw new FnbaseError("BAD_REQUEST", '"full_name" must be a string');
    }
    const now = new Date().toISOString();
    const row: UserRow = {
      id: randomUUID(),
      app_id: appId,
      email: invite.email,
      full_name: typeof fullName === "string" && fullName.trim() !== "" ? fullName.trim() : null,
      role: invite.role,
      password_hash: hash,
      data: {},
      created_date: now,
      updated_date: now,
    };
    try {
      await this.#store.insertUser(row);
    } catch (cause) {
      throw new FnbaseError("CONFLICT", `A user with this email already exists: ${invite.email}`, {
        cause,
      });
    }
    return await this.#issue(row);
  }

  /** Sets a user's password (checked for length). */
  async setPassword(appId: string, id: string, password: unknown): Promise<void> {
    const hash = await hashPassword(checkPassword(password));
    await this.#store.updateUser(appId, id, { password_hash: hash });
  }

  /** True when `password` is the user's (constant time). */
  async passwordMatches(user: UserRow, password: unknown): Promise<boolean> {
    return (
      typeof password === "string" &&
      (await verifyPassword(password.slice(0, MAX_PASSWORD), user.password_hash))
    );
  }

  /** The user with this email (compared without case), or undefined. */
  async byEmail(appId: string, email: string): Promise<UserRow | undefined> {
    return await this.#store.getUserByEmail(appId, email);
  }
}
