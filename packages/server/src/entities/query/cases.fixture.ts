/**
 * The shared table of filter cases: 30 sample records and, for each wire filter, the ids it
 * must match (worked out by hand, not by running any of our code). `evaluate.test.ts` runs the
 * table through `matches`, `sqlite.test.ts` through the compiled SQL against a real database,
 * under every `kindOf` answer that is true of the data; both must return exactly these ids.
 */

/** One case: a wire filter and the ids it matches (`ids`), or every id but `except`. */
export interface FilterCase {
  name: string;
  filter: Record<string, unknown>;
  ids?: string[];
  except?: string[];
}

const id = (n: number) => `r${String(n).padStart(2, "0")}`;
const range = (from: number, to: number) =>
  Array.from({ length: to - from + 1 }, (_, i) => id(from + i));

/** The user fields of each record, by number. */
const DATA: Record<number, Record<string, unknown>> = {
  1: { status: "open", active: true, meta: [1, 2] },
  2: { status: "done", active: false, meta: { a: [1, 2] } },
  3: { status: "Open", active: "true", mixed: "x" },
  4: { status: null, mixed: ["x", "y"] },
  5: { status: 5, mixed: { x: 1 } },
  6: { status: "5", mixed: 3 },
  7: { status: true, mixed: [3, 4] },
  8: { status: "ópen", "odd name": 1, 'q"uote': "yes", "0": "zero" },
  9: { n: 1, active: 1, "odd name": 2 },
  10: { n: 5, active: 0, dk: { "2023": 5, "0": "a" } },
  11: { n: 10, name: "Zoë", dk: ["a", "b"] },
  12: { n: 2.5, name: "zoe", arr2d: [[1, 2], [3]] },
  13: { n: -3, name: "émile", arr2d: [[1]] },
  14: { n: 0, name: "😀 smile", arr2d: [1, [2]] },
  15: { n: "5", name: "\uFFFD" },
  16: { n: true, name: "日本" },
  17: { n: null, name: "Ångström" },
  18: { tags: ["a", "b"], scores: [1, 7], name: "" },
  19: { tags: ["c"], scores: [10], name: "first\nsecond" },
  20: { tags: [], scores: [3, "8"] },
  21: { tags: ["a", null], scores: [], name: "straße" },
  22: { tags: null, scores: [5, 5] },
  23: {
    tags: ["A", "b"],
    items: [
      { sku: "x", qty: 5 },
      { sku: "y", qty: 1 },
    ],
  },
  24: { tags: ["b", "a"], items: [{ sku: "x", qty: 0 }] },
  25: { tags: [1, "1", true], items: [5, { sku: "z", qty: 2 }] },
  26: { items: [{ sku: "y", qty: 7, tags: ["hot"] }], address: { city: "Lyon", zip: "69001" } },
  27: { items: [], address: { city: "Paris" } },
  28: { address: { city: null }, meta: { a: 1, b: 2 } },
  29: { address: "Lyon", meta: { b: 2, a: 1 } },
  30: { address: { city: "Lyon", geo: { lat: 45.7 } }, meta: { a: 1 } },
};

/** A stored record split into its built-in columns and its user data. */
export interface SampleRecord {
  id: string;
  created_date: string;
  updated_date: string;
  created_by: string | null;
  created_by_id: string | null;
  data: Record<string, unknown>;
}

/** The 30 records: r01–r10 made by ada (u1), r11–r20 by bob (u2), r21–r30 by nobody. */
export const SAMPLE_RECORDS: SampleRecord[] = range(1, 30).map((rid, i) => {
  const n = i + 1;
  return {
    id: rid,
    created_date: `2025-01-${String(n).padStart(2, "0")}T10:00:00.000Z`,
    updated_date: n % 2 === 1 ? "2025-02-01T00:00:00.000Z" : "2025-03-01T00:00:00.000Z",
    created_by: n <= 10 ? "ada@x.io" : n <= 20 ? "bob@x.io" : null,
    created_by_id: n <= 10 ? "u1" : n <= 20 ? "u2" : null,
    data: DATA[n] ?? {},
  };
});

