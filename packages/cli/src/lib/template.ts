import { mkdir, stat, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { FnbaseError } from "@fnbase/shared";

const FILES: Record<string, string> = {
  "base44/config.jsonc": `// fnbase / Base44 project settings.
{
  // Where functions live, relative to base44/.
  "functionsDir": "./functions"
}
`,
  "base44/functions/hello/entry.ts": `// POST /functions/hello with {"name": "Ada"}.
Deno.serve(async (req) => {
  const body = req.headers.get("content-type")?.includes("json") ? await req.json() : {};
  const name = typeof body?.name === "string" ? body.name : "world";
  console.log(\`Saying hello to \${name}\`);
  return Response.json({ message: \`Hello, \${name}!\` });
});
`,
  ".gitignore": `# fnbase
base44/.app.jsonc
base44/.types/
.env*
.fnbase/
node_modules/
`,
  "tsconfig.json": `${JSON.stringify(
    {
      compilerOptions: {
        target: "ES2022",
        module: "ESNext",
        moduleResolution: "Bundler",
        strict: true,
        noEmit: true,
        skipLibCheck: true,
      },
      include: ["base44"],
    },
    null,
    2,
  )}\n`,
};

/**
 * Writes the template project into `root`.
 *
 * @throws {FnbaseError} `CONFLICT` when `root` already holds `base44/config.jsonc`.
 * @returns The files written, relative to `root`.
 */
export async function writeTemplate(root: string): Promise<string[]> {
  const exists = await stat(join(root, "base44", "config.jsonc")).then(
    () => true,
    () => false,
  );
  if (exists) {
    throw new FnbaseError("CONFLICT", `A project already exists in ${root}`, {
      hint: "Pick another folder: `fnbase init <dir>`",
    });
  }
  const written: string[] = [];
  for (const [path, content] of Object.entries(FILES)) {
    const target = join(root, path);
    if (
      await stat(target).then(
        () => true,
        () => false,
      )
    )
      continue;
    await mkdir(dirname(target), { recursive: true });
    await writeFile(target, content, "utf8");
    written.push(path);
  }
  return written;
}
