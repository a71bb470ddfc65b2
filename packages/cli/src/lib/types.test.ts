import { mkdir, mkdtemp, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import type { LocalEntity } from "@fnbase/project";
import ts from "typescript";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { renderTypes } from "./types.js";

/** The repository's node_modules, where `@base44/sdk` 0.8.50 is installed. */
const NODE_MODULES = fileURLToPath(new URL("../../../../node_modules", import.meta.url));

let root: string;
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), "fnbase-types-"));
  await symlink(NODE_MODULES, join(root, "node_modules"), "dir");
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

const entity = (name: string, schema: Record<string, unknown>): LocalEntity => ({
  name,
  file: `/project/base44/entities/${name}.jsonc`,
  schema: { name, ...schema },
});

const ENTITIES = [
  entity("Task", {
    type: "object",
    properties: {
      title: { type: "string" },
      done: { type: "boolean" },
      status: { type: "string", enum: ["todo", "done"] },
      "due-date": { type: ["string", "null"], format: "date" },
      tags: { type: "array", items: { type: "string" } },
    },
    required: ["title", "status"],
  }),
  entity("commerce.Cart", {
    properties: {
      lines: {
        type: "array",
        items: {
          type: "object",
          properties: { sku: { type: "string" }, qty: { type: "integer" } },
          required: ["sku"],
        },
      },
    },
  }),
];

/** The diagnostics of `usage` compiled against the generated types and `@base44/sdk`. */
async function check(usage: string): Promise<string[]> {
  const dir = await mkdtemp(join(root, "case-"));
  const types = join(dir, "base44", ".types", "types.d.ts");
  await mkdir(dirname(types), { recursive: true });
  await writeFile(types, renderTypes(["hello", "orders/process"], ENTITIES, "/project"));
  await writeFile(
    join(dir, "app.ts"),
    `import { createClient } from "@base44/sdk";\n${usage}\nexport {};\n`,
  );
  const program = ts.createProgram([types, join(dir, "app.ts")], {
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.ESNext,
    moduleResolution: ts.ModuleResolutionKind.Bundler,
    strict: true,
    noEmit: true,
    skipLibCheck: true,
    types: [],
  });
  return ts
    .getPreEmitDiagnostics(program)
    .map((d) => ts.flattenDiagnosticMessageText(d.messageText, "\n"));
}

describe("renderTypes() with @base44/sdk 0.8.50", () => {
  it("types entity records from the schemas, with the server's fields", async () => {
    const diagnostics = await check(`
const base44 = createClient({ appId: "app" });
const task = await base44.entities.Task.create({ title: "a", status: "todo" });
const title: string = task.title;
const done: boolean | undefined = task.done;
const status: "todo" | "done" = task.status;
const due: string | null | undefined = task["due-date"];
const tags: string[] | undefined = task.tags;
const id: string = task.id;
const cart = await base44.entities["commerce.Cart"].get("c1");
const qty: number | undefined = cart.lines?.[0]?.qty;
await base44.functions.invoke("orders/process", {});
console.log(title, done, status, due, tags, id, qty);
`);
    expect(diagnostics).toEqual([]);
  }, 30_000);

  it("refuses a wrong field type, a value outside an enum and an unknown function name", async () => {
    const diagnostics = await check(`
const c = createClient({ appId: "app" });
const n: number = (await c.entities.Task.get("1")).title;
const s: "x" = (await c.entities.Task.get("1")).status;
await c.functions.invoke("no-such-fn", {});
console.log(n, s);
`);
    expect(diagnostics).toEqual([
      expect.stringContaining("Type 'string' is not assignable to type 'number'"),
      expect.stringContaining(`Type '"todo" | "done"' is not assignable to type '"x"'`),
      expect.stringContaining(`Argument of type '"no-such-fn"' is not assignable`),
    ]);
  }, 30_000);
});
