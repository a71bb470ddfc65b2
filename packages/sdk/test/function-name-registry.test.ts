import { fileURLToPath } from "node:url";
import ts from "typescript";
import { describe, expect, it } from "vitest";

/**
 * Module augmentation is global to a TypeScript program, so the augmented registry is checked
 * in a program of its own (packages/sdk/fixtures/*), never in the monorepo's test program.
 */
function diagnostics(fixture: string): string[] {
  const dir = fileURLToPath(new URL(`../fixtures/${fixture}/`, import.meta.url));
  const configPath = ts.findConfigFile(dir, ts.sys.fileExists)!;
  const config = ts.readConfigFile(configPath, ts.sys.readFile);
  const parsed = ts.parseJsonConfigFileContent(config.config, ts.sys, dir);
  const program = ts.createProgram(parsed.fileNames, parsed.options);
  return ts
    .getPreEmitDiagnostics(program)
    .map((d) => ts.flattenDiagnosticMessageText(d.messageText, "\n"));
}

describe("FunctionNameRegistry", () => {
  it("types invoke's name as the union of an augmented registry's keys", () => {
    expect(diagnostics("typed-registry")).toEqual([]);
  });

  it("types invoke's name as string when nothing augments the registry", () => {
    expect(diagnostics("untyped-registry")).toEqual([]);
  });
});
