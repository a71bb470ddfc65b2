// The base44 CLI (a devDependency, used by the compatibility tests) depends on miniflare, which
// brings workerd and sharp: 175 MB of node_modules and a Node >= 22 engine warning. Only
// `base44 dev` imports it (lazily, to run functions in workerd); deploy, secrets, logs and
// entities never do. This stand-in keeps the install small and says so if anything imports it.
throw new Error(
  "miniflare is a stand-in here (see scripts/stubs/miniflare): `base44 dev` is not available in this repo; use `fnbase dev`",
);
