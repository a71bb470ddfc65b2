// Node-side locator for the Deno code in this package. The files under src/ run inside Deno.
import { fileURLToPath } from "node:url";

/** Absolute path of the instance bootstrap that `deno run` starts. */
export const bootstrapPath = fileURLToPath(new URL("./src/bootstrap.ts", import.meta.url));
/** Absolute path of an app's host process (`FNBASE_RUNTIME=host`: one Worker per function). */
export const hostPath = fileURLToPath(new URL("./src/host.ts", import.meta.url));
/** Absolute path of the module that `base44:runtime` resolves to. */
export const runtimeModulePath = fileURLToPath(new URL("./src/runtime_module.ts", import.meta.url));
/** Absolute path of this package's src folder (instances may read it). */
export const runtimeSrcDir = fileURLToPath(new URL("./src/", import.meta.url));
/** Absolute path of the front (the process that owns the public port). */
export const frontPath = fileURLToPath(new URL("./src/front/main.ts", import.meta.url));
/** Absolute path of the folder of SDK bundles (built by `npm run build`; instances may read it). */
export const sdkBundleDir = fileURLToPath(new URL("./dist/", import.meta.url));
/** Absolute path of `@base44/sdk` bundled into one ES module for instances. */
export const base44SdkBundlePath = fileURLToPath(new URL("./dist/base44-sdk.js", import.meta.url));
/** Absolute path of `@fnbase/sdk` bundled into one ES module for instances. */
export const fnbaseSdkBundlePath = fileURLToPath(new URL("./dist/fnbase-sdk.js", import.meta.url));

// What a request is (methods, limits, the decision context), for the front and Node alike.
export * from "./src/http_rules.js";
// What Node and the Deno code must agree on (header lists, record limits, the decision shape).
export * from "./src/protocol.js";
