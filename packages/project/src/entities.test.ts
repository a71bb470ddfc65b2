import { mkdir, mkdtemp, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { isEntityName, loadProject, type Project } from "./index.js";

let root: string;
beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), "fnbase-entities-"));
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

const TASK = `// The Base44 template's example entity
{
  "name": "Task",
  "type": "object",
  "properties": {
    "title": { "type": "string", "description": "Task title" },
    "completed": { "type": "boolean", "default": false },
  },
  "required": ["title"],
}
`;

const names = (project: Project) => project.entities.map((e) => e.name);
const messages = (project: Project) => project.problems.map((p) => p.message);

describe("loadProject() entities", () => {
  it("reads every .json and .jsonc file directly in base44/entities, named by its name field", async () => {
    await tree({
      "base44/config.jsonc": "{}",
      "base44/entities/task.jsonc": TASK,
      "base44/entities/commerce.Cart.json": '{ "name": "commerce.Cart", "properties": {} }',
      "base44/entities/README.md": "# not an entity",
      "base44/entities/.hidden.jsonc": '{ "name": "Hidden" }',
      "base44/entities/nested/Deep.jsonc": '{ "name": "Deep" }',
    });
    const project = await loadProject(root);
    expect(project.problems).toEqual([]);
    expect(project.entitiesDir).toBe(join(root, "base44", "entities"));
    expect(names(project)).toEqual(["Task", "commerce.Cart"]);
    const task = project.entities[0]!;
    expect(task.file).toBe(join(root, "base44", "entities", "task.jsonc"));
    expect(task.schema).toEqual({
      name: "Task",
      type: "object",
      properties: {
        title: { type: "string", description: "Task title" },
        completed: { type: "boolean", default: false },
      },
      required: ["title"],
    });
  });

  it("has no entities and no problems without an entities folder", async () => {
    await tree({ "base44/config.jsonc": "{}" });
    const project = await loadProject(root);
    expect(project.entities).toEqual([]);
    expect(project.problems).toEqual([]);
  });

  it("uses entitiesDir of the config, relative to base44/", async () => {
    await tree({
      "base44/config.jsonc": '{ "entitiesDir": "../schema" }',
      "schema/Task.jsonc": TASK,
      "base44/entities/Ignored.jsonc": '{ "name": "Ignored" }',
    });
    const project = await loadProject(root);
    expect(project.entitiesDir).toBe(join(root, "schema"));
    expect(names(project)).toEqual(["Task"]);
  });

  it("reports a configured entitiesDir that does not exist", async () => {
    await tree({ "base44/config.jsonc": '{ "entitiesDir": "./models" }' });
    const project = await loadProject(root);
    expect(project.problems).toEqual([
      {
        code: "PROJECT_INVALID",
        resource: "entity",
        message: 'Cannot find entities folder "./models": base44/models does not exist',
        path: join(root, "base44", "models"),
      },
    ]);
  });

  it("throws PROJECT_INVALID for an entitiesDir that is not a non-empty string", async () => {
    await tree({ "base44/config.jsonc": '{ "entitiesDir": "" }' });
    await expect(loadProject(root)).rejects.toMatchObject({
      code: "PROJECT_INVALID",
      message: expect.stringContaining('"entitiesDir" must be a non-empty string'),
    });
  });

  it("follows a symlinked entity file", async () => {
    await tree({ "base44/config.jsonc": "{}", "elsewhere/Task.jsonc": TASK });
    await mkdir(join(root, "base44", "entities"));
    await symlink(join(root, "elsewhere", "Task.jsonc"), join(root, "base44/entities/Task.jsonc"));
    expect(names(await loadProject(root))).toEqual(["Task"]);
  });

  it.each([
    [
      "bad JSONC, with line and column",
      '{\n  "name": "Task",\n  "properties": { "a": }\n}',
      "PROJECT_INVALID",
      "Cannot load entity from base44/entities/Bad.jsonc: invalid JSONC at line 3, column 24: ValueExpected",
    ],
    [
      "an empty file",
      "",
      "PROJECT_INVALID",
      "Cannot load entity from base44/entities/Bad.jsonc: invalid JSONC at line 1, column 1: ValueExpected",
    ],
    [
      "an array",
      '[{ "name": "Task" }]',
      "PROJECT_INVALID",
      'Cannot load entity from base44/entities/Bad.jsonc: expected a JSON object with a "name"',
    ],
    [
      "no name",
      '{ "properties": {} }',
      "INVALID_NAME",
      'Cannot load entity from base44/entities/Bad.jsonc: "name" is missing',
    ],
    [
      "a name that is not a string",
      '{ "name": 7 }',
      "INVALID_NAME",
      'Cannot load entity from base44/entities/Bad.jsonc: "name" must be a string, got 7',
    ],
    [
      "a name with a space",
      '{ "name": "My Task" }',
      "INVALID_NAME",
      'Cannot load entity from base44/entities/Bad.jsonc: invalid entity name "My Task": use letters, digits and "_", not starting with a digit, with "." between parts (e.g. "Task", "commerce.Cart")',
    ],
  ])("reports %s and leaves that entity out", async (_case, content, code, message) => {
    await tree({
      "base44/config.jsonc": "{}",
      "base44/entities/Bad.jsonc": content,
      "base44/entities/Task.jsonc": TASK,
    });
    const project = await loadProject(root);
    expect(names(project)).toEqual(["Task"]);
    expect(project.problems).toEqual([
      { code, resource: "entity", message, path: join(root, "base44", "entities", "Bad.jsonc") },
    ]);
  });

  it("reports two files with one name, naming both, and leaves both out", async () => {
    await tree({
      "base44/config.jsonc": "{}",
      "base44/entities/Task.jsonc": TASK,
      "base44/entities/task-copy.json": '{ "name": "Task" }',
      "base44/entities/Note.jsonc": '{ "name": "Note" }',
    });
    const project = await loadProject(root);
    expect(names(project)).toEqual(["Note"]);
    expect(messages(project)).toEqual([
      'Duplicate entity name "Task": defined by base44/entities/Task.jsonc and base44/entities/task-copy.json',
    ]);
    expect(project.problems[0]!.resource).toBe("entity");
  });

  it("keeps entity problems apart from function problems", async () => {
    await tree({
      "base44/config.jsonc": "{}",
      "base44/functions/a/function.jsonc": "{ nope",
      "base44/entities/Bad.jsonc": "{ nope",
    });
    const project = await loadProject(root);
    expect(project.problems.map((p) => p.resource).sort()).toEqual(["entity", "function"]);
  });
});

describe("isEntityName()", () => {
  it.each([
    ["Task", true],
    ["commerce.Cart", true],
    ["_private", true],
    ["a.b.c9", true],
    ["Task2", true],
    ["", false],
    ["2fa", false],
    ["My Task", false],
    ["a..b", false],
    [".Task", false],
    ["Task.", false],
    ["../x", false],
    ["a/b", false],
    ["a-b", false],
    ["Tâche", false],
  ])("%j → %s", (name, valid) => {
    expect(isEntityName(name)).toBe(valid);
  });
});
