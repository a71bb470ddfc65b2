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

/** The lines of a byte stream, without their newlines. */
export async function* readLines(stream: ReadableStream<Uint8Array>): AsyncGenerator<string> {
  const dec = new TextDecoder();
  let buf = "";
  for await (const chunk of stream) {
    buf += dec.decode(chunk, { stream: true });
    let nl = buf.indexOf("\n");
    while (nl !== -1) {
      yield buf.slice(0, nl);
      buf = buf.slice(nl + 1);
      nl = buf.indexOf("\n");
    }
  }
  if (buf !== "") yield buf;
}
