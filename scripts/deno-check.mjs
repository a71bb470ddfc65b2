// Type-checks the Deno-side code (packages/runtime/src, and the Deno programs of bench/hops) with
// the Deno binary from node_modules.
import { spawnSync } from "node:child_process";
import { readdirSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";

const require = createRequire(import.meta.url);
const deno = join(dirname(require.resolve("deno/package.json")), "deno");
const dir = new URL("../packages/runtime/src/", import.meta.url).pathname;
const hops = new URL("../bench/hops/", import.meta.url).pathname;
const files = [
  ...readdirSync(dir, { recursive: true })
    .filter((f) => f.endsWith(".ts"))
    .map((f) => join(dir, f)),
  ...readdirSync(hops)
    .filter((f) => f.endsWith(".ts"))
    .map((f) => join(hops, f)),
];
const r = spawnSync(
  deno,
  ["check", "--quiet", "--config", join(dir, "..", "deno.json"), ...files],
  {
    stdio: "inherit",
  },
);
process.exit(r.status ?? 1);
