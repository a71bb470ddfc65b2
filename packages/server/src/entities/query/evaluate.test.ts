import { describe, expect, it } from "vitest";
import { expectedIds, FILTER_CASES, flat, SAMPLE_RECORDS } from "./cases.fixture.js";
import { matches } from "./evaluate.js";
import { parseFilter } from "./parse.js";

describe("matches() over the shared table of cases", () => {
  const records = SAMPLE_RECORDS.map(flat);
  it.each(FILTER_CASES.map((c) => [c.name, c] as const))("%s", (_name, c) => {
    const filter = parseFilter(c.filter);
    const ids = records.filter((r) => matches(filter, r)).map((r) => r.id as string);
    expect(ids.sort()).toEqual(expectedIds(c));
  });
});

describe("matches()", () => {
  it("does not read inherited properties", () => {
    expect(matches(parseFilter({ toString: { $exists: true } }), { id: "a" })).toBe(false);
    expect(matches(parseFilter({ "a.constructor": null }), { id: "a", a: {} })).toBe(true);
  });

  it("reads an own __proto__ key as data", () => {
    const record = JSON.parse('{"id":"a","__proto__":{"x":1}}') as Record<string, unknown>;
    expect(matches(parseFilter({ "__proto__.x": 1 }), record)).toBe(true);
  });

  it("compares sub-documents deeply with key order", () => {
    const f = parseFilter({ a: { $eq: { b: [1, { c: 2 }] } } });
    expect(matches(f, { a: { b: [1, { c: 2 }] } })).toBe(true);
    expect(matches(f, { a: { b: [1, { c: 3 }] } })).toBe(false);
    expect(matches(f, { a: { b: [1, { c: 2 }], d: 1 } })).toBe(false);
  });
});
