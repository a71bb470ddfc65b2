import { describe, expect, it } from "vitest";
import { localMessage, projectPath } from "./deploy-body.js";

describe("projectPath() maps the server's base44/ paths to the project's", () => {
  it.each([
    [
      "/p/base44/functions/hello",
      "hello",
      "base44/functions/hello/entry.ts",
      "base44/functions/hello/entry.ts",
    ],
    ["/p/base44/functions/hello", "hello", "base44/shared/util.ts", "base44/shared/util.ts"],
    [
      "/p/base44/src/fns/hello",
      "hello",
      "base44/functions/hello/lib/a.ts",
      "base44/src/fns/hello/lib/a.ts",
    ],
    [
      "/p/base44/functions/orders/process",
      "orders/process",
      "base44/functions/orders/process/entry.ts",
      "base44/functions/orders/process/entry.ts",
    ],
  ])("%s (%s): %s -> %s", (dir, name, server, local) => {
    expect(projectPath("/p", { name, dir }, server)).toBe(local);
  });

  it("localMessage() rewrites the location's file in the message, and leaves others alone", () => {
    const fn = { name: "hello", dir: "/p/base44/src/fns/hello" };
    const err = {
      message:
        'Cannot deploy "hello": base44/functions/hello/entry.ts:2:13: SyntaxError: Expression expected',
      location: { file: "base44/functions/hello/entry.ts" },
    };
    expect(localMessage("/p", fn, err)).toBe(
      'Cannot deploy "hello": base44/src/fns/hello/entry.ts:2:13: SyntaxError: Expression expected',
    );
    expect(localMessage("/p", fn, { message: "Unauthorized" })).toBe("Unauthorized");
  });
});
