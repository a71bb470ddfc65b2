import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { findProjectRoot, loadProject, type Project } from "./index.js";

let root: string;
beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), "fnbase-project-"));
});
afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

/** Writes `files` (paths relative to the temp root, with `/`) into the temp root. */
async function tree(files: Record<string, string>): Promise<void> {
  for (const [path, content] of Object.entries(files)) {
    const file = join(root, ...path.split("/"));
    await mkdir(dirname(file), { recursive: true });
    await writeFile(file, content);
  }
}

const ENTRY = "Deno.serve(() => new Response('ok'));\n";

function names(project: Project): string[] {
  return project.functions.map((fn) => fn.name);
}

function messages(project: Project): string[] {
  return project.problems.map((p) => p.message);
}

describe("loadProject()", () => {
  it("reads a project with the default functions dir", async () => {
    await tree({
      "base44/config.jsonc": "{}",
      "base44/functions/hello/entry.ts": ENTRY,
      "base44/functions/hello/lib/util.ts": "export const x = 1;",
      "base44/functions/hello/data.json": "{}",
      "base44/functions/hello/README.md": "# not uploaded",
      "base44/functions/legacy/entry.js": ENTRY,
    });
    const project = await loadProject(root);
    expect(project.root).toBe(root);
    expect(project.base44Dir).toBe(join(root, "base44"));
    expect(project.functionsDir).toBe(join(root, "base44", "functions"));
    expect(project.appId).toBeUndefined();
    expect(project.problems).toEqual([]);
    expect(names(project)).toEqual(["hello", "legacy"]);
    const hello = project.functions[0]!;
    expect(hello.dir).toBe(join(root, "base44", "functions", "hello"));
    expect(hello.entry).toBe("entry.ts");
    expect(hello.files.map((f) => f.path)).toEqual(["data.json", "entry.ts", "lib/util.ts"]);
    expect(hello.files.find((f) => f.path === "entry.ts")?.content).toBe(ENTRY);
    expect(project.functions[1]!.entry).toBe("entry.js");
  });

  it("returns no functions and no problems when the default functions dir is missing", async () => {
    await tree({ "base44/config.jsonc": "{}" });
    const project = await loadProject(root);
    expect(project.functions).toEqual([]);
    expect(project.problems).toEqual([]);
  });

  it("uses a custom functionsDir relative to base44/", async () => {
    await tree({
      "base44/config.jsonc": '{ "functionsDir": "../src/fns" }',
      "src/fns/a/entry.ts": ENTRY,
      "base44/functions/ignored/entry.ts": ENTRY,
    });
    const project = await loadProject(root);
    expect(project.functionsDir).toBe(join(root, "src", "fns"));
    expect(names(project)).toEqual(["a"]);
  });

  it("reports a configured functionsDir that does not exist", async () => {
    await tree({ "base44/config.jsonc": '{ "functionsDir": "./missing" }' });
    const project = await loadProject(root);
    expect(project.functions).toEqual([]);
    expect(messages(project)).toEqual([expect.stringContaining('"./missing"')]);
  });

  it("names nested functions by their folder path and keeps their subfolders as files", async () => {
    await tree({
      "base44/config.jsonc": "{}",
      "base44/functions/orders/process/entry.ts": ENTRY,
      "base44/functions/orders/refund/entry.ts": ENTRY,
      "base44/functions/billing/entry.ts": ENTRY,
      "base44/functions/billing/invoices/entry.ts": ENTRY,
    });
    const project = await loadProject(root);
    expect(names(project)).toEqual(["billing", "orders/process", "orders/refund"]);
    expect(project.functions[0]!.files.map((f) => f.path)).toEqual([
      "entry.ts",
      "invoices/entry.ts",
    ]);
  });

  it("lets function.jsonc override the name and entry and carry automations", async () => {
    await tree({
      "base44/config.jsonc": "{}",
      "base44/functions/folder/function.jsonc":
        '{\n  // custom\n  "name": " renamed/fn ",\n  "entry": "./src/main.ts",\n  "automations": [{ "cron": "* * * * *" }],\n}',
      "base44/functions/folder/src/main.ts": ENTRY,
    });
    const project = await loadProject(root);
    expect(project.problems).toEqual([]);
    expect(project.functions).toHaveLength(1);
    const fn = project.functions[0]!;
    expect(fn.name).toBe("renamed/fn");
    expect(fn.entry).toBe("src/main.ts");
    expect(fn.automations).toEqual([{ cron: "* * * * *" }]);
    expect(fn.files.map((f) => f.path)).toEqual(["function.jsonc", "src/main.ts"]);
  });

  it("reports a function.jsonc entry that does not exist", async () => {
    await tree({
      "base44/config.jsonc": "{}",
      "base44/functions/orders/function.jsonc": '{ "entry": "main.ts" }',
      "base44/functions/orders/entry.ts": ENTRY,
      "base44/functions/ok/entry.ts": ENTRY,
    });
    const project = await loadProject(root);
    expect(names(project)).toEqual(["ok"]);
    expect(messages(project)).toEqual([
      'Cannot load function "orders": entry file main.ts not found',
    ]);
    expect(project.problems[0]!.path).toBe(join(root, "base44", "functions", "orders"));
  });

  it("reports an invalid name in function.jsonc as INVALID_NAME", async () => {
    await tree({
      "base44/config.jsonc": "{}",
      "base44/functions/a/function.jsonc": '{ "name": "a.b" }',
      "base44/functions/a/entry.ts": ENTRY,
    });
    const project = await loadProject(root);
    expect(project.functions).toEqual([]);
    expect(project.problems).toEqual([
      expect.objectContaining({ code: "INVALID_NAME", message: expect.stringContaining('"a.b"') }),
    ]);
  });

  it("reports a folder name that is not a valid function name", async () => {
    await tree({
      "base44/config.jsonc": "{}",
      "base44/functions/my fn/entry.ts": ENTRY,
    });
    const project = await loadProject(root);
    expect(project.functions).toEqual([]);
    expect(project.problems).toEqual([expect.objectContaining({ code: "INVALID_NAME" })]);
  });

  it("reports bad JSONC in function.jsonc with its position", async () => {
    await tree({
      "base44/config.jsonc": "{}",
      "base44/functions/a/function.jsonc": '{\n  "entry": entry.ts\n}',
      "base44/functions/a/entry.ts": ENTRY,
    });
    const project = await loadProject(root);
    expect(project.functions).toEqual([]);
    expect(messages(project)).toEqual([
      expect.stringMatching(/^Cannot load function "a": .*line 2, column 12/),
    ]);
  });

  it("ignores dotted path segments and node_modules", async () => {
    await tree({
      "base44/config.jsonc": "{}",
      "base44/functions/.hidden/entry.ts": ENTRY,
      "base44/functions/foo.bak/entry.ts": ENTRY,
      "base44/functions/node_modules/pkg/entry.js": ENTRY,
      "base44/functions/group/v1.0/entry.ts": ENTRY,
      "base44/functions/real/entry.ts": ENTRY,
      "base44/functions/real/.cache/x.ts": "",
      "base44/functions/real/old.bak/x.ts": "",
      "base44/functions/real/node_modules/dep/index.js": "",
      "base44/functions/real/.eslintrc.json": "{}",
    });
    const project = await loadProject(root);
    expect(project.problems).toEqual([]);
    expect(names(project)).toEqual(["real"]);
    expect(project.functions[0]!.files.map((f) => f.path)).toEqual(["entry.ts"]);
  });

  it("reports an entry file directly in the functions dir", async () => {
    await tree({
      "base44/config.jsonc": "{}",
      "base44/functions/entry.ts": ENTRY,
      "base44/functions/ok/entry.ts": ENTRY,
    });
    const project = await loadProject(root);
    expect(names(project)).toEqual(["ok"]);
    expect(project.problems).toEqual([
      {
        code: "PROJECT_INVALID",
        resource: "function",
        message:
          "Cannot load function from base44/functions/entry.ts: entry.ts must be inside a named subfolder",
        path: join(root, "base44", "functions", "entry.ts"),
      },
    ]);
  });

  it("names the function each problem leaves out: function.jsonc's name, else the folder's path", async () => {
    await tree({
      "base44/config.jsonc": "{}",
      "base44/functions/folder/function.jsonc": '{ "name": "renamed", "entry": "main.ts" }',
      "base44/functions/group/broken/function.jsonc": "{ nope",
      "base44/functions/group/broken/entry.ts": ENTRY,
      "base44/functions/my fn/entry.ts": ENTRY,
      "base44/functions/a/entry.ts": ENTRY,
      "base44/functions/b/function.jsonc": '{ "name": "a" }',
      "base44/functions/b/entry.ts": ENTRY,
      "base44/shared/big.json": `"${"x".repeat(5 * 1024 * 1024)}"`,
    });
    const project = await loadProject(root);
    const byFunction = Object.fromEntries(
      project.problems.map((p) => [p.function ?? "(none)", p.message]),
    );
    expect(byFunction).toEqual({
      renamed: 'Cannot load function "renamed": entry file main.ts not found',
      "group/broken": expect.stringMatching(/^Cannot load function "group\/broken": invalid/),
      "my fn": expect.stringMatching(/^Cannot load function "my fn"/),
      a: expect.stringMatching(/^Duplicate function name "a"/),
      "(none)": expect.stringMatching(/^Cannot upload shared file base44\/shared\/big\.json/),
    });
  });

  it("reports two functions with one name, naming both folders", async () => {
    await tree({
      "base44/config.jsonc": "{}",
      "base44/functions/a/entry.ts": ENTRY,
      "base44/functions/b/function.jsonc": '{ "name": "a" }',
      "base44/functions/b/entry.ts": ENTRY,
      "base44/functions/c/entry.ts": ENTRY,
    });
    const project = await loadProject(root);
    expect(names(project)).toEqual(["c"]);
    expect(messages(project)).toEqual([
      'Duplicate function name "a": defined by base44/functions/a and base44/functions/b',
    ]);
  });

  it("includes shared files with paths relative to each function folder", async () => {
    await tree({
      "base44/config.jsonc": "{}",
      "base44/shared/util.ts": "export const u = 1;",
      "base44/shared/lib/deep.ts": "export const d = 1;",
      "base44/shared/notes.txt": "not uploaded",
      "base44/functions/a/entry.ts": 'import { u } from "../../shared/util.ts";',
      "base44/functions/orders/process/entry.ts": 'import { u } from "../../../shared/util.ts";',
    });
    const project = await loadProject(root);
    expect(project.problems).toEqual([]);
    const [a, process] = project.functions;
    expect(a!.files.map((f) => f.path)).toEqual([
      "../../shared/lib/deep.ts",
      "../../shared/util.ts",
      "entry.ts",
    ]);
    expect(process!.files.map((f) => f.path)).toEqual([
      "../../../shared/lib/deep.ts",
      "../../../shared/util.ts",
      "entry.ts",
    ]);
    expect(a!.files[1]!.content).toBe("export const u = 1;");
  });

  it("leaves out a function with a file over 5 MB and reports it", async () => {
    await tree({
      "base44/config.jsonc": "{}",
      "base44/functions/big/entry.ts": ENTRY,
      "base44/functions/big/data.json": `"${"x".repeat(5 * 1024 * 1024)}"`,
    });
    const project = await loadProject(root);
    expect(project.functions).toEqual([]);
    expect(messages(project)).toEqual([
      expect.stringMatching(/^Cannot load function "big": file data\.json is larger than 5 MB/),
    ]);
  });

  it("reads config.jsonc with comments and trailing commas", async () => {
    await tree({
      "base44/config.jsonc":
        '// settings\n{\n  /* where */ "functionsDir": "fns",\n  "name": "x",\n}\n',
      "base44/fns/a/entry.ts": ENTRY,
    });
    const project = await loadProject(root);
    expect(project.config).toEqual({ functionsDir: "fns", name: "x" });
    expect(names(project)).toEqual(["a"]);
  });

  it("falls back to base44/config.json", async () => {
    await tree({ "base44/config.json": "{}", "base44/functions/a/entry.ts": ENTRY });
    expect(names(await loadProject(root))).toEqual(["a"]);
  });

  it("throws PROJECT_INVALID with line and column for bad JSONC", async () => {
    await tree({ "base44/config.jsonc": '{\n  "functionsDir": "x"\n  "other": 1\n}' });
    await expect(loadProject(root)).rejects.toMatchObject({
      code: "PROJECT_INVALID",
      message: expect.stringContaining("line 3, column 3"),
    });
  });

  it("throws PROJECT_INVALID for a functionsDir that is not a string", async () => {
    await tree({ "base44/config.jsonc": '{ "functionsDir": 3 }' });
    await expect(loadProject(root)).rejects.toMatchObject({ code: "PROJECT_INVALID" });
  });

  it("throws PROJECT_INVALID with a hint when there is no config", async () => {
    await expect(loadProject(root)).rejects.toMatchObject({
      code: "PROJECT_INVALID",
      hint: "Run `fnbase init` to create a project",
    });
  });

  it("finds the project from a subfolder and reads the app link", async () => {
    await tree({
      "base44/config.jsonc": "{}",
      "base44/.app.jsonc": '{ "id": "app_1" }',
      "base44/functions/a/entry.ts": ENTRY,
    });
    const project = await loadProject(join(root, "base44", "functions", "a"));
    expect(project.root).toBe(root);
    expect(project.appId).toBe("app_1");
  });
});

describe("findProjectRoot()", () => {
  it("walks up to the folder holding base44/config.jsonc", async () => {
    await tree({ "base44/config.jsonc": "{}", "deep/er/file.txt": "" });
    expect(await findProjectRoot(join(root, "deep", "er"))).toBe(root);
    expect(await findProjectRoot(root)).toBe(root);
    expect(await findProjectRoot(join(root, "base44"))).toBe(root);
  });

  it("accepts base44/config.json", async () => {
    await tree({ "base44/config.json": "{}", "sub/x.txt": "" });
    expect(await findProjectRoot(join(root, "sub"))).toBe(root);
  });

  it("returns undefined when no folder above has a project", async () => {
    await tree({ "sub/x.txt": "" });
    expect(await findProjectRoot(join(root, "sub"))).toBeUndefined();
  });
});
