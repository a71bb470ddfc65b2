/**
 * A server in a process of its own, for the crash test: `vite-node server-process.ts <json>`
 * with `{ dataDir, adminKey, hold }`. Prints `{ "url": ... }` once it listens, then runs until
 * it is killed.
 */
import { startServer } from "../../src/server.js";

const o = JSON.parse(process.argv[2] ?? "{}") as { dataDir: string; adminKey: string };
const server = await startServer({ port: 0, dataDir: o.dataDir, adminKey: o.adminKey });
process.stdout.write(`${JSON.stringify({ url: server.url })}\n`);
