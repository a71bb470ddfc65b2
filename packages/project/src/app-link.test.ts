import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { readAppLink, writeAppLink } from "./index.js";

let dir: string;
beforeEach(async () => {
  dir = join(await mkdtemp(join(tmpdir(), "fnbase-project-")), "base44");
  await mkdir(dir);
});
afterEach(async () => {
  await rm(join(dir, ".."), { recursive: true, force: true });
});

describe("readAppLink() / writeAppLink()", () => {
  it("readAppLink() returns undefined when the folder is not linked", async () => {
    expect(await readAppLink(dir)).toBeUndefined();
  });

  it("writeAppLink() writes a file readAppLink() reads back", async () => {
    await writeAppLink(dir, "app_123");
    expect(await readAppLink(dir)).toBe("app_123");
    await writeAppLink(dir, "app_456");
    expect(await readAppLink(dir)).toBe("app_456");
    expect(await readFile(join(dir, ".app.jsonc"), "utf8")).toContain('"id": "app_456"');
  });

  it("readAppLink() accepts comments and trailing commas", async () => {
    await writeFile(join(dir, ".app.jsonc"), '// linked\n{ "id": "app_9", }\n');
    expect(await readAppLink(dir)).toBe("app_9");
  });

  it("readAppLink() throws PROJECT_INVALID for a file without an id", async () => {
    await writeFile(join(dir, ".app.jsonc"), '{ "app": 1 }');
    await expect(readAppLink(dir)).rejects.toMatchObject({ code: "PROJECT_INVALID" });
  });

  it("readAppLink() throws PROJECT_INVALID with the position for bad JSONC", async () => {
    await writeFile(join(dir, ".app.jsonc"), '{\n  "id": \n}');
    await expect(readAppLink(dir)).rejects.toMatchObject({
      code: "PROJECT_INVALID",
      message: expect.stringContaining("line 3, column 1"),
    });
  });

  it("writeAppLink() rejects an empty id", async () => {
    await expect(writeAppLink(dir, " ")).rejects.toThrow(TypeError);
  });
});
