// Load generation: wrk when installed, else a small undici loop with the same shape.
import { execFileSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { track } from "./_procs.mjs";

export const CONNECTIONS = 32;

let wrkPath;
/** Path of wrk, or undefined when it is not installed. */
export function findWrk() {
  if (wrkPath === undefined) {
    try {
      wrkPath = execFileSync("sh", ["-c", "command -v wrk"], { encoding: "utf8" }).trim() || null;
    } catch {
      wrkPath = null;
    }
  }
  return wrkPath ?? undefined;
}

const UNIT_MS = { us: 1e-3, ms: 1, s: 1e3, m: 60e3 };
const toMs = (v, unit) => Number(v) * UNIT_MS[unit];

/** Parses wrk's `--latency` report. */
export function parseWrk(text) {
  const num = (re) => {
    const m = re.exec(text);
    return m ? Number(m[1]) : undefined;
  };
  const pct = (p) => {
    const m = new RegExp(`^\\s+${p}%\\s+([\\d.]+)(us|ms|s|m)\\s*$`, "m").exec(text);
    return m ? toMs(m[1], m[2]) : undefined;
  };
  const sock = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(text);
  return {
    rps: num(/Requests\/sec:\s+([\d.]+)/),
    requests: num(/(\d+) requests in/),
    p50: pct(50),
    p99: pct(99),
    non2xx: num(/Non-2xx or 3xx responses: (\d+)/) ?? 0,
    socketErrors: sock ? sock.slice(1).reduce((a, b) => a + Number(b), 0) : 0,
  };
}

function runWrk(url, seconds, headers) {
  const args = ["-t1", `-c${CONNECTIONS}`, `-d${seconds}s`, "--latency"];
  for (const [k, v] of Object.entries(headers)) args.push("-H", `${k}: ${v}`);
  args.push(url);
  const child = track(findWrk(), args);
  let out = "";
  child.stdout.on("data", (c) => {
    out += c;
  });
  child.stderr.on("data", (c) => {
    out += c;
  });
  return new Promise((resolve, reject) => {
    child.once("error", reject);
    child.once("exit", (code) => {
      if (code !== 0) reject(new Error(`wrk exited with code ${code}: ${out}`));
      else resolve({ tool: "wrk", ...parseWrk(out) });
    });
  });
}

/** Percentile (nearest rank) of a sorted array. */
export function percentile(sorted, p) {
  if (sorted.length === 0) return undefined;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i];
}

/** The fallback runs in its own process so it does not share an event loop with the server. */
function runUndici(url, seconds, headers) {
  const script = fileURLToPath(new URL("./_undici-load.mjs", import.meta.url));
  const child = track(process.execPath, [script, url, String(seconds), JSON.stringify(headers)]);
  let out = "";
  let err = "";
  child.stdout.on("data", (c) => {
    out += c;
  });
  child.stderr.on("data", (c) => {
    err += c;
  });
  return new Promise((resolve, reject) => {
    child.once("error", reject);
    child.once("exit", (code) => {
      if (code !== 0) reject(new Error(`undici load generator failed (${code}): ${err}`));
      else resolve({ tool: "undici", ...JSON.parse(out) });
    });
  });
}

/** Runs `seconds` of load at `url` with 32 connections; returns req/s and p50/p99 in ms. */
export function load(url, seconds, headers = {}) {
  return findWrk() ? runWrk(url, seconds, headers) : runUndici(url, seconds, headers);
}
