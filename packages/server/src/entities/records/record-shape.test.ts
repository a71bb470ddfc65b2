import { describe, expect, it } from "vitest";
import type { StoredRecord } from "../../store/index.js";
import { flat, flatJson, newRecordId } from "./record-shape.js";

const record = (data: StoredRecord["data"], builtins: StoredRecord["builtins"]): StoredRecord => ({
  id: "6752ab31a1b2c3d4e5000001",
  created_date: "2026-11-30T11:36:03.123Z",
  updated_date: "2026-11-30T11:37:03.123Z",
  builtins,
  data,
});

describe("flatJson()", () => {
  it.each([
    ["no fields", {}],
    [
      "fields of every kind",
      { a: 1, s: 'q"uote \u2028 é \\', n: null, t: [1, { x: false }], o: {} },
    ],
    ["a field named as a built-in", { title: "x", created_by: "forged", id: "mine" }],
  ])("writes the text of flat(), key for key: %s", (_name, data) => {
    for (const builtins of <StoredRecord["builtins"][]>[
      { created_by: "ada@example.com", created_by_id: "u1" },
      { created_by: null, created_by_id: null },
      { email: "ada@example.com", full_name: null, role: "admin" },
    ]) {
      const r = record(data, builtins);
      expect(flatJson(r, JSON.stringify(r.data))).toBe(JSON.stringify(flat(r)));
    }
  });
});

describe("flat()", () => {
  it("is the object spread of the fields and built-ins, __proto__ kept as a field", () => {
    const data = JSON.parse('{"b":1,"__proto__":{"polluted":true},"id":"mine","a":[2]}');
    const r = record(data, { created_by: "x@y.io", created_by_id: null });
    const f = flat(r);
    expect(Object.getPrototypeOf(f)).toBe(Object.prototype);
    expect(Object.keys(f)).toEqual(
      Object.keys({ ...data, ...r.builtins, id: 1, created_date: 1, updated_date: 1 }),
    );
    expect(JSON.stringify(f)).toBe(
      JSON.stringify({
        ...data,
        ...r.builtins,
        id: r.id,
        created_date: r.created_date,
        updated_date: r.updated_date,
      }),
    );
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});

describe("newRecordId()", () => {
  it("makes ids of 24 hex characters that increase", () => {
    const ids = Array.from({ length: 1000 }, () => newRecordId());
    for (const id of ids) expect(id).toMatch(/^[0-9a-f]{24}$/);
    expect([...ids].sort()).toEqual(ids);
    expect(new Set(ids).size).toBe(ids.length);
  });
});
