// The leanest Node hop we know: node:http in, undici's dispatch() out over a unix socket, no
// routing or auth. `node node-proxy.mjs <upstream-socket> <port> <processes>`; more than one
// process shares the port through node:cluster. Prints `listening <port>` once every process is.
import cluster from "node:cluster";
import { createServer } from "node:http";
import { Pool } from "undici";

const [socketPath, port, processes = "1"] = process.argv.slice(2);
const n = Number(processes);

if (cluster.isPrimary && n > 1) {
  let up = 0;
  for (let i = 0; i < n; i++) {
    cluster.fork().on("listening", () => {
      if (++up === n) console.log(`listening ${port}`);
    });
  }
} else {
  const pool = new Pool("http://localhost", { socketPath, connections: 64 });
  const HOP = new Set(["connection", "keep-alive", "transfer-encoding"]);
  const server = createServer((req, res) => {
    pool.dispatch(
      { path: req.url, method: req.method, headers: req.headers, body: null },
      {
        onRequestStart() {},
        onResponseStart(_c, status, headers) {
          const out = {};
          for (const k in headers) if (!HOP.has(k)) out[k] = headers[k];
          res.writeHead(status, out);
        },
        onResponseData(_c, chunk) {
          res.write(chunk);
        },
        onResponseEnd() {
          res.end();
        },
        onResponseError() {
          if (!res.headersSent) res.writeHead(502);
          res.end();
        },
      },
    );
  });
  server.listen(Number(port), "127.0.0.1", () => {
    if (n === 1) console.log(`listening ${port}`);
  });
}
