// Builds the dashboard into dist/ with Vite, unless dist/ was built from exactly these sources
// (a hash of src/, index.html, this script and the lockfile), so `npm test` and `npm start`
// do not pay for a build that would write the same files.
import { createHash } from "node:crypto";
import { existsSync } from "node:fs";
import { readdir, readFile, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = dirname(dirname(fileURLToPath(import.meta.url)));
const stampPath = join(root, "dist", ".build-stamp");

async function files(dir) {
  const out = [];
  for (const e of await readdir(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...(await files(p)));
    else out.push(p);
  }
  return out.sort();
}

const hash = createHash("sha256");
const inputs = [
  ...(await files(join(root, "src"))),
  join(root, "index.html"),
  fileURLToPath(import.meta.url),
  join(root, "package.json"),
  join(root, "..", "..", "package-lock.json"),
];
for (const f of inputs) {
  hash.update(f.slice(root.length));
  hash.update(await readFile(f).catch(() => ""));
}
const stamp = hash.digest("hex");
const force = process.argv.includes("--force");
if (
  !force &&
  existsSync(join(root, "dist", "index.html")) &&
  (await readFile(stampPath, "utf8").catch(() => "")) === stamp
) {
  process.exit(0);
}

const { build } = await import("vite");
const started = Date.now();
await build({
  root,
  configFile: false,
  base: "/_/",
  logLevel: "warn",
  esbuild: { jsx: "automatic" },
  build: {
    outDir: "dist",
    emptyOutDir: true,
    assetsDir: "assets",
    sourcemap: false,
    chunkSizeWarningLimit: 2000,
    rollupOptions: {
      // Libraries mark their modules "use client" for React Server Components; a browser
      // bundle has no use for it.
      onwarn(warning, warn) {
        if (warning.code !== "MODULE_LEVEL_DIRECTIVE") warn(warning);
      },
    },
  },
});
await writeFile(stampPath, stamp);
console.log(`dashboard built in ${((Date.now() - started) / 1000).toFixed(1)} s`);
