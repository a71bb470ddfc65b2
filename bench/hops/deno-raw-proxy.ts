// A lower bound for a Deno hop without Deno.serve: plain TCP on both sides, as the front's own
// server (packages/runtime/src/front/server.ts) does. It reads a request head, rewrites it and
// copies the upstream's Content-Length answer back as bytes. It understands no request bodies,
// no chunked answers and no errors: fine for the benchmark function, not a proxy anyone should
// run. `deno run -A deno-raw-proxy.ts <port> <upstream-port>`; start several to share the port
// (reusePort).
const [port, upstream] = Deno.args;
const enc = new TextEncoder();
const dec = new TextDecoder();
interface Up {
  conn: Deno.Conn;
  buf: Uint8Array;
  len: number;
}
const idle: Up[] = [];
const out = new Uint8Array(65536);

function headEnd(b: Uint8Array, n: number): number {
  for (let i = 3; i < n; i++) {
    if (b[i] === 10 && b[i - 1] === 13 && b[i - 2] === 10 && b[i - 3] === 13) return i + 1;
  }
  return -1;
}

async function serve(conn: Deno.Conn): Promise<void> {
  const buf = new Uint8Array(65536);
  let len = 0;
  try {
    for (;;) {
      let end = headEnd(buf, len);
      while (end < 0) {
        const n = await conn.read(buf.subarray(len));
        if (n === null) return;
        len += n;
        end = headEnd(buf, len);
      }
      const lines = dec.decode(buf.subarray(0, end - 4)).split("\r\n");
      let head = `${lines[0]}\r\n`;
      for (let i = 1; i < lines.length; i++) {
        const k = lines[i]!.slice(0, lines[i]!.indexOf(":")).toLowerCase();
        if (k !== "connection") head += `${lines[i]}\r\n`;
      }
      head += "x-forwarded-for: 127.0.0.1\r\n\r\n";
      buf.copyWithin(0, end, len);
      len -= end;
      const u = idle.pop() ?? {
        conn: await Deno.connect({ hostname: "127.0.0.1", port: Number(upstream) }),
        buf: new Uint8Array(65536),
        len: 0,
      };
      await u.conn.write(out.subarray(0, enc.encodeInto(head, out).written));
      let rend = headEnd(u.buf, u.len);
      while (rend < 0) {
        const n = await u.conn.read(u.buf.subarray(u.len));
        if (n === null) throw new Error("upstream closed");
        u.len += n;
        rend = headEnd(u.buf, u.len);
      }
      const length = Number(
        /\r\ncontent-length: *(\d+)/i.exec(dec.decode(u.buf.subarray(0, rend)))?.[1] ?? 0,
      );
      while (u.len < rend + length) {
        const n = await u.conn.read(u.buf.subarray(u.len));
        if (n === null) throw new Error("upstream closed");
        u.len += n;
      }
      const total = rend + length;
      let off = 0;
      while (off < total) off += await conn.write(u.buf.subarray(off, total));
      u.buf.copyWithin(0, total, u.len);
      u.len -= total;
      idle.push(u);
    }
  } catch {
    // the caller or the upstream went away
  } finally {
    conn.close();
  }
}

const listener = Deno.listen({ hostname: "127.0.0.1", port: Number(port), reusePort: true });
console.log(`listening ${port}`);
for await (const c of listener) void serve(c);
