import Database from "better-sqlite3";
import { sql } from "kysely";
import { describe, expect, it } from "vitest";
import { matches } from "./evaluate.js";
import { parseFilter } from "./parse.js";
import { compileRegex } from "./regex.js";
import { compileWhere } from "./sqlite.js";
import { registerSqliteFunctions, sqliteCompiler } from "./sqlite-runtime.js";

const HOSTILE = `${"a".repeat(30)}!`;

describe("catastrophic patterns finish quickly", () => {
  // A backtracking engine needs minutes for each of these on HOSTILE; the linear fallback
  // takes about a millisecond. The bound is loose so a busy machine does not fail it.
  it.each([
    ["(a+)+$", ""],
    ["(a+)+$", "i"],
    ["(a|aa)+$", "i"],
    ["(a*)*b", "m"],
    ["(\\w+\\s?)+$", "u"],
  ])("/%s/%s in the evaluator and in SQLite", (pattern, options) => {
    const filter = parseFilter({ name: { $regex: pattern, $options: options } });
    const start = performance.now();
    expect(matches(filter, { id: "x", name: HOSTILE })).toBe(false);
    const db = new Database(":memory:");
    registerSqliteFunctions(db);
    db.exec("CREATE TABLE t (id TEXT, data TEXT)");
    db.prepare("INSERT INTO t VALUES ('x', ?)").run(JSON.stringify({ name: HOSTILE }));
    const shape = { columns: { id: "id" }, dataColumn: "data", kindOf: () => "scalar" as const };
    const q = sqliteCompiler()
      .selectFrom(sql.table("t").as("t"))
      .select(sql`id`.as("id"))
      .where(compileWhere(filter, shape))
      .compile();
    expect(db.prepare(q.sql).all(...q.parameters)).toEqual([]);
    db.close();
    expect(performance.now() - start).toBeLessThan(2000);
  });

  it("keeps falling back after a pattern has warmed up", () => {
    const re = compileRegex("(a+)+$", "");
    for (let i = 0; i < 20_000; i++) re.test("aaaab");
    const start = performance.now();
    expect(re.test(HOSTILE)).toBe(false);
    expect(performance.now() - start).toBeLessThan(2000);
  });
});

describe("compileRegex()", () => {
  it.each([
    ["^ada", "i", "Ada Lovelace", true],
    ["^ADA$", "i", "ada", true],
    ["[a-c]+", "i", "ABC", true],
    ["é", "i", "É", true],
    ["^.$", "s", "\n", true],
    ["^.$", "", "\n", false],
    ["^b$", "m", "a\nb", true],
    ["^\\u{1F600}$", "u", "😀", true],
    ["^\\p{L}+$", "u", "Ünïcödé", true],
    ["^\\p{L}+$", "u", "abc1", false],
  ])("/%s/%s on %j → %s", (pattern, flags, text, result) => {
    expect(compileRegex(pattern, flags).test(text)).toBe(result);
  });

  it("returns the cached RegExp for the same pattern and flags", () => {
    expect(compileRegex("^cache", "i")).toBe(compileRegex("^cache", "i"));
    expect(compileRegex("^cache", "")).not.toBe(compileRegex("^cache", "i"));
  });

  it.each([
    ["(a)\\1", ""],
    ["(?=a)a", ""],
    ["(?<=a)b", ""],
    ["a{17}", ""],
    ["[^a]", "i"],
  ])("refuses /%s/%s (not linear-time)", (pattern, flags) => {
    expect(() => compileRegex(pattern, flags)).toThrow(/cannot run in linear time/);
  });
});
