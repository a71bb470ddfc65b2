import { errorOf, relayFetch } from "./client";

/**
 * Reads a server-sent-events stream through the relay (fetch, so the CSRF header goes along;
 * EventSource cannot send one) and calls `onData` with each event's parsed `data`. Resolves
 * when the stream ends or `signal` aborts; rejects with the server's error when it refuses.
 */
export async function readEvents(
  path: string,
  onData: (data: unknown) => void,
  signal: AbortSignal,
): Promise<void> {
  const res = await relayFetch(path, { signal, headers: { accept: "text/event-stream" } });
  if (!res.ok) throw await errorOf(res);
  if (!res.body) return;
  const reader = res.body.getReader();
  const decoder = new TextDecoder();
  let buffer = "";
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return;
      buffer += decoder.decode(value, { stream: true }).replace(/\r\n/g, "\n");
      let end = buffer.indexOf("\n\n");
      while (end !== -1) {
        const event = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        const data = event
          .split("\n")
          .filter((l) => l.startsWith("data:"))
          .map((l) => l.slice(5).replace(/^ /, ""))
          .join("\n");
        if (data !== "") {
          try {
            onData(JSON.parse(data));
          } catch {
            // not JSON: not one of ours
          }
        }
        end = buffer.indexOf("\n\n");
      }
    }
  } catch (err) {
    if ((err as Error).name !== "AbortError") throw err;
  }
}
