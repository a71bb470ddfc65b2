// What the bundled SDKs see as `process` inside a Deno instance (esbuild's `inject`, see
// bundle-sdks.mjs): only `process.env`, read from the real environment when asked. Their code
// reads `process.env.NODE_ENV` (@base44/sdk logs its errors unless it is "production") and tests
// `typeof process.versions?.node` (partysocket), which stays false: the browser code paths run.
// Deno's own `process` would do, but the first touch of it loads Deno's Node compatibility
// layer, tens of ms at every instance's start.
export const process = {
  env: new Proxy(
    {},
    {
      get(_, name) {
        if (typeof name !== "string") return undefined;
        try {
          return globalThis.Deno?.env.get(name);
        } catch {
          return undefined; // no --allow-env
        }
      },
    },
  ),
};
