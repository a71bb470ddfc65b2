import { FnbaseError } from "@fnbase/shared";
import { Pool } from "undici";
import type { FunctionOutputLine } from "../config.js";
import { MAX_LINE_CHARS, type ProcessRecord } from "./deno-process.js";

/**
 * What both runtimes' instances do alike with what their function says and with their socket:
 * a process instance (`deno-instance.ts`) and a Worker of an app's host (`host-runtime.ts`)
 * differ in where the records come from, not in what they mean.
 */

/** A line of a function's output as an instance reports it (the manager adds whose it is). */
export type InstanceLine = Omit<
  FunctionOutputLine,
  "app_id" | "function" | "deployment_id" | "instance_id"
>;

/** What an instance's boot says: it serves, or it could not load its code. */
export type BootRecord = { t: "ready" } | { t: "boot_error"; m: string };

const CUT_NOTE = `… [line longer than ${MAX_LINE_CHARS} chars, rest dropped]`;

/** A plain line the splitter cut: say so (within the line limit, so the note is kept). */
export const cutNote = (line: string) =>
  `${line.slice(0, MAX_LINE_CHARS - CUT_NOTE.length)}${CUT_NOTE}`;

/** One output line, tagged with the request it belongs to when there is one. */
export function outputLine(
  level: FunctionOutputLine["level"],
  message: string,
  requestId?: string,
): InstanceLine {
  const line = { time: new Date().toISOString(), level, message, source: "function" as const };
  return requestId ? { ...line, request_id: requestId } : line;
}

/** The HTTP client of an instance: its unix socket, no timeouts of its own (the gateway's rule). */
export function instancePool(socketPath: string): Pool {
  return new Pool("http://localhost", {
    socketPath,
    connections: 128,
    pipelining: 1,
    headersTimeout: 0,
    bodyTimeout: 0,
    keepAliveTimeout: 60_000,
  });
}

/**
 * Handles the records every instance receives alike: the watchdog's pong, an overdue handler,
 * the boot's outcome, log and error lines (paths made the project's by `rel`). Answers false
 * for a record of another kind, which the caller handles.
 */
export function commonRecord(
  rec: ProcessRecord,
  on: {
    rel: (text: string) => string;
    emit: (level: FunctionOutputLine["level"], message: string, requestId?: string) => void;
    pong: () => void;
    overdue: (ms: number, requestId: string) => void;
    booted: ((rec: BootRecord) => void) | undefined;
  },
): boolean {
  switch (rec.t) {
    case "pong":
      on.pong();
      return true;
    case "overdue":
      on.overdue(rec.ms, rec.r);
      return true;
    case "ready":
      on.booted?.(rec);
      return true;
    case "boot_error": {
      const m = on.rel(rec.m);
      on.emit("error", rec.s === undefined ? m : on.rel(rec.s));
      on.booted?.({ t: "boot_error", m });
      return true;
    }
    case "log":
      on.emit(rec.l, on.rel(rec.m), rec.r || undefined);
      return true;
    case "error":
      on.emit("error", on.rel(rec.s ?? rec.m), rec.r || undefined);
      return true;
    default:
      return false;
  }
}

/** An instance's wait for its boot: see {@link waitForBoot}. */
export interface BootWait {
  /** Resolves once the instance serves; rejects with FUNCTION_BOOT_FAILED. */
  readonly done: Promise<void>;
  /** What the instance said of its boot. */
  booted(rec: BootRecord): void;
  /** The boot cannot succeed (the process or Worker is gone, the code could not be given). */
  fail(message: string): void;
}

/**
 * Waits for an instance to serve, at most `timeoutMs`: the first of its `ready`, its
 * `boot_error`, a {@link BootWait.fail} or the timeout settles it. On failure `stop` runs once
 * and `done` rejects with `FUNCTION_BOOT_FAILED` naming the function; on success `ready` runs.
 */
export function waitForBoot(o: {
  functionName: string;
  timeoutMs: number;
  stop: () => void;
  ready: () => void;
}): BootWait {
  let settled = false;
  let resolve!: () => void;
  let reject!: (err: Error) => void;
  const done = new Promise<void>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  const fail = (message: string) => {
    if (settled) return;
    settled = true;
    clearTimeout(timer);
    o.stop();
    reject(
      new FnbaseError(
        "FUNCTION_BOOT_FAILED",
        `Function "${o.functionName}" failed to start: ${message}`,
        { hint: "Check the function's code; its boot error is in the function's logs" },
      ),
    );
  };
  const timer = setTimeout(() => fail(`it did not serve within ${o.timeoutMs} ms`), o.timeoutMs);
  return {
    done,
    fail,
    booted(rec) {
      if (rec.t === "boot_error") return fail(rec.m);
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      o.ready();
      resolve();
    },
  };
}
