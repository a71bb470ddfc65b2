import { fileURLToPath } from "node:url";
import ts from "typescript";

/**
 * The type errors of the fixture program `packages/sdk/fixtures/{fixture}/`, compiled on its
 * own: module augmentation is global to a TypeScript program, so an augmented registry is never
 * checked inside the monorepo's test program.
 */
export function diagnostics(fixture: string): string[] {
  const dir = fileURLToPath(new URL(`../../fixtures/${fixture}/`, import.meta.url));
  const configPath = ts.findConfigFile(dir, ts.sys.fileExists)!;
  const config = ts.readConfigFile(configPath, ts.sys.readFile);
  const parsed = ts.parseJsonConfigFileContent(config.config, ts.sys, dir);
  const program = ts.createProgram(parsed.fileNames, parsed.options);
  return ts
    .getPreEmitDiagnostics(program)
    .map((d) => ts.flattenDiagnosticMessageText(d.messageText, "\n"));
}
