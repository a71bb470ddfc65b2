// The fnbase server of `npm run bench:entities`, in a process of its own so that its memory and
// CPU are its own. Usage: node _entities-server.mjs <dataDir> <adminKey> [dist]
// Prints one line of JSON, { url, pid }, once it serves; closes on SIGTERM (so that a
// --cpu-prof given through NODE_OPTIONS is written).
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { createLogger } from "@fnbase/shared";

const [dataDir, adminKey, dist = join(import.meta.dirname, "../packages/server/dist")] =
  process.argv.slice(2);
const log = createLogger({ component: "bench-server" }, process.env.FNBASE_LOG_LEVEL ?? "warn");
const { startServer } = await import(pathToFileURL(join(resolve(dist), "index.js")).href);
const server = await startServer({ port: 0, dataDir, adminKey, spareInstances: 0 }, { log });
process.stdout.write(`${JSON.stringify({ url: server.url, pid: process.pid })}\n`);
let closing = false;
const close = async () => {
  if (closing) return;
  closing = true;
  await server.close();
  process.exit(0);
};
process.on("SIGTERM", close);
process.on("SIGINT", close);
process.on("disconnect", close);
