// Hostile: a realtime socket keeps the actor its handshake named for as long as it stays open.
// SECURITY.md: "What a subscriber can learn is what it could read by polling", "a revoked key's
// session ends at its next request"; SCALE-OUT: "a revoked key ... is never served". A socket
// opened with a workspace API key (no expiry: `expiresAt` is Infinity for `b44k_` tokens) keeps
// receiving every record of the app after the key is revoked, and a socket of a user who was
// deleted (or demoted from admin) keeps receiving what it could read before, until its 7-day
// token expires, while every HTTP call of theirs is refused at once.
import { io, type Socket } from "socket.io-client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type EntityClient, entityClient, type TestUser } from "../entities/entity-helpers.js";
import { ADMIN_KEY, sleep, startTestServer, type TestServer } from "../helpers.js";

let t: TestServer;
let e: EntityClient;
const sockets: Socket[] = [];

beforeAll(async () => {
  t = await startTestServer();
  e = await entityClient(t, "realtime-revocation");
  await e.push({
    // Only admins (and the service role) read ledger entries.
    Ledger: {
      name: "Ledger",
      properties: { text: { type: "string" } },
      rls: { create: true, read: { user_condition: { role: "admin" } } },
    },
  });
}, 120_000);
afterAll(async () => {
  for (const s of sockets) s.close();
  await t?.close();
});

/** A raw socket.io subscriber to Ledger with `token`; its events' texts. */
async function subscribe(token: string): Promise<{ texts: string[]; socket: Socket }> {
  const socket = io(t.url, {
    path: "/ws-user-apps/socket.io/",
    transports: ["websocket"],
    query: { app_id: e.appId, token },
    reconnection: false,
  });
  sockets.push(socket);
  const texts: string[] = [];
  socket.on("update_model", (m: { data: string }) => {
    texts.push((JSON.parse(m.data) as { data: { text: string } }).data.text);
  });
  await new Promise<void>((resolve, reject) => {
    socket.once("connect", () => resolve());
    socket.once("connect_error", reject);
  });
  socket.emit("join", `entities:${e.appId}:Ledger`);
  // Until it has joined: it sees a marker.
  const deadline = Date.now() + 10_000;
  while (!texts.includes("marker")) {
    if (Date.now() > deadline) throw new Error("never joined");
    await e.ok(e.admin, "POST", "Ledger", { text: "marker" }, 201);
    await sleep(50);
  }
  return { texts, socket };
}

/** Writes a secret entry and gives sockets time to hear it. */
async function writeSecret(text: string): Promise<void> {
  await e.ok(e.admin, "POST", "Ledger", { text }, 201);
  await sleep(500);
}

describe("realtime after the credential is gone", () => {
  it("a socket opened with a workspace API key hears nothing once the key is revoked", async () => {
    const made = await t.admin("/api/workspace/api-keys", {
      method: "POST",
      body: JSON.stringify({ name: "contractor" }),
    });
    expect(made.status).toBe(201);
    const { id, key } = (await made.json()) as { id: string; key: string };
    const sub = await subscribe(key);
    const revoked = await fetch(`${t.url}/api/workspace/api-keys/${id}`, {
      method: "DELETE",
      headers: { api_key: ADMIN_KEY },
    });
    expect(revoked.status).toBeLessThan(300);
    // Over HTTP the key is dead at once.
    expect((await e.req({ apiKey: key }, "GET", "Ledger")).status).toBe(401);
    await writeSecret("after revocation");
    expect(sub.texts).not.toContain("after revocation");
  });

  it("a deleted admin's socket hears nothing once the user is deleted", async () => {
    const boss: TestUser = await e.user("boss@example.com", "admin");
    const sub = await subscribe(boss.token);
    await e.ok(e.admin, "DELETE", `User/${boss.id}`);
    expect((await e.req(boss.as, "GET", "Ledger")).status).toBe(401);
    await writeSecret("after deletion");
    expect(sub.texts).not.toContain("after deletion");
  });

  it("a demoted admin's socket no longer hears what only admins read", async () => {
    const ex: TestUser = await e.user("ex-admin@example.com", "admin");
    const sub = await subscribe(ex.token);
    await e.ok(e.admin, "PUT", `User/${ex.id}`, { role: "user" });
    // Over HTTP the demotion holds at once: an empty list.
    expect(await e.ok(ex.as, "GET", "Ledger")).toEqual([]);
    await writeSecret("after demotion");
    expect(sub.texts).not.toContain("after demotion");
  });
});
