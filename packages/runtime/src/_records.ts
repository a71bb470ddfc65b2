// The wire between an instance and the host: records on stdout, each "\x1e" + JSON + "\n".
// Anything else the function writes to stdout/stderr is kept as plain output lines.

import { MAX_RECORD_CHARS } from "./protocol.js";

/** Levels as the log API names them. */
export type Level = "debug" | "info" | "warning" | "error";

/** A record an instance sends to the host. */
export type InstanceRecord =
  | { t: "waiting" }
  | { t: "pong" }
  | { t: "sandboxed" }
  | { t: "overdue"; ms: number; r: string }
  /** `workers`: a host process's Workers when it becomes an app's (`host.ts`). */
  | { t: "ready"; ms: number; workers?: { w: number; key?: string; tid?: number }[] }
  | { t: "log"; l: Level; m: string; r?: string }
  | { t: "boot_error"; m: string; s?: string }
  | { t: "error"; m: string; s?: string; r?: string }
  /** A Worker's heap in bytes (host runtime: `host.ts` asks, for the server's memory view). */
  | { t: "mem"; b: number }
  /**
   * A line a Worker's function wrote to stdout (`s: "o"`) or stderr (`"e"`) itself (host
   * runtime: `worker.ts`), `c` when it was cut at `MAX_LINE_CHARS` (the rest dropped).
   */
  | { t: "out"; s: "o" | "e"; m: string; c?: 1 };

const encoder = new TextEncoder();
const RS = "\x1e";
/** What a text field is cut to when a record would be longer: 6x escaped, two fields still fit. */
const FIELD_CUT = 8 * 1024;

function cut(text: string): string {
  return text.length > FIELD_CUT
    ? `${text.slice(0, FIELD_CUT)}… [truncated ${text.length - FIELD_CUT} chars]`
    : text;
}

/** The record as JSON, its text fields cut when escaping would make it too long for the host. */
function encode(record: InstanceRecord): string {
  const json = JSON.stringify(record);
  if (json.length < MAX_RECORD_CHARS) return json;
  const r = { ...record } as { m?: string; s?: string };
  if (r.m !== undefined) r.m = cut(r.m);
  if (r.s !== undefined) r.s = cut(r.s);
  return JSON.stringify(r);
}

/** Where records go instead of stdout (a Worker in a host process: its port to the host). */
let sink: ((json: string) => void) | undefined;

/** Resolves once every record sent so far is on the process's stdout (see {@link sendTo}). */
let drain: (() => Promise<void> | undefined) | undefined;

/**
 * Sends every record to `to` (as its JSON text) from now on, instead of stdout; `drained`
 * answers a promise that resolves once the records sent so far are written where stdout's would
 * be (undefined when they are), for {@link drained}.
 */
export function sendTo(
  to: (json: string) => void,
  drained?: () => Promise<void> | undefined,
): void {
  sink = to;
  drain = drained;
}

/**
 * Undefined when every record sent so far is on stdout (always, for a process of its own: `send`
 * writes synchronously), else a promise that resolves once they are. An answer that must not
 * reach the server before its records (an error's) waits for it.
 */
export function drained(): Promise<void> | undefined {
  return drain?.();
}

/** Writes one record synchronously, so nothing is lost if the process dies right after. */
export function send(record: InstanceRecord): void {
  if (sink) {
    sink(encode(record));
    return;
  }
  const bytes = encoder.encode(`${RS}${encode(record)}\n`);
  let written = 0;
  while (written < bytes.length) {
    written += Deno.stdout.writeSync(bytes.subarray(written));
  }
}
