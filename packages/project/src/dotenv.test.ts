import { describe, expect, it } from "vitest";
import { parseDotenv } from "./index.js";

describe("parseDotenv()", () => {
  it("reads plain, exported and spaced assignments, skipping comments and blank lines", () => {
    const text = "# a comment\n\nA=1\nexport B=two\n  C = three  \r\nD=\n";
    expect(parseDotenv(text)).toEqual({
      values: { A: "1", B: "two", C: "three", D: "" },
      problems: [],
    });
  });

  it("strips a comment after whitespace in an unquoted value but keeps a # inside it", () => {
    expect(parseDotenv("A=1 # note\nURL=http://x/#frag\nH=#").values).toEqual({
      A: "1",
      URL: "http://x/#frag",
      H: "",
    });
  });

  it("keeps single-quoted values literally", () => {
    expect(parseDotenv("A='x \\n # y'  # c\nB='it''").values).toEqual({ A: "x \\n # y" });
  });

  it("understands escapes in double quotes", () => {
    expect(parseDotenv('A="l1\\nl2\\t\\"q\\" \\\\ \\$x"\nB="a # not a comment"').values).toEqual({
      A: 'l1\nl2\t"q" \\ \\$x',
      B: "a # not a comment",
    });
  });

  it("reads quoted values that span lines", () => {
    const r = parseDotenv('KEY="-----BEGIN\nabc\n-----END"\nNEXT=1');
    expect(r.values).toEqual({ KEY: "-----BEGIN\nabc\n-----END", NEXT: "1" });
    expect(r.problems).toEqual([]);
  });

  it("lets a later line win", () => {
    expect(parseDotenv("A=1\nA=2").values).toEqual({ A: "2" });
  });

  it("reports bad lines with their line number and keeps the good ones", () => {
    const r = parseDotenv("GOOD=1\n1BAD=x\nno equals\nQ=\"open\nR='x' trailing");
    expect(r.values).toEqual({ GOOD: "1" });
    expect(r.problems).toEqual([
      { line: 2, message: 'Invalid variable name: "1BAD"' },
      { line: 3, message: 'Expected NAME=value: "no equals"' },
      { line: 4, message: 'Unterminated " quote in the value of Q' },
    ]);
  });

  it("reports text after a closing quote", () => {
    expect(parseDotenv("R='x' trailing").problems).toEqual([
      { line: 1, message: 'Unexpected text after the closing quote of R: "trailing"' },
    ]);
  });
});
