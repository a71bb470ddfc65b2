import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { loadProject } from "./index.js";

let root: string;
beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), "fnbase-notes-"));
});
afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

async function tree(files: Record<string, string>): Promise<void> {
  for (const [path, content] of Object.entries(files)) {
    const file = join(root, ...path.split("/"));
    await mkdir(dirname(file), { recursive: true });
    await writeFile(file, content);
  }
}

const ENTRY = "Deno.serve(() => new Response('ok'));\n";

describe("loadProject() notes", () => {
  it("notes a folder with code but no entry.ts, entry.js or function.jsonc", async () => {
    await tree({
      "base44/config.jsonc": "{}",
      "base44/functions/hello/index.ts": ENTRY,
      "base44/functions/ok/entry.ts": ENTRY,
    });
    const project = await loadProject(root);
    expect(project.functions.map((f) => f.name)).toEqual(["ok"]);
    expect(project.problems).toEqual([]);
    expect(project.notes).toEqual([
      {
        message:
          "Skipped base44/functions/hello: index.ts is not part of any function (a function folder needs entry.ts, entry.js or function.jsonc)",
        path: join(root, "base44", "functions", "hello"),
      },
    ]);
  });

  it("lists up to three code files of a folder, then how many more", async () => {
    await tree({
      "base44/config.jsonc": "{}",
      "base44/functions/orders/a.ts": "",
      "base44/functions/orders/b.js": "",
      "base44/functions/orders/c.mjs": "",
      "base44/functions/orders/d.tsx": "",
      "base44/functions/orders/e.ts": "",
      "base44/functions/orders/types.d.ts": "",
      "base44/functions/orders/data.json": "{}",
      "base44/functions/orders/process/entry.ts": ENTRY,
    });
    const project = await loadProject(root);
    expect(project.functions.map((f) => f.name)).toEqual(["orders/process"]);
    expect(project.notes.map((n) => n.message)).toEqual([
      "Skipped base44/functions/orders: a.ts, b.js, c.mjs and 2 more are not part of any function (a function folder needs entry.ts, entry.js or function.jsonc)",
    ]);
  });

  it("notes code files directly in the functions folder (the old flat layout)", async () => {
    await tree({
      "base44/config.jsonc": "{}",
      "base44/functions/sendEmail.ts": ENTRY,
      "base44/functions/report.js": ENTRY,
    });
    const project = await loadProject(root);
    expect(project.functions).toEqual([]);
    expect(project.notes.map((n) => n.message)).toEqual([
      "Skipped base44/functions: report.js and sendEmail.ts are not part of any function (a function is a subfolder with entry.ts, e.g. base44/functions/hello/entry.ts)",
    ]);
  });

  it("has no notes for group folders, function subfolders, ignored folders or non-code files", async () => {
    await tree({
      "base44/config.jsonc": "{}",
      "base44/functions/orders/process/entry.ts": ENTRY,
      "base44/functions/orders/README.md": "# orders",
      "base44/functions/hello/entry.ts": ENTRY,
      "base44/functions/hello/lib/util.ts": "",
      "base44/functions/old.bak/index.ts": ENTRY,
      "base44/functions/node_modules/x/index.js": "",
      "base44/functions/.cache/index.ts": "",
    });
    const project = await loadProject(root);
    expect(project.functions.map((f) => f.name)).toEqual(["hello", "orders/process"]);
    expect(project.notes).toEqual([]);
  });
});
