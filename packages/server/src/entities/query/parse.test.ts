import { isFnbaseError } from "@fnbase/shared";
import { describe, expect, it } from "vitest";
import { and, constant, nor, or } from "./build.js";
import { parseFilter, parseQueryParam } from "./parse.js";
import type { Filter } from "./types.js";

const f = (path: string[], condition: object): Filter =>
  ({ kind: "field", path, condition }) as Filter;

describe("parseFilter() trees", () => {
  const cases: [string, unknown, Filter, object?][] = [
    ["scalar → eq", { status: "open" }, f(["status"], { op: "eq", value: "open" })],
    ["null → eq null", { a: null }, f(["a"], { op: "eq", value: null })],
    ["array → in", { a: [1, "x"] }, f(["a"], { op: "in", values: [1, "x"] })],
    [
      "object without $ → eq sub-document",
      { a: { b: 1 } },
      f(["a"], { op: "eq", value: { b: 1 } }),
    ],
    ["empty object → eq {}", { a: {} }, f(["a"], { op: "eq", value: {} })],
    [
      "dotted path",
      { "address.city": "Lyon" },
      f(["address", "city"], { op: "eq", value: "Lyon" }),
    ],
    [
      "several keys → and",
      { a: 1, b: { $gt: 2, $lte: 5 } },
      {
        kind: "and",
        filters: [
          f(["a"], { op: "eq", value: 1 }),
          f(["b"], { op: "gt", value: 2 }),
          f(["b"], { op: "lte", value: 5 }),
        ],
      },
    ],
    [
      "$regex with $options, flags canonical",
      { a: { $regex: "^x", $options: "si" } },
      f(["a"], { op: "regex", pattern: "^x", flags: "is" }),
    ],
    [
      "$not regex string",
      { a: { $not: "^x" } },
      f(["a"], { op: "not", conditions: [{ op: "regex", pattern: "^x", flags: "" }] }),
    ],
    [
      "$not operators",
      { a: { $not: { $gt: 1 } } },
      f(["a"], { op: "not", conditions: [{ op: "gt", value: 1 }] }),
    ],
    [
      "$elemMatch operators → empty path",
      { a: { $elemMatch: { $gte: 1, $lt: 3 } } },
      f(["a"], {
        op: "elemMatch",
        element: {
          kind: "and",
          filters: [f([], { op: "gte", value: 1 }), f([], { op: "lt", value: 3 })],
        },
      }),
    ],
    [
      "$elemMatch sub-filter → documents",
      { a: { $elemMatch: { qty: 1 } } },
      f(["a"], { op: "elemMatch", element: f(["qty"], { op: "eq", value: 1 }), documents: true }),
    ],
    ["$or folds a match-all branch", { $or: [{}, { a: 1 }] }, constant(true)],
    ["$nor of match-all", { $nor: [{}] }, constant(false)],
    [
      "$and flattens",
      { $and: [{ a: 1 }, { $and: [{ b: 2 }] }] },
      and(f(["a"], { op: "eq", value: 1 }), f(["b"], { op: "eq", value: 2 })),
    ],
    [
      "dataPrefix strips data.",
      { "data.owner": "u1", created_by_id: "u1" },
      and(f(["owner"], { op: "eq", value: "u1" }), f(["created_by_id"], { op: "eq", value: "u1" })),
      { dataPrefix: true },
    ],
    [
      "dataPrefix off keeps data.",
      { "data.owner": 1 },
      f(["data", "owner"], { op: "eq", value: 1 }),
    ],
    ["$exists", { a: { $exists: false } }, f(["a"], { op: "exists", value: false })],
    ["$size", { a: { $size: 0 } }, f(["a"], { op: "size", size: 0 })],
    ["$all", { a: { $all: ["x"] } }, f(["a"], { op: "all", values: ["x"] })],
    ["$nin", { a: { $nin: [null] } }, f(["a"], { op: "nin", values: [null] })],
  ];
  it.each(cases)("%s", (_name, input, tree, options) => {
    expect(parseFilter(input, options)).toEqual(tree);
  });
});

