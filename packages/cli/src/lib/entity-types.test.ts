import { describe, expect, it } from "vitest";
import { entityType, propertyKey } from "./entity-types.js";

/** The type of a single property `p`, required, on one line. */
function typeOfProperty(property: unknown): string {
  const text = entityType({ properties: { p: property }, required: ["p"] }, 0);
  return text.replace(/^\{\n {2}p: /, "").replace(/;\n\}$/, "");
}

describe("entityType()", () => {
  it.each([
    [{ type: "string" }, "string"],
    [{ type: "string", format: "date-time" }, "string"],
    [{ type: "number" }, "number"],
    [{ type: "integer" }, "number"],
    [{ type: "boolean" }, "boolean"],
    [{ type: "null" }, "null"],
    [{ type: ["string", "null"] }, "string | null"],
    [{ type: ["integer", "number"] }, "number"],
    [{ type: "string", enum: ["todo", "done"] }, '"todo" | "done"'],
    [{ type: ["string", "null"], enum: ["a"] }, '"a" | null'],
    [{ enum: [1, 2.5, -3, true, null] }, "1 | 2.5 | -3 | true | null"],
    [{ enum: ['say "hi"'] }, '"say \\"hi\\""'],
    [{ type: "array", items: { type: "string" } }, "string[]"],
    [{ type: "array", items: { type: "array", items: { type: "number" } } }, "number[][]"],
    [{ type: "array", items: { type: "string", enum: ["a", "b"] } }, 'Array<"a" | "b">'],
    [{ type: "array", items: { type: ["string", "null"] } }, "Array<string | null>"],
    [{ type: "array" }, "unknown[]"],
    [{ type: "object" }, "Record<string, unknown>"],
    [{ type: "object", properties: {} }, "Record<string, unknown>"],
    [{ type: "binary" }, "unknown"],
    [{ type: ["string", "binary"] }, "unknown"],
    [{ $ref: "#/definitions/x" }, "unknown"],
    [{}, "unknown"],
    ["not a schema", "unknown"],
  ])("%j is %s", (property, expected) => {
    expect(typeOfProperty(property)).toBe(expected);
  });

  it("lays out objects over lines, optional unless required, with descriptions as doc comments", () => {
    const schema = {
      name: "Task",
      type: "object",
      properties: {
        title: { type: "string", description: "Task title" },
        done: { type: "boolean", default: false },
        "due-date": { type: "string", format: "date" },
        owner: {
          type: "object",
          properties: {
            id: { type: "string" },
            tags: { type: "array", items: { type: "string" } },
          },
          required: ["id"],
        },
        lines: {
          type: "array",
          items: { type: "object", properties: { sku: { type: "string" } }, required: ["sku"] },
        },
      },
      required: ["title", "owner", "unknown-field"],
    };
    expect(entityType(schema, 2)).toBe(
      [
        "{",
        "    /** Task title */",
        "    title: string;",
        "    done?: boolean;",
        '    "due-date"?: string;',
        "    owner: {",
        "      id: string;",
        "      tags?: string[];",
        "    };",
        "    lines?: Array<{",
        "      sku: string;",
        "    }>;",
        "  }",
      ].join("\n"),
    );
  });

  it("keeps a description from closing its comment early", () => {
    const text = entityType({ properties: { a: { type: "string", description: "x */ y\nz" } } }, 0);
    expect(text).toContain("/** x *\\/ y z */");
  });

  it("types an entity without properties as a record", () => {
    expect(entityType({ name: "Empty" }, 0)).toBe("Record<string, unknown>");
  });

  it("gives up on absurd nesting with unknown instead of recursing forever", () => {
    let deep: Record<string, unknown> = { type: "string" };
    for (let i = 0; i < 100; i++) deep = { type: "array", items: deep };
    const text = typeOfProperty(deep);
    expect(text.endsWith("[]")).toBe(true);
    expect(text.startsWith("unknown")).toBe(true);
  });
});

describe("propertyKey()", () => {
  it.each([
    ["title", "title"],
    ["_id", "_id"],
    ["$x", "$x"],
    ["due-date", '"due-date"'],
    ["commerce.Cart", '"commerce.Cart"'],
    ["2fa", '"2fa"'],
    ["with space", '"with space"'],
    ['q"uote', '"q\\"uote"'],
  ])("%j → %s", (name, expected) => {
    expect(propertyKey(name)).toBe(expected);
  });
});
