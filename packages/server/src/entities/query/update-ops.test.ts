import { describe, expect, it } from "vitest";
import { applyUpdate } from "./update-apply.js";
import { parseUpdate } from "./update-ops.js";

const NOW = new Date("2025-06-01T12:00:00.000Z");

describe("applyUpdate()", () => {
  const base = {
    id: "r1",
    n: 5,
    s: "m",
    tags: ["a", "b"],
    items: [{ sku: "x", qty: 1 }, { sku: "y", qty: 0 }, 7],
    address: { city: "Lyon", zip: "69001" },
  };
  it.each([
    ["$set top-level", { $set: { s: "z", extra: [1] } }, { ...base, s: "z", extra: [1] }],
    ["$set creates parents", { $set: { "a.b.c": 1 } }, { ...base, a: { b: { c: 1 } } }],
    [
      "$set nested",
      { $set: { "address.city": "Paris" } },
      { ...base, address: { city: "Paris", zip: "69001" } },
    ],
    ["$set array element", { $set: { "tags.1": "B" } }, { ...base, tags: ["a", "B"] }],
    [
      "$set past the end pads with null",
      { $set: { "tags.3": "d" } },
      { ...base, tags: ["a", "b", null, "d"] },
    ],
    [
      "$set inside an element",
      { $set: { "items.0.qty": 9 } },
      { ...base, items: [{ sku: "x", qty: 9 }, { sku: "y", qty: 0 }, 7] },
    ],
    [
      "$unset",
      { $unset: { s: "", "address.zip": 1, nothing: 1 } },
      { ...base, s: undefined, address: { city: "Lyon" } },
    ],
    ["$unset an element leaves null", { $unset: { "tags.0": "" } }, { ...base, tags: [null, "b"] }],
    ["$rename", { $rename: { s: "t" } }, { ...base, s: undefined, t: "m" }],
    [
      "$rename into an object",
      { $rename: { "address.zip": "zip" } },
      { ...base, address: { city: "Lyon" }, zip: "69001" },
    ],
    ["$rename a missing field does nothing", { $rename: { nope: "t" } }, base],
    ["$inc", { $inc: { n: 2.5, fresh: -1 } }, { ...base, n: 7.5, fresh: -1 }],
    ["$mul", { $mul: { n: 3, fresh: 4 } }, { ...base, n: 15, fresh: 0 }],
    ["$min lower", { $min: { n: 2 } }, { ...base, n: 2 }],
    ["$min higher keeps", { $min: { n: 9 } }, base],
    ["$max higher", { $max: { n: 9, s: "a", fresh: true } }, { ...base, n: 9, fresh: true }],
    ["$min across types: null is lowest", { $min: { n: null } }, { ...base, n: null }],
    ["$max across types: string above number", { $max: { n: "x" } }, { ...base, n: "x" }],
    [
      "$currentDate",
      { $currentDate: { seen: true, "address.at": { $type: "timestamp" } } },
      {
        ...base,
        seen: "2025-06-01T12:00:00.000Z",
        address: { ...base.address, at: "2025-06-01T12:00:00.000Z" },
      },
    ],
    ["$push", { $push: { tags: "a", fresh: 1 } }, { ...base, tags: ["a", "b", "a"], fresh: [1] }],
    [
      "$push $each",
      { $push: { tags: { $each: ["c", "d"] } } },
      { ...base, tags: ["a", "b", "c", "d"] },
    ],
    ["$addToSet", { $addToSet: { tags: "a" } }, base],
    [
      "$addToSet $each dedupes",
      { $addToSet: { tags: { $each: ["c", "a", "c", { o: 1 }] } } },
      { ...base, tags: ["a", "b", "c", { o: 1 }] },
    ],
    ["$pull value", { $pull: { tags: "a" } }, { ...base, tags: ["b"] }],
    [
      "$pull operators",
      { $pull: { items: { $eq: 7 } } },
      {
        ...base,
        items: [
          { sku: "x", qty: 1 },
          { sku: "y", qty: 0 },
        ],
      },
    ],
    [
      "$pull sub-filter on objects",
      { $pull: { items: { qty: { $lt: 1 } } } },
      { ...base, items: [{ sku: "x", qty: 1 }, 7] },
    ],
    ["$pull on a missing field does nothing", { $pull: { nope: 1 } }, base],
    [
      "several operators",
      { $set: { s: "q" }, $inc: { n: 1 }, $push: { tags: "c" } },
      { ...base, s: "q", n: 6, tags: ["a", "b", "c"] },
    ],
  ])("%s", (_name, update, expected) => {
    const frozen = structuredClone(base);
    const out = applyUpdate(frozen, parseUpdate(update), NOW);
    expect(out).toEqual(JSON.parse(JSON.stringify(expected)));
    expect(frozen).toEqual(base); // the input is untouched
  });

  it("shares untouched parts and never mutates", () => {
    const input = structuredClone(base);
    const out = applyUpdate(input, parseUpdate({ $set: { "address.city": "Nice" } }), NOW);
    expect(out.items).toBe(input.items);
    expect(out.address).not.toBe(input.address);
    expect(input.address.city).toBe("Lyon");
  });

  it("writes __proto__ as an own key", () => {
    const out = applyUpdate({ id: "r" }, parseUpdate({ $set: { "__proto__.x": 1 } }), NOW);
    expect(Object.getPrototypeOf(out)).toBe(Object.prototype);
    expect(JSON.stringify(out)).toBe('{"id":"r","__proto__":{"x":1}}');
  });

  it.each([
    [{ $inc: { s: 1 } }, 'Invalid update: cannot $inc "s": it holds a string'],
    [{ $push: { n: 1 } }, 'Invalid update: cannot $push "n": it holds a number'],
    [{ $pull: { address: 1 } }, 'Invalid update: cannot $pull "address": it holds an object'],
    [{ $set: { "n.x": 1 } }, 'Invalid update: cannot $set "n.x": "n" holds a number'],
    [
      { $set: { "tags.x": 1 } },
      'Invalid update: cannot $set "tags.x": "x" is not a usable index of an array',
    ],
    [
      { $set: { "tags.5000": 1 } },
      'Invalid update: cannot $set "tags.5000": "5000" is not a usable index of an array',
    ],
    [{ $mul: { n: 1e308 } }, 'Invalid update: cannot $mul "n": the result is not a finite number'],
  ])("refuses %j at apply time", (update, message) => {
    expect(() => applyUpdate(structuredClone(base), parseUpdate(update), NOW)).toThrow(message);
  });
});

