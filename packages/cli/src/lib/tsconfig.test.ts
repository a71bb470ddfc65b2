import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parse } from "jsonc-parser";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { includeTypes, TSCONFIG, TYPES_INCLUDE } from "./tsconfig.js";

let root: string;
beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), "fnbase-tsconfig-"));
});
afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

const file = () => join(root, "tsconfig.json");
const include = async () =>
  (parse(await readFile(file(), "utf8")) as { include?: unknown }).include;

describe("includeTypes()", () => {
  it("writes the template tsconfig when there is none", async () => {
    expect(await includeTypes(root)).toBe("created");
    expect(await readFile(file(), "utf8")).toBe(TSCONFIG);
    expect(await include()).toEqual(["**/*", TYPES_INCLUDE]);
  });

  it.each([
    [["src"], ["src", TYPES_INCLUDE]],
    // The folder itself, or a glob over the project, skips the dot-folder .types.
    [["base44"], ["base44", TYPES_INCLUDE]],
    [["**/*"], ["**/*", TYPES_INCLUDE]],
    [["base44/.types"], ["base44/.types", TYPES_INCLUDE]],
    [[], [TYPES_INCLUDE]],
  ])("adds the pattern to include %j", async (before, after) => {
    await writeFile(file(), JSON.stringify({ include: before }));
    expect(await includeTypes(root)).toBe("updated");
    expect(await include()).toEqual(after);
  });

  it.each([
    [["src", "base44/.types/*.d.ts"]],
    [["./base44/.types/*.d.ts"]],
    [["base44/.types/**/*"]],
    [["base44/.types/types.d.ts"]],
  ])("leaves include %j alone: it reaches the types", async (before) => {
    const text = JSON.stringify({ include: before });
    await writeFile(file(), text);
    expect(await includeTypes(root)).toBe("unchanged");
    expect(await readFile(file(), "utf8")).toBe(text);
  });

  it("names both the default and the types when include is absent", async () => {
    await writeFile(file(), '{ "compilerOptions": { "strict": true } }');
    expect(await includeTypes(root)).toBe("updated");
    expect(await include()).toEqual(["**/*", TYPES_INCLUDE]);
  });

  it("keeps comments and trailing commas", async () => {
    await writeFile(file(), '{\n  // my app\n  "include": [\n    "src", // code\n  ],\n}\n');
    expect(await includeTypes(root)).toBe("updated");
    const text = await readFile(file(), "utf8");
    expect(text).toContain("// my app");
    expect(text).toContain("// code");
    expect(await include()).toEqual(["src", TYPES_INCLUDE]);
  });

  it.each([["{ not json"], ['{ "include": "src" }'], ["[]"]])(
    "leaves %j alone as unreadable",
    async (text) => {
      await writeFile(file(), text);
      expect(await includeTypes(root)).toBe("unreadable");
      expect(await readFile(file(), "utf8")).toBe(text);
    },
  );
});
