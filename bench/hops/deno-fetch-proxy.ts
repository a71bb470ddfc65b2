// The leanest Deno hop through fetch(): Deno.serve in, fetch() out over TCP, no routing or auth.
// `deno run -A --unstable-net deno-fetch-proxy.ts <port> <upstream-port>`; start several to share
// the port (reusePort).
const [port, upstream] = Deno.args;
const base = `http://127.0.0.1:${upstream}`;
const client = Deno.createHttpClient({ http1: true, http2: false });
Deno.serve(
  {
    hostname: "127.0.0.1",
    port: Number(port),
    reusePort: true,
    onListen: () => console.log(`listening ${port}`),
  },
  (req) => fetch(base + req.url.slice(req.url.indexOf("/", 8)), { client }),
);
