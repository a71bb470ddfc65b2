// `npm run pack [-- --out <dir>] [--no-build]`: builds fnbase and packs its publishable packages
// (the `fnbase` CLI, `@fnbase/sdk`, and what they depend on: `@fnbase/server`,
// `@fnbase/runtime`, `@fnbase/dashboard` (its build only), `@fnbase/project`, `@fnbase/shared`) into one folder, default
// `dist-packages/`, as `npm pack` tarballs. Nothing is published, so a project outside this clone
// installs them all at once, which resolves their dependencies on each other to these tarballs
// (never to the registry, which does not have them):
//
//   npm install /path/to/fnbase/dist-packages/*.tgz
//
// Before packing, it checks what publishing needs: one version for all, `@fnbase/*` dependencies
// on exactly that version, and `license`, `engines`, `exports` (and `bin` for the CLI) present.
import { execFileSync } from "node:child_process";
import { mkdirSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const repo = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const PACKAGES = ["shared", "project", "runtime", "dashboard", "server", "sdk", "cli"];
const npm = process.platform === "win32" ? "npm.cmd" : "npm";

const args = process.argv.slice(2);
const outAt = args.indexOf("--out");
const out = resolve(outAt === -1 ? join(repo, "dist-packages") : (args[outAt + 1] ?? ""));
const build = !args.includes("--no-build");

/** What publishing needs of each manifest; the problems found. */
function checkManifests() {
  const manifests = PACKAGES.map((p) => ({
    dir: `packages/${p}`,
    pkg: JSON.parse(readFileSync(join(repo, "packages", p, "package.json"), "utf8")),
  }));
  const version = manifests[0].pkg.version;
  const ours = new Set(manifests.map((m) => m.pkg.name));
  const problems = [];
  for (const { dir, pkg } of manifests) {
    if (pkg.private) problems.push(`${dir}: "private" would keep it from being published`);
    if (pkg.version !== version) problems.push(`${dir}: version ${pkg.version}, not ${version}`);
    for (const field of ["license", "engines", "exports", "files", "description"]) {
      if (pkg[field] === undefined) problems.push(`${dir}: no "${field}"`);
    }
    if (pkg.name === "fnbase" && !pkg.bin?.fnbase) problems.push(`${dir}: no bin "fnbase"`);
    for (const [name, range] of Object.entries(pkg.dependencies ?? {})) {
      if (ours.has(name) && range !== version) {
        problems.push(`${dir}: depends on ${name}@${range}, not ${version}`);
      }
    }
  }
  return { version, problems };
}

const { version, problems } = checkManifests();
if (problems.length > 0) {
  console.error(`Cannot pack:\n  ${problems.join("\n  ")}`);
  process.exit(1);
}
if (build) execFileSync(npm, ["run", "-s", "build"], { cwd: repo, stdio: "inherit" });
rmSync(out, { recursive: true, force: true });
mkdirSync(out, { recursive: true });
const packed = JSON.parse(
  execFileSync(
    npm,
    [
      "pack",
      "--json",
      "--pack-destination",
      out,
      ...PACKAGES.flatMap((p) => ["--workspace", `packages/${p}`]),
    ],
    { cwd: repo, encoding: "utf8", stdio: ["ignore", "pipe", "inherit"] },
  ),
);
for (const p of packed) {
  console.log(`${p.filename.padEnd(28)} ${(p.size / 1024).toFixed(0).padStart(5)} kB`);
}
const files = readdirSync(out).filter((f) => f.endsWith(".tgz"));
console.log(`\nfnbase ${version}: ${files.length} packages in ${out}`);
console.log("Install them all at once into a project of yours:");
console.log(`  npm install ${join(out, "*.tgz")}`);
