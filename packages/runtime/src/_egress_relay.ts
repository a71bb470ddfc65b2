// The instance's end of its way out. In the sandbox an instance has a network namespace of its
// own: nothing but its own loopback. The host's egress proxy (Node, `runtime/egress/`) listens
// on a unix socket in the instance's folder, and this relay makes it reachable as a TCP proxy on
// the namespace's loopback, where HTTP_PROXY/HTTPS_PROXY point (fetch, WebSocket, node:http(s)
// with NODE_USE_ENV_PROXY, and Deno's own npm and https downloads all follow them). The relay
// decides nothing: the proxy checks every destination. A function that stops or replaces it only
// loses its own way out.

/** Serves the relay on `127.0.0.1:<port>` for the life of the process. */
export function startEgressRelay(port: number, socket: string): void {
  const listener = Deno.listen({ hostname: "127.0.0.1", port });
  (async () => {
    for await (const conn of listener) void relay(conn, socket);
  })();
}

async function relay(conn: Deno.Conn, socket: string): Promise<void> {
  let up: Deno.UnixConn;
  try {
    up = await Deno.connect({ transport: "unix", path: socket });
  } catch {
    conn.close();
    return;
  }
  // Each direction ends the other's writing side when it ends; a reset ends both.
  const close = () => {
    try {
      conn.close();
    } catch {
      // already closed
    }
    try {
      up.close();
    } catch {
      // already closed
    }
  };
  await Promise.allSettled([
    conn.readable.pipeTo(up.writable).catch(close),
    up.readable.pipeTo(conn.writable).catch(close),
  ]);
  close();
}