describe("parseUpdate()", () => {
  it("lists the top-level fields it touches", () => {
    expect(parseUpdate({ $set: { "a.b": 1 }, $rename: { c: "d.e" } }).fields).toEqual([
      "a",
      "c",
      "d",
    ]);
  });

  it.each([
    [{}, "Invalid update: no operator: expected $set, $inc, ..."],
    [[], "Invalid update: expected an object of operators, got []"],
    [
      { status: "x" },
      'Invalid update: expected update operators ($set, ...), got the field "status"',
    ],
    [{ $setOnInsert: { a: 1 } }, 'Invalid update: unknown operator "$setOnInsert"'],
    [{ $set: 1 }, "Invalid update: $set expects an object of fields, got 1"],
    [{ $set: { id: "x" } }, 'Invalid update: $set may not change the built-in field "id"'],
    [
      { $unset: { created_date: "" } },
      'Invalid update: $unset may not change the built-in field "created_date"',
    ],
    [
      { $rename: { a: "created_by" } },
      'Invalid update: $rename may not change the built-in field "created_by"',
    ],
    [
      { $inc: { "updated_date.x": 1 } },
      'Invalid update: $inc may not change the built-in field "updated_date"',
    ],
    [
      { $set: { created_by_id: "u" } },
      'Invalid update: $set may not change the built-in field "created_by_id"',
    ],
    [
      { $set: { a: 1 }, $inc: { a: 1 } },
      'Invalid update: "a" conflicts with "a": a field may appear in one operator only',
    ],
    [
      { $set: { a: 1 }, $unset: { "a.b": 1 } },
      'Invalid update: "a.b" conflicts with "a": a field may appear in one operator only',
    ],
    [
      { $rename: { a: "a" } },
      'Invalid update: "a" conflicts with "a": a field may appear in one operator only',
    ],
    [{ $inc: { a: "1" } }, 'Invalid update: $inc expects a number at "$inc.a", got "1"'],
    [{ $mul: { a: null } }, 'Invalid update: $mul expects a number at "$mul.a", got null'],
    [
      { $min: { a: [1] } },
      'Invalid update: $min expects a number, string, boolean or null at "$min.a", got [1]',
    ],
    [{ $rename: { a: 1 } }, 'Invalid update: $rename expects a field name at "$rename.a", got 1'],
    [
      { $currentDate: { a: 1 } },
      'Invalid update: $currentDate expects true or { "$type": "date" } at "$currentDate.a", got 1',
    ],
    [{ $push: { a: { $each: 1 } } }, 'Invalid update: $each expects an array at "$push.a", got 1'],
    [
      { $push: { a: { $each: [1], $slice: 2 } } },
      'Invalid update: $push supports only the $each modifier at "$push.a", got "$slice"',
    ],
    [
      { $set: { a: { $gt: 1 } } },
      'Invalid update: a key starting with "$" inside the value at "$set.a"',
    ],
    [{ $set: { "a..b": 1 } }, 'Invalid update: field name "a..b" has an empty segment at "$set"'],
    [{ $pull: { a: { $foo: 1 } } }, 'Invalid update: unknown operator "$foo" at "a.$elemMatch"'],
  ])("refuses %j", (update, message) => {
    let thrown: unknown;
    try {
      parseUpdate(update);
    } catch (err) {
      thrown = err;
    }
    expect((thrown as { code: string }).code).toBe("INVALID_QUERY");
    expect((thrown as Error).message).toBe(message);
  });
});