describe("parseFilter() errors", () => {
  const cases: [unknown, string, object?][] = [
    [{ status: { $foo: 1 } }, 'Invalid q: unknown operator "$foo" at "status"'],
    [{ $where: "1" }, 'Invalid q: unknown operator "$where" at the top level'],
    [{ $or: [{ a: { $bar: 1 } }] }, 'Invalid q: unknown operator "$bar" at "$or[0].a"'],
    [{ $or: [] }, 'Invalid q: $or expects a non-empty array of filters at "$or", got []'],
    [{ $and: {} }, 'Invalid q: $and expects a non-empty array of filters at "$and", got {}'],
    [{ $or: [1] }, 'Invalid q: expected a filter object at "$or[0]", got 1'],
    [[1], "Invalid q: expected an object, got [1]"],
    ["x", 'Invalid q: expected an object, got "x"'],
    [null, "Invalid q: expected an object, got null"],
    [{ a: { $in: "x" } }, 'Invalid q: $in expects an array at "a", got "x"'],
    [{ a: { $nin: 1 } }, 'Invalid q: $nin expects an array at "a", got 1'],
    [{ a: { $all: {} } }, 'Invalid q: $all expects an array at "a", got {}'],
    [{ a: { $size: -1 } }, 'Invalid q: $size expects a non-negative integer at "a", got -1'],
    [{ a: { $size: 1.5 } }, 'Invalid q: $size expects a non-negative integer at "a", got 1.5'],
    [{ a: { $exists: 1 } }, 'Invalid q: $exists expects true or false at "a", got 1'],
    [{ a: { $regex: 5 } }, 'Invalid q: $regex expects a string at "a", got 5'],
    [
      { a: { $regex: "(" } },
      'Invalid q: invalid $regex "(": Invalid regular expression: /(/: Unterminated group',
    ],
    [
      { a: { $regex: "x".repeat(513) } },
      "Invalid q: $regex pattern is 513 characters long: at most 512",
    ],
    [{ a: { $regex: "(a)\\1" } }, 'Invalid q: $regex "(a)\\\\1" cannot run in linear time'],
    [
      { a: { $regex: "x", $options: "x" } },
      'Invalid q: $options may hold only i, m, s, u at "a", got "x"',
    ],
    [{ a: { $options: "i" } }, 'Invalid q: $options without $regex at "a"'],
    [{ a: { $gt: null } }, 'Invalid q: $gt expects a number, string or boolean at "a", got null'],
    [{ a: { $lte: [1] } }, 'Invalid q: $lte expects a number, string or boolean at "a", got [1]'],
    [
      { a: { $gte: { b: 1 } } },
      'Invalid q: $gte expects a number, string or boolean at "a", got {"b":1}',
    ],
    [
      { a: { $not: 5 } },
      'Invalid q: $not expects an operator object or a regex string at "a", got 5',
    ],
    [
      { a: { $not: {} } },
      'Invalid q: $not expects an operator object or a regex string at "a", got {}',
    ],
    [
      { a: { $elemMatch: [] } },
      'Invalid q: $elemMatch expects an object at "a.$elemMatch", got []',
    ],
    [
      { a: { $elemMatch: { $gt: 1, b: 2 } } },
      'Invalid q: $elemMatch mixes operators and field names at "a.$elemMatch": {"$gt":1,"b":2}',
    ],
    [
      { a: { $gt: 1, b: 2 } },
      'Invalid q: operators mixed with field names at "a": {"$gt":1,"b":2}',
    ],
    [{ a: { b: { $gt: 1 } } }, 'Invalid q: operator inside a value at "a": {"b":{"$gt":1}}'],
    [{ a: { $in: [{ $gt: 1 }] } }, 'Invalid q: operator inside a value at "a": {"$gt":1}'],
    [{ "": 1 }, "Invalid q: empty field name"],
    [{ "a..b": 1 }, 'Invalid q: field name "a..b" has an empty segment'],
    [{ "a.": 1 }, 'Invalid q: field name "a." has an empty segment'],
    [{ "a.$b": 1 }, 'Invalid q: field name "a.$b" starts a segment with "$"'],
    [
      { "a.b.c.d.e.f.g.h.i": 1 },
      'Invalid q: field name "a.b.c.d.e.f.g.h.i" has more than 8 segments',
    ],
    [
      { ["x".repeat(129)]: 1 },
      `Invalid q: field name "${"x".repeat(56)}... has a segment over 128 characters`,
    ],
    [{ "a\u0000b": 1 }, 'Invalid q: field name "a\\u0000b" holds a control character'],
    [{ $or: [{ "a..b": 1 }] }, 'Invalid q: field name "a..b" has an empty segment at "$or[0]"'],
    [
      { data: 1 },
      'Invalid rule: "data" needs a field name after it ("data.<field>") at the top level',
      { dataPrefix: true, label: "rule" },
    ],
    [
      { a: { $in: [1, 2, 3] } },
      'Invalid q: $in has 3 values at "a": at most 2',
      { maxInValues: 2 },
    ],
    [{ a: [1, 2, 3] }, 'Invalid q: $in has 3 values at "a": at most 2', { maxInValues: 2 }],
    [{ a: 1, b: 2, c: 3 }, "Invalid q: more than 2 conditions", { maxNodes: 2 }],
    [
      { $or: [{ $or: [{ a: 1 }] }] },
      'Invalid q: nested more than 1 levels deep at "$or[0].$or"',
      { maxDepth: 1 },
    ],
    [
      { a: { $not: { $not: { $gt: 1 } } } },
      'Invalid q: nested more than 1 levels deep at "a.$not.$not"',
      { maxDepth: 1 },
    ],
    [
      { a: { $eq: Number.POSITIVE_INFINITY } },
      'Invalid q: expected a finite number at "a.$eq", got Infinity',
    ],
  ];
  it.each(cases)("%j → %s", (input, message, options) => {
    let thrown: unknown;
    try {
      parseFilter(input, options);
    } catch (err) {
      thrown = err;
    }
    expect(isFnbaseError(thrown)).toBe(true);
    expect((thrown as { code: string }).code).toBe("INVALID_QUERY");
    expect((thrown as { status: number }).status).toBe(400);
    expect((thrown as Error).message).toBe(message);
  });

  it("refuses filters nested past the default depth of 8", () => {
    let deep: Record<string, unknown> = { a: 1 };
    for (let i = 0; i < 9; i++) deep = { $and: [deep] };
    expect(() => parseFilter(deep)).toThrow(/nested more than 8 levels deep/);
    let ok: Record<string, unknown> = { a: 1 };
    for (let i = 0; i < 8; i++) ok = { $and: [ok] };
    expect(parseFilter(ok)).toEqual(f(["a"], { op: "eq", value: 1 }));
  });

  it("refuses more than 1,000 conditions by default", () => {
    const wide = Object.fromEntries(Array.from({ length: 1001 }, (_, i) => [`f${i}`, i]));
    expect(() => parseFilter(wide)).toThrow("Invalid q: more than 1000 conditions");
  });

  it("refuses literal values nested past 32 levels", () => {
    let v: unknown = 1;
    for (let i = 0; i < 40; i++) v = [v];
    expect(() => parseFilter({ a: { $eq: v } })).toThrow(
      'Invalid q: value nested more than 32 levels deep at "a.$eq"',
    );
  });
});

