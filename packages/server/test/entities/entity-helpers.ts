/**
 * Helpers of the entities tests: a real server, an app, schemas pushed through the real
 * `PUT entity-schemas`, users registered through `auth/register`, and requests as each of them.
 */
import { expect } from "vitest";
import { ADMIN_KEY, ECHO, type Echo, type TestServer } from "../helpers.js";

/** A caller of the record routes: a bearer token, an API key, or nobody. */
export type As = { token: string } | { apiKey: string } | "anonymous";

/** A registered user: its token and its record. */
export interface TestUser {
  token: string;
  id: string;
  email: string;
  as: As;
}

/** Requests against one app's entities. */
export interface EntityClient {
  appId: string;
  /** `fetch` of `/api/apps/{appId}/entities/{path}` as `as`, JSON body when given. */
  req(as: As, method: string, path: string, body?: unknown): Promise<Response>;
  /** Same, expecting `status`, answering the parsed body. */
  ok<T = unknown>(
    as: As,
    method: string,
    path: string,
    body?: unknown,
    status?: number,
  ): Promise<T>;
  /** Pushes `{ entityNameToSchema }`; answers `{ created, updated, deleted }`. */
  push(
    schemas: Record<string, unknown>,
  ): Promise<{ created: string[]; updated: string[]; deleted: string[] }>;
  /** Registers a user (role `user`); `role` other than user is set by the API key afterwards. */
  user(email: string, role?: string): Promise<TestUser>;
  /** The app's service token, as a function receives it. */
  serviceToken(): Promise<string>;
  admin: As;
}

const headersOf = (as: As): Record<string, string> =>
  as === "anonymous"
    ? {}
    : "token" in as
      ? { authorization: `Bearer ${as.token}` }
      : { api_key: as.apiKey };

/** An entity client for a new app on `t`. */
export async function entityClient(t: TestServer, name = "entities"): Promise<EntityClient> {
  const appId = await t.createApp(name);
  const admin: As = { apiKey: ADMIN_KEY };
  let service: string | undefined;
  const req = (as: As, method: string, path: string, body?: unknown) =>
    fetch(`${t.url}/api/apps/${appId}/entities/${path}`, {
      method,
      headers: {
        ...headersOf(as),
        ...(body === undefined ? {} : { "content-type": "application/json" }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
  const ok = async <T>(as: As, method: string, path: string, body?: unknown, status = 200) => {
    const res = await req(as, method, path, body);
    const text = await res.text();
    expect(res.status, `${method} ${path}: ${text}`).toBe(status);
    return JSON.parse(text) as T;
  };
  return {
    appId,
    admin,
    req,
    ok,
    async push(schemas) {
      const res = await t.admin(`/api/apps/${appId}/entity-schemas`, {
        method: "PUT",
        body: JSON.stringify({ entityNameToSchema: schemas }),
      });
      const text = await res.text();
      expect(res.status, text).toBe(200);
      return JSON.parse(text);
    },
    async user(email, role = "user") {
      const res = await fetch(`${t.url}/api/apps/${appId}/auth/register`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ email, password: "correct horse battery" }),
      });
      const text = await res.text();
      expect(res.status, text).toBe(201);
      const { access_token, user } = JSON.parse(text) as {
        access_token: string;
        user: { id: string; email: string };
      };
      if (role !== "user") await ok(admin, "PUT", `User/${user.id}`, { role });
      return { token: access_token, id: user.id, email: user.email, as: { token: access_token } };
    },
    async serviceToken() {
      if (!service) {
        await t.deploy(appId, "echo", ECHO);
        const echo = (await (await t.invoke(appId, "echo")).json()) as Echo;
        service = (echo.headers["base44-service-authorization"] ?? "").slice("Bearer ".length);
      }
      return service;
    },
  };
}

/** `q=` of a filter, as the SDK encodes it. */
export const q = (filter: unknown) => `q=${encodeURIComponent(JSON.stringify(filter))}`;
