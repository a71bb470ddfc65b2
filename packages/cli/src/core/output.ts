import { FnbaseError, isFnbaseError } from "@fnbase/shared";
import pc from "picocolors";
import { exitCodeFor } from "./exit-codes.js";

/** The colour functions of picocolors. */
export type Colors = ReturnType<typeof pc.createColors>;

/**
 * A function's output line's message as the CLI prints it (`fnbase logs`, `fnbase dev`): coloured
 * by level, and for another level than info the level in words first (`ERROR out of cheese`),
 * so that a pipe or a file, which get no colours, keep it.
 */
export function levelled(c: Colors, level: string, message: string): string {
  const colour =
    level === "error" ? c.red : level === "warning" ? c.yellow : level === "debug" ? c.dim : null;
  const text = level === "info" ? message : `${level.toUpperCase()} ${message}`;
  return colour ? colour(text) : text;
}

/**
 * Where a command writes. In `--json` mode human lines are dropped and the command's result is
 * the one JSON document on stdout; colour is on only for a terminal outside `--json`.
 *
 * @example
 * const out = createOutput({ json: false });
 * out.line(out.c.green("deployed"));
 */
export interface Output {
  readonly json: boolean;
  /** True when stdin and stdout are terminals and `--json` is off (prompts allowed). */
  readonly interactive: boolean;
  readonly c: Colors;
  /** A human line on stdout (dropped in `--json` mode). */
  line(text?: string): void;
  /** A human line on stderr (dropped in `--json` mode). */
  note(text: string): void;
  /** Raw bytes on stdout, in either mode (for `invoke`'s streamed body). */
  write(chunk: string | Uint8Array): void;
  /** The command's result as the one JSON document (only in `--json` mode). */
  result(value: unknown): void;
  /** Prints an error (message + hint, or `{error, code, hints}`) and returns its exit code. */
  fail(err: unknown): number;
}

/** Creates the output for one command run. */
export function createOutput(o: { json: boolean }): Output {
  const tty = Boolean(process.stdout.isTTY);
  const c = pc.createColors(tty && !o.json && process.env.NO_COLOR === undefined);
  return {
    json: o.json,
    interactive: tty && Boolean(process.stdin.isTTY) && !o.json,
    c,
    line: (text = "") => {
      if (!o.json) process.stdout.write(`${text}\n`);
    },
    note: (text) => {
      if (!o.json) process.stderr.write(`${text}\n`);
    },
    write: (chunk) => {
      process.stdout.write(chunk);
    },
    result: (value) => {
      if (o.json) process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
    },
    fail(err) {
      const e = asFnbaseError(err);
      if (o.json) {
        const hints = e.hint ? [e.hint] : [];
        process.stdout.write(
          `${JSON.stringify({ error: e.message, code: e.code, hints }, null, 2)}\n`,
        );
      } else {
        process.stderr.write(`${c.red("Error:")} ${e.message}\n`);
        if (e.hint) process.stderr.write(`${c.dim("Hint:")} ${e.hint}\n`);
      }
      return exitCodeFor(e.code);
    },
  };
}

/** Anything thrown, as an {@link FnbaseError}; users see one line, never a stack. */
export function asFnbaseError(err: unknown): FnbaseError {
  if (isFnbaseError(err)) return err;
  const message = err instanceof Error ? err.message : String(err);
  return new FnbaseError("INTERNAL", `Unexpected error: ${message}`, {
    hint: "This is a bug in fnbase; please report it with the command you ran",
  });
}