describe("parseQueryParam()", () => {
  it("reads missing, empty and null as match-all", () => {
    expect(parseQueryParam(undefined)).toEqual(constant(true));
    expect(parseQueryParam("")).toEqual(constant(true));
    expect(parseQueryParam("null")).toEqual(constant(true));
  });

  it("parses JSON", () => {
    expect(parseQueryParam('{"a":1}')).toEqual(f(["a"], { op: "eq", value: 1 }));
  });

  it("names the parameter in errors", () => {
    expect(() => parseQueryParam("{a:1}")).toThrow(/^Invalid q: not valid JSON: /);
    expect(() => parseQueryParam("[1]", "query")).toThrow(
      "Invalid query: expected an object, got [1]",
    );
  });
});

describe("and/or/nor/constant", () => {
  const x = f(["x"], { op: "eq", value: 1 });
  const y = f(["y"], { op: "eq", value: 2 });
  it.each([
    ["and() = true", and(), constant(true)],
    ["or() = false", or(), constant(false)],
    ["and(true, x) = x", and(constant(true), x), x],
    ["and(false, x) = false", and(constant(false), x), constant(false)],
    ["or(true, x) = true", or(x, constant(true)), constant(true)],
    ["or(false, x) = x", or(constant(false), x), x],
    ["and(x, and(y)) flattens", and(x, and(x, y)), { kind: "and", filters: [x, x, y] }],
    ["or(x, or(y)) flattens", or(x, or(y, x)), { kind: "or", filters: [x, y, x] }],
    ["nor(false, x)", nor(constant(false), x), { kind: "nor", filters: [x] }],
    ["nor(true, x) = false", nor(x, constant(true)), constant(false)],
    ["nor() = true", nor(), constant(true)],
  ] as const)("%s", (_n, got, want) => {
    expect(got).toEqual(want);
  });
});
