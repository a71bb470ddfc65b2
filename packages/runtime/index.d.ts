/** Absolute path of the instance bootstrap that `deno run` starts. */
export declare const bootstrapPath: string;
/** Absolute path of an app's host process (`FNBASE_RUNTIME=host`: one Worker per function). */
export declare const hostPath: string;
/** Absolute path of the module that `base44:runtime` resolves to. */
export declare const runtimeModulePath: string;
/** Absolute path of this package's src folder (instances may read it). */
export declare const runtimeSrcDir: string;
/** Absolute path of the front (the process that owns the public port). */
export declare const frontPath: string;
/** Absolute path of the folder of SDK bundles (built by `npm run build`; instances may read it). */
export declare const sdkBundleDir: string;
/** Absolute path of `@base44/sdk` bundled into one ES module for instances. */
export declare const base44SdkBundlePath: string;
/** Absolute path of `@fnbase/sdk` bundled into one ES module for instances. */
export declare const fnbaseSdkBundlePath: string;

export * from "./src/http_rules.js";
export * from "./src/protocol.js";
