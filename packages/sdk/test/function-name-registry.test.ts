import { describe, expect, it } from "vitest";
import { diagnostics } from "./helpers/type-program.js";

describe("FunctionNameRegistry", () => {
  it("types invoke's name as the union of an augmented registry's keys", () => {
    expect(diagnostics("typed-registry")).toEqual([]);
  });

  it("types invoke's name as string when nothing augments the registry", () => {
    expect(diagnostics("untyped-registry")).toEqual([]);
  });
});
