import { FnbaseError, readEnv } from "@fnbase/shared";
import type { S3Options, ServerOptions } from "../config.js";

/** The integration part of the resolved options (see `ServerOptions` for each one). */
export interface IntegrationOptions {
  publicUrl: string | undefined;
  filesUrl: string | undefined;
  fileStorage: "disk" | "s3";
  s3: S3Options | undefined;
  maxFileBytes: number;
  maxAppFilesBytes: number;
  appFileLimits: Record<string, { maxFileBytes?: number; maxAppFilesBytes?: number }>;
  smtpUrl: string | undefined;
  mailFrom: string | undefined;
  llmUrl: string | undefined;
  llmApiKey: string | undefined;
  llmModel: string | undefined;
  llmModels: Record<string, string>;
  imageModel: string | undefined;
  llmTimeoutMs: number;
  analyticsRetentionMs: number;
  analyticsMaxEventsPerApp: number;
}

const invalid = (what: string, value: string, hint: string) =>
  new FnbaseError("CONFIG_INVALID", `Invalid ${what}: "${value}"`, { hint });

/** `url` without trailing slashes when its scheme is one of `schemes`; else CONFIG_INVALID. */
function checkedUrl(
  url: string | undefined,
  schemes: string[],
  what: string,
  hint: string,
): string | undefined {
  if (url === undefined) return undefined;
  let protocol: string | undefined;
  try {
    protocol = new URL(url).protocol;
  } catch {
    protocol = undefined;
  }
  if (protocol === undefined || !schemes.includes(protocol)) throw invalid(what, url, hint);
  return url.replace(/\/+$/, "");
}

/**
 * Parses `name=model,name=model` (FNBASE_LLM_MODELS) into a map; a pair without `=` or with an
 * empty side is CONFIG_INVALID.
 *
 * @example
 * parseModelMap("gpt_5_mini=llama3.2, claude_sonnet_4_6=qwen3"); // { gpt_5_mini: "llama3.2", ... }
 */
export function parseModelMap(text: string): Record<string, string> {
  const map: Record<string, string> = {};
  for (const pair of text.split(",")) {
    if (pair.trim() === "") continue;
    const eq = pair.indexOf("=");
    const name = pair.slice(0, eq).trim();
    const model = pair.slice(eq + 1).trim();
    if (eq === -1 || name === "" || model === "") {
      throw invalid(
        "model map entry in FNBASE_LLM_MODELS",
        pair.trim(),
        "Write name=model pairs separated by commas",
      );
    }
    map[name] = model;
  }
  return map;
}

function s3FromEnv(): S3Options | undefined {
  const bucket = readEnv("FNBASE_S3_BUCKET");
  if (bucket === undefined) return undefined;
  const s3: S3Options = { bucket };
  const endpoint = readEnv("FNBASE_S3_ENDPOINT");
  const region = readEnv("FNBASE_S3_REGION");
  const prefix = readEnv("FNBASE_S3_PREFIX");
  const accessKeyId = readEnv("FNBASE_S3_ACCESS_KEY_ID");
  const secretAccessKey = readEnv("FNBASE_S3_SECRET_ACCESS_KEY");
  if (endpoint !== undefined) s3.endpoint = endpoint;
  if (region !== undefined) s3.region = region;
  if (prefix !== undefined) s3.prefix = prefix;
  if (accessKeyId !== undefined) s3.accessKeyId = accessKeyId;
  if (secretAccessKey !== undefined) s3.secretAccessKey = secretAccessKey;
  return s3;
}

function positive(value: number, what: string): number {
  if (!Number.isSafeInteger(value) || value <= 0) {
    throw invalid(what, String(value), "Use a positive whole number of bytes");
  }
  return value;
}

/**
 * Fills in the integration options from `o`, then the `FNBASE_*` variables, then defaults;
 * throws CONFIG_INVALID for a value that cannot work (a URL of the wrong scheme, `s3` without a
 * bucket, a limit that is not a positive integer).
 */
export function resolveIntegrationOptions(o: ServerOptions): IntegrationOptions {
  const httpHint = "Use an http or https URL";
  const publicUrl = checkedUrl(
    o.publicUrl ?? readEnv("FNBASE_PUBLIC_URL"),
    ["http:", "https:"],
    "public URL",
    httpHint,
  );
  const s3 = o.s3 ?? s3FromEnv();
  const storage = o.fileStorage ?? readEnv("FNBASE_FILE_STORAGE") ?? (s3 ? "s3" : "disk");
  if (storage !== "disk" && storage !== "s3") {
    throw invalid("file storage", storage, "Use disk or s3");
  }
  if (storage === "s3" && (s3 === undefined || s3.bucket === "")) {
    throw new FnbaseError("CONFIG_INVALID", "The s3 file storage needs a bucket", {
      hint: "Set FNBASE_S3_BUCKET (or the s3 option)",
    });
  }
  const models = o.llmModels ?? parseModelMap(readEnv("FNBASE_LLM_MODELS") ?? "");
  return {
    publicUrl,
    filesUrl:
      checkedUrl(
        o.filesUrl ?? readEnv("FNBASE_FILES_URL"),
        ["http:", "https:"],
        "files URL",
        httpHint,
      ) ?? publicUrl,
    fileStorage: storage,
    s3: storage === "s3" ? s3 : undefined,
    maxFileBytes: positive(o.maxFileBytes ?? 50 * 1024 ** 2, "maxFileBytes"),
    maxAppFilesBytes: positive(o.maxAppFilesBytes ?? 10 * 1024 ** 3, "maxAppFilesBytes"),
    appFileLimits: o.appFileLimits ?? {},
    smtpUrl: checkedUrl(
      o.smtpUrl ?? readEnv("FNBASE_SMTP_URL"),
      ["smtp:", "smtps:"],
      "SMTP URL",
      "Use smtp://user:pass@host:587 or smtps://user:pass@host:465",
    ),
    mailFrom: o.mailFrom ?? readEnv("FNBASE_MAIL_FROM"),
    llmUrl: checkedUrl(
      o.llmUrl ?? readEnv("FNBASE_LLM_URL"),
      ["http:", "https:"],
      "LLM URL",
      httpHint,
    ),
    llmApiKey: o.llmApiKey ?? readEnv("FNBASE_LLM_API_KEY"),
    llmModel: o.llmModel ?? readEnv("FNBASE_LLM_MODEL"),
    llmModels: models,
    imageModel: o.imageModel ?? readEnv("FNBASE_IMAGE_MODEL"),
    llmTimeoutMs: o.llmTimeoutMs ?? 120_000,
    analyticsRetentionMs: o.analyticsRetentionMs ?? 30 * 24 * 3_600_000,
    analyticsMaxEventsPerApp: o.analyticsMaxEventsPerApp ?? 1_000_000,
  };
}
