// A lower bound for any Deno hop: Deno.serve in, a hand-written HTTP/1.1 exchange over a pooled
// Deno.connect out. It understands only Content-Length responses (no chunked bodies, no request
// bodies, no errors): fine for the benchmark function, not a proxy anyone should run.
// `deno run -A --unstable-net deno-socket-proxy.ts <port> <upstream-port>`; start several to share
// the port (reusePort).
const [port, upstream] = Deno.args;
const enc = new TextEncoder();
const dec = new TextDecoder();
interface Conn {
  conn: Deno.Conn;
  buf: Uint8Array;
  len: number;
}
const idle: Conn[] = [];

function headEnd(b: Uint8Array, n: number): number {
  for (let i = 3; i < n; i++) {
    if (b[i] === 10 && b[i - 1] === 13 && b[i - 2] === 10 && b[i - 3] === 13) return i + 1;
  }
  return -1;
}

async function fill(c: Conn): Promise<void> {
  const n = await c.conn.read(c.buf.subarray(c.len));
  if (n === null) throw new Error("upstream closed");
  c.len += n;
}

Deno.serve(
  {
    hostname: "127.0.0.1",
    port: Number(port),
    reusePort: true,
    onListen: () => console.log(`listening ${port}`),
  },
  async (req) => {
    const c = idle.pop() ?? {
      conn: await Deno.connect({ hostname: "127.0.0.1", port: Number(upstream) }),
      buf: new Uint8Array(65536),
      len: 0,
    };
    let head = `${req.method} ${req.url.slice(req.url.indexOf("/", 8))} HTTP/1.1\r\n`;
    for (const [k, v] of req.headers) if (k !== "connection") head += `${k}: ${v}\r\n`;
    await c.conn.write(enc.encode(`${head}\r\n`));
    let end = headEnd(c.buf, c.len);
    while (end < 0) {
      await fill(c);
      end = headEnd(c.buf, c.len);
    }
    const lines = dec.decode(c.buf.subarray(0, end - 4)).split("\r\n");
    const headers: [string, string][] = [];
    let length = 0;
    for (let i = 1; i < lines.length; i++) {
      const colon = lines[i].indexOf(":");
      const k = lines[i].slice(0, colon).toLowerCase();
      const v = lines[i].slice(colon + 1).trim();
      if (k === "content-length") length = Number(v);
      else if (k !== "date" && k !== "connection") headers.push([k, v]);
    }
    while (c.len < end + length) await fill(c);
    const body = c.buf.slice(end, end + length);
    c.buf.copyWithin(0, end + length, c.len);
    c.len -= end + length;
    idle.push(c);
    return new Response(body, { status: Number(lines[0].slice(9, 12)), headers });
  },
);
