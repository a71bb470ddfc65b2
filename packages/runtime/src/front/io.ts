/** The front's two pipes to Node: JSON lines in on stdin, JSON lines out on stdout. */

const enc = new TextEncoder();
let pending = "";
let draining = false;

async function drain(): Promise<void> {
  draining = true;
  while (pending !== "") {
    const bytes = enc.encode(pending);
    pending = "";
    let off = 0;
    while (off < bytes.length) off += await Deno.stdout.write(bytes.subarray(off));
  }
  draining = false;
}

/** Queues one message to Node; messages go out whole and in order. */
export function send(message: unknown): void {
  pending += `${JSON.stringify(message)}\n`;
  if (!draining) void drain();
}

/** Where lines come from: `Deno.stdin` in the front. */
export interface ByteReader {
  read(p: Uint8Array): Promise<number | null>;
}

/**
 * The lines of a reader, without their newlines. Reads into one buffer it reuses: a
 * `ReadableStream` (`Deno.stdin.readable`) allocates 64 kB per read, and Node writes one short
 * line per deploy, so 1,000 deploys grew the front's memory by 27 MB before V8 collected it.
 */
export async function* readLines(reader: ByteReader): AsyncGenerator<string> {
  const dec = new TextDecoder();
  const chunk = new Uint8Array(64 * 1024);
  let buf = "";
  for (;;) {
    const n = await reader.read(chunk);
    if (n === null) break;
    buf += dec.decode(chunk.subarray(0, n), { stream: true });
    let nl = buf.indexOf("\n");
    while (nl !== -1) {
      yield buf.slice(0, nl);
      buf = buf.slice(nl + 1);
      nl = buf.indexOf("\n");
    }
  }
  buf += dec.decode();
  if (buf !== "") yield buf;
}
