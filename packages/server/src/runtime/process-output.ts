import type { ChildProcess } from "node:child_process";
import { MAX_RECORD_CHARS } from "@fnbase/runtime";
import { LineSplitter } from "./line-splitter.js";
import type { ProcessRecord } from "./process-types.js";

/** Longest output line kept; the rest of a longer line is dropped (and counted). */
export const MAX_LINE_CHARS = 16 * 1024;
const RS = "\x1e";
const lineCap = (start: string) => (start.startsWith(RS) ? MAX_RECORD_CHARS : MAX_LINE_CHARS);

/** Where a process's output goes. */
export interface OutputHandlers {
  record(rec: ProcessRecord): void;
  /** A plain line; `truncated` when the splitter cut it. */
  line(stream: "stdout" | "stderr", line: string, truncated: boolean): void;
}

/**
 * Reads a process's stdout and stderr as lines: records (`\x1e` + JSON, cut at
 * `MAX_RECORD_CHARS`) and plain lines (cut at {@link MAX_LINE_CHARS}), without buffering the
 * rest of a longer line. Returns the function that flushes what is left when the process ends.
 */
export function readOutput(child: ChildProcess, on: OutputHandlers): () => void {
  const out = new LineSplitter(lineCap, (line, truncated) => {
    if (!line.startsWith(RS)) return on.line("stdout", line, truncated);
    let rec: ProcessRecord;
    try {
      rec = JSON.parse(line.slice(1)) as ProcessRecord;
    } catch {
      return on.line("stdout", line.slice(1), false);
    }
    on.record(rec);
  });
  const err = new LineSplitter(MAX_LINE_CHARS, (line, truncated) =>
    on.line("stderr", line, truncated),
  );
  child.stdout?.on("data", (c: Buffer) => out.push(c));
  child.stderr?.on("data", (c: Buffer) => err.push(c));
  return () => {
    out.end();
    err.end();
  };
}
