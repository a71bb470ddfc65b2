// The smallest useful Node proxy: node:http in, undici over a unix socket out, bodies streamed.
// It is the yardstick for the gateway's own per-request cost: fnbase's gateway does this plus
// routing, auth and header rules, so the gap between the two is what those cost.
//
// Standalone: node bench/baseline-proxy.mjs <unix-socket> [port] [header:value ...]
import { createServer } from "node:http";
import { fileURLToPath } from "node:url";
import { Pool } from "undici";

const HOP = new Set(["connection", "keep-alive", "transfer-encoding", "upgrade", "te", "trailer"]);

/**
 * Starts the proxy on 127.0.0.1 (port 0 picks one). `headers` are added to every upstream
 * request (e.g. fnbase's instance key). Resolves to `{ url, close }`.
 */
export async function startBaselineProxy({ socketPath, port = 0, headers = {}, pool = {} }) {
  const upstream = new Pool("http://localhost", {
    socketPath,
    connections: 128,
    keepAliveTimeout: 60_000,
    ...pool,
  });
  const server = createServer(async (req, res) => {
    try {
      const up = await upstream.request({
        path: req.url,
        method: req.method,
        headers: { ...req.headers, ...headers },
        body: req.method === "GET" || req.method === "HEAD" ? null : req,
      });
      const out = {};
      for (const k in up.headers) if (!HOP.has(k)) out[k] = up.headers[k];
      res.writeHead(up.statusCode, out);
      // A for-await write loop rather than stream.pipeline(): pipeline() measured about twice
      // the CPU per request on small responses.
      for await (const chunk of up.body) {
        if (!res.write(chunk)) await new Promise((r) => res.once("drain", r));
      }
      res.end();
    } catch {
      if (!res.headersSent) res.writeHead(502).end();
      else res.destroy();
    }
  });
  server.keepAliveTimeout = 65_000;
  await new Promise((resolve) => server.listen(port, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${server.address().port}`,
    async close() {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
      await upstream.close();
    },
  };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const [socketPath, port = "0", ...hs] = process.argv.slice(2);
  if (!socketPath) {
    console.error("Usage: node bench/baseline-proxy.mjs <unix-socket> [port] [header:value ...]");
    process.exit(2);
  }
  const headers = Object.fromEntries(
    hs.map((h) => [h.slice(0, h.indexOf(":")), h.slice(h.indexOf(":") + 1)]),
  );
  const proxy = await startBaselineProxy({ socketPath, port: Number(port), headers });
  console.log(`baseline proxy on ${proxy.url} -> ${socketPath}`);
}
