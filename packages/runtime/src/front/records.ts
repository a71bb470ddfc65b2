/**
 * Invocation records of the requests the front sends straight to instances, for Node's logs and
 * metrics: sent in batches, one flat array of RECORD_FIELDS values per record (see protocol.js),
 * cheaper to build and to serialize than an object each.
 */

import { RECORD_FIELDS } from "../protocol.js";
import { send } from "./io.ts";

let records: (string | number)[] = [];
let recordTimer: ReturnType<typeof setTimeout> | undefined;

/** Records one invocation of function `d.f` of app `d.a`. */
export function record(
  d: { a: string; f: string },
  requestId: string,
  status: number,
  durationMs: number,
  bytesIn: number,
  bytesOut: number,
): void {
  records.push(d.a, d.f, requestId, status, durationMs, bytesIn, bytesOut);
  if (records.length >= 500 * RECORD_FIELDS) flushRecords();
  else recordTimer ??= setTimeout(flushRecords, 50);
}

/** Sends the records not sent yet. */
export function flushRecords(): void {
  if (recordTimer !== undefined) clearTimeout(recordTimer);
  recordTimer = undefined;
  if (records.length === 0) return;
  send({ t: "inv", r: records });
  records = [];
}
