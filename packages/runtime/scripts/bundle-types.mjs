// Build step of @fnbase/runtime, after bundle-sdks.mjs: each SDK bundle's type declarations,
// rolled into one self-contained file beside it (dist/base44-sdk.d.ts, dist/fnbase-sdk.d.ts),
// by dts-bundle-generator. Each bundle starts with `// @ts-self-types="./<name>.d.ts"`, so
// `deno check` of a function that imports an SDK (what `fnbase dev` runs after each reload)
// types it with the SDK's own declarations, not with what TypeScript infers from minified
// JavaScript (which typed `base44.entities` as `{}`: every entity an error). Axios,
// socket.io-client and what their types import are inlined: Deno resolves no bare name from a
// declaration file, and the check must work offline. Generating takes seconds of CPU, so the
// output is kept while its inputs are unchanged (a hash of them in dist/.types-stamp).
// types-tsconfig.json reads the declarations as a Deno function sees them: web APIs
// (lib DOM), no Node types.
import { createHash } from "node:crypto";
import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { writeIfChanged } from "./write-if-changed.mjs";

/** Libraries whose declarations the SDKs' declarations import, inlined into each bundle. */
const INLINED = [
  "axios",
  "socket.io-client",
  "@socket.io/component-emitter",
  "engine.io-client",
  "engine.io-parser",
  "socket.io-parser",
];

/** Every `.d.ts` file under `dir`, sorted. */
function declarationFiles(dir) {
  return readdirSync(dir, { recursive: true, encoding: "utf8" })
    .filter((f) => f.endsWith(".d.ts"))
    .sort()
    .map((f) => join(dir, f));
}

/** The version of `name` as resolved from `fromDir`, or "-" when it is not installed there. */
function versionOf(name, fromDir) {
  try {
    const req = createRequire(join(fromDir, "package.json"));
    return JSON.parse(readFileSync(req.resolve(`${name}/package.json`), "utf8")).version;
  } catch {
    return "-";
  }
}

/**
 * Writes `<distDir>/<out>.d.ts` for each bundle, unless the stamp says its inputs are unchanged.
 *
 * @param {string} distDir the bundles' folder
 * @param {{ name: string, version: string, dir: string, out: string }[]} bundles each SDK (its
 *   package folder, real path) and its bundle's file name (`base44-sdk.js`)
 * @param {string} tsconfig the compiler settings the declarations are read with
 * @throws {Error} when a rolled-up file still imports something (Deno could not resolve it)
 */
export function bundleTypes(distDir, bundles, tsconfig) {
  const here = createRequire(import.meta.url);
  const hash = createHash("sha256");
  hash.update(readFileSync(new URL(import.meta.url)));
  hash.update(readFileSync(tsconfig));
  hash.update(`dts-bundle-generator ${versionOf("dts-bundle-generator", dirname(tsconfig))}`);
  hash.update(`typescript ${versionOf("typescript", dirname(tsconfig))}`);
  for (const b of bundles) {
    hash.update(`${b.name} ${b.version} ${b.out}\n`);
    for (const lib of INLINED) hash.update(`${lib} ${versionOf(lib, b.dir)}\n`);
    for (const f of declarationFiles(join(b.dir, "dist"))) hash.update(f).update(readFileSync(f));
  }
  const stamp = hash.digest("hex");
  const stampFile = join(distDir, ".types-stamp");
  const outputs = bundles.map((b) => join(distDir, b.out.replace(/\.js$/, ".d.ts")));
  if (
    existsSync(stampFile) &&
    readFileSync(stampFile, "utf8") === stamp &&
    outputs.every((f) => existsSync(f))
  ) {
    return;
  }
  const { generateDtsBundle } = here("dts-bundle-generator");
  const texts = generateDtsBundle(
    bundles.map((b) => ({
      filePath: join(b.dir, "dist", "index.d.ts"),
      // The SDK's own package too when it sits in node_modules (@base44/sdk): files there count
      // as libraries, kept as imports unless inlined.
      libraries: { inlinedLibraries: [b.name, ...INLINED], allowedTypesLibraries: [] },
      output: { noBanner: true, exportReferencedTypes: false },
    })),
    { preferredConfigPath: tsconfig },
  );
  bundles.forEach((b, i) => {
    const text = texts[i] ?? "";
    const left = text.match(/^\s*(import\b.*\bfrom\s|\/\/\/\s*<reference\b).*$/m);
    if (left) throw new Error(`The declarations of ${b.name} still import: ${left[0].trim()}`);
    const banner = `// Type declarations of ${b.name} ${b.version}, rolled into one file for fnbase's SDK bundle ${b.out} by dts-bundle-generator (packages/runtime/scripts/bundle-types.mjs). Generated: do not edit.\n`;
    writeIfChanged(outputs[i], banner + text);
  });
  writeFileSync(stampFile, stamp);
}
