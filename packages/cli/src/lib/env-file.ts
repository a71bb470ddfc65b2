import { FnbaseError } from "@fnbase/shared";

const NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * Parses `NAME=value` arguments.
 *
 * @throws {FnbaseError} `USAGE` for an argument without `=` or with a bad name.
 * @example
 * parseAssignments(["A=1", "B=x=y"]); // { A: "1", B: "x=y" }
 */
export function parseAssignments(pairs: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const p of pairs) {
    const i = p.indexOf("=");
    const name = i < 0 ? p : p.slice(0, i);
    if (i < 0 || !NAME.test(name)) {
      throw new FnbaseError("USAGE", `Invalid secret: ${JSON.stringify(p)}: expected NAME=value`, {
        hint: "Names are letters, digits and _, not starting with a digit",
      });
    }
    out[name] = p.slice(i + 1);
  }
  return out;
}
