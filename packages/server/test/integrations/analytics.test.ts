/**
 * `analytics/track/batch`, what `@base44/sdk` posts by itself: stored per app with the verified
 * caller, queryable with an API key. The SDK's own timer is made deterministic: 0.8.20 (which
 * apps pin) starts a 60 s heartbeat in any runtime; the test fakes `setInterval` only, moves
 * it 60 s, and the heartbeat's real request reaches the server. 0.8.50 runs its heartbeat only
 * in browsers, so in a function the same request is the one `analytics.track()` makes.
 */
import { createClient as createClient0820 } from "base44-sdk-0820";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { ADMIN_KEY, expectError, oneFile, sleep } from "../helpers.js";
import { storeCases } from "../postgres.js";
import { type Fixture, fixture, type User } from "./integration-helpers.js";

/** Analytics on every store: integrations.db (SQLite) or PostgreSQL, when reachable. */
describe.each(await storeCases())("analytics on $name", ({ skip, setup }) => {
  if (skip) {
    it.skip("PostgreSQL is not reachable", () => {});
    return;
  }
  let f: Fixture;
  let ada: User;
  let cleanup = async () => {};

  beforeAll(async () => {
    const s = await setup();
    cleanup = s.cleanup;
    f = await fixture({ store: s.store });
    ada = await f.user("ada@example.com");
  }, 120_000);
  afterAll(async () => {
    await f?.close();
    await cleanup();
  });
  afterEach(() => {
    vi.useRealTimers();
    vi.restoreAllMocks();
  });

  interface Event {
    event_name: string;
    user_id: string | null;
    session_id: string | null;
    properties: unknown;
    page_url: string | null;
    timestamp: string | null;
  }

  const events = async (query = ""): Promise<Event[]> => {
    const res = await f.admin(`/api/apps/${f.appId}/analytics/events${query}`);
    expect(res.status).toBe(200);
    return ((await res.json()) as { events: Event[] }).events;
  };

  /** Waits (polling the events API) until an event of `name` is stored; answers it. */
  async function stored(name: string): Promise<Event> {
    return await vi.waitFor(
      async () => {
        const [e] = await events(`?event_name=${encodeURIComponent(name)}`);
        if (!e) throw new Error(`No ${name} event yet`);
        return e;
      },
      { timeout: 10_000, interval: 20 },
    );
  }

  const post = (body: unknown, headers: Record<string, string> = {}) =>
    fetch(`${f.url}/api/apps/${f.appId}/analytics/track/batch`, {
      method: "POST",
      headers: { "content-type": "application/json", ...headers },
      body: typeof body === "string" ? body : JSON.stringify(body),
    });

  describe("analytics/track/batch", () => {
    it("keeps what @base44/sdk 0.8.50's track() sends, with the verified user", async () => {
      const errors = vi.spyOn(console, "error");
      const client = f.base44(ada);
      // @base44/sdk keeps one event queue per process, sent by the client that started its send
      // loop (which runs, a second between batches, until the queue is empty). A loop started by
      // an earlier client (another test's, against another server) would send this event there:
      // wait for it to end, so that this client's own loop sends it.
      await sleep(1_500);
      client.analytics.track({ eventName: "signup", properties: { plan: "pro" } });
      const e = await stored("signup");
      expect(e).toMatchObject({
        event_name: "signup",
        user_id: ada.id,
        properties: { plan: "pro" },
      });
      expect(e.session_id).toEqual(expect.any(String));
      expect(Date.parse(e.timestamp!)).toBeGreaterThan(0);
      expect(errors).not.toHaveBeenCalled();
    });

    it("answers SDK 0.8.20's 60 s heartbeat in Node, so nothing logs an error", async () => {
      const errors = vi.spyOn(console, "error");
      vi.useFakeTimers({ toFake: ["setInterval", "clearInterval"] });
      const client = createClient0820({ appId: f.appId, serverUrl: f.url, token: ada.token });
      vi.advanceTimersByTime(60_000);
      vi.useRealTimers();
      const e = await stored("__user_heartbeat_event__");
      expect(e.user_id).toBe(ada.id);
      expect(errors).not.toHaveBeenCalled();
      client.cleanup();
    });

    it("gives anonymous events no user, whatever the body claims, and never 401s a stale token", async () => {
      const batch = {
        events: [{ event_name: "anon", user_id: ada.id, session_id: "s1", page_url: "/home" }],
      };
      expect(await (await post(batch)).json()).toEqual({ success: true, count: 1 });
      const res = await post(batch, { authorization: "Bearer not-a-token" });
      expect(res.status).toBe(200);
      const got = await events("?event_name=anon");
      expect(got.map((e) => [e.user_id, e.session_id, e.page_url])).toEqual([
        [null, "s1", "/home"],
        [null, "s1", "/home"],
      ]);
    });

    it("refuses batches that are not one, events without a name, and oversized bodies", async () => {
      await expectError(await post({ events: "x" }), 400, "BAD_REQUEST");
      const named = await expectError(
        await post({ events: [{ event_name: "ok" }, { properties: {} }] }),
        400,
        "BAD_REQUEST",
      );
      expect(named.error).toBe(
        "Invalid analytics event at 1: event_name must be a string of 1 to 256 characters",
      );
      await expectError(await post("{"), 400, "INVALID_JSON");
      const huge = { events: [{ event_name: "x", properties: { s: "x".repeat(1024 * 1024) } }] };
      await expectError(await post(huge), 413, "PAYLOAD_TOO_LARGE");
      expect(await events("?event_name=ok")).toEqual([]);
    });

    it("is read with an API key: by name, user, time and order, and counted", async () => {
      await post({ events: [1, 2, 3].map((n) => ({ event_name: "click", properties: { n } })) });
      const asc = await events("?event_name=click&order=asc&limit=2");
      expect(asc.map((e) => e.properties)).toEqual([{ n: 1 }, { n: 2 }]);
      expect(await events(`?user_id=${ada.id}&event_name=signup`)).toHaveLength(1);
      expect(await events(`?event_name=click&since=${Date.now() + 60_000}`)).toEqual([]);
      const summary = await f.admin(`/api/apps/${f.appId}/analytics/summary`);
      const { counts } = (await summary.json()) as {
        counts: { event_name: string; count: number }[];
      };
      expect(counts).toContainEqual({ event_name: "click", count: 3 });
      await expectError(
        await fetch(`${f.url}/api/apps/${f.appId}/analytics/events`, {
          headers: { authorization: `Bearer ${ada.token}` },
        }),
        401,
        "UNAUTHORIZED",
      );
      await expectError(
        await f.admin(`/api/apps/${f.appId}/analytics/events?limit=0`),
        400,
        "BAD_REQUEST",
      );
      await expectError(
        await f.admin(`/api/apps/${f.appId}/analytics/events?since=soon`),
        400,
        "BAD_REQUEST",
      );
      void ADMIN_KEY;
    });

    it("makes a function's SDK log no error: its track() request is answered", async () => {
      const deployed = await f.admin(`/api/apps/${f.appId}/backend-functions/tracker`, {
        method: "PUT",
        body: JSON.stringify(
          oneFile(`
  import { createClientFromRequest } from "npm:@base44/sdk@0.8.20";
  Deno.serve((req) => {
    const base44 = createClientFromRequest(req);
    base44.analytics.track({ eventName: "from_function", properties: { ok: true } });
    return Response.json({ tracked: true });
  });`),
        ),
      });
      expect(deployed.status).toBe(200);
      const res = await fetch(`${f.url}/api/apps/${f.appId}/functions/tracker`, {
        method: "POST",
        headers: { authorization: `Bearer ${ada.token}` },
      });
      expect(await res.json()).toEqual({ tracked: true });
      const e = await stored("from_function");
      expect(e.user_id).toBe(ada.id);
      // The event is stored once the SDK's request was answered; anything the SDK logged about it
      // is in the function's log by then (the logs route flushes first).
      const logs = await f.admin(`/api/apps/${f.appId}/functions-mgmt/tracker/logs?limit=100`);
      const lines = (await logs.json()) as { level: string; message: string }[];
      expect(
        lines.filter((l) => l.level === "error" || l.message.includes("Base44 SDK Error")),
      ).toEqual([]);
    }, 60_000);
  });
});
