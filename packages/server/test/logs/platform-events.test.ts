import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { expectError, oneFile, sleep, startTestServer, type TestServer } from "../helpers.js";
import { type LogEntry, openStream, queryLogs, waitForLogs } from "./log-helpers.js";

const SLOW_FN = `Deno.serve(async () => { await new Promise((r) => setTimeout(r, 5_000)); return new Response("late"); });`;
const OWN_504_FN = `Deno.serve(() => new Response("upstream slow", { status: 504 }));`;
const PING_FN = `Deno.serve(() => new Response("pong"));`;
const SECRET_VALUE = "sk_live_do_not_log_me_123";

let t: TestServer;
let appId: string;

beforeAll(async () => {
  t = await startTestServer();
  appId = await t.createApp("platform-events");
  await t.deploy(appId, "slow", oneFile(SLOW_FN, { timeout_seconds: 1 }));
  await t.deploy(appId, "own504", OWN_504_FN);
  await t.deploy(appId, "ping", PING_FN);
  await t.deploy(appId, "nested/ping", PING_FN);
});
afterAll(() => t?.close());

const platform = (lines: LogEntry[]) => lines.filter((l) => l.source === "platform");

describe("platform events", () => {
  it("writes a request timeout as an error line with the request id", async () => {
    const res = await t.invoke(appId, "slow");
    await expectError(res, 504, "FUNCTION_TIMEOUT");
    const requestId = res.headers.get("x-request-id");
    expect(requestId).toBeTruthy();
    const lines = await waitForLogs(t, appId, "slow", (ls) =>
      platform(ls).some((l) => /timed out/.test(l.message)),
    );
    const timeout = platform(lines).find((l) => /timed out/.test(l.message));
    expect(timeout).toMatchObject({
      level: "error",
      message: "Request timed out after 1000 ms",
      request_id: requestId,
    });
  });

  it("does not call a 504 the function answered itself a timeout", async () => {
    const res = await t.invoke(appId, "own504");
    expect(res.status).toBe(504);
    expect(await res.text()).toBe("upstream slow");
    await sleep(300);
    const lines = await queryLogs(t, appId, "own504", "limit=1000");
    expect(platform(lines).some((l) => /timed out/.test(l.message))).toBe(false);
  });

  it("writes a secret change on every function of the app, by name and never by value", async () => {
    const stream = await openStream(t, appId, "function=ping");
    try {
      const set = await t.admin(`/api/apps/${appId}/secrets`, {
        method: "POST",
        body: JSON.stringify({ STRIPE_KEY: SECRET_VALUE, OTHER_TOKEN: "x" }),
      });
      expect(set.status).toBe(200);
      const del = await t.admin(`/api/apps/${appId}/secrets?secret_name=OTHER_TOKEN`, {
        method: "DELETE",
      });
      expect(del.status).toBe(200);
      // The live tail sees it as it happens.
      const live = await stream.until((es) => es.some((e) => /^Secret deleted/.test(e.message)));
      expect(live.map((e) => e.message)).toEqual([
        "Secrets set: STRIPE_KEY, OTHER_TOKEN; running instances are replaced",
        "Secret deleted: OTHER_TOKEN; running instances are replaced",
      ]);
    } finally {
      stream.close();
    }

    for (const name of ["slow", "own504", "ping", "nested/ping"]) {
      const lines = await waitForLogs(t, appId, name, (ls) =>
        platform(ls).some((l) => /^Secret deleted/.test(l.message)),
      );
      const secretLines = platform(lines).filter((l) => /^Secrets? (set|deleted)/.test(l.message));
      expect(secretLines.map((l) => [l.level, l.message])).toEqual([
        ["info", "Secrets set: STRIPE_KEY, OTHER_TOKEN; running instances are replaced"],
        ["info", "Secret deleted: OTHER_TOKEN; running instances are replaced"],
      ]);
      for (const l of lines) expect(l.message).not.toContain(SECRET_VALUE);
    }
  });

  it("writes nothing for a delete of a secret that does not exist", async () => {
    const before = platform(await queryLogs(t, appId, "ping", "limit=1000")).length;
    await expectError(
      await t.admin(`/api/apps/${appId}/secrets?secret_name=NOPE`, { method: "DELETE" }),
      404,
      "NOT_FOUND",
    );
    await sleep(200);
    expect(platform(await queryLogs(t, appId, "ping", "limit=1000"))).toHaveLength(before);
  });
});
