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
   * What a function instance is: `host` (default: a Worker, with its own heap limit, in one Deno
   * process per app; see docs/ARCHITECTURE.md) or `process` (a Deno process of its own).
   */
  FNBASE_RUNTIME:
    "Function instances: host (default, one Deno process per app, a Worker each) or process (one Deno process each)",
  /**
   * cgroup folder for instances' kernel limits (memory; on v2 a CPU share): a cgroup v2 folder this user
   * may write, `auto` (default; as root, the cgroup tree's own) or `off`.
   */
  FNBASE_CGROUP: "cgroup folder for instance limits: a path, auto (default) or off",
  /**
   * Where the server keeps its state: `sqlite` (default: one SQLite file in the data dir) or a
   * PostgreSQL URL, `postgres://user:password@host:5432/database`, which several nodes share
   * (see docs/SCALE-OUT.md).
   */
  FNBASE_STORE:
    "Store: sqlite (default) or postgres://user:pass@host:5432/db (shared by several nodes)",
  /**
   * This node's name among several on one PostgreSQL store (metrics' `node` label, logs, leases).
   * Default: the host name and the process id. Unique per node.
   */
  FNBASE_NODE_ID: "This node's name in a cluster (default: host name and port)",
  /** Admin API key accepted on the management API. Default: one generated at first start. */
  FNBASE_ADMIN_KEY: "Admin API key accepted on the management API",
  /** Master key (64 hex chars or base64 of 32 bytes) for secrets at rest. */
  FNBASE_MASTER_KEY: "Master key for secrets at rest (default: a key file in the data dir)",
  /**
   * Base URL callers reach the server at (behind a proxy, say), used in emailed links
   * (invitations, password resets) and file URLs. Default: the URL the server listens on.
   */
  FNBASE_PUBLIC_URL: "Base URL callers reach the server at, for emailed links and file URLs",
  /**
   * Base URL of uploaded files' links when they are served from another host name than the API
   * (recommended: a host of their own keeps uploaded content off the API's origin). Default:
   * FNBASE_PUBLIC_URL.
   */
  FNBASE_FILES_URL: "Base URL of file links (default: FNBASE_PUBLIC_URL)",
  /** Where uploaded files are kept: `disk` (default, `<data>/files`) or `s3`. */
  FNBASE_FILE_STORAGE: "Where uploaded files are kept: disk (default) or s3",
  /** Bucket of the S3 storage (S3 or any S3-compatible service). Setting it selects `s3`. */
  FNBASE_S3_BUCKET: "Bucket for uploaded files (selects the s3 storage)",
  /** Endpoint of an S3-compatible service (MinIO, R2...); default: AWS for the region. */
  FNBASE_S3_ENDPOINT: "Endpoint of an S3-compatible service (default: AWS)",
  /** Region of the bucket. Default `us-east-1`. */
  FNBASE_S3_REGION: "Region of the S3 bucket (default: us-east-1)",
  /** Key prefix inside the bucket. Default none. */
  FNBASE_S3_PREFIX: "Key prefix inside the S3 bucket",
  /** Access key id for S3; default: the AWS SDK's own chain (AWS_ACCESS_KEY_ID, profiles...). */
  FNBASE_S3_ACCESS_KEY_ID: "S3 access key id (default: the AWS SDK's credential chain)",
  /** Secret access key for S3, with FNBASE_S3_ACCESS_KEY_ID. */
  FNBASE_S3_SECRET_ACCESS_KEY: "S3 secret access key",
  /**
   * SMTP relay `Core.SendEmail`, invitations and password resets go through:
   * `smtp://user:pass@host:587` (STARTTLS when offered) or `smtps://...:465`. No relay: those
   * answer 501 INTEGRATION_NOT_CONFIGURED.
   */
  FNBASE_SMTP_URL: "SMTP relay for emails: smtp://user:pass@host:587 or smtps://host:465",
  /** Sender address of every email (`From`), e.g. `noreply@example.com`. */
  FNBASE_MAIL_FROM: "Sender address of emails (default: noreply@ the SMTP host)",
  /**
   * OpenAI-compatible endpoint `Core.InvokeLLM` and the other AI integrations call, up to
   * `/v1`: `http://localhost:11434/v1` (Ollama), `http://localhost:8080/v1` (llama.cpp).
   */
  FNBASE_LLM_URL: "OpenAI-compatible API base URL for InvokeLLM (e.g. http://localhost:11434/v1)",
  /** Bearer key for FNBASE_LLM_URL, when it needs one. */
  FNBASE_LLM_API_KEY: "API key for FNBASE_LLM_URL",
  /** Model used when a call names none or one that FNBASE_LLM_MODELS does not map. */
  FNBASE_LLM_MODEL: "Default model for InvokeLLM",
  /** Base44 model names mapped to the endpoint's: `gpt_5_mini=llama3.2,claude_sonnet_4_6=qwen3`. */
  FNBASE_LLM_MODELS: "Model names mapped to the endpoint's: name=model,name=model",
  /** Image model `Core.GenerateImage` asks the endpoint's `/images/generations` for. */
  FNBASE_IMAGE_MODEL: "Image model for GenerateImage (default: GenerateImage answers 501)",
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
  /**
   * Format of the server's own log on stderr: `json` (one JSON object a line) or `pretty` (one
   * readable line). Default: `pretty` on a terminal, else `json`. The CLI's `--json` overrides it
   * (passed to the logger, not set in the environment).
   */
  FNBASE_LOG_FORMAT:
    "Format of the server's own log: json or pretty (default: pretty on a terminal)",
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
