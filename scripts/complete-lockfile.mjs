// The npm registry mirror on our build machines serves only the linux-x64 builds of packages
// that ship one optional package per platform (biome, rollup, esbuild, deno), so `npm install`
// here writes a lockfile without the other platforms' entries, and `npm ci` then refuses it as
// "out of sync". This adds the missing entries, marked optional and with their platform, so
// `npm ci` skips them on this machine and fetches them on the platforms they are for.
// Run it after `npm install` changes dependencies: `node scripts/complete-lockfile.mjs`.
import { readFileSync, writeFileSync } from "node:fs";

const file = new URL("../package-lock.json", import.meta.url);
const lock = JSON.parse(readFileSync(file, "utf8"));
const pkgs = lock.packages;
const OS = "android|darwin|linux|win32|freebsd|openbsd|netbsd|sunos|aix|openharmony";
const CPU = "arm64|x64|arm|ia32|loong64|ppc64|riscv64|s390x|mips64el|wasm32";
const platform = new RegExp(
  `(?:^|[-/])(${OS})-(${CPU})(?:-(gnu|glibc|musl|msvc|gnueabihf|musleabihf|eabi))?$`,
);

/** Gives an entry the platform its name says (`@deno/linux-arm64-glibc`), if it says one. */
function platformOf(name, entry) {
  const m = platform.exec(name);
  if (!m) return;
  entry.cpu = [m[2]];
  entry.os = [m[1]];
  if (m[3]?.startsWith("musl")) entry.libc = ["musl"];
  else if (m[3] === "gnu" || m[3] === "glibc") entry.libc = ["glibc"];
}

let added = 0;
let fixed = 0;
for (const [path, meta] of Object.entries(pkgs)) {
  for (const [name, version] of Object.entries(meta.optionalDependencies ?? {})) {
    const where = path === "" ? `node_modules/${name}` : `${path}/node_modules/${name}`;
    const existing = pkgs[where] ?? pkgs[`node_modules/${name}`];
    if (existing) {
      // An entry an earlier run wrote without its platform installs everywhere (81 MB of
      // arm64 Deno on x64 machines): give it one.
      if (existing.optional && !existing.cpu && platform.test(name)) {
        platformOf(name, existing);
        fixed++;
      }
      continue;
    }
    const entry = { version: version.replace(/^[~^]/, ""), optional: true };
    platformOf(name, entry);
    pkgs[`node_modules/${name}`] = entry;
    added++;
  }
}
const sorted = Object.fromEntries(
  Object.entries(pkgs).sort(([a], [b]) =>
    a === "" ? -1 : b === "" ? 1 : a < b ? -1 : a > b ? 1 : 0,
  ),
);
lock.packages = sorted;
writeFileSync(file, `${JSON.stringify(lock, null, 2)}\n`);
console.log(`complete-lockfile: added ${added} platform entries, fixed ${fixed}`);
