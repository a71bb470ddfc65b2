/**
 * The log store interface: every line function instances and the platform write, kept for
 * queries and pruned by age and by size per app. `sqlite/log-store.ts` implements it.
 */
import type { FunctionOutputLine } from "../config.js";

/** A log level, lowest first. */
export type LogLevel = FunctionOutputLine["level"];

/** One stored line as queries return it. */
export interface LogRecord {
  time: string;
  level: LogLevel;
  message: string;
  app_id: string;
  function: string;
  deployment_id: string;
  instance_id: string;
  /** The request the line was written for; null for module-scope output and most platform lines. */
  request_id: string | null;
  source: FunctionOutputLine["source"];
}

/** What to read. Times are epoch milliseconds, both ends inclusive. */
export interface LogQuery {
  appId: string;
  /** Only these functions; all of the app's when absent. */
  functions?: string[];
  since?: number;
  until?: number;
  /** Lines at this level and above. */
  minLevel?: LogLevel;
  /** Only the lines of this request. */
  requestId?: string;
  /** Only lines whose message contains this text (ASCII letters in any case). */
  search?: string;
  limit: number;
  order: "asc" | "desc";
}

/** How much to keep. */
export interface LogRetention {
  /** Lines older than this (epoch ms) go. */
  olderThan: number;
  /** Per app, the oldest lines go until the app's lines take at most this many bytes. */
  maxBytesPerApp: number;
}

/** Where function logs live. */
export interface LogStore {
  /** Appends lines in one transaction. */
  append(lines: readonly FunctionOutputLine[]): Promise<void>;
  query(q: LogQuery): Promise<LogRecord[]>;
  /** Deletes what retention no longer keeps, in small steps; returns how many lines went. */
  prune(r: LogRetention): Promise<number>;
  /** Bytes the app's lines take, as retention counts them. */
  appBytes(appId: string): number;
  close(): Promise<void>;
}
