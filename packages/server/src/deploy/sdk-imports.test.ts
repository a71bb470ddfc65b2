import { describe, expect, it } from "vitest";
import { isBase44SdkSpecifier, rewriteSdkImports } from "./sdk-imports.js";

/** `"@base44/sdk"` padded to the length of the literal it replaces. */
const to = (literal: string) => '"@base44/sdk"'.padEnd(literal.length, " ");
const toSingle = (literal: string) => "'@base44/sdk'".padEnd(literal.length, " ");

describe("isBase44SdkSpecifier()", () => {
  it.each([
    ["npm:@base44/sdk", true],
    ["npm:@base44/sdk@0.7.1", true],
    ["npm:@base44/sdk@^0.8.0", true],
    ["npm:@base44/sdk@>=0.8 <0.9", true],
    ["npm:@base44/sdk@latest", true],
    ["npm:@base44/sdk@0.8.25/dist/index.js", true],
    ["npm:@base44/sdk/dist/index.js", true],
    ["npm:@base44/sdk-compat@0.7.1", false],
    ["npm:@base44/sdkx", false],
    ["npm:@base44/other", false],
    ["@base44/sdk", false],
    ["https://esm.sh/@base44/sdk@0.7.1", false],
    ["npm:axios", false],
  ])("%s: %s", (specifier, expected) => {
    expect(isBase44SdkSpecifier(specifier)).toBe(expected);
  });
});

describe("rewriteSdkImports()", () => {
  it.each([
    [
      "a pinned import",
      'import { createClientFromRequest } from "npm:@base44/sdk@0.7.1";',
      `import { createClientFromRequest } from ${to('"npm:@base44/sdk@0.7.1"')};`,
    ],
    [
      "an unpinned import in single quotes",
      "import { createClient } from 'npm:@base44/sdk';",
      `import { createClient } from ${toSingle("'npm:@base44/sdk'")};`,
    ],
    [
      "a range, a tag and a subpath",
      'import a from "npm:@base44/sdk@^0.8.0";\nimport b from "npm:@base44/sdk@latest";\nimport c from "npm:@base44/sdk@0.8.25/dist/index.js";',
      `import a from ${to('"npm:@base44/sdk@^0.8.0"')};\nimport b from ${to('"npm:@base44/sdk@latest"')};\nimport c from ${to('"npm:@base44/sdk@0.8.25/dist/index.js"')};`,
    ],
    [
      "re-exports, a type import and a bare import",
      'export * from "npm:@base44/sdk@0.8.6";\nexport { createClient as c } from "npm:@base44/sdk";\nimport type { Base44Error } from "npm:@base44/sdk@0.8.31";\nimport "npm:@base44/sdk@0.8.4";',
      `export * from ${to('"npm:@base44/sdk@0.8.6"')};\nexport { createClient as c } from ${to('"npm:@base44/sdk"')};\nimport type { Base44Error } from ${to('"npm:@base44/sdk@0.8.31"')};\nimport ${to('"npm:@base44/sdk@0.8.4"')};`,
    ],
    [
      "a dynamic import",
      'const { createClient } = await import("npm:@base44/sdk@0.8.25");',
      `const { createClient } = await import(${to('"npm:@base44/sdk@0.8.25"')});`,
    ],
    [
      "an import with attributes, and other packages left alone",
      'import x from "npm:@base44/sdk@0.8.40" with { type: "js" };\nimport axios from "npm:axios@1";',
      `import x from ${to('"npm:@base44/sdk@0.8.40"')} with { type: "js" };\nimport axios from "npm:axios@1";`,
    ],
    [
      "TypeScript es-module-lexer cannot read (a non-null assertion before a division)",
      'import { createClient } from "npm:@base44/sdk@0.7.1";\nconst half = (n: { v?: number }) => n.v! / 2;\nconst s = "npm:@base44/sdk@0.7.1";',
      `import { createClient } from ${to('"npm:@base44/sdk@0.7.1"')};\nconst half = (n: { v?: number }) => n.v! / 2;\nconst s = "npm:@base44/sdk@0.7.1";`,
    ],
  ])("rewrites %s", async (_, code, expected) => {
    expect(await rewriteSdkImports("entry.ts", code)).toBe(expected);
  });

  it.each([
    ["a line comment", '// import { a } from "npm:@base44/sdk@0.7.1";\nexport {};'],
    ["a block comment", '/* await import("npm:@base44/sdk@0.7.1") */ export {};'],
    ["a string", 'export const s = "npm:@base44/sdk@0.7.1";'],
    ["a template literal", 'export const t = `import a from "npm:@base44/sdk@0.7.1"`;'],
    ["another package of the scope", 'import a from "npm:@base44/sdk-compat@0.7.1";'],
    ["another host", 'import a from "https://esm.sh/@base44/sdk@0.7.1";'],
    ["a specifier split across lines", 'import a from "npm:@base44/sdk@0.7.1\\\n";'],
  ])("leaves %s alone", async (_, code) => {
    expect(await rewriteSdkImports("entry.ts", code)).toBe(code);
  });

  it("rewrites only JavaScript and TypeScript modules", async () => {
    const code = 'import a from "npm:@base44/sdk@0.7.1";';
    for (const path of ["a.js", "a.mjs", "a.cjs", "a.jsx", "a.ts", "a.mts", "a.cts", "a.tsx"]) {
      expect(await rewriteSdkImports(path, code)).not.toBe(code);
    }
    for (const path of ["a.json", "a.md", "README", "a.ts.txt"]) {
      expect(await rewriteSdkImports(path, code)).toBe(code);
    }
  });

  it("reads JSX with quotes in its text", async () => {
    const code =
      'import { createClient } from "npm:@base44/sdk@0.8.6";\nexport const el = <p>It\'s "here"</p>;';
    expect(await rewriteSdkImports("page.tsx", code)).toBe(
      `import { createClient } from ${to('"npm:@base44/sdk@0.8.6"')};\nexport const el = <p>It's "here"</p>;`,
    );
  });

  it("keeps every line and column where it was", async () => {
    const code = [
      'import { createClientFromRequest } from "npm:@base44/sdk@0.7.1"; const a = 1;',
      "  const b = await import('npm:@base44/sdk@^0.8.0/dist/index.js'); throw new Error(`x`);",
      'export * from "npm:@base44/sdk";',
    ].join("\r\n");
    const out = await rewriteSdkImports("entry.ts", code);
    expect(out).not.toBe(code);
    expect(out.length).toBe(code.length);
    expect(out.split("\r\n").map((l) => l.length)).toEqual(code.split("\r\n").map((l) => l.length));
    expect(out.indexOf("const a = 1")).toBe(code.indexOf("const a = 1"));
    expect(out.indexOf("throw new Error")).toBe(code.indexOf("throw new Error"));
  });
});
