// Build step of @fnbase/runtime (`npm run build`): bundles the SDKs functions import into one
// self-contained ES module each, for Deno, with esbuild. Instances load these files instead of
// resolving an npm package graph through the network and the Deno cache:
//   dist/base44-sdk.js   @base44/sdk (the version this package depends on), axios & co. inside
//   dist/fnbase-sdk.js   @fnbase/sdk (this repository's, built first by tsc), axios inside
// `platform: "browser"` takes the packages' browser builds: axios then has no Node http adapter
// and, with no XMLHttpRequest in Deno, sends with fetch; socket.io and partysocket use the
// global WebSocket. Nothing is left to resolve: an import the bundle could not inline fails
// the build. In Deno the first touch of `process` or `setImmediate` loads Deno's Node
// compatibility layer (measured: 34 and 12 ms in a bare process), and the browser builds touch
// both at import only to test for them (partysocket's `typeof process.versions`, axios'
// `typeof setImmediate`), so `setImmediate` is defined away and `process` is a small shim with
// only `env` (process-shim.js; @base44/sdk reads `process.env.NODE_ENV`). Whitespace and
// syntax are minified, names are not, so that stack traces through the SDK keep them (fully
// minified measured the same import time, 20 ms, and 0.5 MB less RSS).
// Each bundle starts with `// @ts-self-types="./<name>.d.ts"`: its declarations, which
// bundle-types.mjs writes beside it (for `deno check`, what `fnbase dev` runs after a reload).
import { existsSync, mkdirSync, readFileSync, realpathSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";
import { bundleTypes } from "./bundle-types.mjs";
import { writeIfChanged } from "./write-if-changed.mjs";

const here = dirname(fileURLToPath(import.meta.url));
const pkgDir = join(here, "..");
const require = createRequire(join(pkgDir, "package.json"));

/** The folder and package.json of `name` as this package resolves it (its main entry's). */
function packageOf(name) {
  let dir = dirname(require.resolve(name));
  for (;;) {
    const file = join(dir, "package.json");
    if (existsSync(file)) {
      const json = JSON.parse(readFileSync(file, "utf8"));
      if (json.name === name) return { dir, json };
    }
    if (dirname(dir) === dir) throw new Error(`Cannot find the package.json of ${name}`);
    dir = dirname(dir);
  }
}

const bundles = [
  { name: "@base44/sdk", entry: (dir) => join(dir, "dist", "index.js"), out: "base44-sdk.js" },
  { name: "@fnbase/sdk", entry: (dir) => join(dir, "dist", "index.js"), out: "fnbase-sdk.js" },
];

const built = [];
for (const b of bundles) {
  const { dir, json } = packageOf(b.name);
  built.push({ name: b.name, version: json.version, dir: realpathSync(dir), out: b.out });
  const outfile = join(pkgDir, "dist", b.out);
  const result = await build({
    entryPoints: [b.entry(dir)],
    outfile,
    write: false,
    bundle: true,
    format: "esm",
    platform: "browser",
    target: "es2022",
    minifyWhitespace: true,
    minifySyntax: true,
    define: { setImmediate: "undefined" },
    inject: [join(here, "process-shim.js")],
    legalComments: "eof",
    banner: {
      js: `// @ts-self-types="./${b.out.replace(/\.js$/, ".d.ts")}"\n// ${b.name} ${json.version}, bundled for fnbase's Deno instances by esbuild (packages/runtime/scripts/bundle-sdks.mjs). Generated: do not edit.`,
    },
    logLevel: "warning",
  });
  mkdirSync(dirname(outfile), { recursive: true });
  for (const f of result.outputFiles) writeIfChanged(f.path, f.contents);
}

bundleTypes(join(pkgDir, "dist"), built, join(here, "types-tsconfig.json"));
