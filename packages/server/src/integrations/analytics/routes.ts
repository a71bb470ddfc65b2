import { FnbaseError } from "@fnbase/shared";
import type { Hono } from "hono";
import { bodyLimit } from "hono/body-limit";
import { requireApiKey } from "../../api/auth.js";
import { readJson } from "../../api/errors.js";
import { actorOf, appOf } from "../../identity/caller.js";
import type { IntegrationDeps } from "../deps.js";
import type { AnalyticsEvent } from "./analytics-store.js";

const MAX_BATCH_BYTES = 1024 * 1024;
const MAX_EVENTS = 1_000;
const MAX_PROPERTIES_CHARS = 16 * 1024;

const text = (v: unknown, max: number): string | null =>
  typeof v === "string" ? v.slice(0, max) : null;

/** One event of a batch, checked; BAD_REQUEST naming its index. */
function event(
  e: unknown,
  i: number,
  userId: string | null,
): Omit<AnalyticsEvent, "received_date"> {
  if (typeof e !== "object" || e === null || Array.isArray(e)) {
    throw new FnbaseError("BAD_REQUEST", `Invalid analytics event at ${i}: not an object`);
  }
  const o = e as Record<string, unknown>;
  if (typeof o.event_name !== "string" || o.event_name === "" || o.event_name.length > 256) {
    throw new FnbaseError(
      "BAD_REQUEST",
      `Invalid analytics event at ${i}: event_name must be a string of 1 to 256 characters`,
    );
  }
  if (o.properties !== undefined && JSON.stringify(o.properties).length > MAX_PROPERTIES_CHARS) {
    throw new FnbaseError(
      "BAD_REQUEST",
      `Invalid analytics event at ${i}: properties over ${MAX_PROPERTIES_CHARS} characters`,
    );
  }
  return {
    event_name: o.event_name,
    timestamp: text(o.timestamp, 64),
    user_id: userId,
    session_id: text(o.session_id, 128),
    page_url: text(o.page_url, 2048),
    properties: o.properties ?? null,
  };
}

function timeParam(value: string | undefined, name: string): number | undefined {
  if (value === undefined) return undefined;
  const ms = /^\d+$/.test(value) ? Number(value) : Date.parse(value);
  if (!Number.isFinite(ms)) {
    throw new FnbaseError("BAD_REQUEST", `Invalid ${name}: ${JSON.stringify(value)}`, {
      hint: "Use an ISO 8601 date or milliseconds since 1970",
    });
  }
  return ms;
}

/**
 * Analytics: `POST /api/apps/{appId}/analytics/track/batch` `{ events: [...] }`, what
 * `@base44/sdk` >= 0.8.20 posts (`dist/modules/analytics.js`: queued `track()` calls, its
 * browser heartbeat every 60 s, page views), answered `{ success: true, count }` for anyone
 * (anonymous visitors too; a token that fails to verify counts as anonymous, so a stale token
 * never makes the SDK log an error). The user id kept is the verified caller's, never the
 * body's. Reading, with an API key: `GET .../analytics/events?event_name&user_id&since&until&
 * limit&order` answers `{ events }`; `GET .../analytics/summary?since` answers counts by name.
 *
 * @example
 * analyticsRoutes(api, deps);
 */
export function analyticsRoutes(api: Hono, d: IntegrationDeps): void {
  const base = "/api/apps/:appId/analytics";
  api.post(
    `${base}/track/batch`,
    bodyLimit({
      maxSize: MAX_BATCH_BYTES,
      onError: () => {
        throw new FnbaseError(
          "PAYLOAD_TOO_LARGE",
          `Analytics batch too large: at most ${MAX_BATCH_BYTES} bytes`,
        );
      },
    }),
    async (c) => {
      const app = appOf(d.identity, c);
      const actor = await actorOf(d.identity, app.id, (name) => c.req.header(name)).catch(
        () => ({ kind: "anonymous" }) as const,
      );
      const userId =
        actor.kind === "user"
          ? actor.user.id
          : actor.kind === "service"
            ? (actor.onBehalfOf?.id ?? null)
            : null;
      const body = (await readJson(c)) as { events?: unknown } | null;
      const events = body?.events;
      if (!Array.isArray(events) || events.length > MAX_EVENTS) {
        throw new FnbaseError(
          "BAD_REQUEST",
          `"events" must be an array of at most ${MAX_EVENTS} events`,
        );
      }
      const checked = events.map((e, i) => event(e, i, userId));
      await d.analytics.insert(app.id, d.now(), checked);
      return c.json({ success: true, count: checked.length });
    },
  );

  const auth = requireApiKey(d.identity.isApiKey);
  api.get(`${base}/events`, auth, async (c) => {
    const app = appOf(d.identity, c);
    const limitText = c.req.query("limit") ?? "100";
    if (!/^\d{1,5}$/.test(limitText) || Number(limitText) < 1 || Number(limitText) > 10_000) {
      throw new FnbaseError(
        "BAD_REQUEST",
        `Invalid limit: ${JSON.stringify(limitText)}: 1 to 10000`,
      );
    }
    const order = c.req.query("order") ?? "desc";
    if (order !== "asc" && order !== "desc") {
      throw new FnbaseError("BAD_REQUEST", `Invalid order: ${JSON.stringify(order)}: asc or desc`);
    }
    const eventName = c.req.query("event_name");
    const userId = c.req.query("user_id");
    const since = timeParam(c.req.query("since"), "since");
    const until = timeParam(c.req.query("until"), "until");
    const events = await d.analytics.query({
      appId: app.id,
      limit: Number(limitText),
      order,
      ...(eventName !== undefined ? { eventName } : {}),
      ...(userId !== undefined ? { userId } : {}),
      ...(since !== undefined ? { since } : {}),
      ...(until !== undefined ? { until } : {}),
    });
    return c.json({ events });
  });
  api.get(`${base}/summary`, auth, async (c) => {
    const app = appOf(d.identity, c);
    const since = timeParam(c.req.query("since"), "since") ?? d.now() - 24 * 3_600_000;
    return c.json({
      since: new Date(since).toISOString(),
      counts: await d.analytics.counts(app.id, since),
    });
  });
}
