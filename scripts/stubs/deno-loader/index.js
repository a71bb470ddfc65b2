// The base44 CLI (a devDependency, used by test/base44-cli.test.ts) depends on @deno/loader by a
// https://npm.jsr.io tarball URL, which our registry mirror cannot serve. Only `base44 dev`
// (its local function bundler) imports it; deploy, secrets and logs never do. This stand-in lets
// `npm install`/`npm ci` succeed and says so plainly if anything does import it.
throw new Error(
  "@deno/loader is a stand-in here (see scripts/stubs/deno-loader): `base44 dev` is not available in this repo; use `fnbase dev`",
);
