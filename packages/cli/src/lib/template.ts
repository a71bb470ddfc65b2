/** The project `fnbase init` writes. */
import { mkdir, stat, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { FnbaseError } from "@fnbase/shared";
import { TSCONFIG } from "./tsconfig.js";

/**
 * The hello function: the same file as `examples/quickstart/base44/functions/hello/entry.ts`
 * and the sample in the repository README (a test keeps the three equal).
 */
export const HELLO = `// POST {"name": "Ada"} or GET ?name=Ada answers {"message": "Hello, Ada!"}.
Deno.serve(async (req) => {
  const url = new URL(req.url);
  let name = url.searchParams.get("name") ?? "world";
  if (req.method === "POST") {
    const body = await req.json().catch(() => ({}));
    if (typeof body?.name === "string") name = body.name;
  }
  console.log(\`Saying hello to \${name}\`);
  return Response.json({ message: \`Hello, \${name}!\` });
});
`;

/**
 * The example entity: the Base44 CLI template's `Task`, so both CLIs start from the same, with
 * access rules: each signed-in user reads and changes their own tasks (an entity without `rls`
 * is open to anyone, anonymous callers included).
 */
const TASK = `${JSON.stringify(
  {
    name: "Task",
    type: "object",
    properties: {
      title: { type: "string", description: "Task title" },
      completed: { type: "boolean", default: false, description: "Whether the task is completed" },
    },
    required: ["title"],
    rls: {
      read: { created_by: "{{user.email}}" },
      write: { created_by: "{{user.email}}" },
    },
  },
  null,
  2,
)}\n`;

/**
 * Deno's settings for the functions and shared code (Deno finds it from any file under
 * `base44/`): npm packages from Deno's cache as on the server (not from a frontend's
 * node_modules), and no `deno.lock` next to it. The server runs functions with `--no-config`,
 * so this file only serves editors and `deno check`.
 */
const DENO_JSON = `${JSON.stringify({ nodeModulesDir: "none", lock: false }, null, 2)}\n`;

/** VS Code: the Deno extension for Deno's folders (it turns TypeScript's own checks off there). */
const VSCODE_SETTINGS = `${JSON.stringify(
  { "deno.enablePaths": ["base44/functions", "base44/shared"] },
  null,
  2,
)}\n`;

const VSCODE_EXTENSIONS = `${JSON.stringify({ recommendations: ["denoland.vscode-deno"] }, null, 2)}\n`;

/** `base44/config.jsonc`, with the app's name (the Base44 CLI refuses a config without one). */
function config(name: string): string {
  return `// fnbase / Base44 project settings.
{
  // The app's name (the Base44 CLI requires it).
  "name": ${JSON.stringify(name)},
  // Where functions live, relative to base44/.
  "functionsDir": "./functions",
  // Where entity schemas live, relative to base44/: one .jsonc per entity, named by "name".
  "entitiesDir": "./entities"
}
`;
}

function files(name: string): Record<string, string> {
  return {
    "base44/config.jsonc": config(name),
    "base44/functions/hello/entry.ts": HELLO,
    "base44/entities/Task.jsonc": TASK,
    "base44/deno.json": DENO_JSON,
    ".gitignore": `# fnbase
base44/.app.jsonc
base44/.types/
.env*
.fnbase/
node_modules/
`,
    "tsconfig.json": TSCONFIG,
    ".vscode/settings.json": VSCODE_SETTINGS,
    ".vscode/extensions.json": VSCODE_EXTENSIONS,
  };
}

/**
 * Writes the template project into `root`, skipping files that already exist.
 *
 * @param name The app's name for `base44/config.jsonc`.
 * @throws {FnbaseError} `CONFLICT` when `root` already holds `base44/config.jsonc`,
 *   `USAGE` for an empty name.
 * @returns The files written, relative to `root`.
 * @example
 * await writeTemplate("/home/me/shop", "shop"); // ["base44/config.jsonc", …]
 */
export async function writeTemplate(root: string, name: string): Promise<string[]> {
  if (name.trim() === "") {
    throw new FnbaseError("USAGE", `Invalid project name: ${JSON.stringify(name)}`, {
      hint: "Pass a non-empty --name",
    });
  }
  if (await exists(join(root, "base44", "config.jsonc"))) {
    throw new FnbaseError("CONFLICT", `A project already exists in ${root}`, {
      hint: "Pick another folder: `fnbase init <dir>`",
    });
  }
  const written: string[] = [];
  for (const [path, content] of Object.entries(files(name.trim()))) {
    const target = join(root, path);
    if (await exists(target)) continue;
    await mkdir(dirname(target), { recursive: true });
    await writeFile(target, content, "utf8");
    written.push(path);
  }
  return written;
}

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}
