/**
 * The project's `tsconfig.json`: what `fnbase init` writes, and how `fnbase types generate`
 * makes sure it includes the generated types.
 *
 * TypeScript's `include` globs skip folders whose name starts with a dot, so neither `"base44"`
 * nor `"**\/*"` nor even `"base44/.types"` picks up `base44/.types/types.d.ts`: only a pattern
 * with a wildcard or file name inside the folder does (`base44/.types/*.d.ts`, the pattern the
 * Base44 CLI adds too). Function code (`base44/functions`, `base44/shared`) is Deno code: Deno
 * checks it (`base44/deno.json`, the VS Code Deno extension), and tsc, which cannot resolve
 * `npm:` imports nor knows `Deno`, is kept off it.
 */
import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { applyEdits, modify, type ParseError, parse } from "jsonc-parser";

/** The include pattern that reaches the generated types. */
export const TYPES_INCLUDE = "base44/.types/*.d.ts";

/** Include patterns that reach `base44/.types/types.d.ts` (after `./` and trailing `/` go). */
const REACHING = new Set([
  TYPES_INCLUDE,
  "base44/.types/*",
  "base44/.types/**/*",
  "base44/.types/**/*.d.ts",
  "base44/.types/**/*.ts",
  "base44/.types/*.ts",
  "base44/.types/types.d.ts",
]);

/**
 * The `tsconfig.json` of a new project: the whole project (the frontend, scripts) but Deno's
 * folders, plus the generated types.
 */
export const TSCONFIG = `{
  // Type-checks the app's TypeScript outside base44/ (a frontend, scripts) with the types
  // \`fnbase types generate\` writes to base44/.types. Functions and shared code are Deno code:
  // Deno checks them (base44/deno.json; in VS Code, the Deno extension).
  "compilerOptions": {
    "target": "ES2022",
    "module": "ESNext",
    "moduleResolution": "Bundler",
    "strict": true,
    "noEmit": true,
    "skipLibCheck": true
  },
  "include": ["**/*", "${TYPES_INCLUDE}"],
  "exclude": ["node_modules", "base44/functions", "base44/shared"]
}
`;

/** What {@link includeTypes} did to `tsconfig.json`. */
export type TsconfigChange = "updated" | "unchanged" | "created" | "unreadable";

/**
 * Makes `<root>/tsconfig.json` include {@link TYPES_INCLUDE}: writes {@link TSCONFIG} when
 * there is none, adds the pattern to `include` (keeping comments and layout) when no pattern
 * there reaches the types, and leaves a file it cannot parse alone (`unreadable`).
 *
 * @example
 * await includeTypes("/home/me/app"); // "updated"
 */
export async function includeTypes(root: string): Promise<TsconfigChange> {
  const path = join(root, "tsconfig.json");
  const text = await readFile(path, "utf8").catch(() => undefined);
  if (text === undefined) {
    await writeFile(path, TSCONFIG, "utf8");
    return "created";
  }
  const errors: ParseError[] = [];
  const config: unknown = parse(text, errors, { allowTrailingComma: true });
  if (errors.length > 0 || typeof config !== "object" || config === null || Array.isArray(config)) {
    return "unreadable";
  }
  const include = (config as { include?: unknown }).include;
  if (include !== undefined && !Array.isArray(include)) return "unreadable";
  if (include === undefined) {
    // No include means "**/*", which skips base44/.types: name both, so nothing else changes.
    const edits = modify(text, ["include"], ["**/*", TYPES_INCLUDE], { formattingOptions });
    await writeFile(path, applyEdits(text, edits), "utf8");
    return "updated";
  }
  if (include.some((p) => typeof p === "string" && REACHING.has(normalize(p)))) return "unchanged";
  const edits = modify(text, ["include", include.length], TYPES_INCLUDE, {
    formattingOptions,
    isArrayInsertion: true,
  });
  await writeFile(path, applyEdits(text, edits), "utf8");
  return "updated";
}

const formattingOptions = { insertSpaces: true, tabSize: 2, eol: "\n" };

function normalize(pattern: string): string {
  return pattern.replace(/^\.\//, "").replace(/\/+$/, "");
}
