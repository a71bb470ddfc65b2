/** Helpers of the log tests: reading the log routes and a live stream over real HTTP. */
import type { TestServer } from "../helpers.js";

/** One entry of `GET functions-mgmt/{name}/logs`. */
export interface LogEntry {
  time: string;
  level: string;
  message: string;
  request_id: string | null;
  source: string;
}

/** One event of the live stream. */
export interface StreamEvent extends LogEntry {
  function: string;
}

/** `GET functions-mgmt/{name}/logs?{query}`; throws unless 200. */
export async function queryLogs(
  t: TestServer,
  appId: string,
  name: string,
  query = "",
): Promise<LogEntry[]> {
  const res = await t.admin(
    `/api/apps/${appId}/functions-mgmt/${encodeURIComponent(name)}/logs${query ? `?${query}` : ""}`,
  );
  if (res.status !== 200) throw new Error(`Log query failed: ${res.status} ${await res.text()}`);
  return (await res.json()) as LogEntry[];
}

/** Polls the query until `done` holds or `ms` pass; returns the last answer. */
export async function waitForLogs(
  t: TestServer,
  appId: string,
  name: string,
  done: (lines: LogEntry[]) => boolean,
  { query = "order=asc&limit=1000", ms = 1_000 } = {},
): Promise<LogEntry[]> {
  const until = Date.now() + ms;
  for (;;) {
    const lines = await queryLogs(t, appId, name, query);
    if (done(lines) || Date.now() > until) return lines;
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** A live stream, open and subscribed; `events` fills as lines arrive. */
export interface LiveStream {
  events: StreamEvent[];
  /** Resolves once `done` holds for the events, or rejects after `ms`. */
  until(done: (events: StreamEvent[]) => boolean, ms?: number): Promise<StreamEvent[]>;
  close(): void;
}

/** Opens `functions-mgmt/logs/stream?{query}` and waits until the server has subscribed it. */
export async function openStream(t: TestServer, appId: string, query = ""): Promise<LiveStream> {
  const ctrl = new AbortController();
  const res = await t.admin(
    `/api/apps/${appId}/functions-mgmt/logs/stream${query ? `?${query}` : ""}`,
    { signal: ctrl.signal },
  );
  if (res.status !== 200 || !res.body) throw new Error(`Stream failed: ${res.status}`);
  if (!res.headers.get("content-type")?.startsWith("text/event-stream")) {
    throw new Error(`Not an event stream: ${res.headers.get("content-type")}`);
  }
  const events: StreamEvent[] = [];
  const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = "";
  let subscribed!: () => void;
  const ready = new Promise<void>((r) => {
    subscribed = r;
  });
  void (async () => {
    try {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) return;
        buffer += value;
        let end = buffer.indexOf("\n\n");
        while (end !== -1) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          if (block.startsWith(": subscribed")) subscribed();
          for (const line of block.split("\n")) {
            if (line.startsWith("data: ")) events.push(JSON.parse(line.slice(6)) as StreamEvent);
          }
          end = buffer.indexOf("\n\n");
        }
      }
    } catch {
      // aborted
    }
  })();
  await ready;
  return {
    events,
    async until(done, ms = 2_000) {
      const limit = Date.now() + ms;
      while (!done(events)) {
        if (Date.now() > limit) {
          throw new Error(`Stream condition not met; events: ${JSON.stringify(events)}`);
        }
        await new Promise((r) => setTimeout(r, 20));
      }
      return events;
    },
    close: () => ctrl.abort(),
  };
}
