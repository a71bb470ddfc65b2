/**
 * Every environment variable fnbase reads, declared once with what it does. Read them through
 * {@link readEnv}; nothing else in the codebase touches `process.env` for configuration.
 */
export const ENV_VARS = {
  /** Path of the Deno binary to run functions with. Default: the `deno` npm package's binary. */
  FNBASE_DENO: "Path of the Deno binary (default: the one from the `deno` npm package)",
  /**
   * npm registry function instances download `npm:` imports from (an http or https URL, such as
   * a mirror), passed to them as `NPM_CONFIG_REGISTRY`. Default: the server's own
   * `NPM_CONFIG_REGISTRY`, else Deno's default, https://registry.npmjs.org. The SDKs
   * (`npm:@base44/sdk` at any version, `@fnbase/sdk`) never need it: the server ships them.
   */
  FNBASE_NPM_REGISTRY:
    "npm registry instances download npm: imports from (default: NPM_CONFIG_REGISTRY, else registry.npmjs.org)",
  /**
   * How function instances are confined beyond Deno's permissions: `auto` (default: network and
   * mount namespaces where the kernel allows), `require` (refuse to start without) or `off`.
   */
  FNBASE_SANDBOX: "Instance sandbox: auto (default), require or off",
  /**
   * cgroup folder for instances' kernel limits (memory; on v2 a CPU share): a cgroup v2 folder this user
   * may write, `auto` (default; as root, the cgroup tree's own) or `off`.
   */
  FNBASE_CGROUP: "cgroup folder for instance limits: a path, auto (default) or off",
  /** Admin API key accepted on the management API. Default: one generated at first start. */
  FNBASE_ADMIN_KEY: "Admin API key accepted on the management API",
  /** Master key (64 hex chars or base64 of 32 bytes) for secrets at rest. */
  FNBASE_MASTER_KEY: "Master key for secrets at rest (default: a key file in the data dir)",
  /** Server base URL for the CLI. */
  FNBASE_SERVER: "Server URL the CLI talks to",
  /** API key for the CLI. */
  FNBASE_API_KEY: "API key the CLI sends",
  /** Base44 CLI compatible server URL. */
  BASE44_API_URL: "Server URL (Base44 CLI compatible name)",
  /** Base44 CLI compatible API key. */
  BASE44_API_KEY: "API key (Base44 CLI compatible name)",
  /** Log level of the server's own log: trace, debug, info, warn, error, silent. */
  FNBASE_LOG_LEVEL: "Log level of the server's own log (default: info)",
  /** Directory for CLI credentials. Default: $XDG_CONFIG_HOME/fnbase or ~/.config/fnbase. */
  FNBASE_CONFIG_DIR: "Directory holding CLI credentials",
  /** XDG base directory for user config; the CLI keeps its files in `$XDG_CONFIG_HOME/fnbase`. */
  XDG_CONFIG_HOME: "Base directory for user config (default: ~/.config)",
} as const;

/** A declared environment variable. */
export type EnvVar = keyof typeof ENV_VARS;

/**
 * Reads a declared environment variable; empty strings count as unset.
 *
 * @example
 * const deno = readEnv("FNBASE_DENO") ?? defaultDenoPath();
 */
export function readEnv(name: EnvVar, env: NodeJS.ProcessEnv = process.env): string | undefined {
  const value = env[name];
  return value === undefined || value === "" ? undefined : value;
}
