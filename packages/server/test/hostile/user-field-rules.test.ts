// Hostile: field rules declared on the app's User schema were ignored. An app that keeps a
// user's plan on their User record, writable by admins only (`plan: { rls: { write: admin } }`),
// and lets "pro" users read its reports (`read: { user_condition: { "data.plan": "pro" } }`),
// had any user make themselves "pro" with `PUT User/{their id}` (or `User/me`, `bulk`,
// `update-many`) and read every report; a field hidden from users (`read: admin`, notes kept
// about them) came back to them in `get`, `list`, `auth.me()` and the login answer.
// SECURITY.md: "Field rules hold on every write path".
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type EntityClient, entityClient, type TestUser } from "../entities/entity-helpers.js";
import { startTestServer, type TestServer } from "../helpers.js";

type Rec = Record<string, unknown>;
const isAdmin = { user_condition: { role: "admin" } };

let t: TestServer;
let e: EntityClient;
let bob: TestUser;

beforeAll(async () => {
  t = await startTestServer();
  e = await entityClient(t, "user-field-rules");
  await e.push({
    User: {
      name: "User",
      type: "object",
      properties: {
        nickname: { type: "string" },
        plan: { type: "string", rls: { write: isAdmin } },
        notes: { type: "string", rls: { read: isAdmin, write: isAdmin } },
      },
    },
    Report: {
      name: "Report",
      properties: { title: { type: "string" } },
      rls: { read: { user_condition: { "data.plan": "pro" } } },
    },
  });
  bob = await e.user("bob@example.com");
  await e.ok(e.admin, "POST", "Report", { title: "for pro users" }, 201);
  await e.ok(e.admin, "PUT", `User/${bob.id}`, { notes: "late payer" });
}, 120_000);
afterAll(async () => {
  await t?.close();
});

describe("field rules of the User schema", () => {
  it("a user cannot grant themselves a field only admins may write, on any path", async () => {
    const tries: [string, string, unknown][] = [
      ["PUT", `User/${bob.id}`, { plan: "pro" }],
      ["PUT", "User/me", { plan: "pro" }],
      ["PUT", "User/bulk", [{ id: bob.id, plan: "pro" }]],
      ["PATCH", "User/update-many", { query: { id: bob.id }, data: { $set: { plan: "pro" } } }],
    ];
    for (const [method, path, body] of tries) {
      const res = await e.req(bob.as, method, path, body);
      expect(res.status, `${method} ${path}: ${await res.text()}`).toBe(403);
    }
    expect(await e.ok<Rec[]>(bob.as, "GET", "Report")).toEqual([]);
    expect((await e.ok<Rec>(e.admin, "GET", `User/${bob.id}`)).plan).toBeUndefined();
    // What the rules leave open still works, and an admin may set the rest.
    expect((await e.ok<Rec>(bob.as, "PUT", "User/me", { nickname: "b" })).nickname).toBe("b");
    await e.ok(e.admin, "PUT", `User/${bob.id}`, { plan: "pro" });
    expect(await e.ok<Rec[]>(bob.as, "GET", "Report")).toHaveLength(1);
  });

  it("a field hidden from users is not in what they read of themselves", async () => {
    const seen: Rec[] = [
      await e.ok<Rec>(bob.as, "GET", `User/${bob.id}`),
      (await e.ok<Rec[]>(bob.as, "GET", "User"))[0]!,
      await e.ok<Rec>(bob.as, "GET", "User/me"),
    ];
    const login = await fetch(`${t.url}/api/apps/${e.appId}/auth/login`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ email: bob.email, password: "correct horse battery" }),
    });
    seen.push(((await login.json()) as { user: Rec }).user);
    for (const user of seen) {
      expect(user.email).toBe(bob.email);
      expect(user.notes).toBeUndefined();
    }
    expect((await e.ok<Rec>(e.admin, "GET", `User/${bob.id}`)).notes).toBe("late payer");
  });
});
