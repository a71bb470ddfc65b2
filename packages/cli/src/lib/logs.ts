import { FnbaseError } from "@fnbase/shared";
import { appPath } from "../core/app.js";
import { type ApiClient, errorFromResponse } from "../core/client.js";
import { chunks } from "../core/stream.js";

/** The query options of `fnbase logs`. */
export interface LogsOptions {
  since?: string;
  until?: string;
  level?: string;
  limit?: number;
  order?: string;
  follow?: boolean;
}

/** One log line with the function it came from. */
export interface LogLine {
  time: string;
  level: string;
  message: string;
  function: string;
}

/**
 * A time option as an ISO date: durations (`90s`, `30m`, `1h`, `2d`) count back from now.
 *
 * @example
 * toTime("1h"); // an hour ago, as ISO
 */
export function toTime(value: string, now = Date.now()): string {
  const m = /^(\d+)\s*(s|m|h|d|w)$/.exec(value.trim());
  if (m) {
    const unit = { s: 1, m: 60, h: 3600, d: 86400, w: 604800 }[m[2] as "s"];
    return new Date(now - Number(m[1]) * unit * 1000).toISOString();
  }
  const t = Date.parse(value);
  if (Number.isNaN(t)) {
    throw new FnbaseError("USAGE", `Invalid time: ${value}`, {
      hint: "Use an ISO date or a duration such as 1h",
    });
  }
  return new Date(t).toISOString();
}

/** Queries `functions-mgmt/{name}/logs` for each function and merges the lines by time. */
export async function queryLogs(
  api: ApiClient,
  appId: string,
  names: string[],
  o: LogsOptions,
): Promise<LogLine[]> {
  if (o.order !== undefined && o.order !== "asc" && o.order !== "desc") {
    throw new FnbaseError("USAGE", `Invalid --order: ${o.order}: expected asc or desc`);
  }
  const q = new URLSearchParams();
  if (o.since) q.set("since", toTime(o.since));
  if (o.until) q.set("until", toTime(o.until));
  if (o.level) q.set("level", o.level);
  if (o.limit !== undefined) q.set("limit", String(o.limit));
  if (o.order) q.set("order", o.order);
  const all: LogLine[] = [];
  for (const name of names) {
    const lines = await api.request<{ time: string; level: string; message: string }[]>(
      `${appPath(appId)}/functions-mgmt/${encodeURIComponent(name)}/logs?${q}`,
      { feature: "Logs" },
    );
    for (const l of lines) all.push({ ...l, function: name });
  }
  const dir = o.order === "asc" ? 1 : -1;
  return all.sort((a, b) => (a.time < b.time ? -dir : a.time > b.time ? dir : 0));
}

/** Streams `functions-mgmt/logs/stream` (server-sent events) until the connection ends. */
export async function followLogs(
  api: ApiClient,
  appId: string,
  names: string[],
  onLine: (l: LogLine) => void,
): Promise<void> {
  const q = names.length > 0 ? `?function=${encodeURIComponent(names.join(","))}` : "";
  const res = await api.raw(`${appPath(appId)}/functions-mgmt/logs/stream${q}`, {
    headers: { ...api.authHeaders(), accept: "text/event-stream" },
  });
  if (!res.ok) throw await errorFromResponse(res, "Logs");
  if (!res.body) return;
  const decoder = new TextDecoder();
  let buffer = "";
  for await (const chunk of chunks(res.body)) {
    buffer += decoder.decode(chunk, { stream: true });
    let i = buffer.indexOf("\n");
    while (i >= 0) {
      const line = buffer.slice(0, i).trimEnd();
      buffer = buffer.slice(i + 1);
      if (line.startsWith("data:")) {
        try {
          onLine(JSON.parse(line.slice(5).trim()) as LogLine);
        } catch {}
      }
      i = buffer.indexOf("\n");
    }
  }
}