/** A record as the API returns it: built-ins and user fields at top level. */
export function flat(r: SampleRecord): Record<string, unknown> {
  const { data, ...builtIns } = r;
  return { ...data, ...builtIns };
}

export const ALL_IDS = range(1, 30);

/** The ids a case expects, sorted. */
export function expectedIds(c: FilterCase): string[] {
  if (c.ids !== undefined) return [...c.ids].sort();
  const except = new Set(c.except ?? []);
  return ALL_IDS.filter((x) => !except.has(x));
}

export const FILTER_CASES: FilterCase[] = [
  // Equality and type bracketing
  { name: "string equality", filter: { status: "open" }, ids: ["r01"] },
  { name: "equality is case-sensitive", filter: { status: "Open" }, ids: ["r03"] },
  { name: "number 5 is not the string '5'", filter: { status: 5 }, ids: ["r05"] },
  { name: "string '5' is not the number 5", filter: { status: "5" }, ids: ["r06"] },
  { name: "true is not 1", filter: { status: true }, ids: ["r07"] },
  { name: "boolean true", filter: { active: true }, ids: ["r01"] },
  { name: "number 1 is not true", filter: { active: 1 }, ids: ["r09"] },
  { name: "boolean false", filter: { active: false }, ids: ["r02"] },
  { name: "number 0 is not false", filter: { active: 0 }, ids: ["r10"] },
  { name: "unicode string", filter: { status: "ópen" }, ids: ["r08"] },
  { name: "CJK string", filter: { name: "日本" }, ids: ["r16"] },
  { name: "empty string", filter: { name: "" }, ids: ["r18"] },
  { name: "$eq", filter: { status: { $eq: "done" } }, ids: ["r02"] },
  { name: "$eq 5.0 is 5", filter: { status: { $eq: 5.0 } }, ids: ["r05"] },
  {
    name: "null matches null and missing",
    filter: { status: null },
    except: ["r01", "r02", "r03", "r05", "r06", "r07", "r08"],
  },
  {
    name: "$ne null",
    filter: { status: { $ne: null } },
    ids: ["r01", "r02", "r03", "r05", "r06", "r07", "r08"],
  },
  { name: "$ne matches missing", filter: { status: { $ne: "open" } }, except: ["r01"] },
  { name: "$ne number", filter: { n: { $ne: 5 } }, except: ["r10"] },
  {
    name: "array shorthand is $in",
    filter: { status: ["open", "done", 5] },
    ids: ["r01", "r02", "r05"],
  },
  {
    name: "$in with null",
    filter: { status: { $in: ["open", null] } },
    except: ["r02", "r03", "r05", "r06", "r07", "r08"],
  },
  { name: "$in keeps types apart", filter: { n: { $in: [5, true] } }, ids: ["r10", "r16"] },
  { name: "$in empty", filter: { status: { $in: [] } }, ids: [] },
  { name: "$nin", filter: { status: { $nin: ["open", "done"] } }, except: ["r01", "r02"] },
  { name: "$nin empty", filter: { status: { $nin: [] } }, except: [] },

  // Ordered comparisons within one type
  { name: "$gt number", filter: { n: { $gt: 1 } }, ids: ["r10", "r11", "r12"] },
  { name: "$gte number", filter: { n: { $gte: 1 } }, ids: ["r09", "r10", "r11", "r12"] },
  { name: "$lt number", filter: { n: { $lt: 1 } }, ids: ["r13", "r14"] },
  { name: "$lte number", filter: { n: { $lte: 0 } }, ids: ["r13", "r14"] },
  { name: "range", filter: { n: { $gt: 0, $lt: 6 } }, ids: ["r09", "r10", "r12"] },
  { name: "range with $ne", filter: { n: { $gt: 1, $ne: 10 } }, ids: ["r10", "r12"] },
  { name: "$gt string compares strings only", filter: { n: { $gt: "4" } }, ids: ["r15"] },
  { name: "$gte false compares booleans only", filter: { n: { $gte: false } }, ids: ["r16"] },
  {
    name: "$gt string, binary order",
    filter: { status: { $gt: "a" } },
    ids: ["r01", "r02", "r08"],
  },
  { name: "$lt string", filter: { status: { $lt: "a" } }, ids: ["r03", "r06"] },
  {
    name: "astral above U+FFFD (code point order)",
    filter: { name: { $gt: "\uFFFD" } },
    ids: ["r14"],
  },
  {
    name: "code point order above CJK",
    filter: { name: { $gt: "日" } },
    ids: ["r14", "r15", "r16"],
  },
  {
    name: "code point order, accents",
    filter: { name: { $gte: "z" } },
    ids: ["r12", "r13", "r14", "r15", "r16", "r17"],
  },

  // Arrays
  { name: "scalar against array: contains", filter: { tags: "a" }, ids: ["r18", "r21", "r24"] },
  { name: "$in against array", filter: { tags: ["a", "c"] }, ids: ["r18", "r19", "r21", "r24"] },
  { name: "$all", filter: { tags: { $all: ["a", "b"] } }, ids: ["r18", "r24"] },
  { name: "$all empty", filter: { tags: { $all: [] } }, ids: [] },
  { name: "$size 0", filter: { tags: { $size: 0 } }, ids: ["r20"] },
  { name: "$size 2", filter: { tags: { $size: 2 } }, ids: ["r18", "r21", "r23", "r24"] },
  {
    name: "null: array holding null, null, missing",
    filter: { tags: null },
    except: ["r18", "r19", "r20", "r23", "r24", "r25"],
  },
  {
    name: "$ne against array: no element",
    filter: { tags: { $ne: "a" } },
    except: ["r18", "r21", "r24"],
  },
  {
    name: "$nin against array",
    filter: { tags: { $nin: ["a", "b"] } },
    except: ["r18", "r21", "r23", "r24"],
  },
  { name: "$exists true (null counts)", filter: { tags: { $exists: true } }, ids: range(18, 25) },
  { name: "$exists false", filter: { tags: { $exists: false } }, except: range(18, 25) },
  { name: "$eq whole array", filter: { tags: { $eq: ["a", "b"] } }, ids: ["r18"] },
  { name: "$eq empty array", filter: { tags: { $eq: [] } }, ids: ["r20"] },
  { name: "number element", filter: { tags: 1 }, ids: ["r25"] },
  { name: "boolean element", filter: { tags: { $in: [true] } }, ids: ["r25"] },
  { name: "string element '1'", filter: { tags: "1" }, ids: ["r25"] },
  {
    name: "$elemMatch $eq",
    filter: { tags: { $elemMatch: { $eq: "a" } } },
    ids: ["r18", "r21", "r24"],
  },
  {
    name: "$elemMatch $gt string",
    filter: { tags: { $elemMatch: { $gt: "a" } } },
    ids: ["r18", "r19", "r23", "r24"],
  },
  {
    name: "$elemMatch $exists: any element",
    filter: { tags: { $elemMatch: { $exists: true } } },
    ids: ["r18", "r19", "r21", "r23", "r24", "r25"],
  },
  {
    name: "$not $size",
    filter: { tags: { $not: { $size: 2 } } },
    except: ["r18", "r21", "r23", "r24"],
  },
  { name: "$gt on number array", filter: { scores: { $gt: 6 } }, ids: ["r18", "r19"] },
  {
    name: "range on array: elements may differ",
    filter: { scores: { $gt: 2, $lt: 6 } },
    ids: ["r18", "r20", "r22"],
  },
  {
    name: "$elemMatch range: one element",
    filter: { scores: { $elemMatch: { $gt: 2, $lt: 6 } } },
    ids: ["r20", "r22"],
  },
  { name: "$gt string on array", filter: { scores: { $gt: "7" } }, ids: ["r20"] },
  { name: "number in array", filter: { scores: 5 }, ids: ["r22"] },
  { name: "$size on numbers", filter: { scores: { $size: 2 } }, ids: ["r18", "r20", "r22"] },
  { name: "$all one", filter: { scores: { $all: [5] } }, ids: ["r22"] },
  { name: "$not $gt on array", filter: { scores: { $not: { $gt: 6 } } }, except: ["r18", "r19"] },
  {
    name: "$not $elemMatch",
    filter: { tags: { $not: { $elemMatch: { $eq: "a" } } } },
    except: ["r18", "r21", "r24"],
  },

  // Arrays of objects
  {
    name: "$elemMatch on documents",
    filter: { items: { $elemMatch: { sku: "x", qty: { $gt: 2 } } } },
    ids: ["r23"],
  },
  {
    name: "$elemMatch one field",
    filter: { items: { $elemMatch: { sku: "y" } } },
    ids: ["r23", "r26"],
  },
  {
    name: "$elemMatch $ne skips non-objects",
    filter: { items: { $elemMatch: { qty: { $ne: 5 } } } },
    ids: ["r23", "r24", "r25", "r26"],
  },
  {
    name: "$elemMatch null only on objects",
    filter: { items: { $elemMatch: { sku: null } } },
    ids: [],
  },
  {
    name: "$elemMatch field holding an array",
    filter: { items: { $elemMatch: { tags: "hot" } } },
    ids: ["r26"],
  },
  {
    name: "$elemMatch with $or",
    filter: { items: { $elemMatch: { $or: [{ sku: "z" }, { qty: 0 }] } } },
    ids: ["r24", "r25"],
  },
  {
    name: "$elemMatch scalar element",
    filter: { items: { $elemMatch: { $eq: 5 } } },
    ids: ["r25"],
  },
  { name: "index path", filter: { "items.0.sku": "x" }, ids: ["r23", "r24"] },
  { name: "index path, comparison", filter: { "items.1.qty": { $gte: 1 } }, ids: ["r23", "r25"] },
  { name: "index path to a scalar element", filter: { "items.0": 5 }, ids: ["r25"] },
  { name: "no fan-out in the middle of a path", filter: { "items.sku": "x" }, ids: [] },
  { name: "$size 1 on documents", filter: { items: { $size: 1 } }, ids: ["r24", "r26"] },

  // Objects and dotted paths
  { name: "dotted path", filter: { "address.city": "Lyon" }, ids: ["r26", "r30"] },
  { name: "dotted path null", filter: { "address.city": null }, except: ["r26", "r27", "r30"] },
  {
    name: "dotted path exists",
    filter: { "address.city": { $exists: true } },
    ids: ["r26", "r27", "r28", "r30"],
  },
  {
    name: "dotted path missing",
    filter: { "address.city": { $exists: false } },
    except: ["r26", "r27", "r28", "r30"],
  },
  { name: "exact sub-document", filter: { address: { city: "Paris" } }, ids: ["r27"] },
  { name: "sub-document must be whole", filter: { address: { city: "Lyon" } }, ids: [] },
  { name: "object field holding a string", filter: { address: "Lyon" }, ids: ["r29"] },
  { name: "deep path", filter: { "address.geo.lat": { $gt: 45 } }, ids: ["r30"] },
  { name: "regex on a dotted path", filter: { "address.zip": { $regex: "^69" } }, ids: ["r26"] },
  { name: "key order matters", filter: { meta: { a: 1, b: 2 } }, ids: ["r28"] },
  { name: "key order matters, other way", filter: { meta: { b: 2, a: 1 } }, ids: ["r29"] },
  {
    name: "$in with an object and an array",
    filter: { meta: { $in: [{ a: 1 }, [1, 2]] } },
    ids: ["r01", "r30"],
  },
  { name: "scalar against an unknown field holding an array", filter: { meta: 1 }, ids: ["r01"] },
  {
    name: "array shorthand on a dotted path",
    filter: { "meta.a": [1, 2] },
    ids: ["r02", "r28", "r29", "r30"],
  },
  { name: "$eq array on a dotted path", filter: { "meta.a": { $eq: [1, 2] } }, ids: ["r02"] },
  { name: "$ne object", filter: { meta: { $ne: { a: 1 } } }, except: ["r30"] },

  // A field whose type varies (only "unknown" is true of it)
  { name: "mixed: string or element", filter: { mixed: "x" }, ids: ["r03", "r04"] },
  { name: "mixed: number or element", filter: { mixed: 3 }, ids: ["r06", "r07"] },
  { name: "mixed: object", filter: { mixed: { x: 1 } }, ids: ["r05"] },
  { name: "mixed: $gt", filter: { mixed: { $gt: 2 } }, ids: ["r06", "r07"] },
  { name: "mixed: $size", filter: { mixed: { $size: 2 } }, ids: ["r04", "r07"] },

  // Odd names and index segments
  { name: "name with a space", filter: { "odd name": 1 }, ids: ["r08"] },
  { name: "name with a quote", filter: { 'q"uote': "yes" }, ids: ["r08"] },
  { name: "top-level digit key", filter: { "0": "zero" }, ids: ["r08"] },
  {
    name: "digit segment: object key or array index",
    filter: { "dk.0": "a" },
    ids: ["r10", "r11"],
  },
  { name: "digit key of an object", filter: { "dk.2023": 5 }, ids: ["r10"] },
  { name: "array index 1", filter: { "dk.1": "b" }, ids: ["r11"] },

  // Arrays of arrays
  { name: "shorthand $in on nested arrays", filter: { arr2d: [1, 2] }, ids: ["r14"] },
  { name: "$eq array matches an element", filter: { arr2d: { $eq: [1, 2] } }, ids: ["r12"] },
  {
    name: "$elemMatch $size",
    filter: { arr2d: { $elemMatch: { $size: 1 } } },
    ids: ["r12", "r13", "r14"],
  },
  {
    name: "$elemMatch value: no fan-out into an element",
    filter: { arr2d: { $elemMatch: { $eq: 1 } } },
    ids: ["r14"],
  },
  {
    name: "nested $elemMatch",
    filter: { arr2d: { $elemMatch: { $elemMatch: { $gt: 1 } } } },
    ids: ["r12", "r14"],
  },

  // Built-in columns
  { name: "created_by", filter: { created_by: "ada@x.io" }, ids: range(1, 10) },
  { name: "created_by null", filter: { created_by: null }, ids: range(21, 30) },
  {
    name: "created_by_id $in with null",
    filter: { created_by_id: { $in: ["u2", null] } },
    ids: range(11, 30),
  },
  { name: "built-ins always exist", filter: { created_by: { $exists: true } }, except: [] },
  { name: "built-in $exists false", filter: { created_by: { $exists: false } }, ids: [] },
  { name: "built-in $ne", filter: { created_by: { $ne: "ada@x.io" } }, ids: range(11, 30) },
  { name: "built-in $nin", filter: { created_by_id: { $nin: ["u1"] } }, ids: range(11, 30) },
  {
    name: "created_date range",
    filter: { created_date: { $gte: "2025-01-28" } },
    ids: ["r28", "r29", "r30"],
  },
  { name: "id", filter: { id: "r05" }, ids: ["r05"] },
  { name: "id shorthand $in", filter: { id: ["r01", "r02", "zzz"] }, ids: ["r01", "r02"] },
  {
    name: "built-in regex, case-insensitive",
    filter: { created_by: { $regex: "^BOB", $options: "i" } },
    ids: range(11, 20),
  },
  { name: "built-in against a number", filter: { id: 5 }, ids: [] },
  { name: "built-in $gt number", filter: { created_by: { $gt: 5 } }, ids: [] },
  { name: "path under a built-in is missing", filter: { "created_by.x": null }, except: [] },
  {
    name: "path under a built-in never exists",
    filter: { "created_by.x": { $exists: true } },
    ids: [],
  },
  {
    name: "built-in $not regex (null passes)",
    filter: { created_by: { $not: { $regex: "ada" } } },
    ids: range(11, 30),
  },
  {
    name: "updated_date $in",
    filter: { updated_date: ["2025-03-01T00:00:00.000Z"] },
    ids: range(1, 30).filter((_, i) => i % 2 === 1),
  },

  // Regular expressions
  { name: "regex anchored", filter: { status: { $regex: "^open$" } }, ids: ["r01"] },
  { name: "regex i", filter: { status: { $regex: "^open$", $options: "i" } }, ids: ["r01", "r03"] },
  {
    name: "regex substring, unicode text",
    filter: { status: { $regex: "pen" } },
    ids: ["r01", "r03", "r08"],
  },
  { name: "regex only on strings", filter: { status: { $regex: "5" } }, ids: ["r06"] },
  {
    name: "regex i on array elements",
    filter: { tags: { $regex: "^a$", $options: "i" } },
    ids: ["r18", "r21", "r23", "r24"],
  },
  {
    name: "regex i, non-ASCII",
    filter: { name: { $regex: "^z", $options: "i" } },
    ids: ["r11", "r12"],
  },
  { name: "regex u, astral", filter: { name: { $regex: "^😀", $options: "u" } }, ids: ["r14"] },
  {
    name: "regex u, property escape",
    filter: { name: { $regex: "^\\p{Lu}", $options: "u" } },
    ids: ["r11", "r17"],
  },
  { name: "regex ß", filter: { name: { $regex: "STRASSE|straße", $options: "i" } }, ids: ["r21"] },
  { name: "regex m", filter: { name: { $regex: "^second$", $options: "m" } }, ids: ["r19"] },
  { name: "regex without m", filter: { name: { $regex: "^second$" } }, ids: [] },
  { name: "regex s", filter: { name: { $regex: "first.second", $options: "s" } }, ids: ["r19"] },
  { name: "regex without s", filter: { name: { $regex: "first.second" } }, ids: [] },
  {
    name: "$not regex",
    filter: { name: { $not: { $regex: "o" } } },
    except: ["r11", "r12", "r19"],
  },
  { name: "$not regex string", filter: { name: { $not: "^Z" } }, except: ["r11"] },
  { name: "regex on a mixed field", filter: { mixed: { $regex: "^[xy]$" } }, ids: ["r03", "r04"] },

  // Combinators
  { name: "$or", filter: { $or: [{ status: "open" }, { n: 5 }] }, ids: ["r01", "r10"] },
  { name: "$and", filter: { $and: [{ n: { $gt: 0 } }, { n: { $lt: 3 } }] }, ids: ["r09", "r12"] },
  {
    name: "$nor",
    filter: { $nor: [{ status: "open" }, { status: null }] },
    ids: ["r02", "r03", "r05", "r06", "r07", "r08"],
  },
  { name: "implicit and", filter: { status: "open", active: true }, ids: ["r01"] },
  {
    name: "$or with a sibling",
    filter: { $or: [{ tags: "c" }, { "address.city": "Paris" }], created_by: "bob@x.io" },
    ids: ["r19"],
  },
  { name: "empty filter", filter: {}, except: [] },
  { name: "$or with match-all", filter: { $or: [{}, { status: "x" }] }, except: [] },
  { name: "$nor of match-all", filter: { $nor: [{}] }, ids: [] },
  {
    name: "nested combinators",
    filter: { $and: [{ $or: [{ n: 1 }, { n: 10 }] }, { $nor: [{ name: "Zoë" }] }] },
    ids: ["r09"],
  },
  { name: "$exists true on a scalar", filter: { n: { $exists: true } }, ids: range(9, 17) },
  { name: "$exists false on a scalar", filter: { n: { $exists: false } }, except: range(9, 17) },
  { name: "$not $in", filter: { n: { $not: { $in: [1, 5] } } }, except: ["r09", "r10"] },
  { name: "$not of $gt", filter: { n: { $not: { $gt: 1 } } }, except: ["r10", "r11", "r12"] },
];
