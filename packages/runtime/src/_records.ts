// The wire between an instance and the host: records on stdout, each "\x1e" + JSON + "\n".
// Anything else the function writes to stdout/stderr is kept as plain output lines.

/** Levels as the log API names them. */
export type Level = "debug" | "info" | "warning" | "error";

/** A record an instance sends to the host. */
export type InstanceRecord =
  | { t: "ready"; ms: number }
  | { t: "log"; l: Level; m: string; r?: string }
  | { t: "boot_error"; m: string; s?: string }
  | { t: "error"; m: string; s?: string; r?: string };

const encoder = new TextEncoder();
const RS = "\x1e";

/** Writes one record synchronously, so nothing is lost if the process dies right after. */
export function send(record: InstanceRecord): void {
  const bytes = encoder.encode(`${RS}${JSON.stringify(record)}\n`);
  let written = 0;
  while (written < bytes.length) {
    written += Deno.stdout.writeSync(bytes.subarray(written));
  }
}
