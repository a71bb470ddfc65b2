import { describe, expect, it } from "vitest";
import { parseFields, parseLimit, parseSkip, parseSort, project, sortValues } from "./sort.js";

function error(fn: () => unknown): { code: string; message: string } {
  try {
    fn();
  } catch (err) {
    return err as { code: string; message: string };
  }
  throw new Error("expected an error");
}

describe("parseSort()", () => {
  it.each([
    [undefined, [{ path: ["created_date"], descending: true }]],
    ["", [{ path: ["created_date"], descending: true }]],
    ["-created_date", [{ path: ["created_date"], descending: true }]],
    ["+title", [{ path: ["title"], descending: false }]],
    [" title", [{ path: ["title"], descending: false }]],
    ["title", [{ path: ["title"], descending: false }]],
    ["address.city", [{ path: ["address", "city"], descending: false }]],
    [
      "-due_date,title",
      [
        { path: ["due_date"], descending: true },
        { path: ["title"], descending: false },
      ],
    ],
  ])("%j", (raw, keys) => {
    expect(parseSort(raw)).toEqual(keys);
  });

  it("returns a fresh default each time", () => {
    const a = parseSort(undefined);
    a[0]!.descending = false;
    expect(parseSort(undefined)[0]!.descending).toBe(true);
  });

  it.each([
    ["-", "Invalid sort: empty field name"],
    ["a,,b", "Invalid sort: empty field name"],
    ["$natural", 'Invalid sort: field name "$natural" starts a segment with "$"'],
    ["a..b", 'Invalid sort: field name "a..b" has an empty segment'],
  ])("refuses %j", (raw, message) => {
    const e = error(() => parseSort(raw));
    expect(e.code).toBe("INVALID_QUERY");
    expect(e.message).toBe(message);
  });
});

describe("parseFields()", () => {
  it("splits and checks", () => {
    expect(parseFields(undefined)).toBeUndefined();
    expect(parseFields("")).toBeUndefined();
    expect(parseFields("a, b,address.city")).toEqual(["a", "b", "address.city"]);
    expect(error(() => parseFields("a,$b")).message).toBe(
      'Invalid fields: field name "$b" starts a segment with "$"',
    );
  });
});

describe("parseLimit() and parseSkip()", () => {
  const opts = { max: 5000, fallback: 100 };
  it.each([
    [undefined, 100],
    ["", 100],
    ["0", 100],
    ["1", 1],
    ["5000", 5000],
    ["5001", 5000],
    ["99999999999999999999999999", 5000],
  ])("limit %j → %d", (raw, n) => {
    expect(parseLimit(raw, opts)).toBe(n);
  });

  it.each(["1e300", "-1", "abc", "1.5", " 5", "0x10", "+5"])("refuses limit %j", (raw) => {
    const e = error(() => parseLimit(raw, opts));
    expect(e.code).toBe("INVALID_QUERY");
    expect(e.message).toBe(`Invalid limit: expected a whole number, got ${JSON.stringify(raw)}`);
  });

  it.each([
    [undefined, 0],
    ["0", 0],
    ["250", 250],
  ])("skip %j → %d", (raw, n) => {
    expect(parseSkip(raw)).toBe(n);
  });

  it.each(["-1", "1e3", "x", "99999999999999999999"])("refuses skip %j", (raw) => {
    expect(error(() => parseSkip(raw)).message).toBe(
      `Invalid skip: expected a whole number, got ${JSON.stringify(raw)}`,
    );
  });
});

describe("project()", () => {
  const record = { id: "r1", title: "T", n: 0, a: { b: 1, c: 2 }, created_date: "2025" };
  it.each([
    [["title"], { id: "r1", title: "T" }],
    [["n", "missing"], { id: "r1", n: 0 }],
    [["a.b"], { id: "r1", a: { b: 1 } }],
    [["a.b", "a.c"], { id: "r1", a: { b: 1, c: 2 } }],
    [["a", "created_date"], { id: "r1", a: { b: 1, c: 2 }, created_date: "2025" }],
  ])("%j", (fields, out) => {
    expect(project(record, fields)).toEqual(out);
  });

  it("keeps __proto__ as data, never as a prototype", () => {
    const r = JSON.parse('{"id":"r","__proto__":{"polluted":true}}') as Record<string, unknown>;
    const out = project(r, ["__proto__"]);
    expect(Object.getPrototypeOf(out)).toBe(Object.prototype);
    expect(Object.keys(out)).toEqual(["id", "__proto__"]);
  });
});

describe("sortValues()", () => {
  it("reads each key, null when missing", () => {
    expect(
      sortValues({ id: "r", a: { b: 2 } }, [
        { path: ["a", "b"], descending: false },
        { path: ["x"], descending: true },
      ]),
    ).toEqual([2, null]);
  });
});
