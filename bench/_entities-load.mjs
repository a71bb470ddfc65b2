// Load for `npm run bench:entities`, in its own process so it does not share an event loop with
// the driver. Usage: node _entities-load.mjs '<spec json>', the spec being
//   { url, method, headers, body, connections, seconds }
// Each connection sends one request at a time (the body is read and dropped) until the time is
// up. Prints { rps, requests, p50, p99, non2xx, errors, mb } as JSON (latencies in ms, mb the
// megabytes of bodies received).
import { Pool } from "undici";
import { percentile } from "./_load.mjs";

const spec = JSON.parse(process.argv[2]);
const u = new URL(spec.url);
const pool = new Pool(u.origin, { connections: spec.connections, pipelining: 1 });
const latencies = [];
let non2xx = 0;
let errors = 0;
let bytes = 0;
let firstError;
const end = performance.now() + spec.seconds * 1000;

async function worker() {
  while (performance.now() < end) {
    const t0 = performance.now();
    try {
      const res = await pool.request({
        path: u.pathname + u.search,
        method: spec.method ?? "GET",
        headers: spec.headers ?? {},
        body: spec.body,
      });
      for await (const chunk of res.body) bytes += chunk.length;
      if (res.statusCode < 200 || res.statusCode >= 400) non2xx++;
      latencies.push(performance.now() - t0);
    } catch (err) {
      errors++;
      firstError ??= String(err);
    }
  }
}

const t0 = performance.now();
await Promise.all(Array.from({ length: spec.connections }, worker));
const elapsed = (performance.now() - t0) / 1000;
await pool.close();
latencies.sort((a, b) => a - b);
process.stdout.write(
  JSON.stringify({
    rps: latencies.length / elapsed,
    requests: latencies.length,
    p50: percentile(latencies, 50),
    p99: percentile(latencies, 99),
    non2xx,
    errors,
    firstError,
    mb: bytes / 1e6,
  }),
);
