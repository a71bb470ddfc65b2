import { describe, expect, it } from "vitest";
import { diagnostics } from "./helpers/type-program.js";

describe("EntityTypeRegistry", () => {
  it("types client.entities.<Name> from an augmented registry, other names loosely", () => {
    expect(diagnostics("typed-entities")).toEqual([]);
  });

  it("types every entity loosely when nothing augments the registry", () => {
    expect(diagnostics("untyped-entities")).toEqual([]);
  });
});
