/** `function.jsonc`: the optional per-function settings file. */
import { readFile } from "node:fs/promises";
import { posix } from "node:path";
import { FnbaseError } from "@fnbase/shared";
import { isObject, parseJsonc } from "./jsonc.js";
import { lowerFirst, validateFunctionName } from "./names.js";

/** The name of the per-function settings file. */
export const FUNCTION_CONFIG_FILE = "function.jsonc";

/** The checked contents of a `function.jsonc`. */
export interface FunctionConfig {
  name?: string;
  entry?: string;
  automations?: unknown[];
}

/**
 * Reads and checks a `function.jsonc`. `name` goes through {@link validateFunctionName};
 * `entry` must be a relative `.ts` or `.js` path inside the function folder and comes back
 * normalized with `/`; `automations` must be an array and is otherwise passed through.
 * `entry` is optional here: without it the folder's `entry.ts` / `entry.js` is used.
 *
 * @param label How messages name the function (its folder path until the name is known).
 * @throws {FnbaseError} `PROJECT_INVALID` or `INVALID_NAME` with the reason.
 * @example
 * await readFunctionConfig("/app/base44/functions/orders/function.jsonc", "orders");
 * // { name: "orders", entry: "main.ts" }
 */
export async function readFunctionConfig(file: string, label: string): Promise<FunctionConfig> {
  const fail = (detail: string): never => {
    throw new FnbaseError("PROJECT_INVALID", `Cannot load function "${label}": ${detail}`);
  };
  const parsed = parseJsonc(await readFile(file, "utf8"));
  if (!parsed.ok) return fail(`invalid ${FUNCTION_CONFIG_FILE} at ${parsed.error}`);
  if (!isObject(parsed.value)) return fail(`${FUNCTION_CONFIG_FILE} must hold a JSON object`);
  const { name, entry, automations } = parsed.value;
  const config: FunctionConfig = {};

  if (name !== undefined) {
    if (typeof name !== "string") fail(`"name" in ${FUNCTION_CONFIG_FILE} must be a string`);
    try {
      config.name = validateFunctionName(name as string);
    } catch (err) {
      const detail = err instanceof Error ? err.message : String(err);
      throw new FnbaseError(
        "INVALID_NAME",
        `Cannot load function "${label}": ${lowerFirst(detail)}`,
      );
    }
  }
  if (entry !== undefined) config.entry = checkEntry(entry, fail);
  if (automations !== undefined) {
    if (!Array.isArray(automations)) {
      fail(`"automations" in ${FUNCTION_CONFIG_FILE} must be an array`);
    }
    config.automations = automations as unknown[];
  }
  return config;
}

function checkEntry(entry: unknown, fail: (detail: string) => never): string {
  if (typeof entry !== "string" || entry.trim() === "") {
    return fail(`"entry" in ${FUNCTION_CONFIG_FILE} must be a non-empty string`);
  }
  const raw = entry.trim();
  if (raw.includes("\\")) return fail(`entry "${raw}" must use "/" separators`);
  const normalized = posix.normalize(raw);
  if (posix.isAbsolute(normalized) || normalized === ".." || normalized.startsWith("../")) {
    return fail(`entry "${raw}" must be a path inside the function folder`);
  }
  if (!normalized.endsWith(".ts") && !normalized.endsWith(".js")) {
    return fail(`entry "${raw}" must be a .ts or .js file`);
  }
  return normalized;
}
