// POST load (bench:automations): CONNECTIONS connections, one request each at a time, for N
// seconds, each with the same JSON body. Usage: node _post-load.mjs <url> <seconds> <body-json>
// Prints { rps, requests, p50, p99, non2xx, socketErrors } as JSON (latencies in ms).
import { Pool } from "undici";
import { CONNECTIONS, percentile } from "./_load.mjs";

const [url, seconds, body] = process.argv.slice(2);
const u = new URL(url);
const pool = new Pool(u.origin, { connections: CONNECTIONS, pipelining: 1 });
const latencies = [];
let non2xx = 0;
let errors = 0;
const end = performance.now() + Number(seconds) * 1000;

async function worker() {
  while (performance.now() < end) {
    const t0 = performance.now();
    try {
      const res = await pool.request({
        path: u.pathname,
        method: "POST",
        headers: { "content-type": "application/json" },
        body,
      });
      await res.body.dump();
      if (res.statusCode < 200 || res.statusCode >= 400) non2xx++;
      latencies.push(performance.now() - t0);
    } catch {
      errors++;
    }
  }
}

const t0 = performance.now();
await Promise.all(Array.from({ length: CONNECTIONS }, worker));
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
    socketErrors: errors,
  }),
);
